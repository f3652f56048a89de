// The dev host, wired in one place: settings -> app loading -> function specs -> route table, keys, timers ->
// HTTP server. Reading startHost() shows the whole startup; handle() shows the whole request path: the admin API
// (admin.ts), then the route table (routeTable.ts), then the invocation (invocations.ts).
// Facts behind each behaviour: docs/host-notes.md B.4 (what the real host does) and B.5 (this design).
import { handleAdmin, unauthorized } from './admin.ts';
import { installCoreShim } from './coreShim.ts';
import type { CoreState } from './coreShim.ts';
import { fetchAdapter, jsonResponse, listen } from './httpServer.ts';
import type { HostRequest, HostResponse, Listening } from './httpServer.ts';
import { createInvoker } from './invocations.ts';
import { hookContext, runHooks } from './invoke.ts';
import { defaultKeysFile, isAuthorized, loadOrCreateKeys, presentedKey } from './keys.ts';
import type { AuthLevel, KeysFile } from './keys.ts';
import { loadEntryPoint, startApp, toFunctionSpecs } from './loadApp.ts';
import type { FunctionSpec } from './loadApp.ts';
import { hostLog } from './logger.ts';
import { buildRouteTable, routeRequest } from './routeTable.ts';
import { readHostJson } from './settings.ts';
import { TimerScheduler, timeZone } from './timers.ts';

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

function loadKeys(opts: HostOptions, httpSpecs: FunctionSpec[]): { keys?: KeysFile; keysFile?: string } {
  if (!opts.enableAuth) return {};
  const keysFile = opts.keysFile ?? defaultKeysFile(opts.appDir);
  const r = loadOrCreateKeys(
    keysFile,
    httpSpecs.map((s) => s.name),
  );
  hostLog(
    'information',
    `Auth enabled; keys ${r.created ? 'created in' : 'read from'} ${keysFile} (git-ignored)`,
  );
  return { keys: r.keys, keysFile };
}

function logFunctions(specs: FunctionSpec[], routePrefix: string, url: string, timers: TimerScheduler): void {
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
  const httpSpecs = buildRouteTable(specs, routePrefix);
  const { keys, keysFile } = loadKeys(opts, httpSpecs);
  const invoker = createInvoker(state);
  const timers = new TimerScheduler(specs, invoker.runTimer, timeZone());
  const authorize = (level: AuthLevel, fnName: string | undefined, req: HostRequest): boolean =>
    !keys ||
    isAuthorized(keys, level, fnName, presentedKey(req.headers['x-functions-key'], req.url.searchParams));
  const adminDeps = { specs, routePrefix, invoker, timers, authorize };

  let closing = false;
  const handle = async (req: HostRequest): Promise<HostResponse> => {
    if (closing) return jsonResponse(503, { error: 'ShuttingDown', message: 'The host is shutting down' });
    const admin = handleAdmin(adminDeps, req);
    if (admin) return admin;
    const match = routeRequest(httpSpecs, routePrefix, req);
    if (match.kind === 'response') return match.response;
    const level = match.spec.http!.authLevel;
    if (!authorize(level, match.spec.name, req)) return unauthorized(level);
    return invoker.invokeHttp(match.spec, req, match.params);
  };

  const listening: Listening = await listen(handle, hostname, opts.port ?? 7071);
  const url = `http://${hostname}:${listening.port}`;
  logFunctions(specs, routePrefix, url, timers);
  hostLog('information', `Listening on ${url}`);
  timers.start();

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      closing = true;
      hostLog('information', 'Shutting down: waiting for running invocations');
      await timers.stop();
      await Promise.all([listening.close(), invoker.drained()]);
      await runHooks(state, 'appTerminate', hookContext({}, {}));
      hostLog('information', 'Stopped');
    })());

  return { url, port: listening.port, functions: specs, keysFile, fetch: fetchAdapter(handle), close };
}
