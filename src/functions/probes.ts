// Per identity path: GET /api/probes/{path}[/{target}] and a timer that probes only its own path and records the
// result. Handlers translate; the work is in probes/ and status/ (loaded on first use, so that importing the app
// stays as cheap as importing @azure/functions: bench figure (c)).
import { app, type HttpHandler, type InvocationContext, type TimerHandler } from '@azure/functions';
import { getConfig } from '../config.ts';
import { isPathId, isTargetId, PATH_IDS, type PathId } from '../ids.ts';
import type { ProbeResult } from '../core/results.ts';
import { ALL_METHODS, json, methodNotAllowed, notFound } from './http.ts';
import { privilegesOnTimer } from './privileges.ts';

function log(context: InvocationContext, path: PathId, results: ProbeResult[], recordError?: string): void {
  // Results are sanitized by the runner; lines carry outcome, timings and remediation, never token material.
  const line = `probe ${path}: ${results.map((r) => `${r.target}=${r.outcome} (${r.timings.totalMs} ms)`).join(', ')}`;
  const failed = results.filter((r) => r.outcome !== 'ok');
  if (failed.length === 0) context.info(line);
  else
    context.warn(
      `${line} | ${failed.map((r) => `${r.target}: ${r.remediation?.summary ?? ''}`).join(' | ')}`,
    );
  if (recordError) context.warn(`status store: result not recorded (${recordError})`);
}

/** The part of an HTTP probe's PROBE_TIMEOUT_MS kept for answering after the probe: 5 %, at most 250 ms. */
export const answerMarginMs = (timeoutMs: number): number => Math.min(250, Math.round(timeoutMs * 0.05));

interface ProbeRun {
  target?: string;
  /** An HTTP answer's due time: the write is awaited only until then (one PROBE_TIMEOUT_MS for probe and write). */
  answerBy?: number;
  /** A timer run: fresh tokens (README "Fresh tokens on every timer run"). */
  timer?: boolean;
}

/**
 * Probes and records. With `answerBy`, the write is awaited only until then; it goes on in the background after
 * that (status/service.ts). Telemetry is sent when the write ends, whenever that is, and never awaited.
 */
async function probeAndRecord(path: PathId, { target, answerBy, timer = false }: ProbeRun = {}) {
  const [{ runPath, runProbe }, { runTimerPath }, { recordResults }, telemetry] = await Promise.all([
    import('../probes/runner.ts'),
    import('../probes/timerRun.ts'),
    import('../status/service.ts'),
    import('../telemetry/index.ts'),
  ]);
  const config = getConfig();
  // Timer runs acquire fresh tokens; HTTP probes use the cached ones (README "Fresh tokens on every timer run").
  // An HTTP probe's deadline is its answer's: what ran before it (these imports, a busy process) counts too, and
  // the last slice of the budget is kept for answering (classifying, the write's wait, the response).
  const options = {
    deadlineAt: answerBy === undefined ? undefined : answerBy - answerMarginMs(config.probeTimeoutMs),
  };
  const results = timer
    ? await runTimerPath(path)
    : target && isTargetId(target)
      ? [await runProbe(path, target, config, options)]
      : await runPath(path, config, options);
  const budget = answerBy === undefined ? undefined : answerBy - Date.now();
  // never throws: sending must not delay or fail a probe
  const record = await recordResults(path, results, config, budget, (outcome) =>
    telemetry.report(results, outcome.doc),
  );
  return { results, record };
}

export function probeHandler(path: PathId): HttpHandler {
  return async (request, context) => {
    if (request.method !== 'GET') return methodNotAllowed(request.method);
    const target = request.params.target;
    if (target && !isTargetId(target)) return notFound(`Unknown target '${target}'.`);
    const { results, record } = await probeAndRecord(path, {
      target,
      answerBy: Date.now() + getConfig().probeTimeoutMs,
    });
    log(
      context,
      path,
      results,
      record.error ?? (record.pending ? 'still writing when the answer was due' : undefined),
    );
    const statusStore = {
      recorded: record.recorded,
      ...(record.pending
        ? {
            pending: true,
            message: 'still writing when the answer was due; the outcome shows in /api/status store.writes',
          }
        : {}),
      ...(record.error ? { error: record.error } : {}),
    };
    return json(
      200,
      target
        ? { ...results[0], statusStore }
        : { path, ok: results.every((r) => r.outcome === 'ok'), results, statusStore },
    );
  };
}

export function timerHandler(path: PathId): TimerHandler {
  return async (_timer, context) => {
    const { results, record } = await probeAndRecord(path, { timer: true });
    log(context, path, results, record.error);
    await privilegesOnTimer(path, context); // the identity's privileges check, on its first path's timer only
  };
}

const PROBE_ROUTE = '/api/probes/{path}[/{target}]';

export const unknownProbeHandler: HttpHandler = async (request) => {
  const rest = request.params.rest ?? '';
  const segments = rest.split('/');
  const [first, second] = segments;
  if (!first) return notFound(`Name an identity path: ${PROBE_ROUTE}.`);
  if (!isPathId(first)) return notFound(`Unknown identity path '${first}'.`);
  if (second && !isTargetId(second)) return notFound(`Unknown target '${second}'.`);
  // A known path (and target) followed by more: the path function's route did not match only because of that.
  if (segments.length > 2)
    return notFound(
      `The route /api/probes/${rest} has an extra segment ('${segments.slice(2).join('/')}'): use ${PROBE_ROUTE}.`,
    );
  return notFound(`Use ${PROBE_ROUTE}.`);
};

for (const path of PATH_IDS) {
  app.http(`probe-${path}`, {
    route: `probes/${path}/{target?}`,
    methods: ALL_METHODS,
    authLevel: 'function',
    handler: probeHandler(path),
  });
  // The host resolves %PROBE_SCHEDULE% only when the setting exists; resolving it (or its default) here keeps the
  // default working everywhere (docs/host-notes.md "Timer trigger").
  app.timer(`timer-${path}`, { schedule: getConfig().probeSchedule, handler: timerHandler(path) });
}

// Literal segments beat parameters in the host's route table, so this only sees what no path function matched.
app.http('probes-unknown', {
  route: 'probes/{*rest}',
  methods: ALL_METHODS,
  authLevel: 'function',
  handler: unknownProbeHandler,
});
