// The matrix: one group per declared identity (a row, with its counts and a toggle), holding that identity's
// declared resources in declaration order. Few resources: a column each, as a table; more: each row wraps its
// cells. Each cell is a button that opens its detail row below its group.
import { h, type Child } from './dom.ts';
import {
  DENIED_LABEL,
  duration,
  answeredBy,
  outcomeWord,
  relative,
  shortId,
  SYMBOL,
  TARGET_LABELS,
  tone,
} from './format.ts';
import { countsText, isOpen, visibleGroups, type Group, type Layout, type Slot } from './layout.ts';
import type { Cell, HistoryEntry, PageData } from './types.ts';
import { renderDetail } from './detail.ts';

export const cellKey = (path: string, target: string) => `${path}/${target}`;

/** Slots in the strip: the status model keeps this many results per cell. */
const STRIP_SLOTS = 20;

/** The last results, oldest first: a failure is a full-height bar, an ok a low one, so it reads without colour. */
export function strip(history: HistoryEntry[] | undefined, now: number): Child {
  if (!history?.length) return undefined;
  const empty = Math.max(0, STRIP_SLOTS - history.length);
  const fails = history.filter((e) => e.outcome !== 'ok').length;
  const label = `last ${history.length} results: ${history.length - fails} ok, ${fails} not ok`;
  return h(
    'span',
    { class: 'strip', role: 'img', 'aria-label': label, title: label },
    ...Array.from({ length: empty }, () => h('span', { class: 'tick t-empty' })),
    ...history.map((e) =>
      h('span', {
        class: `tick t-${tone(e.outcome)}`,
        title: `${e.outcome} ${relative(e.at, now)}${e.totalMs !== undefined ? `, ${e.totalMs} ms` : ''}`,
      }),
    ),
  );
}

function streakLine(cell: Cell, now: number): string {
  const parts: string[] = [];
  const since = cell.since ? Date.parse(cell.since) : NaN;
  if (!Number.isNaN(since))
    parts.push(`${cell.outcome === 'ok' ? 'ok' : 'failing'} for ${duration(now - since)}`);
  if (cell.outcome !== 'ok')
    parts.push(cell.lastOkAt ? `last ok ${relative(cell.lastOkAt, now)}` : 'never ok');
  else if (cell.timeToGreenMs !== undefined) parts.push(`time to green ${duration(cell.timeToGreenMs)}`);
  return parts.join(' · ');
}

const label = (resource: string) => TARGET_LABELS[resource] ?? resource;

function renderCell(data: PageData, slot: Slot, open: boolean, withResource: boolean, now: number) {
  const { identity: path, resource: target, cell } = slot;
  const t = tone(cell?.outcome, cell?.stale);
  const denied = slot.expect === 'denied';
  const word = outcomeWord(cell?.outcome, slot.expect, cell?.stale);
  const oid = cell?.identity?.oid;
  const name = answeredBy(data.identities, path, cell?.identity) ?? (oid ? 'unexpected identity' : undefined);
  const button = h(
    'button',
    {
      type: 'button',
      class: `cell c-${t}`,
      'data-key': cellKey(path, target),
      'data-outcome': cell?.outcome ?? 'none',
      'data-expect': denied ? 'denied' : undefined,
      'aria-expanded': open ? 'true' : 'false',
      'aria-controls': `detail-${path}`,
      'aria-label': [
        `${path} to ${label(target)}${denied ? ` (${DENIED_LABEL})` : ''}: ${word}`,
        name ? `answered by ${name} ${oid}` : '',
        cell ? streakLine(cell, now) : '',
      ]
        .filter(Boolean)
        .join('; '),
    },
    withResource ? h('span', { class: 'res', title: target }, label(target)) : undefined,
    // The outcome and, on the right (below it when the words are long), the age and the time it took.
    h(
      'span',
      { class: 'cell-top' },
      h('span', { class: `badge b-${t}` }, h('span', { 'aria-hidden': 'true' }, SYMBOL[t]), ' ', word),
      cell?.at
        ? h(
            'span',
            { class: 'age' },
            relative(cell.at, now),
            cell.timings?.totalMs !== undefined ? ` · ${cell.timings.totalMs} ms` : '',
          )
        : undefined,
    ),
    denied ? h('span', { class: 'expect' }, DENIED_LABEL) : undefined,
    oid
      ? h(
          'span',
          { class: 'who', title: oid },
          h('span', { class: 'who-name' }, name ?? ''),
          ' ',
          h('code', { class: 'oid', 'data-oid': oid }, shortId(oid)),
        )
      : h('span', { class: 'who none' }, cell ? 'no identity' : 'not run yet'),
    cell ? h('span', { class: 'streak' }, streakLine(cell, now)) : undefined,
    strip(cell?.history, now),
  );
  return button;
}

export interface OpenState {
  openKey?: string;
  historyOpen: boolean;
  /** Groups the user opened or closed (expand/collapse all sets every one). */
  groups: ReadonlyMap<string, boolean>;
  onlyFailing: boolean;
}

