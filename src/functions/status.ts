// GET /api/status (function key): every path x target's latest result, its age and the overall verdict.
// GET /api/health (anonymous): only the verdict and a timestamp, no ids.
import { app, type HttpHandler, type HttpRequest } from '@azure/functions';
import { ALL_METHODS, json, methodNotAllowed } from './http.ts';

function wantsHtml(request: HttpRequest): boolean {
  const format = request.query.get('format');
  if (format) return format === 'html';
  const accept = request.headers.get('accept') ?? '';
  return accept.includes('text/html') && !accept.includes('application/json');
}

export const statusHandler: HttpHandler = async (request) => {
  if (request.method !== 'GET') return methodNotAllowed(request.method);
  const [{ getStatus }, { telemetryStatus }] = await Promise.all([
    import('../status/service.ts'),
    import('../telemetry/index.ts'),
  ]);
  // Whether availability results reach Application Insights (never part of the verdict: probes do not depend on it).
  const view = { ...(await getStatus()), telemetry: telemetryStatus() };
  if (!wantsHtml(request)) return json(200, view);
  const { renderStatusHtml } = await import('../status/render.ts');
  return {
    status: 200,
    body: renderStatusHtml(view, view.telemetry),
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  };
};

export const healthHandler: HttpHandler = async (request) => {
  if (request.method !== 'GET') return methodNotAllowed(request.method);
  const { getStatus } = await import('../status/service.ts');
  const view = await getStatus();
  // 503 only when every known result fails, so load balancers and monitors can act on it. No ids: the verdict, why
  // it is not ok, whether the store could be read and how old the newest result is.
  return json(view.status === 'failing' ? 503 : 200, {
    status: view.status,
    timestamp: new Date().toISOString(),
    newestResultAgeMs: view.newestResultAgeMs ?? null,
    staleAfterMs: view.staleAfterMs,
    storeReachable: view.store.reachable,
    reasons: view.reasons.map((r) => r.replace(/:.*$/, '')),
  });
};

app.http('status', { route: 'status', methods: ALL_METHODS, authLevel: 'function', handler: statusHandler });
app.http('health', { route: 'health', methods: ALL_METHODS, authLevel: 'anonymous', handler: healthHandler });
