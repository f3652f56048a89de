// npm run deploy: checks the wiring, checks az and func, creates or updates the Azure resources
// (az deployment group create with infra/main.bicep), stages the deployment package and publishes it
// (func azure functionapp publish), then prints the status URL and how to get a function key.
// --dry-run prints every command with its values filled in and runs none of them (not even `az account show`);
// it still stages the package in a temporary folder, because that is local and it is how it reports the size.
// Steps, options and the why of each: docs/deploy.md.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redactQueryValues } from '../common/redact.ts';
import type { DeployOptions } from './deploy/args.ts';
import { USAGE, UsageError, parseDeployArgs } from './deploy/args.ts';
import { checkDrift, formatDrift } from './deploy/drift.ts';
import { mib, size, stagePackage } from './deploy/package.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Command {
  argv: string[];
  /** Working directory, when not the repository root. */
  cwd?: string;
  /** Capture stdout (checks, outputs) instead of streaming it. */
  capture?: boolean;
}

class DeployError extends Error {}

const out = (line = '') => process.stdout.write(`${line}\n`);

/** POSIX shell quoting, so a printed command can be pasted as is. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Query values of URLs in an argument (a token URL may carry `code=` or `sig=`) are not printed: they would land in
 * terminal scrollback and CI logs.
 */
export const redactForDisplay = redactQueryValues;

const show = (c: Command) =>
  `  $ ${c.argv.map((a) => shellQuote(redactForDisplay(a))).join(' ')}${c.cwd ? `\n      (in ${c.cwd})` : ''}`;

