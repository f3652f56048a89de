// The matrix: one row per identity path, one cell per target. Each cell is a button that opens its detail row.
import { h, type Child } from './dom.ts';
import {
  duration,
  identityName,
  relative,
  shortId,
  SYMBOL,
  TARGET_LABELS,
  tone,
  type Tone,
} from './format.ts';
import type { Cell, HistoryEntry, PageData, View } from './types.ts';
import { renderDetail } from './detail.ts';

export const cellKey = (path: string, target: string) => `${path}/${target}`;

function outcomeLabel(cell: Cell | undefined): { tone: Tone; word: string } {
  const t = tone(cell?.outcome, cell?.stale);
  const word = !cell?.outcome ? 'no result' : cell.stale ? `stale (${cell.outcome})` : cell.outcome;
  return { tone: t, word };
}

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

function renderCell(
  data: PageData,
  path: string,
  target: string,
  cell: Cell | undefined,
  open: boolean,
  now: number,
) {
  const { tone: t, word } = outcomeLabel(cell);
  const key = cellKey(path, target);
  const oid = cell?.identity?.oid;
  const name = identityName(data.identities, oid) ?? (oid ? 'unexpected identity' : undefined);
  const button = h(
    'button',
    {
      type: 'button',
      class: `cell c-${t}`,
      'data-key': key,
      'data-outcome': cell?.outcome ?? 'none',
      'aria-expanded': open ? 'true' : 'false',
      'aria-controls': `detail-${path}`,
      'aria-label': [
        `${path} to ${TARGET_LABELS[target] ?? target}: ${word}`,
        name ? `answered by ${name} ${oid}` : '',
        cell ? streakLine(cell, now) : '',
      ]
        .filter(Boolean)
        .join('; '),
    },
    h('span', { class: `badge b-${t}` }, h('span', { 'aria-hidden': 'true' }, SYMBOL[t]), ' ', word),
    cell?.at
      ? h(
          'span',
          { class: 'age' },
          relative(cell.at, now),
          cell.timings?.totalMs !== undefined ? ` · ${cell.timings.totalMs} ms` : '',
        )
      : undefined,
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
  return h('td', { 'data-label': TARGET_LABELS[target] ?? target }, button);
}

export interface OpenState {
  openKey?: string;
  historyOpen: boolean;
}

export function renderMatrix(data: PageData, view: View, ui: OpenState, now: number): HTMLElement {
  const { openKey } = ui;
  const body = h('tbody');
  for (const path of data.paths) {
    const targets = view.paths?.[path]?.targets ?? {};
    const row = h('tr', { class: 'row' }, h('th', { scope: 'row' }, path));
    let openCell: { target: string; cell: Cell | undefined } | undefined;
    for (const target of data.targets) {
      const cell = targets[target];
      const open = openKey === cellKey(path, target);
      if (open) openCell = { target, cell };
      row.appendChild(renderCell(data, path, target, cell, open, now));
    }
    body.appendChild(row);
    const detail = h(
      'tr',
      { class: 'detail-row', id: `detail-${path}`, hidden: !openCell },
      h(
        'td',
        { colspan: data.targets.length + 1 },
        openCell ? renderDetail(data, path, openCell.target, openCell.cell, ui.historyOpen, now) : undefined,
      ),
    );
    body.appendChild(detail);
  }
  const head = h(
    'thead',
    {},
    h(
      'tr',
      {},
      h('th', { scope: 'col' }, 'Identity path'),
      ...data.targets.map((t) => h('th', { scope: 'col' }, TARGET_LABELS[t] ?? t)),
    ),
  );
  return h(
    'table',
    { class: 'matrix', id: 'matrix' },
    h('caption', { class: 'sr-only' }, 'Identity paths by target'),
    head,
    body,
  );
}
