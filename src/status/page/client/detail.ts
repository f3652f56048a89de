// A cell's detail: what failed and how to fix it (service error code, HTTP status, request ids, the remediation
// sentence, the command with a copy button), who answered, and its last results.
import { append, facts, h, type Child } from './dom.ts';
import {
  clock,
  DENIED_LABEL,
  duration,
  answeredBy,
  outcomeWord,
  relative,
  SYMBOL,
  TARGET_LABELS,
  tone,
} from './format.ts';
import type { Slot } from './layout.ts';
import type { Cell, PageData } from './types.ts';

type FactRow = Parameters<typeof facts>[0][number];

function errorCode(cell: Cell): string | undefined {
  const d = cell.detail;
  if (!d) return undefined;
  const codes = [d.code, d.innerCode, d.aadsts ? `AADSTS${d.aadsts}` : undefined];
  return [...new Set(codes.filter((c): c is string => Boolean(c)))].join(' · ') || undefined;
}

function commandBlock(command: string): HTMLElement {
  const status = h('span', { class: 'copy-status', role: 'status' });
  const copy = h('button', { type: 'button', class: 'copy', 'data-copy': 'command' }, 'Copy command');
  copy.addEventListener('click', () => {
    const failed = () => (status.textContent = 'Copy failed: select the command and copy it.');
    // The Clipboard API exists only in secure contexts (https, or http on loopback).
    if (!navigator.clipboard) return void failed();
    navigator.clipboard.writeText(command).then(() => (status.textContent = 'Copied.'), failed);
  });
  return h(
    'div',
    { class: 'command' },
    h('pre', {}, h('code', { class: 'cmd' }, command)),
    h('div', { class: 'command-actions' }, copy, status),
  );
}

function history(cell: Cell, open: boolean, now: number): Child {
  if (!cell.history?.length) return undefined;
  const list = h('ol', { class: 'history', reversed: true });
  for (const e of [...cell.history].reverse()) {
    const t = tone(e.outcome);
    append(list, [
      h(
        'li',
        { class: `h-${t}` },
        h('span', { 'aria-hidden': 'true' }, SYMBOL[t]),
        ` ${e.outcome}`,
        h(
          'span',
          { class: 'muted' },
          ` ${clock(e.at)} (${relative(e.at, now)})${e.totalMs !== undefined ? `, ${e.totalMs} ms` : ''}`,
        ),
      ),
    ]);
  }
  return h(
    'details',
    { class: 'history-box', open },
    h('summary', {}, `Last ${cell.history.length} results`),
    list,
  );
}

/** The detail's facts: what the service said, who answered, when, and how long it took. */
function factRows(slot: Slot, cell: Cell, name: string | undefined, now: number): FactRow[] {
  const d = cell.detail ?? {};
  const id = cell.identity;
  return [
    [
      'Expected',
      slot.expect === 'denied' ? `${DENIED_LABEL}: the service must refuse this identity` : undefined,
    ],
    ['Probe', slot.probe !== `${slot.identity}/${slot.resource}` ? slot.probe : undefined],
    ['Service error code', errorCode(cell)],
    ['HTTP status', d.statusCode],
    ['Request id', d.requestId ? h('code', {}, d.requestId) : undefined],
    ['Client request id', d.clientRequestId ? h('code', {}, d.clientRequestId) : undefined],
    ['Correlation id', d.correlationId ? h('code', {}, d.correlationId) : undefined],
    [
      'Failed while',
      d.phase === 'token' ? 'getting the token' : d.phase === 'call' ? 'calling the service' : d.phase,
    ],
    ['Setting', d.setting],
    ['Endpoint', d.endpoint],
    [
      'Answered as',
      id?.oid
        ? `${name ?? 'an identity not in the wiring'}${id.matches === false ? ' (not the expected one)' : ''}`
        : undefined,
    ],
    ['Object id (oid)', id?.oid ? h('code', { class: 'oid-full' }, id.oid) : undefined],
    ['Application id', id?.appid ? h('code', {}, id.appid) : undefined],
    ['Mismatches', id?.mismatches?.length ? id.mismatches.join('; ') : undefined],
    ['Last run', cell.at ? `${clock(cell.at)} (${relative(cell.at, now)})` : undefined],
    ['In this state since', cell.since ? `${clock(cell.since)} (${relative(cell.since, now)})` : undefined],
    [
      'Last ok',
      cell.lastOkAt
        ? `${clock(cell.lastOkAt)} (${relative(cell.lastOkAt, now)})`
        : cell.outcome === 'ok'
          ? undefined
          : 'never',
    ],
    [
      'Token',
      cell.acquisition?.mode === 'fresh'
        ? 'fresh (timer run)'
        : cell.acquisition?.mode === 'cached'
          ? `cached${cell.acquisition.acquiredAt ? `, from ${clock(cell.acquisition.acquiredAt)}` : ''}`
          : undefined,
    ],
    [
      'Fails at',
      cell.acquisition?.failsAt
        ? `${clock(cell.acquisition.failsAt)} (${relative(cell.acquisition.failsAt, now)})`
        : undefined,
    ],
    ['Time to green', cell.timeToGreenMs !== undefined ? duration(cell.timeToGreenMs) : undefined],
    [
      'Timings',
      cell.timings
        ? `token ${cell.timings.tokenMs ?? 0} ms · call ${cell.timings.callMs ?? 0} ms · total ${cell.timings.totalMs ?? 0} ms`
        : undefined,
    ],
    ['Message', d.message, true],
  ];
}

export function renderDetail(data: PageData, slot: Slot, historyOpen: boolean, now: number): HTMLElement {
  const { identity: path, resource: target, cell } = slot;
  const title = `${path} → ${TARGET_LABELS[target] ?? target}`;
  if (!cell)
    return h(
      'div',
      { class: 'detail' },
      h('h2', {}, title),
      h('p', {}, 'No result yet: the probe has not run since the status store was created.'),
    );
  const t = tone(cell.outcome, cell.stale);
  const name = answeredBy(data.identities, path, cell.identity);
  return h(
    'div',
    { class: `detail d-${t}`, 'data-detail': `${path}/${target}` },
    h(
      'h2',
      {},
      title,
      ': ',
      h(
        'span',
        { class: `badge b-${t}` },
        SYMBOL[t],
        ' ',
        outcomeWord(cell.outcome, slot.expect, cell.stale),
      ),
    ),
    cell.remediation?.summary ? h('p', { class: 'remedy' }, cell.remediation.summary) : undefined,
    cell.remediation?.command ? commandBlock(cell.remediation.command) : undefined,
    facts(factRows(slot, cell, name, now)),
    history(cell, historyOpen, now),
  );
}
