// GET /api/status (function key): every path x target's latest result, its age and the overall verdict; as JSON
// with a weak ETag (If-None-Match answered 304 from the service's cache), or as the status page for a browser.
// GET /api/status/assets/{name} (anonymous): the page's own script and style sheet (no status data in them).
// GET /api/health (anonymous): only the verdict and a timestamp, no ids.
import { app, type HttpHandler, type HttpRequest } from '@azure/functions';
import { answerMarginMs } from '../core/deadline.ts';
import { currentApp } from '../orchestration/app.ts';
import { ALL_METHODS, json, methodNotAllowed } from './http.ts';

/**
 * When the status read must have ended for an answer that began at `startedAt`: one PROBE_TIMEOUT_MS, less the last
 * slice kept for sending (loading the modules counts too).
 */
function readBy(startedAt: number, timeoutMs: number): number {
  return startedAt + timeoutMs - answerMarginMs(timeoutMs);
}

function wantsHtml(request: HttpRequest): boolean {
  const format = request.query.get('format');
  if (format) return format === 'html';
  const accept = request.headers.get('accept') ?? '';
  return accept.includes('text/html') && !accept.includes('application/json');
}

export const statusHandler: HttpHandler = async (request) => {
  const startedAt = Date.now();
  if (request.method !== 'GET') return methodNotAllowed(request.method);
  const root = currentApp();
  const [status, { telemetryStatus }] = await Promise.all([root.status(), root.telemetry()]);
  // Whether availability results reach Application Insights (never part of the verdict: probes do not depend on it).
  const view = {
    ...(await status.getStatus(readBy(startedAt, root.config.probeTimeoutMs))),
    telemetry: telemetryStatus(root.config),
  };
  const { etagMatches, statusEtag } = await import('../status/etag.ts');
  const etag = statusEtag(view);
  if (!wantsHtml(request)) {
    const headers = { etag, 'cache-control': 'no-cache' };
    if (etagMatches(request.headers.get('if-none-match'), etag)) return { status: 304, headers };
    return json(200, view, headers);
  }
  const [{ statusPage }, { getConfig }] = await Promise.all([
    import('../status/page/index.ts'),
    import('../config.ts'),
  ]);
  return statusPage(view, etag, getConfig(), `${new URL(request.url).pathname.replace(/\/+$/, '')}/assets`);
};

export const statusAssetHandler: HttpHandler = async (request) => {
  if (request.method !== 'GET') return methodNotAllowed(request.method);
  const { pageAsset, pageAssetNames } = await import('../status/page/index.ts');
  const name = request.params.name ?? '';
  return (
    pageAsset(name, request.headers.get('if-none-match')) ??
    json(404, { error: 'not-found', message: `No status page asset "${name}".`, assets: pageAssetNames() })
  );
};

export const healthHandler: HttpHandler = async (request) => {
  const startedAt = Date.now();
  if (request.method !== 'GET') return methodNotAllowed(request.method);
  const root = currentApp();
  const view = await (await root.status()).getStatus(readBy(startedAt, root.config.probeTimeoutMs));
  // 503 only when every known result fails, so load balancers and monitors can act on it. No ids: the verdict, why
  // it is not ok, whether the store could be read and how old the newest result is.
  return json(view.status === 'failing' ? 503 : 200, {
    status: view.status,
    timestamp: new Date().toISOString(),
    newestResultAgeMs: view.newestResultAgeMs ?? null,
    staleAfterMs: view.staleAfterMs,
    storeReachable: view.store.reachable,
    // False when the declaration has entries it could not load (which: /api/status declaration.problems).
    configured: view.declaration?.complete ?? true,
    reasons: view.reasons.map((r) => r.replace(/:.*$/, '')),
  });
};

app.http('status', { route: 'status', methods: ALL_METHODS, authLevel: 'function', handler: statusHandler });
app.http('status-assets', {
  route: 'status/assets/{name}',
  methods: ALL_METHODS,
  authLevel: 'anonymous',
  handler: statusAssetHandler,
});
app.http('health', { route: 'health', methods: ALL_METHODS, authLevel: 'anonymous', handler: healthHandler });
