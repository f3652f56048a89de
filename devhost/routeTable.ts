// The HTTP route table: HTTP functions in inbound precedence order (the same template with an overlapping method is
// a startup error), and the request path -> function match under the route prefix (reference B.4).
import { jsonResponse } from './httpServer.ts';
import type { HostRequest, HostResponse } from './httpServer.ts';
import type { FunctionSpec } from './loadApp.ts';
import { comparePrecedence, matchRoute, routeShape, splitPath } from './routes.ts';
import { StartupError } from './settings.ts';

export function buildRouteTable(specs: FunctionSpec[], routePrefix: string): FunctionSpec[] {
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
  return httpSpecs;
}

export type RouteMatch =
  | { kind: 'function'; spec: FunctionSpec; params: Record<string, string> }
  | { kind: 'response'; response: HostResponse };

/** Which function serves `req` (by path and method), or the host's own answer (root page, 400, 404). */
export function routeRequest(httpSpecs: FunctionSpec[], routePrefix: string, req: HostRequest): RouteMatch {
  const path = req.url.pathname;
  const answer = (response: HostResponse): RouteMatch => ({ kind: 'response', response });
  let rest = path;
  if (routePrefix) {
    const p = `/${routePrefix.toLowerCase()}`;
    const lower = path.toLowerCase();
    if (lower !== p && !lower.startsWith(p + '/')) {
      if (path === '/' && req.method === 'GET') {
        return answer({
          status: 200,
          headers: [['content-type', 'text/plain; charset=utf-8']],
          body: Buffer.from('The dev host is running.\n'),
        });
      }
      return answer(
        notFound(`No function handles ${req.method} ${path} (routes start with /${routePrefix}/)`),
      );
    }
    rest = path.slice(p.length);
  }
  const segments = splitPath(rest);
  if (!segments)
    return answer(jsonResponse(400, { error: 'BadRequest', message: 'Malformed percent-encoding in path' }));
  let routeMatched = false;
  for (const spec of httpSpecs) {
    const params = matchRoute(spec.http!.route, segments);
    if (!params) continue;
    routeMatched = true;
    // A route constrained to other methods does not match; routing moves on to the next route.
    if (spec.http!.methods.includes(req.method)) return { kind: 'function', spec, params };
  }
  // The real host answers 404 (not 405) when the route exists for other methods only
  // (Azure/azure-functions-host#10098); the dev host keeps the status and explains it in the body.
  return answer(
    notFound(
      routeMatched
        ? `No function handles ${req.method} ${path}: the route exists for other methods only`
        : `No function handles ${req.method} ${path}`,
    ),
  );
}

function notFound(message: string): HostResponse {
  return jsonResponse(404, { error: 'NotFound', message });
}
