// Route templates as the Functions host reads them: ASP.NET Core syntax (`{id}`, `{id?}`, `{id:int}`, `{*rest}`),
// matched case-insensitively, and ordered by ASP.NET Core's inbound route precedence so that a literal segment wins
// over a constrained parameter, which wins over a plain parameter, which wins over a catch-all
// (Microsoft.AspNetCore.Routing RoutePrecedence.ComputeInbound). See docs/host-notes.md B.4.
import { StartupError } from './settings.ts';

type Constraint = { name: string; test: (value: string) => boolean };

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string; optional: boolean; catchAll: boolean; constraints: Constraint[] };

export interface CompiledRoute {
  template: string;
  segments: Segment[];
  /** One digit per segment; lower sorts first (RoutePrecedence.ComputeInbound). */
  precedence: number[];
}

const intRe = /^-?\d+$/;
const numRe = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

function constraintFor(spec: string, template: string): Constraint {
  const m = /^([a-zA-Z]+)(?:\((.*)\))?$/.exec(spec);
  if (!m) throw new StartupError(`Route "${template}": invalid constraint "${spec}"`);
  const name = m[1].toLowerCase();
  const args = m[2] === undefined ? [] : name === 'regex' ? [m[2]] : m[2].split(',').map((s) => s.trim());
  const n = args.map(Number);
  // Compiled once here, not on every request; an invalid pattern is a startup error.
  let pattern: RegExp | undefined;
  if (name === 'regex') {
    try {
      pattern = new RegExp(args[0], 'i');
    } catch {
      throw new StartupError(`Route "${template}": constraint "${spec}" is not a valid regular expression`);
    }
  }
  const tests: Record<string, (v: string) => boolean> = {
    int: (v) => intRe.test(v) && Math.abs(Number(v)) <= 2 ** 31,
    long: (v) => intRe.test(v),
    bool: (v) => /^(true|false)$/i.test(v),
    guid: (v) => /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(v),
    alpha: (v) => /^[a-z]+$/i.test(v),
    double: (v) => numRe.test(v),
    float: (v) => numRe.test(v),
    decimal: (v) => numRe.test(v),
    datetime: (v) => !Number.isNaN(Date.parse(v)),
    min: (v) => intRe.test(v) && Number(v) >= n[0],
    max: (v) => intRe.test(v) && Number(v) <= n[0],
    range: (v) => intRe.test(v) && Number(v) >= n[0] && Number(v) <= n[1],
    minlength: (v) => v.length >= n[0],
    maxlength: (v) => v.length <= n[0],
    length: (v) => (args.length === 1 ? v.length === n[0] : v.length >= n[0] && v.length <= n[1]),
    regex: (v) => pattern!.test(v),
  };
  const test = tests[name];
  if (!test) throw new StartupError(`Route "${template}": unsupported route constraint "${spec}"`);
  if (n.some((x) => Number.isNaN(x)) && name !== 'regex') {
    throw new StartupError(`Route "${template}": constraint "${spec}" needs numeric arguments`);
  }
  return { name, test };
}

export function compileRoute(template: string): CompiledRoute {
  const clean = template.replace(/^~?\/+/, '').replace(/\/+$/, '');
  const parts = clean === '' ? [] : clean.split('/');
  const segments: Segment[] = [];
  const precedence: number[] = [];
  const names = new Set<string>();
  parts.forEach((part, i) => {
    if (part === '') throw new StartupError(`Route "${template}": empty segment`);
    const pm = /^\{(\*{1,2})?([A-Za-z_][\w.-]*)((?::[^:{}]+(?:\([^)]*\))?)*)(\?)?\}$/.exec(part);
    if (pm) {
      const [, star, name, constraintText, q] = pm;
      const catchAll = Boolean(star);
      if (catchAll && i !== parts.length - 1) {
        throw new StartupError(`Route "${template}": a catch-all parameter must be the last segment`);
      }
      const key = name.toLowerCase();
      if (names.has(key)) throw new StartupError(`Route "${template}": parameter "${name}" appears twice`);
      names.add(key);
      const constraints = constraintText
        ? constraintText
            .slice(1)
            .split(/:(?![^(]*\))/)
            .map((c) => constraintFor(c, template))
        : [];
      segments.push({ kind: 'param', name, optional: Boolean(q) || catchAll, catchAll, constraints });
      precedence.push((catchAll ? 5 : 3) - (constraints.length > 0 ? 1 : 0));
    } else if (/[{}]/.test(part)) {
      throw new StartupError(
        `Route "${template}": segment "${part}" is not supported by the dev host (one literal or one parameter per segment)`,
      );
    } else {
      segments.push({ kind: 'literal', text: part.toLowerCase() });
      precedence.push(1);
    }
  });
  const firstOptional = segments.findIndex((s) => s.kind === 'param' && s.optional);
  if (firstOptional >= 0 && segments.slice(firstOptional).some((s) => s.kind === 'literal' || !s.optional)) {
    throw new StartupError(
      `Route "${template}": an optional parameter must be followed only by optional parameters`,
    );
  }
  return { template: clean, segments, precedence };
}

/** Matches decoded path segments (route prefix already removed); returns route values or null. */
export function matchRoute(route: CompiledRoute, path: string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  let i = 0;
  for (const seg of route.segments) {
    if (seg.kind === 'literal') {
      if (i >= path.length || path[i].toLowerCase() !== seg.text) return null;
      i++;
      continue;
    }
    if (seg.catchAll) {
      const rest = path.slice(i).join('/');
      if (rest !== '') {
        if (!seg.constraints.every((c) => c.test(rest))) return null;
        params[seg.name] = rest;
      }
      i = path.length;
      continue;
    }
    if (i >= path.length) {
      if (seg.optional) continue;
      return null;
    }
    if (!seg.constraints.every((c) => c.test(path[i]))) return null;
    params[seg.name] = path[i];
    i++;
  }
  return i === path.length ? params : null;
}

export function comparePrecedence(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const d = (a.precedence[i] ?? 0) - (b.precedence[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.template.toLowerCase() < b.template.toLowerCase() ? -1 : a.template === b.template ? 0 : 1;
}

/** Splits a request path (prefix removed) into decoded segments; a trailing slash is ignored as ASP.NET does. */
export function splitPath(path: string): string[] | null {
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') return [];
  try {
    return trimmed.split('/').map((s) => decodeURIComponent(s));
  } catch {
    return null;
  }
}

/** A shape key for detecting two functions registered on the same route template. */
export function routeShape(route: CompiledRoute): string {
  return route.segments
    .map((s) =>
      s.kind === 'literal'
        ? s.text
        : `{${s.catchAll ? '*' : ''}${s.constraints.map((c) => c.name).join(':')}${s.optional ? '?' : ''}}`,
    )
    .join('/');
}
