// The slice of the host's admin API the dev host offers: POST /admin/functions/{name} (run any function now; for a
// timer the input is ignored) and GET /admin/host/status; everything else under /admin is a 404 (reference B.4).
import type { HostRequest, HostResponse } from './httpServer.ts';
import { jsonResponse } from './httpServer.ts';
import type { Invoker } from './invocations.ts';
import type { AuthLevel } from './keys.ts';
import type { FunctionSpec } from './loadApp.ts';
import type { TimerScheduler } from './timers.ts';

function notFound(message: string): HostResponse {
  return jsonResponse(404, { error: 'NotFound', message });
}

export function unauthorized(level: AuthLevel): HostResponse {
  const needs = level === 'admin' ? 'the master key' : 'a function key, a host key or the master key';
  return jsonResponse(401, {
    error: 'Unauthorized',
    message: `This endpoint requires ${needs} in the x-functions-key header or the code query parameter (dev host started with --enable-auth)`,
  });
}

export interface AdminDeps {
  specs: FunctionSpec[];
  routePrefix: string;
  invoker: Invoker;
  timers: TimerScheduler;
  authorize(level: AuthLevel, fnName: string | undefined, req: HostRequest): boolean;
}

function invokeByName(deps: AdminDeps, name: string, req: HostRequest): HostResponse {
  if (req.method !== 'POST') return notFound(`No admin API at ${req.method} ${req.url.pathname}`);
  if (!deps.authorize('admin', undefined, req)) return unauthorized('admin');
  const spec = deps.specs.find((s) => s.name.toLowerCase() === name.toLowerCase());
  if (!spec || spec.disabled) return notFound(`No function named "${name}"`);
  let input: unknown;
  try {
    // The host binds the body to FunctionInvocation {"input": ...}; a missing body is a 400.
    const doc = JSON.parse(req.body.toString('utf8')) as { input?: unknown };
    if (doc === null || typeof doc !== 'object') throw new Error('not an object');
    input = doc.input;
  } catch {
    return jsonResponse(400, { error: 'BadRequest', message: 'Body must be JSON: {"input": "..."}' });
  }
  if (spec.timer) {
    // For a timer the input is ignored: TimerInfo with IsPastDue = false (TimerTriggerBinding.BindAsync).
    void deps.timers.invokeNow(spec.name).catch(() => {});
  } else {
    const body = Buffer.from(
      typeof input === 'string' ? input : input === undefined ? '' : JSON.stringify(input),
    );
    const route = spec
      .http!.route.segments.filter((s) => s.kind === 'literal')
      .map((s) => s.text)
      .join('/');
    const url = new URL(`/${[deps.routePrefix, route].filter(Boolean).join('/')}`, req.url);
    void deps.invoker.invokeHttp(
      spec,
      { method: body.length ? 'POST' : 'GET', url, headers: { host: url.host }, body },
      {},
    );
  }
  return { status: 202, headers: [], body: new Uint8Array() };
}

/** The admin API's answer for `req`, or undefined when the path is not under /admin. */
export function handleAdmin(deps: AdminDeps, req: HostRequest): HostResponse | undefined {
  const path = req.url.pathname;
  const admin = /^\/admin\/functions\/([^/]+)\/?$/i.exec(path);
  if (admin) {
    let name: string;
    try {
      name = decodeURIComponent(admin[1]);
    } catch {
      return jsonResponse(400, { error: 'BadRequest', message: 'Malformed percent-encoding in path' });
    }
    return invokeByName(deps, name, req);
  }
  if (/^\/admin\/host\/status\/?$/i.test(path) && req.method === 'GET') {
    if (!deps.authorize('admin', undefined, req)) return unauthorized('admin');
    return jsonResponse(200, {
      state: 'Running',
      version: 'devhost',
      functions: deps.specs.map((s) => s.name),
    });
  }
  if (/^\/admin(\/|$)/i.test(path))
    return notFound(`The dev host implements only POST /admin/functions/{name}`);
  return undefined;
}
