import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PATH_IDS, TARGET_IDS, type OutcomeKind, type PathId, type TargetId } from '../../../src/ids.ts';
import type { ProbeResult } from '../../../src/core/results.ts';
import { buildStatusView, mergeResults, verdict, type PathDocument } from '../../../src/status/model.ts';
import { DEFAULT_STALE_AFTER_MS as STALE_AFTER_MS } from '../../../src/status/schedule.ts';
import { HISTORY_LIMIT } from '../../../src/status/streak.ts';
import { renderShell } from '../../../src/status/page/shell.ts';

const T0 = Date.parse('2026-11-22T08:00:00.000Z');
const iso = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();

function result(path: PathId, target: TargetId, outcome: OutcomeKind, atMs: number): ProbeResult {
  return { path, target, outcome, at: iso(atMs), timings: { tokenMs: 1, callMs: 2, totalMs: 3 } };
}

describe('status model', () => {
  it('keeps the latest per target, the streak start, last ok and time to green', () => {
    let doc: PathDocument | undefined;
    doc = mergeResults(doc, 'system-assigned', [result('system-assigned', 'arm', 'forbidden', 0)]);
    doc = mergeResults(doc, 'system-assigned', [result('system-assigned', 'arm', 'forbidden', 60_000)]);
    assert.equal(doc.targets.arm!.since, iso(0), 'same outcome continues the streak');
    assert.equal(doc.targets.arm!.lastOkAt, undefined);
    doc = mergeResults(doc, 'system-assigned', [result('system-assigned', 'arm', 'ok', 180_000)]);
    const arm = doc.targets.arm!;
    assert.equal(arm.latest.outcome, 'ok');
    assert.equal(arm.since, iso(180_000));
    assert.equal(arm.lastOkAt, iso(180_000));
    assert.equal(arm.timeToGreenMs, 180_000, 'from the first failure of the streak to the first ok');
    assert.deepEqual(
      arm.history.map((h) => h.outcome),
      ['forbidden', 'forbidden', 'ok'],
    );
  });

  it('bounds the history, ignores results of other paths, and never lets an older result replace a newer one', () => {
    let doc: PathDocument | undefined;
    for (let i = 0; i < HISTORY_LIMIT + 5; i++)
      doc = mergeResults(doc, 'federated', [result('federated', 'blob', 'ok', i * 1000)]);
    assert.equal(doc!.targets.blob!.history.length, HISTORY_LIMIT);
    doc = mergeResults(doc, 'federated', [
      result('federated', 'blob', 'timeout', 500),
      result('default-chain', 'arm', 'ok', 1),
    ]);
    assert.equal(doc.targets.blob!.latest.outcome, 'ok', 'late writer does not win');
    assert.equal(doc.targets.arm, undefined);
  });

  it('verdict: ok only when all fresh cells are ok; failing when none is; unknown with no data', () => {
    assert.equal(verdict({ ok: 18, failing: 0, unknown: 0, total: 18 }), 'ok');
    assert.equal(verdict({ ok: 17, failing: 1, unknown: 0, total: 18 }), 'degraded');
    assert.equal(verdict({ ok: 3, failing: 0, unknown: 15, total: 18 }), 'degraded');
    assert.equal(verdict({ ok: 0, failing: 2, unknown: 16, total: 18 }), 'failing');
    assert.equal(verdict({ ok: 0, failing: 0, unknown: 18, total: 18 }), 'unknown');
  });

  it('builds the view with ages, staleness and counts; renders escaped HTML', () => {
    const docs: Partial<Record<PathId, PathDocument>> = {};
    for (const p of PATH_IDS)
      docs[p] = mergeResults(
        undefined,
        p,
        TARGET_IDS.map((t) => result(p, t, 'ok', 0)),
      );
    const fresh = buildStatusView(docs, { reachable: true, lastSeenAgeMs: 0 }, T0 + 1000);
    assert.equal(fresh.status, 'ok');
    assert.equal(fresh.paths['federated'].targets.arm!.ageMs, 1000);
    assert.equal(fresh.counts.ok, PATH_IDS.length * TARGET_IDS.length);
    const stale = buildStatusView(
      docs,
      { reachable: false, error: 'x', lastSeenAgeMs: 5 },
      T0 + STALE_AFTER_MS + 1,
    );
    assert.equal(stale.status, 'unknown');
    assert.equal(stale.paths['federated'].targets.arm!.stale, true);
    docs['system-assigned'] = mergeResults(docs['system-assigned'], 'system-assigned', [
      {
        ...result('system-assigned', 'arm', 'forbidden', 2000),
        remediation: { summary: '<script>x</script>' },
      },
    ]);
    const degraded = buildStatusView(docs, { reachable: true }, T0 + 3000);
    assert.equal(degraded.status, 'degraded');
    const data = { view: degraded, identities: [], paths: [], targets: [], refreshMs: 5000 };
    const html = renderShell(data, '/api/status/assets', new Map());
    assert.match(html, /\\u003cscript\\u003ex/);
    assert.doesNotMatch(html, /<script>x/);
  });
});
