// Shared by the resource-plane conformance tests: a sandbox on free ports with its own temp state dir, the admin
// API, the SDK child runner (fixtures/sdk-child.ts), raw HTTPS requests that trust the sandbox CA explicitly, and
// foreign tokens (a key the tenant does not know).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPair, SignJWT } from 'jose';
import { startSandbox } from '../../../sandbox/index.ts';
import type { RunningSandbox } from '../../../sandbox/index.ts';
import type { SandboxConnection } from '../../../sandbox/connection.ts';
import type { ChildSpec, CredentialSpec, Step, StepResult } from './fixtures/sdk-child.ts';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'sdk-child.ts');
const MARKER = '@@SDK-RESULTS@@';

export const VAULT = 'https://vault.azure.net';
export const ARM = 'https://management.azure.com/';
export const STORAGE = 'https://storage.azure.com';

export interface TestSandbox extends RunningSandbox {
  stateDir: string;
}

export async function startTestSandbox(
  scenario = 'healthy',
  extra: Parameters<typeof startSandbox>[0] = {},
): Promise<TestSandbox> {
  const stateDir = mkdtempSync(join(tmpdir(), 'idp-resources-'));
  const sb = await startSandbox({ scenario, writeConnectionFile: false, quiet: true, stateDir, ...extra });
  return {
    ...sb,
    stateDir,
    close: async () => {
      await sb.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export async function admin<T = Record<string, unknown>>(
  conn: SandboxConnection,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${conn.endpoints.admin}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export function identity(conn: SandboxConnection, key: string) {
  const id = conn.identities.find((i) => i.key === key);
  if (!id) throw new Error(`no identity '${key}' in the sandbox world`);
  return id;
}

/** The credential a test names: the app's identities through App Service MI, the federated one through Entra. */
export function credentialFor(conn: SandboxConnection, who: 'system' | 'app' | 'federated'): CredentialSpec {
  if (who === 'system') return { kind: 'managed-identity' };
  if (who === 'app') return { kind: 'managed-identity', clientId: identity(conn, 'app').clientId };
  return {
    kind: 'federated',
    tenantId: conn.tenantId,
    clientId: identity(conn, 'federated').clientId,
    tokenFile: conn.files.federatedTokenFile,
    authorityHost: conn.endpoints.entra,
  };
}

export interface ChildRun {
  results: StepResult[];
  stderr: string;
  stdout: string;
  ms: number;
}

/**
 * Runs the SDK fixture in a fresh Node process with a minimal environment: PATH, HOME, the App Service managed
 * identity variables from the sandbox's app settings, NODE_EXTRA_CA_CERTS = the sandbox CA, and `env` (nothing else
 * of this process's environment, so no stray AZURE_* variable changes what the SDK does).
 */
export function runSdk(
  conn: SandboxConnection,
  credential: CredentialSpec,
  steps: Step[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 90_000,
): Promise<ChildRun> {
  const spec: ChildSpec = {
    credential,
    endpoints: {
      keyVault: conn.endpoints.keyVault,
      blob: conn.endpoints.blob,
      arm: conn.endpoints.arm,
      admin: conn.endpoints.admin,
      subscriptionId: conn.subscriptionId,
    },
    steps,
  };
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    NODE_EXTRA_CA_CERTS: conn.caCertPath,
    IDENTITY_ENDPOINT: conn.appSettings.IDENTITY_ENDPOINT,
    IDENTITY_HEADER: conn.appSettings.IDENTITY_HEADER,
  };
  // `undefined` removes a variable (e.g. the App Service ones, to make the SDK pick IMDS).
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE, JSON.stringify(spec)], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
      if (!line)
        return reject(
          new Error(`SDK child exited ${code} without results\nstdout:\n${stdout}\nstderr:\n${stderr}`),
        );
      resolve({
        results: JSON.parse(line.slice(MARKER.length)) as StepResult[],
        stdout,
        stderr,
        ms: Date.now() - started,
      });
    });
  });
}

/** Runs steps with a fixed token (handed over in the child's environment, never printed). */
export function runSdkWithToken(conn: SandboxConnection, token: string, steps: Step[]): Promise<ChildRun> {
  return runSdk(conn, { kind: 'static', tokenEnv: 'SANDBOX_TEST_TOKEN' }, steps, {
    SANDBOX_TEST_TOKEN: token,
  });
}

export function ok(r: StepResult | undefined): Record<string, unknown> {
  if (!r?.ok) throw new Error(`expected success, got ${JSON.stringify(r)}`);
  return r.ok;
}

export function err(r: StepResult | undefined): NonNullable<StepResult['error']> {
  if (!r?.error) throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  return r.error;
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** A raw HTTPS request trusting the sandbox CA explicitly (this test process has no NODE_EXTRA_CA_CERTS). */
export function request(
  conn: SandboxConnection,
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(url),
      {
        method: opts.method ?? 'GET',
        headers: opts.headers,
        ca: readFileSync(conn.caCertPath, 'utf8'),
        timeout: 15_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A well-formed v1 token for this tenant, signed by a key the tenant has never published. */
export async function foreignKeyToken(conn: SandboxConnection, oid: string, aud: string): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    aud,
    iss: `https://sts.windows.net/${conn.tenantId}/`,
    oid,
    sub: oid,
    tid: conn.tenantId,
    appid: identity(conn, 'app').clientId,
    idtyp: 'app',
    ver: '1.0',
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'not-a-tenant-key' })
    .setIssuedAt(now)
    .setNotBefore(now - 300)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
}

/** Whether a process exists (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
