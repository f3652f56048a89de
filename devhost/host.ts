// The dev host, wired in one place: settings -> app loading -> function specs -> route table, keys, timers ->
// HTTP server. Reading startHost() shows the whole startup; handle() shows the whole request path.
// Facts behind each behaviour: docs/host-notes.md B.4 (what the real host does) and B.5 (this design).
import { installCoreShim } from './coreShim.ts';
import type { CoreState } from './coreShim.ts';
import { fetchAdapter, jsonResponse, listen } from './httpServer.ts';
import type { HostRequest, HostResponse, Listening } from './httpServer.ts';
import { hookContext, invokeFunction, runHooks } from './invoke.ts';
import { defaultKeysFile, isAuthorized, loadOrCreateKeys, presentedKey } from './keys.ts';
import type { AuthLevel, KeysFile } from './keys.ts';
import { loadEntryPoint, startApp, toFunctionSpecs } from './loadApp.ts';
import type { FunctionSpec } from './loadApp.ts';
import { functionLog, hostLog } from './logger.ts';
import { comparePrecedence, matchRoute, routeShape, splitPath } from './routes.ts';
import { readHostJson, StartupError } from './settings.ts';
import { TimerScheduler, timeZone } from './timers.ts';
import type { TimerPayload } from './timers.ts';
import type { RpcHttpCookie, RpcHttpData } from './types.ts';

export interface HostOptions {
  appDir: string;
  hostname?: string;
  /** 0 picks a free port. */
  port?: number;
  enableAuth?: boolean;
  /** Default: <appDir>/.devhost/keys.json */
  keysFile?: string;
}

export interface RunningHost {
  url: string;
  port: number;
  functions: FunctionSpec[];
  keysFile?: string;
  fetch(req: Request): Promise<Response>;
  /** Graceful stop: no new requests, timers stopped, in-flight invocations awaited, appTerminate hooks run. */
  close(): Promise<void>;
}

function cookieToHeader(c: RpcHttpCookie): string {
  const parts = [`${c.name}=${c.value}`];
  if (c.domain?.value) parts.push(`Domain=${c.domain.value}`);
  if (c.path?.value) parts.push(`Path=${c.path.value}`);
  if (c.expires?.value?.seconds !== undefined) {
    parts.push(`Expires=${new Date(Number(c.expires.value.seconds) * 1000).toUTCString()}`);
  }
  if (c.maxAge?.value !== undefined) parts.push(`Max-Age=${c.maxAge.value}`);
  if (c.secure?.value) parts.push('Secure');
  if (c.httpOnly?.value) parts.push('HttpOnly');
  if (c.sameSite === 'lax') parts.push('SameSite=Lax');
  else if (c.sameSite === 'strict') parts.push('SameSite=Strict');
  else if (c.sameSite === 'explicitNone') parts.push('SameSite=None');
  return parts.join('; ');
}

function toHostResponse(http: RpcHttpData | undefined | null): HostResponse {
  // No return value: the docs say 204 No Content for 2.x+ (unverified for Node v4; reference B.4).
  if (!http) return { status: 204, headers: [], body: new Uint8Array() };
  const headers: [string, string][] = Object.entries(http.headers ?? {});
  for (const c of http.cookies ?? []) headers.push(['set-cookie', cookieToHeader(c)]);
  const bytes =
    http.body?.bytes ?? (http.body?.string !== undefined ? Buffer.from(http.body.string) : new Uint8Array());
  return { status: Number(http.statusCode) || 200, headers, body: bytes };
}

function logFailed(spec: FunctionSpec, started: number, err: unknown): void {
  functionLog(
    spec.name,
    'error',
    `Executed (Failed, Duration=${Date.now() - started}ms): ${(err as Error)?.stack ?? err}`,
    true,
  );
}

function notFound(message: string): HostResponse {
  return jsonResponse(404, { error: 'NotFound', message });
}

function unauthorized(level: AuthLevel): HostResponse {
  const needs = level === 'admin' ? 'the master key' : 'a function key, a host key or the master key';
  return jsonResponse(401, {
    error: 'Unauthorized',
    message: `This endpoint requires ${needs} in the x-functions-key header or the code query parameter (dev host started with --enable-auth)`,
  });
}