/** The group's row header: its name, its counts, and the toggle that opens or collapses it. */
function groupHeader(g: Group, open: boolean): HTMLElement {
  const gt = g.counts.failing ? 'fail' : g.counts.unknown ? 'none' : 'ok';
  return h(
    'th',
    { scope: 'row' },
    h('span', { class: 'group-name' }, g.identity),
    h('span', { class: `group-counts gc-${gt}` }, countsText(g.counts)),
    h(
      'button',
      {
        type: 'button',
        class: 'group-toggle',
        'data-group': g.identity,
        'aria-expanded': open ? 'true' : 'false',
        'aria-label': `${open ? 'Collapse' : 'Expand'} ${g.identity} (${g.counts.total} cells)`,
      },
      open ? 'Collapse' : 'Expand',
    ),
  );
}

function groupBody(
  data: PageData,
  l: Layout,
  g: Group,
  ui: OpenState,
  now: number,
): { row: HTMLElement; open: boolean; openSlot?: Slot } {
  const open = isOpen(g, l.total, ui.groups);
  const row = h('tr', { class: 'row' }, groupHeader(g, open));
  const columns = l.table ? l.resources.length : 1;
  if (!open) {
    row.appendChild(
      h(
        'td',
        { class: 'collapsed', colspan: columns },
        h(
          'span',
          { class: 'collapsed-note' },
          `${g.counts.total} cell${g.counts.total === 1 ? '' : 's'} collapsed: ${countsText(g.counts)}`,
        ),
      ),
    );
    return { row, open };
  }
  const openSlot = g.slots.find((s) => ui.openKey === cellKey(s.identity, s.resource));
  const render = (s: Slot, withResource: boolean) => renderCell(data, s, s === openSlot, withResource, now);
  if (l.table) {
    for (const resource of l.resources) {
      const s = g.slots.find((x) => x.resource === resource);
      row.appendChild(
        h(
          'td',
          { 'data-label': label(resource) },
          s ? render(s, false) : h('span', { class: 'undeclared' }, 'not declared'),
        ),
      );
    }
    return { row, open, openSlot };
  }
  // Wrapped: the filter leaves out what is not failing (the table keeps a failing row whole, for its columns).
  const shown = ui.onlyFailing ? g.slots.filter((s) => s.state === 'failing') : g.slots;
  const hidden = g.slots.length - shown.length;
  row.appendChild(
    h(
      'td',
      { class: 'cells' },
      h('div', { class: 'cell-grid' }, ...shown.map((s) => render(s, true))),
      hidden
        ? h('p', { class: 'filtered-note' }, `${hidden} cell(s) not failing, hidden by the filter`)
        : undefined,
    ),
  );
  return { row, open, openSlot };
}

export function renderMatrix(data: PageData, l: Layout, ui: OpenState, now: number): HTMLElement {
  const columns = l.table ? l.resources.length : 1;
  const bodies: HTMLElement[] = [];
  for (const g of visibleGroups(l, ui.onlyFailing)) {
    const { row, open, openSlot } = groupBody(data, l, g, ui, now);
    const detail = h(
      'tr',
      { class: 'detail-row', id: `detail-${g.identity}`, hidden: !openSlot },
      h(
        'td',
        { colspan: columns + 1 },
        openSlot ? renderDetail(data, openSlot, ui.historyOpen, now) : undefined,
      ),
    );
    bodies.push(
      h('tbody', { class: 'group', 'data-identity': g.identity, 'data-open': String(open) }, row, detail),
    );
  }
  const head = h(
    'thead',
    {},
    h(
      'tr',
      {},
      h('th', { scope: 'col' }, 'Identity'),
      ...(l.table
        ? l.resources.map((t) => h('th', { scope: 'col' }, label(t)))
        : [h('th', { scope: 'col' }, 'Resources')]),
    ),
  );
  return h(
    'table',
    {
      class: `matrix ${l.table ? 'm-table' : 'm-wrap'}`,
      id: 'matrix',
      'data-layout': l.table ? 'table' : 'wrap',
    },
    h('caption', { class: 'sr-only' }, 'Declared identities by resource'),
    head,
    ...bodies,
  );
}

/** Above the matrix: the filter, expand and collapse all, and how many cells there are. */
export function renderToolbar(l: Layout, ui: OpenState): HTMLElement {
  const failing = l.groups.reduce((n, g) => n + g.counts.failing, 0);
  const box = h('input', {
    type: 'checkbox',
    id: 'only-failing',
    'data-control': 'only-failing',
    checked: ui.onlyFailing,
  });
  (box as HTMLInputElement).checked = ui.onlyFailing;
  return h(
    'div',
    { class: 'toolbar', id: 'toolbar' },
    h('label', { class: 'filter' }, box, ` Show only failing (${failing})`),
    h(
      'button',
      { type: 'button', class: 'tool', id: 'expand-all', 'data-control': 'expand-all' },
      'Expand all',
    ),
    h(
      'button',
      { type: 'button', class: 'tool', id: 'collapse-all', 'data-control': 'collapse-all' },
      'Collapse all',
    ),
    h(
      'span',
      { class: 'toolbar-note' },
      `${l.groups.length} identit${l.groups.length === 1 ? 'y' : 'ies'} · ${l.resources.length} resource${l.resources.length === 1 ? '' : 's'} · ${l.total} cells`,
    ),
  );
}

/** Shown instead of an empty matrix when the filter leaves nothing. */
export function nothingFailing(l: Layout, ui: OpenState): Child {
  if (!ui.onlyFailing || visibleGroups(l, true).length) return undefined;
  return h(
    'p',
    { class: 'no-failing', id: 'no-failing' },
    `No failing cell: all ${l.total} hidden by the filter.`,
  );
}
