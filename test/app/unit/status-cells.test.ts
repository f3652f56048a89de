// The per-cell status documents, the coalescing writer, the honest verdict and the schedule's staleness bound
// (pure logic: no store).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProbeResult } from '../../../src/core/results.ts';
import { mergeCell, toPathDocument } from '../../../src/status/cells.ts';
import { buildStatusView, honestVerdict } from '../../../src/status/model.ts';
import { HISTORY_LIMIT } from '../../../src/status/streak.ts';
import { schedulePeriodMs, staleAfterMs } from '../../../src/status/schedule.ts';
import { CoalescingWriter } from '../../../src/status/writer.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const result = (i: number, outcome: ProbeResult['outcome'] = 'ok'): ProbeResult => ({
  path: 'uami-client-id',
  target: 'blob',
  outcome,
  at: new Date(T0 + i * 1000).toISOString(),
  timings: { tokenMs: 0, callMs: i, totalMs: i },
});

describe('status cells', () => {
  it('folds results in any order into the same cell document, bounded', () => {
    const results = Array.from({ length: 30 }, (_, i) => result(i, i % 3 ? 'ok' : 'forbidden'));
    const inOrder = results.reduce(
      (doc, r) => mergeCell(doc, 'uami-client-id', 'blob', [r]),
      undefined as ReturnType<typeof mergeCell> | undefined,
    )!;
    const shuffled = [...results].sort(
      (a, b) => ((a.timings.totalMs * 7919) % 31) - ((b.timings.totalMs * 7919) % 31),
    );
    const outOfOrder = shuffled.reduce(
      (doc, r) => mergeCell(doc, 'uami-client-id', 'blob', [r]),
      undefined as ReturnType<typeof mergeCell> | undefined,
    )!;
    assert.equal(outOfOrder.record.latest.at, results[29].at, 'an older result never replaces a newer one');
    assert.deepEqual(outOfOrder.record.history, inOrder.record.history);
    assert.equal(inOrder.record.history.length, HISTORY_LIMIT);
    assert.equal(mergeCell(undefined, 'uami-client-id', 'blob', results).record.latest.at, results[29].at);
  });

  it('ignores results of other cells; folds cells into a path document', () => {
    const other = { ...result(5), target: 'arm' as const };
    assert.throws(() => mergeCell(undefined, 'uami-client-id', 'blob', [other]), /no result/);
    const blob = mergeCell(undefined, 'uami-client-id', 'blob', [result(1)]);
    const arm = mergeCell(undefined, 'uami-client-id', 'arm', [other]);
    const doc = toPathDocument('uami-client-id', [blob, undefined, arm])!;
    assert.deepEqual(Object.keys(doc.targets).sort(), ['arm', 'blob']);
    assert.equal(toPathDocument('uami-client-id', [undefined]), undefined);
  });
});

describe('coalescing writer', () => {
  it('one write per cell in flight; results arriving meanwhile join the next write; nothing lost', async () => {
    const writes: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const w = new CoalescingWriter(async (p, t, batch) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setImmediate(r)); // a write takes a turn: results arriving meanwhile queue
      writes.push(batch.length);
      inFlight--;
      return mergeCell(undefined, p, t, batch);
    }, String);
    const docs = await Promise.all(Array.from({ length: 50 }, (_, i) => w.record([result(i)])));
    // Each result resolves with the document of the write that contained it (its latest is that result or newer).
    for (const [i, [doc]] of docs.entries())
      assert.ok(doc.record.latest.at >= result(i).at, `result ${i} resolved with its write's document`);
    assert.equal(maxInFlight, 1);
    assert.equal(
      writes.reduce((a, b) => a + b, 0),
      50,
    );
    assert.ok(writes.length < 50, `coalesced into ${writes.length} writes`);
    assert.deepEqual(
      { ...w.state, lastRecordedAt: undefined },
      {
        pending: 0,
        recorded: 50,
        failed: 0,
        lastRecordedAt: undefined,
      },
    );
  });

  it('a failed write rejects its results and is counted with its error', async () => {
    const w = new CoalescingWriter(
      async () => {
        throw new Error('store down');
      },
      (e) => (e as Error).message,
    );
    await assert.rejects(w.record([result(1)]), /store down/);
    assert.equal(w.state.failed, 1);
    assert.equal(w.state.pending, 0);
    assert.equal(w.state.lastFailure?.error, 'store down');
  });
});

describe('honest verdict', () => {
  it('ok cells with an unreadable store or an old newest result are degraded, with the reason', () => {
    assert.deepEqual(honestVerdict('ok', { reachable: true }, 1000, 60_000), { status: 'ok', reasons: [] });
    const blind = honestVerdict('ok', { reachable: false, error: 'ECONNRESET' }, 1000, 60_000);
    assert.equal(blind.status, 'degraded');
    assert.match(blind.reasons[0], /status store unreachable: ECONNRESET/);
    const old = honestVerdict('ok', { reachable: true }, 61_000, 60_000);
    assert.equal(old.status, 'degraded');
    assert.match(old.reasons[0], /newest result is 61 s old/);
    assert.equal(honestVerdict('failing', { reachable: false }, 1, 60_000).status, 'failing');
  });

  it('the view carries the newest result age and degrades when the store is unreachable', () => {
    const doc = toPathDocument('uami-client-id', [
      mergeCell(undefined, 'uami-client-id', 'blob', [result(0)]),
    ]);
    const v = buildStatusView({ 'uami-client-id': doc }, { reachable: false, error: 'x' }, T0 + 5000, 60_000);
    assert.equal(v.newestResultAgeMs, 5000);
    assert.equal(v.staleAfterMs, 60_000);
    assert.notEqual(v.status, 'ok');
  });

  it('stale after two schedule periods plus one probe deadline', () => {
    assert.equal(schedulePeriodMs('0 */5 * * * *'), 300_000);
    assert.equal(schedulePeriodMs('*/10 * * * * *'), 10_000);
    assert.equal(staleAfterMs('0 */5 * * * *', 10_000), 610_000);
    assert.equal(schedulePeriodMs('not a schedule'), undefined);
  });
});
