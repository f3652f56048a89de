// Invoking functions through the worker seam, as the host does: HTTP invocations (request -> RpcHttpData ->
// response) and timer invocations, each logged like the host and counted, so that close() can wait for those in
// flight (docs/host-notes.md B.4).
import type { CoreState } from './coreShim.ts';
import type { HostRequest, HostResponse } from './httpServer.ts';
import { invokeFunction } from './invoke.ts';
import type { FunctionSpec } from './loadApp.ts';
import { functionLog, hostLog } from './logger.ts';
import type { TimerPayload } from './timers.ts';
import type { RpcHttpCookie, RpcHttpData } from './types.ts';

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

export interface Invoker {
  invokeHttp(spec: FunctionSpec, req: HostRequest, params: Record<string, string>): Promise<HostResponse>;
  runTimer(spec: FunctionSpec, payload: TimerPayload, reason: string): Promise<void>;
  /** Resolves when no invocation is in flight. */
  drained(): Promise<void>;
}

export function createInvoker(state: CoreState): Invoker {
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

  const drained = () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => (idle = r)));
  return { invokeHttp, runTimer, drained };
}
