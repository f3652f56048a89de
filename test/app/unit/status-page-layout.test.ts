// The status view and page layout by declaration (pure): buildStatusView follows the declared cells (any names,
// declaration order, unknown without a result, denied expectations marked), and the page's layout groups them by
// identity with counts, collapses healthy groups only above the threshold, filters to failing, and keeps the
// filter in the URL fragment.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeclarationInfo } from '../../../src/core/plan.ts';
import type { ProbeResult } from '../../../src/core/results.ts';
import {
  buildStatusView,
  CANARY_LAYOUT,
  mergeResults,
  type DeclaredCell,
} from '../../../src/status/model.ts';
import { answeredBy, outcomeWord } from '../../../src/status/page/client/format.ts';
import {
  cellState,
  COLLAPSE_ABOVE,
  countsText,
  hashFor,
  isOpen,
  layout,
  onlyFailingFromHash,
  visibleGroups,
} from '../../../src/status/page/client/layout.ts';
import type { View } from '../../../src/status/page/client/types.ts';

const T0 = Date.parse('2026-12-05T06:00:00.000Z');

const cell = (
  identity: string,
  resource: string,
  expect: 'allowed' | 'denied' = 'allowed',
): DeclaredCell => ({
  identity,
  resource,
  probe: `${identity}/${resource}`,
  expect,
});

function result(identity: string, resource: string, outcome: ProbeResult['outcome']): ProbeResult {
  return {
    path: identity,
    target: resource,
    outcome,
    at: new Date(T0 - 1000).toISOString(),
    timings: { tokenMs: 1, callMs: 2, totalMs: 3 },
  };
}

const DECLARATION: DeclarationInfo = {
  name: 'team',
  version: '2',
  source: 'declarations/team.json',
  complete: false,
  problems: [{ entry: 'probes[3]', probe: 'web/q', field: 'resource', message: 'unknown resource "q"' }],
  readAt: new Date(T0).toISOString(),
};

describe('status view by declaration', () => {
  const cells = [
    cell('web', 'orders-vault'),
    cell('web', 'audit-queue', 'denied'),
    cell('batch', 'orders-vault'),
    cell('batch', 'exports'),
  ];
  const docs = {
    web: mergeResults(undefined, 'web', [
      result('web', 'orders-vault', 'ok'),
      result('web', 'audit-queue', 'unexpectedly-allowed'),
    ]),
    batch: mergeResults(undefined, 'batch', [result('batch', 'orders-vault', 'ok')]),
  };
  const view = buildStatusView(docs, { reachable: true }, T0, 60_000, { cells, declaration: DECLARATION });

  it('counts every declared cell, a cell without a result as unknown, and keeps the order and declaration', () => {
    assert.deepEqual(view.counts, { ok: 2, failing: 1, unknown: 1, total: 4 });
    assert.equal(view.status, 'degraded');
    assert.deepEqual(view.cells, cells);
    assert.deepEqual(view.declaration, DECLARATION);
    assert.deepEqual(Object.keys(view.paths), ['web', 'batch']);
    const paths = view.paths;
    assert.equal(paths.batch.targets.exports, undefined);
  });

  it('without a declared layout, lays out the catalog’s 18 cells', () => {
    const v = buildStatusView({}, { reachable: true }, T0);
    assert.equal(v.counts.total, 18);
    assert.deepEqual(v.cells, CANARY_LAYOUT.cells);
    assert.equal(v.declaration, undefined);
  });
});

/** A page view of `n` identities x `r` resources, failing where `fails` says. */
function pageView(n: number, r: number, fails: (i: number, j: number) => boolean): View {
  const cells: View['cells'] = [];
  const paths: NonNullable<View['paths']> = {};
  for (let i = 0; i < n; i++) {
    const targets: Record<string, { outcome: string; stale: boolean }> = {};
    for (let j = 0; j < r; j++) {
      cells.push({ identity: `id-${i}`, resource: `res-${j}`, expect: j === 1 ? 'denied' : 'allowed' });
      targets[`res-${j}`] = { outcome: fails(i, j) ? 'forbidden' : 'ok', stale: false };
    }
    paths[`id-${i}`] = { targets };
  }
  return { cells, paths };
}

