// One server factory for every sandbox endpoint: listen on 127.0.0.1 (free port), optional TLS from the local CA,
// faults applied before the handler, and one error boundary: SandboxErrors are rendered faithfully, anything else is
// logged and becomes a plain 500 (a bug to turn into a typed error).
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SandboxError } from './errors.ts';
import type { EndpointName, Fault, FaultRegistry } from './faults.ts';
import { REQUEST_FAULT_KINDS } from './faults.ts';
import type { ServerCert } from './ca.ts';
import type { Counters } from './counters.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export interface ServerOptions {
  /** Endpoint name (faults and counters are keyed on it); undefined for the admin server. */
  endpoint?: EndpointName;
  /** Label for logs. */
  label: string;
  tls?: ServerCert;
  handler: Handler;
  faults?: FaultRegistry;
  counters?: Counters;
  /** Renders a `status` fault in the service's real error format (default: a JSON error body). */
  renderFault?: (fault: Fault, req: IncomingMessage) => SandboxError;
  /**
   * Renders a request Node's parser refused, in the service's error format (default: OAuth-style JSON). Node itself
   * would answer a bare 431 or 400 with no body (a 200 KB bearer, issue 24). Azure's HTTP.sys front ends answer an
   * oversized header block 400 "Request Too Long" in HTML; 431 is the status RFC 6585 defines for it, and what
   * Node, Azurite and Kestrel answer, so the sandbox answers 431 and says why in the service's own body.
   */
  renderRejection?: (r: RequestRejection) => SandboxError;
  log?: (line: string) => void;
}

export interface RunningServer {
  /** Origin, e.g. https://127.0.0.1:43121 */
  origin: string;
  port: number;
  close(): Promise<void>;
}

export function renderError(res: ServerResponse, err: SandboxError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string | number> = { ...err.headers };
  if (err.body) {
    headers['content-type'] = err.body.contentType;
    headers['content-length'] = Buffer.byteLength(err.body.text);
  } else {
    headers['content-length'] = 0;
  }
  res.writeHead(err.status, headers);
  res.end(err.body?.text ?? '');
}

function defaultFaultError(fault: Fault): SandboxError {
  const headers: Record<string, string> = {};
  if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
  return SandboxError.json(
    fault.status ?? 500,
    { error: 'sandbox_fault', error_description: `Injected fault: HTTP ${fault.status}` },
    headers,
  );
}

/** Node's limit on the request line and headers together (http.maxHeaderSize default). */
export const MAX_HEADER_BYTES = 16 * 1024;

/** A SandboxError as a whole HTTP/1.1 response on a socket no request object was made for; the connection closes. */
export function rawResponse(err: SandboxError): string {
  const body = err.body?.text ?? '';
  const lines = [`HTTP/1.1 ${err.status} ${http.STATUS_CODES[err.status] ?? ''}`.trimEnd()];
  for (const [k, v] of Object.entries(err.headers)) lines.push(`${k}: ${v}`);
  if (err.body) lines.push(`content-type: ${err.body.contentType}`);
  lines.push(`content-length: ${Buffer.byteLength(body)}`, 'connection: close', '', body);
  return lines.join('\r\n');
}

/** Why Node's parser refused a request before any handler saw it (a header block over MAX_HEADER_BYTES, or not HTTP). */
export interface RequestRejection {
  status: 431 | 400;
  /** PascalCase code for services whose errors carry one. */
  code: 'RequestHeaderFieldsTooLarge' | 'BadRequest';
  message: string;
}

export function requestRejection(parserCode: string | undefined): RequestRejection {
  return parserCode === 'HPE_HEADER_OVERFLOW'
    ? {
        status: 431,
        code: 'RequestHeaderFieldsTooLarge',
        message: `The request headers are larger than ${MAX_HEADER_BYTES} bytes.`,
      }
    : { status: 400, code: 'BadRequest', message: 'The request could not be parsed as HTTP/1.1.' };
}

/** The OAuth-style JSON body of the identity endpoints, Entra and the sandbox's own APIs. */
function defaultRejection(r: RequestRejection): SandboxError {
  return SandboxError.json(r.status, {
    error: r.status === 431 ? 'request_header_too_large' : 'invalid_request',
    error_description: r.message,
  });
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const log = opts.log ?? (() => {});
  const closing = new AbortController();

  const listener = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      if (opts.endpoint) opts.counters?.request(opts.endpoint);
      const fault = opts.endpoint ? opts.faults?.take(opts.endpoint, REQUEST_FAULT_KINDS) : undefined;
      if (fault) {
        switch (fault.kind) {
          case 'latency':
            await new Promise((r) => setTimeout(r, fault.ms ?? 0));
            break;
          case 'status':
            throw (opts.renderFault ?? defaultFaultError)(fault, req);
          case 'reset':
            // A TLS socket cannot reset itself (ERR_INVALID_HANDLE_TYPE): reset the TCP socket under it.
            (
              (req.socket as typeof req.socket & { _parent?: typeof req.socket })._parent ?? req.socket
            ).resetAndDestroy();
            return;
          case 'hang':
            await opts.faults!.waitForClear(fault.id, closing.signal);
            if (closing.signal.aborted) {
              req.socket.destroy();
              return;
            }
            break;
        }
      }
      await opts.handler(req, res);
    } catch (err) {
      // Drain whatever the handler left unread, so the client sees the error response, not a reset.
      req.resume();
      if (err instanceof SandboxError) {
        renderError(res, err);
      } else {
        log(
          `[${opts.label}] unhandled error (bug: turn it into a typed error): ${(err as Error)?.stack ?? err}`,
        );
        renderError(res, SandboxError.json(500, { error: 'internal_error' }));
      }
    }
  };

  const server = opts.tls
    ? https.createServer({ key: opts.tls.keyPem, cert: opts.tls.certPem }, (q, s) => void listener(q, s))
    : http.createServer((q, s) => void listener(q, s));
  // Real services keep connections alive; keep sockets from pinning the process after close().
  server.keepAliveTimeout = 5000;
  const counters = opts.counters;
  if (counters) {
    if (opts.tls) server.on('secureConnection', () => counters.connection(opts.label, true));
    else server.on('connection', () => counters.connection(opts.label, false));
  }
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // TLS handshake failures and resets have nothing to answer; parser errors get a status and a body.
    if (!err.code?.startsWith('HPE_') || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(rawResponse((opts.renderRejection ?? defaultRejection)(requestRejection(err.code))));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  return {
    origin,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
