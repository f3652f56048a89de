// Per identity path: GET /api/probes/{path}[/{target}] and a timer that probes only its own path and records the
// result. Handlers translate requests and log; what a run does is orchestration/'s (which loads the parts on first
// use, so that importing the app stays as cheap as importing @azure/functions: bench figure (c)).
import { app, type HttpHandler, type InvocationContext, type TimerHandler } from '@azure/functions';
import { getConfig } from '../config.ts';
import type { ProbeResult } from '../core/results.ts';
import { isPathId, isTargetId, PATH_IDS, type PathId } from '../ids.ts';
import { ALL_METHODS, json, methodNotAllowed, notFound } from './http.ts';
import { privilegesOnTimer, probeAndRecord } from '../orchestration/index.ts';
import { logPrivileges } from './privileges.ts';

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
    // The identity's privileges check, on its first path's timer only.
    const checked = await privilegesOnTimer(path);
    if (checked) logPrivileges(context, checked.result, checked.record.error);
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
