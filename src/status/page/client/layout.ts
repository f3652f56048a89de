// How the matrix is laid out (pure, no DOM): the declared cells grouped by identity in declaration order, each
// group's counts, which groups are open, and what the "show only failing" filter keeps. The order comes from the
// view's `cells` (the declaration), so a declared cell without a result is there too, as unknown.
import type { Cell, DeclaredCell, PageData, View } from './types.ts';

/** Above this many cells, healthy groups start collapsed (18 cells, the default declaration, stay all open). */
export const COLLAPSE_ABOVE = 36;
/** Up to this many resources the matrix is a table with a column per resource; wider, each row wraps its cells. */
export const MAX_TABLE_COLUMNS = 4;

export type CellState = 'ok' | 'failing' | 'unknown';

/** As the server counts: no result or a stale one is unknown, any other outcome than ok is failing. */
export function cellState(cell: Cell | undefined): CellState {
  if (!cell?.outcome || cell.stale) return 'unknown';
  return cell.outcome === 'ok' ? 'ok' : 'failing';
}

export interface Slot {
  identity: string;
  resource: string;
  probe: string;
  expect: string;
  cell?: Cell;
  state: CellState;
}

export interface Counts {
  ok: number;
  failing: number;
  unknown: number;
  total: number;
}

export interface Group {
  identity: string;
  slots: Slot[];
  counts: Counts;
}

export interface Layout {
  groups: Group[];
  /** Every declared resource, in order of first appearance. */
  resources: string[];
  total: number;
  /** A table with a column per resource (few resources), or one wrapping row of cells per identity. */
  table: boolean;
}

const isDeclared = (c: unknown): c is DeclaredCell =>
  typeof c === 'object' &&
  c !== null &&
  typeof (c as DeclaredCell).identity === 'string' &&
  typeof (c as DeclaredCell).resource === 'string';

/** The declared cells: the view's, or (a server without them) the page's identities x resources. */
function declared(data: Pick<PageData, 'paths' | 'targets'>, view: View): DeclaredCell[] {
  if (Array.isArray(view.cells)) return view.cells.filter(isDeclared);
  return data.paths.flatMap((identity) => data.targets.map((resource) => ({ identity, resource })));
}

export function layout(data: Pick<PageData, 'paths' | 'targets'>, view: View): Layout {
  const groups = new Map<string, Group>();
  const resources = new Set<string>();
  let total = 0;
  for (const d of declared(data, view)) {
    let g = groups.get(d.identity);
    if (!g) {
      g = { identity: d.identity, slots: [], counts: { ok: 0, failing: 0, unknown: 0, total: 0 } };
      groups.set(d.identity, g);
    }
    // A cell declared twice (it should not be) is shown once.
    if (g.slots.some((s) => s.resource === d.resource)) continue;
    const cell = view.paths?.[d.identity]?.targets?.[d.resource];
    const state = cellState(cell);
    g.slots.push({
      identity: d.identity,
      resource: d.resource,
      probe: d.probe ?? `${d.identity}/${d.resource}`,
      expect: d.expect ?? cell?.expect ?? 'allowed',
      ...(cell ? { cell } : {}),
      state,
    });
    g.counts[state]++;
    g.counts.total++;
    resources.add(d.resource);
    total++;
  }
  return {
    groups: [...groups.values()],
    resources: [...resources],
    total,
    table: resources.size <= MAX_TABLE_COLUMNS,
  };
}

/** Open unless the user said otherwise: with many cells, a group whose every cell is ok starts collapsed. */
export function isOpen(group: Group, total: number, overrides: ReadonlyMap<string, boolean>): boolean {
  const chosen = overrides.get(group.identity);
  if (chosen !== undefined) return chosen;
  return !(total > COLLAPSE_ABOVE && group.counts.ok === group.counts.total);
}

/** "2 failing · 1 unknown · 17 ok", or "3 ok". */
export function countsText(c: Counts): string {
  return (
    [
      c.failing ? `${c.failing} failing` : '',
      c.unknown ? `${c.unknown} unknown` : '',
      c.ok ? `${c.ok} ok` : '',
    ]
      .filter(Boolean)
      .join(' · ') || 'no cells'
  );
}

/** The groups the filter keeps: with "only failing", those with a failing cell. */
export function visibleGroups(l: Layout, onlyFailing: boolean): Group[] {
  return onlyFailing ? l.groups.filter((g) => g.counts.failing > 0) : l.groups;
}

/** The filter, as the page's URL fragment keeps it (`#show=failing`), so a reload or a shared link keeps it too. */
export function onlyFailingFromHash(hash: string): boolean {
  return new URLSearchParams(hash.replace(/^#/, '')).get('show') === 'failing';
}

export function hashFor(onlyFailing: boolean, hash: string): string {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  if (onlyFailing) params.set('show', 'failing');
  else params.delete('show');
  const s = params.toString();
  return s ? `#${s}` : '';
}
