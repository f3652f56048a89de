// What a function does when it runs, between the registrations in functions/ and the parts that do the work: probe a
// path and record the results (status store, then telemetry), and check an identity's privileges and record the
// check. The parts are loaded on first use, so that importing the app stays as cheap as importing @azure/functions
// (bench figure (c)).
import { answerMarginMs } from '../core/deadline.ts';
import { isPathId, type PathId } from '../ids.ts';
import { currentApp, type App } from './app.ts';

export interface ProbeRun {
  target?: string;
  /** An HTTP answer's due time (one PROBE_TIMEOUT_MS for probe, write and sending). */
  answerBy?: number;
  /** A timer run: fresh tokens (docs/usage.md "Fresh tokens on every timer run"). */
  timer?: boolean;
}

/**
 * Probes and records. With `answerBy`, the probe and the write are awaited only until the answer's last slice
 * (answerMarginMs) begins; the write goes on in the background after that (status/service.ts). Telemetry is sent
 * when the write ends, whenever that is, and never awaited.
 */
export async function probeAndRecord(
  path: string,
  { target, answerBy, timer = false }: ProbeRun = {},
  root: App = currentApp(),
) {
  const [runner, { runTimerIdentity }, status, telemetry, plan] = await Promise.all([
    root.probes(),
    import('../probes/timerRun.ts'),
    root.status(),
    root.telemetry(),
    root.plan(),
  ]);
  const config = root.config;
  // Timer runs acquire fresh tokens; HTTP probes use the cached ones (docs/usage.md "Fresh tokens on every timer run").
  // An HTTP probe's deadline is its answer's: what ran before it (these imports, a busy process) counts too, and
  // the last slice of the budget is kept for answering (classifying, the write's wait, the response).
  const sendBy = answerBy === undefined ? undefined : answerBy - answerMarginMs(config.probeTimeoutMs);
  const options = { deadlineAt: sendBy };
  const results = timer
    ? await runTimerIdentity(runner, plan, path)
    : await runner.runIdentity(plan, path, options, target);
  // The write is awaited until the same point: the last slice stays for sending (a write still under way then is
  // reported pending and goes on in the background).
  const budget = sendBy === undefined ? undefined : sendBy - Date.now();
  // never throws: sending must not delay or fail a probe
  const record = await status.recordResults(path, results, budget, (outcome) =>
    telemetry.report(results, outcome.doc, config),
  );
  return { results, record };
}

/** Runs the privileges check of the path's identity with that path's credential, and records it. */
export async function checkAndRecord(path: PathId) {
  const root = currentApp();
  const [privileges, status, telemetry] = await Promise.all([
    root.privileges(),
    root.status(),
    root.telemetry(),
  ]);
  const result = await privileges.check(path, root.config);
  const record = await status.recordPrivileges(path, result);
  telemetry.reportPrivileges(result, record.privileges, root.config); // returns at once; sending never delays or fails the check
  return { result, record };
}

/**
 * After a path's timer run: the identity's privileges check, when this path is the one that owns it (the first of
 * the identity's paths, privileges/catalog.ts PATHS_OF_IDENTITY), so a timer run reads each scope once per identity,
 * not once per path. Undefined when another path owns it.
 */
export async function privilegesOnTimer(
  path: string,
): Promise<Awaited<ReturnType<typeof checkAndRecord>> | undefined> {
  // privileges: declared identities beyond the catalog's paths are checked once the check follows the plan.
  if (!isPathId(path)) return undefined;
  const { identityOfPath, PATHS_OF_IDENTITY } = await import('../privileges/catalog.ts');
  if (PATHS_OF_IDENTITY[identityOfPath(path)][0] !== path) return undefined;
  return checkAndRecord(path);
}

export { declaredIdentityNames } from '../declaration/names.ts';
