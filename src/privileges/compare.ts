// Pure comparison of effective permissions with declared ones, pattern against pattern (no operation catalogue
// needed). RBAC patterns have one wildcard, `*`, matching any characters across `/`, case-insensitively. A pattern
// P is covered by a pattern D when every action P matches, D matches too; for `*`-only globs that holds exactly
// when D matches P read as a literal string (each `*` of P then falls inside a `*` of D, which absorbs anything).
// Declared blocks with not-lists are honoured conservatively: a declared block covers P only if each of its
// exclusions is disjoint from P or excluded by the effective block too; otherwise P is reported.
import { actionMatches } from '../../common/rbac-pattern.ts';
import type { PermissionBlock } from './catalog.ts';
import type { Excess } from './types.ts';

/** Whether every action `pattern` matches is matched by `by`. */
export function covers(by: string, pattern: string): boolean {
  return actionMatches(by, pattern);
}

/** Whether two patterns may match a common action (false only when their fixed prefix or suffix differ). */
export function mayOverlap(a: string, b: string): boolean {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  const pre = (s: string) => s.split('*')[0];
  const suf = (s: string) => s.split('*').at(-1) ?? '';
  const [px, py, sx, sy] = [pre(x), pre(y), suf(x), suf(y)];
  const prefixOk = px.startsWith(py) || py.startsWith(px);
  const suffixOk = sx.endsWith(sy) || sy.endsWith(sx);
  const fixed = (s: string) => !s.includes('*');
  if (fixed(x) && fixed(y)) return x === y;
  if (fixed(x)) return covers(y, x);
  if (fixed(y)) return covers(x, y);
  return prefixOk && suffixOk;
}

type Kind = 'action' | 'dataAction';
const allowOf = (b: PermissionBlock, k: Kind) => (k === 'action' ? b.actions : b.dataActions);
const denyOf = (b: PermissionBlock, k: Kind) => (k === 'action' ? b.notActions : b.notDataActions);

/** Whether `block` grants nothing for `pattern` (its own not-list covers all of it). */
function excludedByOwnBlock(block: PermissionBlock, pattern: string, k: Kind): boolean {
  return denyOf(block, k).some((n) => covers(n, pattern));
}

function declaredCovers(
  declared: PermissionBlock[],
  eff: PermissionBlock,
  pattern: string,
  k: Kind,
): boolean {
  return declared.some(
    (d) =>
      allowOf(d, k).some((a) => covers(a, pattern)) &&
      denyOf(d, k).every((n) => !mayOverlap(n, pattern) || denyOf(eff, k).some((m) => covers(m, n))),
  );
}

/** The allow patterns of `effective` that the declared blocks do not cover; undefined when there are none. */
export function excessOf(effective: PermissionBlock[], declared: PermissionBlock[]): Excess | undefined {
  const out: Excess = { actions: [], notActions: [], dataActions: [], notDataActions: [] };
  const add = (list: string[], items: string[]) => {
    for (const i of items) if (!list.some((x) => x.toLowerCase() === i.toLowerCase())) list.push(i);
  };
  for (const eff of effective) {
    for (const k of ['action', 'dataAction'] as const) {
      const extra = allowOf(eff, k).filter(
        (p) => !excludedByOwnBlock(eff, p, k) && !declaredCovers(declared, eff, p, k),
      );
      if (!extra.length) continue;
      add(k === 'action' ? out.actions : out.dataActions, extra);
      add(k === 'action' ? out.notActions : out.notDataActions, denyOf(eff, k));
    }
  }
  return out.actions.length || out.dataActions.length ? out : undefined;
}

/** Whether a role's blocks grant `pattern` (the same allow pattern, not excluded in that block). */
export function grantsPattern(blocks: PermissionBlock[], pattern: string, k: Kind): boolean {
  return blocks.some(
    (b) => allowOf(b, k).some((a) => covers(a, pattern)) && !excludedByOwnBlock(b, pattern, k),
  );
}