function run(c: Command): string {
  // az is a .cmd script on Windows, which only a shell can start.
  const r = spawnSync(c.argv[0], c.argv.slice(1), {
    cwd: c.cwd ?? ROOT,
    encoding: 'utf8',
    stdio: c.capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    shell: process.platform === 'win32',
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT')
    throw new DeployError(
      `${c.argv[0]} is not installed or not on the PATH (see docs/deploy.md "Prerequisites")`,
    );
  if (r.error) throw new DeployError(`${c.argv[0]} failed to start: ${r.error.message}`);
  if (r.status !== 0) {
    const err = c.capture ? `\n${(r.stderr ?? '').trim()}` : '';
    throw new DeployError(`command failed (exit ${r.status}): ${c.argv.slice(0, 4).join(' ')} ...${err}`);
  }
  return r.stdout ?? '';
}

/** `az deployment group create` of infra/main.bicep with this deployment's parameters. */
function deploymentCommand(o: DeployOptions, sub: string[]): Command {
  const deploymentName = `identity-probes-${o.env}`;
  const parameters = [
    `environmentName=${o.env}`,
    `location=${o.location}`,
    `functionAppName=${o.appName}`,
    `federatedIssuer=${o.federatedIssuer}`,
    `federatedSubject=${o.federatedSubject}`,
    ...(o.federatedTokenUrl ? [`federatedTokenUrl=${o.federatedTokenUrl}`] : []),
    ...(o.federatedTokenFile ? [`federatedTokenFile=${o.federatedTokenFile}`] : []),
  ];
  return {
    argv: [
      'az',
      'deployment',
      'group',
      'create',
      '--resource-group',
      o.resourceGroup,
      '--name',
      deploymentName,
      '--template-file',
      'infra/main.bicep',
      '--parameters',
      '@infra/main.parameters.json',
      '--parameters',
      ...parameters,
      ...sub,
      '--query',
      'properties.outputs',
      '--output',
      'json',
    ],
    capture: true,
  };
}

/** Every az and func command of a deployment, with the values filled in. */
export function plan(o: DeployOptions, stagingDir: string) {
  const sub = o.subscription ? ['--subscription', o.subscription] : [];
  return {
    checks: [
      { argv: ['az', 'version', '--output', 'json'], capture: true },
      { argv: ['az', 'account', 'show', ...sub, '--output', 'json'], capture: true },
      { argv: ['func', '--version'], capture: true },
    ] satisfies Command[],
    group: {
      argv: [
        'az',
        'group',
        'create',
        '--name',
        o.resourceGroup,
        '--location',
        o.location,
        '--tags',
        `identity-probes-env=${o.env}`,
        ...sub,
        '--output',
        'none',
      ],
    } satisfies Command,
    deployment: deploymentCommand(o, sub),
    // Published from the staging folder, which holds only the package. --javascript: the folder has no
    // local.settings.json or tsconfig to tell Core Tools the language; --no-build: it is already built (a Flex
    // remote build would npm install again on Azure).
    publish: (appName: string): Command => ({
      argv: ['func', 'azure', 'functionapp', 'publish', appName, '--javascript', '--no-build', ...sub],
      cwd: stagingDir,
    }),
    keys: (appName: string): Command => ({
      argv: [
        'az',
        'functionapp',
        'keys',
        'list',
        '--resource-group',
        o.resourceGroup,
        '--name',
        appName,
        ...sub,
        '--query',
        'functionKeys.default',
        '--output',
        'tsv',
      ],
    }),
  };
}

/** 1. The wiring has not drifted (local, read-only). */
function checkWiring(): void {
  out('1. Wiring: infra/identity-wiring.json against the Bicep and the sandbox world (local, read-only)');
  const report = checkDrift(ROOT);
  if (report.problems.length)
    throw new DeployError(`the wiring has drifted; fix it before deploying:\n${formatDrift(report)}`);
  out(
    `   no drift: ${report.checked.declaredAssignments} role assignments, ${report.checked.federatedCredentials} federated credential(s), ${report.checked.settings} settings`,
  );
  out();
}

/** 2. az installed and logged in, func 4.x installed. */
function checkTools(p: ReturnType<typeof plan>, dry: boolean): void {
  out(
    `2. Prerequisites: az installed and logged in, func (Core Tools 4.x) installed${dry ? ' (would check)' : ''}`,
  );
  for (const c of p.checks) out(show(c));
  if (!dry) {
    const azv = JSON.parse(run(p.checks[0])) as Record<string, string>;
    let account: { id?: string; name?: string; tenantId?: string; user?: { name?: string } };
    try {
      account = JSON.parse(run(p.checks[1]));
    } catch (err) {
      throw new DeployError(`az is not logged in (run: az login): ${(err as Error).message}`);
    }
    const funcVersion = run(p.checks[2]).trim();
    if (!/^4\./.test(funcVersion))
      throw new DeployError(`func ${funcVersion} found; Core Tools 4.x is needed for Flex Consumption`);
    out(
      `   az ${azv['azure-cli']}; subscription ${account.name} (${account.id}), tenant ${account.tenantId}, as ${account.user?.name}`,
    );
    out(`   func ${funcVersion} (publishes with the az login above)`);
  }
  out();
}

/** 3. The resource group, then infra/main.bicep; returns the app's name and URLs. */
function deployInfrastructure(o: DeployOptions, p: ReturnType<typeof plan>, dry: boolean) {
  out('3. Infrastructure: resource group, then infra/main.bicep (idempotent: creates or updates)');
  out(show(p.group));
  out(show(p.deployment));
  let appName = o.appName;
  let statusUrl = `https://${o.appName}.azurewebsites.net/api/status`;
  let healthUrl = `https://${o.appName}.azurewebsites.net/api/health`;
  if (!dry) {
    run(p.group);
    const outputs = JSON.parse(run(p.deployment)) as Record<string, { value: string }>;
    appName = outputs.functionAppName?.value ?? appName;
    statusUrl = outputs.statusUrl?.value ?? statusUrl;
    healthUrl = outputs.healthUrl?.value ?? healthUrl;
    out(`   deployed: function app ${appName}`);
  }
  if (!o.federatedTokenUrl && !o.federatedTokenFile)
    out(
      '   note: no --federated-token-url/--federated-token-file: the federated path will report misconfigured until FEDERATED_TOKEN_URL or FEDERATED_TOKEN_FILE is set',
    );
  out();

  return { appName, statusUrl, healthUrl };
}

/** 4. The package, staged locally (in a dry run too). */
function stage(o: DeployOptions, stagingDir: string): void {
  out(`4. Package: staged in ${stagingDir} (local; runs in a dry run too)`);
  const staged = stagePackage(ROOT, stagingDir, { reuseDist: o.reuseDist, log: (l) => out(`  ${l}`) });
  out(
    `   package: ${staged.files} files, ${staged.bytes} bytes (${mib(staged.bytes)} MiB) in ${staged.packages} production packages`,
  );
  out(
    `   by entry: ${Object.entries(staged.byEntry)
      .map(([k, v]) => `${k} ${size(v)}`)
      .join(', ')}; left out of packages: ${size(staged.prunedBytes)} of .d.ts/.map/.md`,
  );
  out(`   largest packages: ${staged.largest.map((x) => `${x.name} ${size(x.bytes)}`).join(', ')}`);
  out(`   imports resolved from the package: ${staged.imports.join(', ')}`);
  out();
}

/** 5. Publish, then where the status is and how to read it. */
function publishAndTell(
  p: ReturnType<typeof plan>,
  d: { appName: string; statusUrl: string; healthUrl: string },
  dry: boolean,
): void {
  const { appName, statusUrl, healthUrl } = d;
  const publish = p.publish(appName);
  out('5. Publish: Core Tools uploads the staged folder to the Flex deployment container');
  out(show(publish));
  if (!dry) run(publish);
  out();

  out(`${dry ? 'After a real run' : 'Done'}: status and health`);
  out(
    `   status: ${statusUrl}${dry ? '   (the deployment output statusUrl; predicted from the app name)' : ''}`,
  );
  out(`   health: ${healthUrl}`);
  out('   function key for the status endpoint:');
  out(show(p.keys(appName)));
  out(`   then: curl -H "x-functions-key: <key>" ${statusUrl}`);
  out(
    '   Right after the first deployment, probes may report forbidden for a few minutes while role assignments',
  );
  out('   propagate (docs/pain-points.md P6); the status page records the time to green.');
}

function main(argv: string[]): number {
  let o: DeployOptions | undefined;
  try {
    o = parseDeployArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`deploy: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (!o) {
    out(USAGE);
    return 0;
  }
  const stagingDir = o.stagingDir
    ? resolve(o.stagingDir)
    : mkdtempSync(join(tmpdir(), 'identity-probes-package-'));
  const p = plan(o, stagingDir);
  const dry = o.dryRun;
  out(
    dry
      ? 'identity-probes deploy: DRY RUN (no az or func command runs; nothing in Azure changes)'
      : 'identity-probes deploy',
  );
  out(
    `  environment ${o.env}, resource group ${o.resourceGroup}, location ${o.location}, function app ${o.appName}`,
  );
  out();

  try {
    checkWiring();
    checkTools(p, dry);
    const deployed = deployInfrastructure(o, p, dry);
    stage(o, stagingDir);
    publishAndTell(p, deployed, dry);
    if (!o.stagingDir) out(`   (the staging folder is removed on exit; give --staging-dir to keep it)`);
    return 0;
  } catch (err) {
    // DeployError and staging errors carry a message meant for the user; anything else is a bug, shown in full.
    process.stderr.write(
      `deploy: ${err instanceof Error && !(err instanceof TypeError) ? err.message : String((err as Error).stack)}\n`,
    );
    return 1;
  } finally {
    if (!o.stagingDir) rmSync(stagingDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
