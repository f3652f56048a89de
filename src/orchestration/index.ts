// What a function does when it runs, between the registrations in functions/ and the parts that do the work: probe a
// path and record the results (status store, then telemetry), and check an identity's privileges and record the
// check. The parts are loaded on first use, so that importing the app stays as cheap as importing @azure/functions
// (bench figure (c)).
import { answerMarginMs } from '../core/deadline.ts';
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

/**
 * Runs the privileges check of a declared identity (any of its principal's names: docs/privileges.md "Declared
 * access") with the credential of its principal's first name, and records it in that name's status document.
 * Undefined when the declaration has no identity of that name.
 */
export async function checkAndRecord(name: string, root: App = currentApp()) {
  const [privileges, status, telemetry, plan] = await Promise.all([
    root.privileges(),
    root.status(),
    root.telemetry(),
    root.plan(),
  ]);
  const result = await privileges.checkDeclared(plan, name, root.config);
  if (!result) return undefined;
  const record = await status.recordPrivileges(result.path, result);
  telemetry.reportPrivileges(result, record.privileges, root.config); // returns at once; sending never delays or fails the check
  return { result, record };
}

/** The declared identities and resources, in declaration order (what a 404 lists). */
export async function planNames(root: App = currentApp()): Promise<{ paths: string[]; targets: string[] }> {
  const plan = await root.plan();
  return { paths: [...plan.identities.keys()], targets: [...plan.resources.keys()] };
}

/**
 * After an identity's timer run: its principal's privileges check, when this name is the principal's first
 * (privileges/declared.ts runsCheck), so a timer run reads each scope once per principal, not once per declared name.
 * Undefined when another name runs it.
 */
export async function privilegesOnTimer(
  name: string,
  root: App = currentApp(),
): Promise<Awaited<ReturnType<typeof checkAndRecord>> | undefined> {
  const [{ runsCheck }, plan] = await Promise.all([import('../privileges/declared.ts'), root.plan()]);
  if (!runsCheck(plan, root.config, name)) return undefined;
  return checkAndRecord(name, root);
}

export { declaredIdentityNames } from '../declaration/names.ts';
