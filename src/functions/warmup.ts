// A fresh instance answers first, then does the rest (docs/cold-start.md).
// At app start, before the first request, only what an answer needs: the modules a probe loads, every probe's
// credential and SDK client, and the status store's client. None of it does I/O, but on a cold start it is several
// hundred milliseconds of CPU that would otherwise block the event loop while the first requests' deadlines run
// (bench figure (f)). The host awaits appStart hooks before it sends requests (docs/host-notes.md B.4 "Hooks").
// What no answer waits for (the telemetry library, about 360 ms to load unbundled, and the privileges check's
// modules) starts once the host has no invocation in flight after the first one ended, or AFTER_FIRST_MS after it
// at the latest: loading it while the first sweep's other requests run would delay their answers. Results reported
// before then are queued and sent when the sender is ready (telemetry/index.ts deferStart).
// A hook that throws would stop the app, so nothing here throws: a failure is kept by what failed (a credential,
// the store, the sender) and reported by the probe or /api/status that uses it.
import { app } from '@azure/functions';
import type { Plan } from '../core/plan.ts';
import { currentApp, type App } from '../orchestration/app.ts';

/** The latest the deferred work starts after the first invocation ended, when invocations keep overlapping. */
export const AFTER_FIRST_MS = 2000;

/**
 * The start-up log's line about the declaration: which one, how many probes, and every problem by entry and field
 * (never a value: a problem names the setting a value came from).
 */
export function describeDeclaration(plan: Plan): string {
  const d = plan.declaration;
  const head = `declaration ${d.name} version ${d.version} from ${d.source}: ${plan.probes.length} probes, ${plan.identities.size} identities, ${plan.resources.size} resources`;
  if (d.complete) return head;
  const problems = d.problems.map(
    (p) => `${p.entry}${p.probe ? ` (probe ${p.probe})` : ''}${p.field ? ` ${p.field}` : ''}: ${p.message}`,
  );
  return `${head}; NOT FULLY LOADED, ${problems.length} problem(s): ${problems.join('; ')}`;
}

function logDeclaration(plan: Plan): void {
  const line = `[identity-probes] ${describeDeclaration(plan)}`;
  if (plan.declaration.complete) console.info(line);
  else console.warn(line);
}

/** `root`: the app to warm up (the process's; the fault matrix warms each fresh one, as a new process would). */
export async function warmUp(root: App = currentApp()): Promise<void> {
  const [runner, status, telemetry, plan] = await Promise.all([
    root.probes(),
    root.status(),
    root.telemetry(),
    root.plan(),
    import('../probes/timerRun.ts'),
  ]);
  telemetry.deferStart();
  logDeclaration(plan);
  await Promise.allSettled([runner.prepareClients(plan), status.store()]);
}

/** What the first answer does not need: the telemetry sender (then it sends what was queued), the privileges check. */
export async function afterFirstAnswer(): Promise<void> {
  const root = currentApp();
  const [telemetry] = await Promise.all([root.telemetry(), root.privileges()]);
  await telemetry.start(root.config);
}

let inFlight = 0;
let deferred: 'waiting' | 'scheduled' | 'started' = 'waiting';
let latest: NodeJS.Timeout | undefined;

function startDeferred(): void {
  if (deferred === 'started') return;
  deferred = 'started';
  clearTimeout(latest);
  void afterFirstAnswer().catch(() => {});
}

app.hook.appStart(async () => {
  await warmUp().catch(() => {});
});

app.hook.preInvocation(() => {
  inFlight++;
});

// The hook runs before the host sends the answer, so the work is only scheduled here: setImmediate lets the answer
// go out first.
app.hook.postInvocation(() => {
  inFlight--;
  if (deferred === 'started') return;
  if (inFlight === 0) {
    deferred = 'scheduled';
    setImmediate(startDeferred);
  } else {
    latest ??= setTimeout(startDeferred, AFTER_FIRST_MS).unref();
  }
});
