// A small route table for Resource Manager paths, like the admin API's: patterns of segments matched
// case-insensitively (ARM paths are), `{name}` captures one segment, and a leading `{scope*}` captures any scope
// (zero or more segments: '/', a subscription, a group, a resource), as the Microsoft.Authorization routes need.
// The first route whose pattern matches wins; a matching pattern with another method is a 405.
import type { ApiVersionSet } from './apiVersions.ts';
import type { Req } from './request.ts';

export type ArmMethod = 'GET' | 'PUT' | 'PATCH' | 'DELETE' | 'POST';

export interface ArmRoute {
  method: ArmMethod;
  pattern: string;
  /** The api-versions this route serves (a function when they depend on a captured type). */
  api: ApiVersionSet | ((params: Record<string, string>) => ApiVersionSet);
  handle: (r: Req) => Promise<void> | void;
}

interface Compiled extends ArmRoute {
  parts: string[];
  anyScope: boolean;
}

export interface RouteMatch {
  route: ArmRoute;
  params: Record<string, string>;
  /** The `{scope*}` capture as an ARM scope ('/' when empty). */
  scope?: string;
}

export class ArmRouter {
  readonly #routes: Compiled[];

  constructor(routes: ArmRoute[]) {
    this.#routes = routes.map((r) => {
      const parts = r.pattern.split('/').filter(Boolean);
      const anyScope = parts[0] === '{scope*}';
      return { ...r, parts: anyScope ? parts.slice(1) : parts, anyScope };
    });
  }

  /** The route for a method and decoded path segments; `methodMismatch` when only another method matches. */
  match(method: string, segs: string[]): RouteMatch | { methodMismatch: true } | undefined {
    let pathMatched = false;
    for (const r of this.#routes) {
      const m = matchParts(r, segs);
      if (!m) continue;
      pathMatched = true;
      if (r.method === method) return { route: r, ...m };
    }
    return pathMatched ? { methodMismatch: true } : undefined;
  }
}

function matchParts(r: Compiled, segs: string[]): Omit<RouteMatch, 'route'> | undefined {
  if (r.anyScope ? segs.length < r.parts.length : segs.length !== r.parts.length) return undefined;
  const offset = segs.length - r.parts.length;
  const params: Record<string, string> = {};
  for (let i = 0; i < r.parts.length; i++) {
    const p = r.parts[i];
    const s = segs[offset + i];
    if (p.startsWith('{') && p.endsWith('}')) params[p.slice(1, -1)] = s;
    else if (p.toLowerCase() !== s.toLowerCase()) return undefined;
  }
  if (!r.anyScope) return { params };
  const scopeSegs = segs.slice(0, offset);
  return { params, scope: scopeSegs.length ? `/${scopeSegs.join('/')}` : '/' };
}
