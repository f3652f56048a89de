// A timer run of one declared identity (docs/usage.md "Fresh tokens on every timer run"): every target is probed with a token
// acquired in this run (identities/fresh.ts), so a broken wire shows at the first run after the break, not when a
// cached token expires (up to 24 h for managed identity). When the fresh acquisition fails but the token the app
// already holds still works, the result is the failure, with its remediation, and the time the app will start
// failing (acquisition.failsAt).
import { probesOf, type Plan, type PlannedProbe } from '../core/plan.ts';
import { freshCredentialFor } from '../identities/index.ts';
import { OncePerScopeCredential } from '../identities/fresh.ts';
import { failsAtNote } from './acquisition.ts';
import type { ProbeRunner } from './runner.ts';
import type { ProbeResult } from '../core/results.ts';

async function timerProbe(
  runner: ProbeRunner,
  plan: Plan,
  planned: PlannedProbe,
  fresh: ReturnType<typeof freshCredentialFor>,
): Promise<ProbeResult> {
  const result = await runner.runProbe(plan, planned, { freshCredential: fresh });
  if (result.outcome === 'ok' || result.detail?.phase !== 'token') return result;
  // The new token was refused: does the token the app's long-lived clients hold still work, and until when?
  const cached = await runner.runProbe(plan, planned);
  const expiresOn = cached.identity?.expiresOn;
  if (cached.outcome !== 'ok' || !expiresOn) return result;
  const acquisition = { ...result.acquisition!, failsAt: expiresOn };
  const note = failsAtNote(acquisition);
  return {
    ...result,
    acquisition,
    ...(result.remediation && note
      ? { remediation: { ...result.remediation, summary: `${result.remediation.summary} ${note}` } }
      : {}),
  };
}

/**
 * One declared identity against each of its resources with fresh tokens: one credential for the run, so one token
 * request per audience and one external token read, however many resources share an audience.
 */
export function runTimerIdentity(runner: ProbeRunner, plan: Plan, identity: string): Promise<ProbeResult[]> {
  const owner = plan.identities.get(identity);
  if (!owner) return Promise.resolve([]);
  const fresh = freshCredentialFor(owner).then((c) => new OncePerScopeCredential(c));
  fresh.catch(() => {}); // each probe awaits it and reports a construction error as its result
  return Promise.all(probesOf(plan, identity).map((p) => timerProbe(runner, plan, p, fresh)));
}
