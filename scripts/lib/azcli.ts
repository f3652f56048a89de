// The real Azure CLI for this project: installed with pip from PyPI into a virtual environment in the ignored
// `.cache/azcli/` (or found on PATH), and pointed at a running sandbox without touching the user's own ~/.azure:
// its own AZURE_CONFIG_DIR, the sandbox CA as REQUESTS_CA_BUNDLE, a cloud registered from the sandbox ARM's
// /metadata/endpoints, MSAL instance discovery off, and the world's operator logged in.
//
// How the CLI behaves, from its source (azure-cli 2.91 / msal 1.39, installed in .cache/azcli/venv):
// - `az cloud register --endpoint-resource-manager X` GETs X/metadata/endpoints?api-version=2022-09-01 without a
//   token and maps `authentication.loginEndpoint`, `authentication.audiences[0]` and `resourceManager`
//   (azure/cli/command_modules/cloud/custom.py, azure/cli/core/cloud.py `_arm_to_cli_mapper`).
// - MSAL's instance discovery is on unless the config says core.instance_discovery=false
//   (azure/cli/core/_profile.py), i.e. AZURE_CORE_INSTANCE_DISCOVERY=false.
// - `az login --identity` uses MSAL's ManagedIdentityClient, which picks its source from the environment exactly as
//   the SDKs do: IDENTITY_ENDPOINT + IDENTITY_HEADER is App Service (msal/managed_identity.py
//   `get_managed_identity_source`), so the app's own settings reach the sandbox's App Service endpoint.
// - Every login then lists /subscriptions (and /tenants for a user) on Resource Manager.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const AZCLI_DIR = join(REPO_ROOT, '.cache', 'azcli');
const VENV = join(AZCLI_DIR, 'venv');
const VENV_AZ = join(VENV, 'bin', 'az');
const STAMP = join(AZCLI_DIR, 'installed.json');
/** The cloud name the sandbox is registered under in a sandbox config dir. */
export const SANDBOX_CLOUD = 'IdentityProbesSandbox';

export interface AzCli {
  /** The `az` executable. */
  path: string;
  source: 'cache' | 'path';
}

/** `az` from the project's cache, else from PATH; undefined when neither has one. */
export function findAz(): AzCli | undefined {
  if (existsSync(VENV_AZ) && existsSync(STAMP)) return { path: VENV_AZ, source: 'cache' };
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'az');
    if (dir && existsSync(candidate)) return { path: candidate, source: 'path' };
  }
  return undefined;
}

