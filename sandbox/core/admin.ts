// The admin API (/_sandbox/...) on its own loopback origin: a small route table that planes extend.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SandboxError } from './errors.ts';
import { requestUrl } from './http.ts';

export type AdminHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
  url: URL,
) => Promise<void> | void;

interface Route {
  method: string;
  parts: string[];
  handler: AdminHandler;
}

export class AdminRouter {
  #routes: Route[] = [];

  /** Adds a route; pattern segments like `{id}` capture. */
  add(method: string, pattern: string, handler: AdminHandler): void {
    this.#routes.push({ method: method.toUpperCase(), parts: pattern.split('/').filter(Boolean), handler });
  }

  handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    let segs: string[];
    try {
      segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw SandboxError.json(400, {
        error: 'bad_request',
        message: 'Malformed percent-encoding in the path',
      });
    }
    for (const name of new Set(url.searchParams.keys()))
      if (url.searchParams.getAll(name).length > 1)
        throw SandboxError.json(400, {
          error: 'bad_request',
          message: `The query parameter '${name}' is given more than once.`,
        });
    let pathMatched = false;
    for (const r of this.#routes) {
      const params = match(r.parts, segs);
      if (!params) continue;
      pathMatched = true;
      if (r.method !== req.method) continue;
      await r.handler(req, res, params, url);
      return;
    }
    if (pathMatched)
      throw SandboxError.json(405, {
        error: 'method_not_allowed',
        message: `${req.method} not allowed on ${url.pathname}`,
      });
    throw SandboxError.json(404, {
      error: 'not_found',
      message: `No admin route ${req.method} ${url.pathname}`,
      routes: this.#routes.map((x) => `${x.method} /${x.parts.join('/')}`),
    });
  };
}

function match(parts: string[], segs: string[]): Record<string, string> | undefined {
  if (parts.length !== segs.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.startsWith('{') && p.endsWith('}')) params[p.slice(1, -1)] = segs[i];
    else if (p !== segs[i]) return undefined;
  }
  return params;
}
