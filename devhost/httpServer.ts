// The node:http adapter and the fetch-style entry point, both over one transport-free handler
// (docs/design.md "Patterns followed" 3: explicit layers; test servers through a fetch-style entry point).
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { hostLog } from './logger.ts';

export interface HostRequest {
  method: string;
  url: URL;
  /** Lower-case names; repeated headers joined with ", " (set-cookie with "; "). */
  headers: Record<string, string>;
  body: Buffer;
}

export interface HostResponse {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

export type Handler = (req: HostRequest) => Promise<HostResponse>;

/** The Functions host limits request bodies to 100 MB (Learn, "HTTP trigger limits"). */
export const MAX_BODY_BYTES = 100 * 1024 * 1024;

export function jsonResponse(status: number, body: unknown, extra: [string, string][] = []): HostResponse {
  return {
    status,
    headers: [['content-type', 'application/json; charset=utf-8'], ...extra],
    body: Buffer.from(JSON.stringify(body)),
  };
}

/**
 * True when the request target's path has a `.` or `..` segment, plain or percent-encoded (`%2e`), split at `/` or
 * `\` as WHATWG URL parsing does. `new URL()` would resolve such segments, even encoded ones, into navigation
 * (`/api/probes/%2e%2e/%2e%2e/admin/...` becomes `/admin/...`), which would route a request outside /api/; the
 * host refuses them instead, before any routing.
 */
export function hasDotSegment(target: string): boolean {
  const path = target.split(/[?#]/, 1)[0];
  return path.split(/[/\\]/).some((seg) => /^(?:\.|%2e){1,2}$/i.test(seg));
}

function collectHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(k === 'cookie' ? '; ' : ', ') : v;
  }
  return out;
}

const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade']);

function send(res: ServerResponse, r: HostResponse): void {
  res.statusCode = r.status;
  const cookies: string[] = [];
  for (const [k, v] of r.headers) {
    const key = k.toLowerCase();
    if (hopByHop.has(key)) continue;
    if (key === 'set-cookie') cookies.push(v);
    else res.setHeader(k, v);
  }
  if (cookies.length) res.setHeader('set-cookie', cookies);
  res.setHeader('content-length', r.body.byteLength);
  res.end(Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength));
}

export interface Listening {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/**
 * A lingering close for a connection answered before its request body was read: after the answer, our side is ended
 * and what the client still sends is read and dropped, until the client closes or LINGER_MS pass. Node's server
 * would destroy the socket as soon as the answer is written (`destroySoon`); data arriving after that makes the
 * kernel reset the connection, and a reset can discard the answer before the client has read it (the client then
 * sees EPIPE or ECONNRESET instead of the 413). The request stays in flowing mode, so the rest is read and dropped.
 */
const LINGER_MS = 2000;
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = () => {
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}

export async function listen(handler: Handler, hostname: string, port: number): Promise<Listening> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      if (tooLarge) return;
      size += c.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(c);
        return;
      }
      // Answer at once and close the connection rather than reading the rest of an oversized body.
      tooLarge = true;
      chunks.length = 0;
      res.setHeader('connection', 'close');
      lingerOnClose(req.socket);
      send(res, jsonResponse(413, { error: 'PayloadTooLarge', message: 'Request body exceeds 100 MB' }));
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (tooLarge) return;
      if (hasDotSegment(req.url ?? '/')) {
        send(
          res,
          jsonResponse(400, {
            error: 'BadRequest',
            message:
              'The path has a dot segment (. or .., plain or percent-encoded); paths are not navigated',
          }),
        );
        return;
      }
      let url: URL;
      try {
        url = new URL(req.url ?? '/', `http://${req.headers.host ?? `${hostname}:${port}`}`);
      } catch {
        send(res, jsonResponse(400, { error: 'BadRequest', message: 'Malformed request URL' }));
        return;
      }
      handler({
        method: (req.method ?? 'GET').toUpperCase(),
        url,
        headers: collectHeaders(req),
        body: Buffer.concat(chunks),
      })
        .then((r) => send(res, r))
        .catch((err: unknown) => {
          // The handler turns every expected failure into a response; anything reaching here is a host bug.
          hostLog(
            'error',
            `Unhandled error for ${req.method} ${url.pathname}: ${(err as Error)?.stack ?? err}`,
          );
          if (!res.headersSent) send(res, { status: 500, headers: [], body: new Uint8Array() });
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    server,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** fetch(Request) -> Response over the same handler, for in-process callers. */
export function fetchAdapter(handler: Handler): (req: Request) => Promise<Response> {
  return async (req: Request) => {
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => (headers[k] = v));
    const body = Buffer.from(await req.arrayBuffer());
    const r = await handler({ method: req.method.toUpperCase(), url: new URL(req.url), headers, body });
    const h = new Headers();
    for (const [k, v] of r.headers) h.append(k, v);
    const nullBody = r.status === 204 || r.status === 304 || req.method === 'HEAD';
    return new Response(nullBody ? null : Buffer.from(r.body), { status: r.status, headers: h });
  };
}
