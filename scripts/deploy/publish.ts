// Publishing right after the deployment. On Flex Consumption `func azure functionapp publish` hands the package to
// the platform, which writes it to the deployment container with the identity of
// functionAppConfig.deployment.storage. That identity's role on the container was created by the deployment
// seconds earlier; until it has propagated, Storage answers 403 and Core Tools fails with "Failed to upload blob
// package to storage account ... 403 (This request is not authorized to perform this operation.)"
// (Azure/azure-functions-core-tools#4346). So: wait until the assignment is visible, then publish, retrying a
// 403 from the upload with bounded exponential backoff. Any other failure stops at once.
import type { Exec } from './exec.ts';
import { lastLine } from './exec.ts';
import type { WaitPolicy } from './waits.ts';
import { duration, publishDelays, sleep } from './waits.ts';

/** The deployment output `deploymentStorage` of infra/main.bicep. */
export interface DeploymentStorage {
  principalId: string;
  scope: string;
  roleDefinitionId: string;
}

type Log = (line: string) => void;

export const roleListCommand = (d: DeploymentStorage, subscriptionArgs: string[]) => [
  'az',
  'role',
  'assignment',
  'list',
  '--assignee-object-id',
  d.principalId,
  '--scope',
  d.scope,
  '--role',
  d.roleDefinitionId,
  '--fill-principal-name',
  'false',
  '--fill-role-definition-name',
  'false',
  ...subscriptionArgs,
  '--output',
  'json',
];

/** What Core Tools prints when the platform's package upload is refused: worth another try after a wait. */
export const UPLOAD_FORBIDDEN =
  /Failed to upload blob package|\b403\b.*not authorized|AuthorizationPermissionMismatch|AuthorizationFailure/i;

export function describeRoleWait(p: WaitPolicy): string {
  return `polls every ${duration(p.role.intervalMs)} for at most ${duration(p.role.timeoutMs)} until the assignment is listed`;
}

export function describePublishRetry(p: WaitPolicy): string {
  const delays = publishDelays(p.publish);
  const total = delays.reduce((a, b) => a + b, 0);
  return `at most ${p.publish.attempts} attempts; after a 403 / "Failed to upload blob package" from the package upload it waits ${delays.map(duration).join(', ')} (${duration(total)} in all) for the role to reach Storage; any other failure stops at once`;
}

/**
 * Polls until the role assignment is listed (true), or the time is up or the listing fails (false, with a
 * warning: the publish retries still cover propagation).
 */
export async function waitForRole(
  exec: Exec,
  d: DeploymentStorage,
  subscriptionArgs: string[],
  p: WaitPolicy,
  log: Log,
): Promise<boolean> {
  const start = Date.now();
  const argv = roleListCommand(d, subscriptionArgs);
  for (let poll = 1; ; poll++) {
    const r = await exec(argv);
    if (r.status !== 0) {
      log(`   could not list role assignments (${lastLine(r)}); publishing anyway, with retries`);
      return false;
    }
    let found = false;
    try {
      const list = JSON.parse(r.stdout || '[]') as Array<{ principalId?: string; roleDefinitionId?: string }>;
      found = list.some(
        (a) =>
          a.principalId?.toLowerCase() === d.principalId.toLowerCase() &&
          (a.roleDefinitionId ?? '').toLowerCase().endsWith(d.roleDefinitionId.toLowerCase()),
      );
    } catch {
      log('   az role assignment list did not print JSON; publishing anyway, with retries');
      return false;
    }
    const waited = Date.now() - start;
    if (found) {
      log(`   role assignment listed after ${poll} poll(s), ${duration(waited)}`);
      return true;
    }
    if (waited + p.role.intervalMs > p.role.timeoutMs) {
      log(
        `   not listed after ${duration(waited)} (${poll} polls); publishing anyway, with retries (docs/deploy.md "Troubleshooting")`,
      );
      return false;
    }
    log(`   poll ${poll}: not listed yet; next in ${duration(p.role.intervalMs)}`);
    await sleep(p.role.intervalMs);
  }
}

/** Runs the publish, retrying only a refused package upload. Throws when it gives up. */
export async function publishWithRetry(
  exec: Exec,
  argv: string[],
  cwd: string,
  p: WaitPolicy,
  log: Log,
): Promise<void> {
  const delays = publishDelays(p.publish);
  for (let attempt = 1; ; attempt++) {
    log(`   attempt ${attempt} of ${p.publish.attempts}`);
    const r = await exec(argv, { cwd, stream: true });
    if (r.status === 0) return;
    const forbidden = UPLOAD_FORBIDDEN.test(`${r.stdout}\n${r.stderr}`);
    if (!forbidden)
      throw new Error(`func azure functionapp publish failed (exit ${r.status}): ${lastLine(r)}`);
    const delay = delays[attempt - 1];
    if (delay === undefined)
      throw new Error(
        `func azure functionapp publish: the package upload was still refused (403) after ${attempt} attempts over ${duration(delays.reduce((a, b) => a + b, 0))}; the deployment identity's role on the deployment container has not reached Storage. Re-run npm run deploy in a few minutes (docs/deploy.md "Troubleshooting").`,
      );
    log(
      `   the package upload was refused (403): the deployment identity's role on the deployment container has not reached Storage yet; waiting ${duration(delay)} before attempt ${attempt + 1}`,
    );
    await sleep(delay);
  }
}
