// npm run deploy: compiles and lints infra/main.bicep with the operator's Bicep CLI (warnings are errors) and checks
// the parameters file, checks the wiring and the Flex-supported properties, checks az and func, recovers a soft-deleted
// Key Vault of an earlier deployment, creates or updates the Azure resources (az deployment group create with
// infra/main.bicep), stages the deployment package, waits for the deployment identity's role on the deployment
// container, publishes (func azure functionapp publish, retrying a 403 from the package upload), then prints the
// status URL and how to get a function key.
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
import {
  bicepCandidates,
  checkParametersFile,
  compileAndLint,
  INSTALL_HINT,
  onPath,
  PARAMETERS,
  TEMPLATE,
} from './deploy/bicep.ts';
import {
  describeGreenWait,
  deploymentShowCommand,
  enableAlertCommand,
  healthCommand,
  isExistingEnvironment,
  waitForGreen,
} from './deploy/alerts.ts';
import { checkDrift, formatDrift } from './deploy/drift.ts';
import { makeExec } from './deploy/exec.ts';
import { checkFlexProperties, formatFlex } from './deploy/flex.ts';
import type { VaultTarget } from './deploy/keyvault.ts';
import {
  describeVaultCheck,
  listDeletedCommand,
  recoverCommand,
  recoverDeletedVault,
} from './deploy/keyvault.ts';
import { mib, size, stagePackage } from './deploy/package.ts';
import type { DeploymentStorage } from './deploy/publish.ts';
import {
  describePublishRetry,
  describeRoleWait,
  publishWithRetry,
  roleListCommand,
  waitForRole,
} from './deploy/publish.ts';
import type { WaitPolicy } from './deploy/waits.ts';
import { waitPolicy } from './deploy/waits.ts';
import { readWiring } from './deploy/wiring.ts';
import type { Command } from './deploy/plan.ts';
import { plan } from './deploy/plan.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

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

interface Context {
  o: DeployOptions;
  p: ReturnType<typeof plan>;
  dry: boolean;
  stagingDir: string;
  waits: WaitPolicy;
  sub: string[];
}

