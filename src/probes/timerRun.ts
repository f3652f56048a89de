// A timer run of one identity path (docs/usage.md "Fresh tokens on every timer run"): every target is probed with a token
// acquired in this run (identities/fresh.ts), so a broken wire shows at the first run after the break, not when a
// cached token expires (up to 24 h for managed identity). When the fresh acquisition fails but the token the app
// already holds still works, the result is the failure, with its remediation, and the time the app will start
// failing (acquisition.failsAt).
import { getConfig, type Config } from '../config.ts';
import { TARGET_IDS, type PathId, type TargetId } from '../ids.ts';
import { freshCredentialFor } from '../identities/index.ts';
import { failsAtNote } from './acquisition.ts';
import type { ProbeRunner } from './runner.ts';
import type { ProbeResult } from '../core/results.ts';

async function timerProbe(
  runner: ProbeRunner,
  path: PathId,
  target: TargetId,
  config: Config,
  fresh: ReturnType<typeof freshCredentialFor>,
): Promise<ProbeResult> {
  const result = await runner.runProbe(path, target, config, { freshCredential: fresh });
  if (result.outcome === 'ok' || result.detail?.phase !== 'token') return result;
  // The new token was refused: does the token the app's long-lived clients hold still work, and until when?
  const cached = await runner.runProbe(path, target, config);
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

/** One path against every target with fresh tokens (one token request per audience, one external token read). */
export function runTimerPath(
  runner: ProbeRunner,
  path: PathId,
  config: Config = getConfig(),
): Promise<ProbeResult[]> {
  const fresh = freshCredentialFor(path, config);
  fresh.catch(() => {}); // each probe awaits it and reports a construction error as its result
  return Promise.all(TARGET_IDS.map((t) => timerProbe(runner, path, t, config, fresh)));
}