/** The CLI's own version (`az version`), e.g. "2.91.0". */
export function azVersion(az: AzCli): string {
  const r = spawnSync(az.path, ['version', '-o', 'json'], {
    encoding: 'utf8',
    env: quietEnv({ ...process.env, AZURE_CONFIG_DIR: join(AZCLI_DIR, 'version-config') }),
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`az version failed: ${r.stderr || r.error?.message}`);
  return (JSON.parse(r.stdout) as Record<string, string>)['azure-cli'];
}

export interface InstallResult {
  az: AzCli;
  version: string;
  /** False when the cached install was reused. */
  installed: boolean;
  seconds: number;
}

/**
 * Installs the current `azure-cli` from PyPI into .cache/azcli/venv (python3 -m venv, then pip), unless a complete
 * install is already cached there (the stamp is written only after pip succeeded).
 */
export function installAzCli(log: (line: string) => void = () => {}): InstallResult {
  const started = Date.now();
  const done = (installed: boolean): InstallResult => {
    const az = { path: VENV_AZ, source: 'cache' as const };
    return { az, version: azVersion(az), installed, seconds: Math.round((Date.now() - started) / 1000) };
  };
  if (existsSync(VENV_AZ) && existsSync(STAMP)) return done(false);
  rmSync(VENV, { recursive: true, force: true });
  mkdirSync(AZCLI_DIR, { recursive: true });
  const run = (cmd: string, args: string[]) => {
    log(`$ ${cmd} ${args.join(' ')}`);
    const r = spawnSync(cmd, args, { stdio: 'inherit', timeout: 15 * 60_000 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.error?.message})`);
  };
  run('python3', ['-m', 'venv', VENV]);
  run(join(VENV, 'bin', 'pip'), [
    'install',
    '--quiet',
    '--disable-pip-version-check',
    '--no-input',
    'azure-cli',
  ]);
  const result = done(true);
  writeFileSync(STAMP, JSON.stringify({ version: result.version, at: new Date().toISOString() }) + '\n');
  return result;
}

/** Settings that keep the CLI from prompting, colouring, or phoning home (telemetry, surveys, update checks). */
function quietEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    AZURE_CORE_COLLECT_TELEMETRY: 'false',
    AZURE_CORE_SURVEY_MESSAGE: 'false',
    AZURE_CORE_NO_COLOR: 'true',
    AZURE_CORE_LOGIN_EXPERIENCE_V2: 'off',
    AZURE_CORE_CHECK_VERSION_UPDATE: 'false',
  };
}

/** What a sandbox connection file says, as far as the CLI needs it. */
export interface SandboxForAz {
  caCertPath: string;
  tenantId: string;
  subscriptionId: string;
  endpoints: { arm: string };
  operator?: { clientId: string };
  sourceSecrets: { appSecrets: Record<string, string> };
}

/**
 * The environment that points `az` at a sandbox: its own config directory (never ~/.azure), the sandbox CA for
 * Python's requests, instance discovery off, quiet. `extra` adds e.g. IDENTITY_ENDPOINT/IDENTITY_HEADER for a
 * managed identity login. Only PATH and HOME come from this process, so no AZURE_* of the caller leaks in.
 */
export function sandboxAzEnv(
  az: AzCli,
  sandbox: SandboxForAz,
  configDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return quietEnv({
    PATH: `${dirname(az.path)}${delimiter}${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: process.env.HOME ?? '/tmp',
    AZURE_CONFIG_DIR: configDir,
    REQUESTS_CA_BUNDLE: sandbox.caCertPath,
    AZURE_CORE_INSTANCE_DISCOVERY: 'false',
    ...extra,
  }) as Record<string, string>;
}

export interface AzResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `az args` with exactly `env`, killed after `timeoutMs`. */
export function runAz(
  az: AzCli,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<AzResult> {
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(az.path, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Runs `az args` and returns its stdout, or throws with everything it printed. */
export async function az(
  cli: AzCli,
  args: string[],
  env: Record<string, string>,
  timeoutMs?: number,
): Promise<string> {
  const r = await runAz(cli, args, env, timeoutMs);
  if (r.code !== 0) throw new Error(`az ${shown(args).join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The arguments as they may be printed: the values of secret-bearing options are redacted. */
const SECRET_OPTIONS = ['--password', '-p', '--federated-token', '--client-secret'];
function shown(args: string[]): string[] {
  return args.map((a, i) => {
    const eq = SECRET_OPTIONS.find((o) => a.startsWith(`${o}=`));
    if (eq) return `${eq}=[REDACTED]`;
    return SECRET_OPTIONS.includes(args[i - 1] ?? '') ? '[REDACTED]' : a;
  });
}

/** Registers the sandbox as a cloud from its /metadata/endpoints and makes it the active cloud. */
export async function registerSandboxCloud(
  cli: AzCli,
  sandbox: SandboxForAz,
  env: Record<string, string>,
): Promise<void> {
  await az(
    cli,
    ['cloud', 'register', '--name', SANDBOX_CLOUD, '--endpoint-resource-manager', sandbox.endpoints.arm],
    env,
  );
  await az(cli, ['cloud', 'set', '--name', SANDBOX_CLOUD], env);
}

/** Logs in as the world's operator (service principal with a secret, Owner on the resource group). */
export async function loginOperator(
  cli: AzCli,
  sandbox: SandboxForAz,
  env: Record<string, string>,
): Promise<void> {
  const id = sandbox.operator?.clientId;
  const secret = id ? sandbox.sourceSecrets.appSecrets[id] : undefined;
  if (!id || !secret)
    throw new Error('the sandbox world declares no operator (sandbox/worlds/*.json "operator")');
  await az(
    cli,
    [
      'login',
      '--service-principal',
      '--username',
      id,
      // One argument: a generated secret may start with '-', which the CLI would read as an option (its help:
      // "Use --password=secret if the first character of the password is '-'").
      `--password=${secret}`,
      '--tenant',
      sandbox.tenantId,
      '-o',
      'none',
    ],
    env,
  );
  await az(cli, ['account', 'set', '--subscription', sandbox.subscriptionId], env);
}

/**
 * A config directory for `sandbox`, ready to use: the cloud registered and the operator logged in. It is reused
 * while it belongs to the same sandbox (same Resource Manager origin and CA) and set up afresh otherwise.
 */
export async function prepareSandboxConfig(
  cli: AzCli,
  sandbox: SandboxForAz,
  configDir: string,
): Promise<void> {
  const marker = join(configDir, 'identity-probes-sandbox.json');
  const key = JSON.stringify({
    arm: sandbox.endpoints.arm,
    ca: sandbox.caCertPath,
    tenant: sandbox.tenantId,
  });
  if (existsSync(marker) && readFileSync(marker, 'utf8') === key) return;
  rmSync(configDir, { recursive: true, force: true });
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const env = sandboxAzEnv(cli, sandbox, configDir);
  await registerSandboxCloud(cli, sandbox, env);
  await loginOperator(cli, sandbox, env);
  writeFileSync(marker, key);
}