async function main(argv: string[]): Promise<number> {
  let o: DeployOptions | undefined;
  let waits: WaitPolicy;
  try {
    o = parseDeployArgs(argv);
    waits = waitPolicy();
  } catch (err) {
    if (err instanceof UsageError || (err instanceof Error && /DEPLOY_WAIT_SCALE/.test(err.message))) {
      process.stderr.write(`deploy: ${(err as Error).message}\n\n${USAGE}\n`);
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
  const sub = o.subscription ? ['--subscription', o.subscription] : [];
  const c: Context = { o, p: plan(o, stagingDir), dry: o.dryRun, stagingDir, waits, sub };
  out(
    c.dry
      ? 'identity-probes deploy: DRY RUN (no az or func command runs; nothing in Azure changes)'
      : 'identity-probes deploy',
  );
  out(
    `  environment ${o.env}, resource group ${o.resourceGroup}, location ${o.location}, function app ${o.appName}`,
  );
  out();
  try {
    await localChecks(c);
    prerequisites(c);
    const deployed = await infrastructure(c);
    await packageStep(c);
    await publishStep(c, deployed);
    await alertsStep(c, deployed);
    summary(c, deployed);
    return 0;
  } catch (err) {
    // DeployError, BicepError and staging errors carry a message meant for the user; anything else is a bug, shown in
    // full.
    process.stderr.write(
      `deploy: ${err instanceof Error && !(err instanceof TypeError) ? err.message : String((err as Error).stack)}\n`,
    );
    return 1;
  } finally {
    if (!o.stagingDir) rmSync(stagingDir, { recursive: true, force: true });
  }
}

async function localChecks({ dry }: Context): Promise<void> {
  out(
    `1. Compile and lint ${TEMPLATE} (infra/bicepconfig.json: the default rules, warnings are errors) and check ${PARAMETERS}; then the wiring against the Bicep and the sandbox world (local; nothing in Azure changes)`,
  );
  const candidates = bicepCandidates(process.env, (n) => onPath(n));
  if (dry) {
    const shown = candidates[0] ?? bicepCandidates({}, () => true).at(-1)!;
    out(
      `   would compile and lint with the first Bicep CLI found ($BICEP_PATH, \`bicep\` on the PATH, \`az bicep\`): here ${candidates[0] ? shown.how : `none (${INSTALL_HINT})`}`,
    );
    out(show({ argv: shown.build }));
    out(show({ argv: shown.lint }));
    const params = checkParametersFile(ROOT);
    out(
      `   ${PARAMETERS}: ${params.length} parameters, each declared by ${TEMPLATE} and within its constraints`,
    );
  } else {
    const r = await compileAndLint(exec, ROOT, candidates, out);
    out(
      `   compiled (${r.templateBytes} bytes of ARM JSON) and linted with no warning; ${PARAMETERS}: ${r.parameters.length} parameters, each declared and within its constraints`,
    );
  }
  const report = checkDrift(ROOT);
  if (report.problems.length)
    throw new DeployError(`the wiring has drifted; fix it before deploying:\n${formatDrift(report)}`);
  out(
    `   no drift: ${report.checked.declaredAssignments} role assignments, ${report.checked.federatedCredentials} federated credential(s), ${report.checked.settings} settings`,
  );
  const flex = checkFlexProperties(ROOT);
  if (flex.problems.length)
    throw new DeployError(
      `the Bicep sets what Flex Consumption does not support (docs/flex-consumption.md):\n${formatFlex(flex)}`,
    );
  out(
    `   Flex Consumption: ${flex.read.length} site properties and app settings read, none on the not-supported list (docs/flex-consumption.md)`,
  );
  out();
}

function prerequisites({ p, dry }: Context): void {
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

interface Deployed {
  /** The first deployment of this environment (undefined in a dry run: not asked). */
  newEnvironment?: boolean;
  alertRuleName?: string;
  appName: string;
  statusUrl: string;
  healthUrl: string;
  storage?: DeploymentStorage;
}

async function infrastructure({ o, p, dry, sub }: Context): Promise<Deployed> {
  out(
    '3. Infrastructure: resource group, soft-deleted Key Vault check, then infra/main.bicep (creates or updates)',
  );
  out(show(p.group));
  if (!dry) run(p.group);
  const target: VaultTarget = {
    resourceGroup: o.resourceGroup,
    env: o.env,
    location: o.location,
    subscriptionArgs: sub,
  };
  for (const l of describeVaultCheck(target)) out(l);
  out(show({ argv: listDeletedCommand(target) }));
  if (dry) out(`${show({ argv: recoverCommand(target, '<its name, kv-...>') })}   (only if one is found)`);
  else await recoverDeletedVault(exec, target, out);
  const showDeployment = deploymentShowCommand(o.resourceGroup, p.deploymentName, sub);
  out(show({ argv: showDeployment }));
  const newEnvironment = dry ? undefined : !(await isExistingEnvironment(exec, showDeployment));
  if (dry)
    out(
      '   (no such deployment: a new environment, deployed with alertsEnabled=false; the alert is enabled after the first all-green sweep, step 7)',
    );
  else
    out(
      newEnvironment
        ? '   a new environment: deployed with the alert rule off (alertsEnabled=false) until the first all-green sweep (step 7)'
        : '   an existing environment: the alert rule stays enabled',
    );
  const deployment = p.deployment(newEnvironment === true);
  out(show(deployment));
  const d: Deployed = {
    newEnvironment,
    appName: o.appName,
    statusUrl: `https://${o.appName}.azurewebsites.net/api/status`,
    healthUrl: `https://${o.appName}.azurewebsites.net/api/health`,
  };
  if (!dry) {
    const outputs = JSON.parse(run(deployment)) as Record<string, { value: unknown }>;
    const str = (k: string, dflt: string) =>
      typeof outputs[k]?.value === 'string' ? (outputs[k].value as string) : dflt;
    d.appName = str('functionAppName', d.appName);
    d.statusUrl = str('statusUrl', d.statusUrl);
    d.healthUrl = str('healthUrl', d.healthUrl);
    d.alertRuleName = str('alertRuleName', '') || undefined;
    const ds = outputs.deploymentStorage?.value as Partial<DeploymentStorage> | undefined;
    if (
      typeof ds?.principalId === 'string' &&
      typeof ds.scope === 'string' &&
      typeof ds.roleDefinitionId === 'string'
    )
      d.storage = ds as DeploymentStorage;
    out(`   deployed: function app ${d.appName}`);
  }
  if (!o.federatedTokenUrl && !o.federatedTokenFile)
    out(
      '   note: no --federated-token-url/--federated-token-file: the federated path will report misconfigured until FEDERATED_TOKEN_URL or FEDERATED_TOKEN_FILE is set',
    );
  out();
  return d;
}

async function packageStep({ o, stagingDir }: Context): Promise<void> {
  out(`4. Package: staged in ${stagingDir} (local; runs in a dry run too)`);
  const staged = await stagePackage(ROOT, stagingDir, {
    reuseDist: o.reuseDist,
    log: (l) => out(`  ${l}`),
  });
  out(`   package: ${staged.files} files, ${staged.bytes} bytes (${mib(staged.bytes)} MiB)`);
  out(
    `   by entry: ${Object.entries(staged.byEntry)
      .map(([k, v]) => `${k} ${size(v)}`)
      .join(', ')}; no node_modules: every library is in the bundle`,
  );
  out(`   largest files: ${staged.largest.map((x) => `${x.name} ${size(x.bytes)}`).join(', ')}`);
  out(`   imports left to the Functions worker: ${staged.provided.join(', ')} (and Node's built-ins)`);
  out();
}

async function publishStep({ o, p, dry, waits, sub }: Context, d: Deployed): Promise<void> {
  out(
    '5. Role propagation: the identity the platform uploads the package with needs its role on the deployment container',
  );
  out(`   (deployment output deploymentStorage); ${describeRoleWait(waits)}:`);
  const storage: DeploymentStorage = d.storage ?? {
    principalId: '<deploymentStorage.principalId>',
    scope: `/subscriptions/<subscription>/resourceGroups/${o.resourceGroup}/providers/Microsoft.Storage/storageAccounts/<host storage account>/blobServices/default/containers/app-package`,
    roleDefinitionId: deploymentRoleGuid(),
  };
  out(show({ argv: roleListCommand(storage, sub) }));
  if (!dry) {
    if (d.storage) await waitForRole(exec, d.storage, sub, waits, out);
    else out('   the deployment did not return deploymentStorage; publishing with retries only');
  }
  out();

  const publish = p.publish(d.appName);
  out(
    '6. Publish: Core Tools uploads the staged folder; the platform writes it to the Flex deployment container',
  );
  out(`   ${describePublishRetry(waits)}`);
  out(show(publish));
  if (!dry) await publishWithRetry(exec, publish.argv, publish.cwd ?? ROOT, waits, out);
  out();
}

async function alertsStep({ o, dry, waits, sub }: Context, d: Deployed): Promise<void> {
  out(
    '7. Alerts: a new environment gets its alert rule enabled after the first all-green sweep (no e-mail storm',
  );
  out('   while its role assignments propagate); an existing one keeps it enabled');
  const rule = d.alertRuleName ?? `alert-probes-${o.env}-<token>`;
  if (dry || d.newEnvironment) {
    out(
      `   ${describeGreenWait(waits.green)}, then enables the rule (also when the time is up: a real break must alert):`,
    );
    out(show({ argv: healthCommand(d.healthUrl) }));
    out(show({ argv: enableAlertCommand(o.resourceGroup, rule, sub) }));
  }
  if (dry) {
    out();
    return;
  }
  if (!d.newEnvironment) {
    out('   an existing environment: nothing to do');
    out();
    return;
  }
  const green = await waitForGreen(exec, healthCommand(d.healthUrl), waits.green, out);
  const r = await exec(enableAlertCommand(o.resourceGroup, rule, sub));
  if (r.status !== 0)
    throw new DeployError(
      `could not enable the alert rule ${rule}; enable it by hand: ${enableAlertCommand(o.resourceGroup, rule, sub).join(' ')}`,
    );
  out(
    green
      ? `   alert rule ${rule} enabled after the first all-green sweep`
      : `   alert rule ${rule} enabled although the app is not green yet: expect alerts for the failing cells (see the status page)`,
  );
  out();
}

/** The role the declaration gives on the deployment container (shown in a dry run, before any output exists). */
function deploymentRoleGuid(): string {
  const w = readWiring(join(ROOT, 'infra', 'identity-wiring.json'));
  const a = w.roleAssignments.find((x) => x.scope === 'deploymentContainer');
  return a ? (w.roles[a.role] ?? a.role) : '<role>';
}

function summary({ o, p, dry }: Context, d: Deployed): void {
  out(`${dry ? 'After a real run' : 'Done'}: status and health`);
  out(
    `   status: ${d.statusUrl}${dry ? '   (the deployment output statusUrl; predicted from the app name)' : ''}`,
  );
  out(`   health: ${d.healthUrl}`);
  out('   function key for the status endpoint:');
  out(show(p.keys(d.appName)));
  out(`   then: curl -H "x-functions-key: <key>" ${d.statusUrl}`);
  out(
    '   Right after the first deployment, probes may report forbidden for a few minutes while role assignments',
  );
  out('   propagate (docs/pain-points.md P6); the status page records the time to green.');
  if (!o.stagingDir) out(`   (the staging folder is removed on exit; give --staging-dir to keep it)`);
}

const exec = makeExec(ROOT);

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