describe('status page layout', () => {
  it('states: no result or stale is unknown, anything but ok fails', () => {
    assert.equal(cellState(undefined), 'unknown');
    assert.equal(cellState({ outcome: 'ok', stale: true }), 'unknown');
    assert.equal(cellState({ outcome: 'ok' }), 'ok');
    assert.equal(cellState({ outcome: 'unexpectedly-allowed' }), 'failing');
  });

  it('groups by identity in declaration order with counts, and a table only for few resources', () => {
    const view = pageView(3, 3, (i, j) => i === 1 && j === 2);
    // A cell declared but never run, and one declared twice.
    view.cells!.push({ identity: 'id-9', resource: 'res-0' }, { identity: 'id-0', resource: 'res-0' });
    const l = layout({ paths: [], targets: [] }, view);
    assert.deepEqual(
      l.groups.map((g) => [g.identity, g.counts]),
      [
        ['id-0', { ok: 3, failing: 0, unknown: 0, total: 3 }],
        ['id-1', { ok: 2, failing: 1, unknown: 0, total: 3 }],
        ['id-2', { ok: 3, failing: 0, unknown: 0, total: 3 }],
        ['id-9', { ok: 0, failing: 0, unknown: 1, total: 1 }],
      ],
    );
    assert.equal(l.total, 10);
    assert.deepEqual(l.resources, ['res-0', 'res-1', 'res-2']);
    assert.equal(l.table, true);
    assert.equal(l.groups[0].slots[1].expect, 'denied');
    assert.equal(
      layout(
        { paths: [], targets: [] },
        pageView(2, 5, () => false),
      ).table,
      false,
    );
    assert.equal(countsText(l.groups[1].counts), '1 failing · 2 ok');
    assert.equal(countsText(l.groups[3].counts), '1 unknown');
  });

  it('falls back to the page’s identities x resources for a view without cells', () => {
    const { cells: _, ...view } = pageView(2, 2, () => false);
    const l = layout({ paths: ['id-1', 'id-0'], targets: ['res-0'] }, view);
    assert.deepEqual(
      l.groups.map((g) => g.slots.map((s) => s.probe)),
      [['id-1/res-0'], ['id-0/res-0']],
    );
  });

  it('collapses healthy groups only above the threshold; failing groups stay open; the user’s choice wins', () => {
    const small = layout(
      { paths: [], targets: [] },
      pageView(6, 3, () => false),
    );
    assert.ok(small.total <= COLLAPSE_ABOVE);
    assert.ok(small.groups.every((g) => isOpen(g, small.total, new Map())));
    const big = layout(
      { paths: [], targets: [] },
      pageView(25, 20, (i, j) => i === 4 && j === 7),
    );
    const open = big.groups.filter((g) => isOpen(g, big.total, new Map())).map((g) => g.identity);
    assert.deepEqual(open, ['id-4']);
    assert.equal(isOpen(big.groups[0], big.total, new Map([['id-0', true]])), true);
    assert.equal(isOpen(big.groups[4], big.total, new Map([['id-4', false]])), false);
  });

  it('filters to failing groups, and keeps the filter in the URL fragment beside other parameters', () => {
    const l = layout(
      { paths: [], targets: [] },
      pageView(4, 2, (i) => i === 2),
    );
    assert.deepEqual(
      visibleGroups(l, true).map((g) => g.identity),
      ['id-2'],
    );
    assert.equal(visibleGroups(l, false).length, 4);
    assert.equal(hashFor(true, ''), '#show=failing');
    assert.equal(hashFor(true, '#x=1'), '#x=1&show=failing');
    assert.equal(hashFor(false, '#x=1&show=failing'), '#x=1');
    assert.equal(hashFor(false, '#show=failing'), '');
    assert.equal(onlyFailingFromHash('#show=failing'), true);
    assert.equal(onlyFailingFromHash('#x=1'), false);
  });

  it('words an outcome by its expectation', () => {
    assert.equal(outcomeWord('ok', 'denied'), 'refused, as declared');
    assert.equal(outcomeWord('ok', 'allowed'), 'ok');
    assert.equal(outcomeWord('unexpectedly-allowed', 'denied'), 'unexpectedly allowed');
    assert.equal(outcomeWord('ok', 'denied', true), 'stale (refused, as declared)');
    assert.equal(outcomeWord(undefined), 'no result');
  });

  it('names who answered: the wiring’s name, else the declared identity when the attestation matched', () => {
    const wired = [{ name: 'app', kind: 'user-assigned', oid: 'aa' }];
    assert.equal(answeredBy(wired, 'web', { oid: 'AA', matches: false }), 'app');
    assert.equal(answeredBy(wired, 'web', { oid: 'bb', matches: true }), 'web');
    assert.equal(answeredBy(wired, 'web', { oid: 'bb', matches: false }), undefined);
    assert.equal(answeredBy(wired, 'web', undefined), undefined);
  });
});
