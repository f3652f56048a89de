// Per declared identity: GET /api/probes/{identity}[/{resource}] and a timer that probes only that identity's
// resources and records the results. The identities are the declaration's (core/plan.ts; the canary demo's are the
// catalog's paths), named at start-up by orchestration/names.ts; an identity added later to a declaration read from a
// blob is served by the catch-all route, which asks the plan in use. Handlers translate requests and log; what a run does is orchestration/'s (which loads the parts on first
// use, so that importing the app stays as cheap as importing @azure/functions: bench figure (c)).
import {
  app,
  type HttpHandler,
  type HttpResponseInit,
  type InvocationContext,
  type TimerHandler,
} from '@azure/functions';
import { getConfig } from '../config.ts';
import type { ProbeResult } from '../core/results.ts';
import { probesOf, type Plan } from '../core/plan.ts';
import { ALL_METHODS, json, methodNotAllowed, notFound } from './http.ts';
import { currentApp, type App } from '../orchestration/app.ts';
import { declaredIdentityNames, privilegesOnTimer, probeAndRecord } from '../orchestration/index.ts';
import { logPrivileges } from './privileges.ts';

function log(context: InvocationContext, path: string, results: ProbeResult[], recordError?: string): void {
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

/** The declared names, for a 404 that says what exists. */
function namesOf(plan: Plan, identity?: string) {
  return {
    paths: [...plan.identities.keys()],
    targets: identity ? probesOf(plan, identity).map((p) => p.resource) : [...plan.resources.keys()],
  };
}

/** `root`: the app whose state the probe uses (the process's; the fault matrix gives a fresh one per combination). */
export function probeHandler(path: string, root: () => App = currentApp): HttpHandler {
  return async (request, context) => {
    if (request.method !== 'GET') return methodNotAllowed(request.method);
    return answerProbe(path, request.params.target, context, root);
  };
}

async function answerProbe(
  path: string,
  target: string | undefined,
  context: InvocationContext,
  root: () => App,
): Promise<HttpResponseInit> {
  const answerBy = Date.now() + getConfig().probeTimeoutMs;
  const plan = await root().plan();
  if (!plan.identities.has(path))
    return notFound(`The declaration in use has no probe of identity '${path}'.`, namesOf(plan));
  if (target && !probesOf(plan, path).some((p) => p.resource === target))
    return notFound(`Unknown target '${target}' for identity '${path}'.`, namesOf(plan, path));
  const { results, record } = await probeAndRecord(path, { target, answerBy }, root());
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
}

export function timerHandler(path: string): TimerHandler {
  return async (_timer, context) => {
    // A declaration that can change without a redeploy (a blob) is read again first (orchestration/app.ts).
    const plan = await currentApp().planForTimer();
    // Identities declared after start-up (a blob changed) have no timer of their own: the first timer runs them.
    const unregistered = [...plan.identities.keys()].filter((name) => !REGISTERED.has(name));
    const mine = [
      ...(plan.identities.has(path) ? [path] : []),
      ...(path === [...REGISTERED][0] ? unregistered : []),
    ];
    if (!plan.identities.has(path))
      context.warn(`probe ${path}: not in declaration ${plan.declaration.name} any more; nothing to probe`);
    await Promise.all(
      mine.map(async (identity) => {
        const { results, record } = await probeAndRecord(identity, { timer: true });
        log(context, identity, results, record.error);
        // The identity's privileges check, on its first path's timer only.
        const checked = await privilegesOnTimer(identity);
        if (checked) logPrivileges(context, checked.result, checked.record.error);
      }),
    );
  };
}

const PROBE_ROUTE = '/api/probes/{path}[/{target}]';

export const unknownProbeHandler: HttpHandler = async (request, context) => {
  const rest = request.params.rest ?? '';
  const segments = rest.split('/');
  const [first, second] = segments;
  const plan = await currentApp().plan();
  const names = namesOf(plan);
  if (!first) return notFound(`Name an identity path: ${PROBE_ROUTE}.`, names);
  if (!plan.identities.has(first)) return notFound(`Unknown identity path '${first}'.`, names);
  if (second && !probesOf(plan, first).some((p) => p.resource === second))
    return notFound(`Unknown target '${second}'.`, namesOf(plan, first));
  // A known path (and target) followed by more: the path function's route did not match only because of that.
  if (segments.length > 2)
    return notFound(
      `The route /api/probes/${rest} has an extra segment ('${segments.slice(2).join('/')}'): use ${PROBE_ROUTE}.`,
      names,
    );
  // A declared identity without a function of its own: added to the declaration after start-up (a blob).
  if (!REGISTERED.has(first)) {
    if (request.method !== 'GET') return methodNotAllowed(request.method);
    return answerProbe(first, second || undefined, context, currentApp);
  }
  return notFound(`Use ${PROBE_ROUTE}.`, names);
};

/** The identities with functions of their own (named at start-up). */
const REGISTERED = new Set(declaredIdentityNames());

for (const path of REGISTERED) {
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
