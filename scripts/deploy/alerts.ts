// No alert e-mail storm on a fresh deployment. Right after the first deployment of an environment every probe may
// answer `forbidden` for minutes while its role assignments propagate (docs/pain-points.md P6), and the availability
// alert would fire (and e-mail) for each cell. So `npm run deploy` deploys a NEW environment with the alert rule
// disabled (main.bicep alertsEnabled=false), waits after publishing for the first all-green sweep (GET /api/health
// answers status ok: every path x target has a fresh ok result) and then enables the rule. If the app is not green
// within the bound, it enables the rule anyway and says so: a real break must still alert. A redeployment of an
// existing environment keeps the rule as it is (alertsEnabled defaults to true), so alerts never go quiet on an app
// that already runs. Chosen over a longer alert window: the window would delay every later alert too.
import type { Exec } from './exec.ts';
import { lastLine } from './exec.ts';
import { duration, sleep } from './waits.ts';

type Log = (line: string) => void;

export interface GreenWait {
  intervalMs: number;
  timeoutMs: number;
}

/** Whether an `identity-probes-<env>` deployment already exists in the group (else this is a new environment). */
export const deploymentShowCommand = (resourceGroup: string, name: string, sub: string[]) => [
  'az',
  'deployment',
  'group',
  'show',
  '--resource-group',
  resourceGroup,
  '--name',
  name,
  ...sub,
  '--query',
  'properties.provisioningState',
  '--output',
  'tsv',
];

/** The anonymous health endpoint, through the Azure CLI (no token is sent to it). */
export const healthCommand = (healthUrl: string) => [
  'az',
  'rest',
  '--method',
  'get',
  '--url',
  healthUrl,
  '--skip-authorization-header',
  '--output',
  'json',
];

export const enableAlertCommand = (resourceGroup: string, rule: string, sub: string[]) => [
  'az',
  'monitor',
  'metrics',
  'alert',
  'update',
  '--resource-group',
  resourceGroup,
  '--name',
  rule,
  '--enabled',
  'true',
  ...sub,
  '--output',
  'none',
];

export function describeGreenWait(w: GreenWait): string {
  return `polls the health endpoint every ${duration(w.intervalMs)} for at most ${duration(w.timeoutMs)} until it answers status ok`;
}

/** True when the deployment exists (an existing environment); false when ARM says it does not. */
export async function isExistingEnvironment(exec: Exec, argv: string[]): Promise<boolean> {
  const r = await exec(argv);
  return r.status === 0;
}

/** Polls health until ok (true) or the time is up (false); every answer is logged in one line. */
export async function waitForGreen(exec: Exec, argv: string[], w: GreenWait, log: Log): Promise<boolean> {
  const deadline = Date.now() + w.timeoutMs;
  for (let poll = 1; ; poll++) {
    const r = await exec(argv);
    let status = `exit ${r.status}: ${lastLine(r)}`;
    if (r.status === 0) {
      try {
        status = (JSON.parse(r.stdout) as { status?: string }).status ?? 'no status';
      } catch {
        status = 'not JSON';
      }
    }
    if (status === 'ok') {
      log(`   poll ${poll}: status ok: every path x target is green`);
      return true;
    }
    if (Date.now() + w.intervalMs > deadline) {
      log(`   poll ${poll}: ${status}; not green after ${duration(w.timeoutMs)}`);
      return false;
    }
    log(`   poll ${poll}: ${status}; next in ${duration(w.intervalMs)}`);
    await sleep(w.intervalMs);
  }
}