export async function startHost(opts: HostOptions): Promise<RunningHost> {
  const hostname = opts.hostname ?? '127.0.0.1';
  const state: CoreState = installCoreShim();
  state.log = (level, category, message) => hostLog(level, `[worker ${category}] ${message}`);

  const { routePrefix } = readHostJson(opts.appDir);
  const files = await loadEntryPoint(opts.appDir);
  hostLog('debug', `Loaded entry point ${files.join(', ')}`);
  await startApp(state, opts.appDir);
  const specs = toFunctionSpecs(state);

  // Route table in inbound precedence order; the same template with an overlapping method is a startup error.
  const httpSpecs = specs
    .filter((s) => s.http && !s.disabled)
    .sort((a, b) => comparePrecedence(a.http!.route, b.http!.route));
  const seen = new Map<string, FunctionSpec>();
  for (const s of httpSpecs) {
    for (const m of s.http!.methods) {
      const key = `${m} ${routeShape(s.http!.route)}`;
      const other = seen.get(key);
      if (other) {
        throw new StartupError(
          `Functions "${other.name}" and "${s.name}" both handle ${m} ${routePrefix}/${s.http!.route.template}`,
        );
      }
      seen.set(key, s);
    }
  }

  let keys: KeysFile | undefined;
  let keysFile: string | undefined;
  if (opts.enableAuth) {
    keysFile = opts.keysFile ?? defaultKeysFile(opts.appDir);
    const r = loadOrCreateKeys(
      keysFile,
      httpSpecs.map((s) => s.name),
    );
    keys = r.keys;
    hostLog(
      'information',
      `Auth enabled; keys ${r.created ? 'created in' : 'read from'} ${keysFile} (git-ignored)`,
    );
  }

  let inFlight = 0;
  let idle: (() => void) | undefined;
  const track = async <T>(p: () => Promise<T>): Promise<T> => {
    inFlight++;
    try {
      return await p();
    } finally {
      inFlight--;
      if (inFlight === 0) idle?.();
    }
  };

  const runTimer = (spec: FunctionSpec, payload: TimerPayload, reason: string) =>
    track(async () => {
      const started = Date.now();
      functionLog(spec.name, 'information', `Executing (Reason='${reason}')`, true);
      try {
        await invokeFunction(state, spec.fn, {
          bindingName: spec.triggerBindingName,
          data: { json: JSON.stringify(payload) },
        });
        functionLog(
          spec.name,
          'information',
          `Executed (Succeeded, Duration=${Date.now() - started}ms)`,
          true,
        );
      } catch (err) {
        logFailed(spec, started, err);
        throw err;
      }
    });
  const timers = new TimerScheduler(specs, runTimer, timeZone());

  let closing = false;

  const invokeHttp = (spec: FunctionSpec, req: HostRequest, params: Record<string, string>) =>
    track(async (): Promise<HostResponse> => {
      const query: Record<string, string> = {};
      for (const k of new Set(req.url.searchParams.keys()))
        query[k] = req.url.searchParams.getAll(k).join(',');
      const http: RpcHttpData = {
        method: req.method,
        url: req.url.href,
        headers: req.headers,
        query,
        params,
        body: { bytes: req.body },
      };
      const started = Date.now();
      try {
        const res = await invokeFunction(state, spec.fn, {
          bindingName: spec.triggerBindingName,
          data: { http },
        });
        const out = toHostResponse(res.returnValue?.http);
        hostLog(
          'debug',
          `${req.method} ${req.url.pathname} -> ${spec.name} ${out.status} (${Date.now() - started}ms)`,
        );
        return out;
      } catch (err) {
        // The worker reports a failure and the host answers 500 with no body (reference B.4).
        logFailed(spec, started, err);
        return { status: 500, headers: [], body: new Uint8Array() };
      }
    });

  const authorize = (level: AuthLevel, fnName: string | undefined, req: HostRequest): boolean =>
    !keys ||
    isAuthorized(keys, level, fnName, presentedKey(req.headers['x-functions-key'], req.url.searchParams));

  const adminInvoke = (name: string, req: HostRequest): HostResponse => {
    if (req.method !== 'POST') return notFound(`No admin API at ${req.method} ${req.url.pathname}`);
    if (!authorize('admin', undefined, req)) return unauthorized('admin');
    const spec = specs.find((s) => s.name.toLowerCase() === name.toLowerCase());
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
      void timers.invokeNow(spec.name).catch(() => {});
    } else {
      const body = Buffer.from(
        typeof input === 'string' ? input : input === undefined ? '' : JSON.stringify(input),
      );
      const route = spec
        .http!.route.segments.filter((s) => s.kind === 'literal')
        .map((s) => s.text)
        .join('/');
      const url = new URL(`/${[routePrefix, route].filter(Boolean).join('/')}`, req.url);
      void invokeHttp(
        spec,
        { method: body.length ? 'POST' : 'GET', url, headers: { host: url.host }, body },
        {},
      );
    }
    return { status: 202, headers: [], body: new Uint8Array() };
  };

  const handle = async (req: HostRequest): Promise<HostResponse> => {
    if (closing) return jsonResponse(503, { error: 'ShuttingDown', message: 'The host is shutting down' });
    const path = req.url.pathname;
    const admin = /^\/admin\/functions\/([^/]+)\/?$/i.exec(path);
    if (admin) {
      let name: string;
      try {
        name = decodeURIComponent(admin[1]);
      } catch {
        return jsonResponse(400, { error: 'BadRequest', message: 'Malformed percent-encoding in path' });
      }
      return adminInvoke(name, req);
    }
    if (/^\/admin\/host\/status\/?$/i.test(path) && req.method === 'GET') {
      if (!authorize('admin', undefined, req)) return unauthorized('admin');
      return jsonResponse(200, { state: 'Running', version: 'devhost', functions: specs.map((s) => s.name) });
    }
    if (/^\/admin(\/|$)/i.test(path))
      return notFound(`The dev host implements only POST /admin/functions/{name}`);

    let rest = path;
    if (routePrefix) {
      const p = `/${routePrefix.toLowerCase()}`;
      const lower = path.toLowerCase();
      if (lower !== p && !lower.startsWith(p + '/')) {
        if (path === '/' && req.method === 'GET') {
          return {
            status: 200,
            headers: [['content-type', 'text/plain; charset=utf-8']],
            body: Buffer.from('The dev host is running.\n'),
          };
        }
        return notFound(`No function handles ${req.method} ${path} (routes start with /${routePrefix}/)`);
      }
      rest = path.slice(p.length);
    }
    const segments = splitPath(rest);
    if (!segments)
      return jsonResponse(400, { error: 'BadRequest', message: 'Malformed percent-encoding in path' });

    let routeMatched = false;
    for (const spec of httpSpecs) {
      const params = matchRoute(spec.http!.route, segments);
      if (!params) continue;
      routeMatched = true;
      // A route constrained to other methods does not match; routing moves on to the next route.
      if (!spec.http!.methods.includes(req.method)) continue;
      if (!authorize(spec.http!.authLevel, spec.name, req)) return unauthorized(spec.http!.authLevel);
      return invokeHttp(spec, req, params);
    }
    // The real host answers 404 (not 405) when the route exists for other methods only
    // (Azure/azure-functions-host#10098); the dev host keeps the status and explains it in the body.
    return notFound(
      routeMatched
        ? `No function handles ${req.method} ${path}: the route exists for other methods only`
        : `No function handles ${req.method} ${path}`,
    );
  };

  const listening: Listening = await listen(handle, hostname, opts.port ?? 7071);
  const url = `http://${hostname}:${listening.port}`;

  hostLog('information', 'Functions:');
  for (const s of specs) {
    const off = s.disabled ? ' (disabled)' : '';
    if (s.http) {
      const route = [routePrefix, s.http.route.template].filter(Boolean).join('/');
      hostLog(
        'information',
        `  ${s.name}: [${s.http.methods.join(',')}] ${url}/${route} (auth: ${s.http.authLevel})${off}`,
      );
    } else {
      hostLog(
        'information',
        `  ${s.name}: timerTrigger ${s.disabled ? s.timer!.schedule : timers.describe(s.name)}${off}`,
      );
    }
  }
  hostLog('information', `Listening on ${url}`);
  timers.start();

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      closing = true;
      hostLog('information', 'Shutting down: waiting for running invocations');
      await timers.stop();
      const drained = inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => (idle = r));
      await Promise.all([listening.close(), drained]);
      await runHooks(state, 'appTerminate', hookContext({}, {}));
      hostLog('information', 'Stopped');
    })());

  return { url, port: listening.port, functions: specs, keysFile, fetch: fetchAdapter(handle), close };
}
