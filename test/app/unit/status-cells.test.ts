// The identity documents of the status store (all of an identity's cells in one), the coalescing writer, the honest verdict and the schedule's staleness bound
// (pure logic: no store).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProbeResult } from '../../../src/core/results.ts';
import {
  foldLegacy,
  mergePrivilegesInto,
  mergeResultsInto,
  toPathDocument,
  type IdentityDocument,
  type LegacyCellDocument,
} from '../../../src/status/document.ts';
import { mergeRecord } from '../../../src/status/model.ts';
import type { PrivilegesResult } from '../../../src/privileges/types.ts';
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

const cell = (doc: IdentityDocument | undefined) => doc!.targets.blob;

describe('identity documents', () => {
  it('fold results in any order into the same document, each cell bounded', () => {
    const results = Array.from({ length: 30 }, (_, i) => result(i, i % 3 ? 'ok' : 'forbidden'));
    const fold = (rs: ProbeResult[]) =>
      rs.reduce(
        (doc, r) => mergeResultsInto(doc, 'uami-client-id', [r]),
        undefined as IdentityDocument | undefined,
      );
    const inOrder = fold(results);
    const shuffled = [...results].sort(
      (a, b) => ((a.timings.totalMs * 7919) % 31) - ((b.timings.totalMs * 7919) % 31),
    );
    const outOfOrder = fold(shuffled);
    assert.equal(cell(outOfOrder).latest.at, results[29].at, 'an older result never replaces a newer one');
    assert.deepEqual(cell(outOfOrder).history, cell(inOrder).history);
    assert.equal(cell(inOrder).history.length, HISTORY_LIMIT);
    assert.equal(cell(mergeResultsInto(undefined, 'uami-client-id', results)).latest.at, results[29].at);
  });

  it('one write holds every cell of the identity; results of other identities are ignored', () => {
    const mine = (['blob', 'arm', 'keyvault'] as const).map((target, i) => ({ ...result(i), target }));
    const other = { ...result(5), path: 'federated' as const };
    assert.throws(() => mergeResultsInto(undefined, 'uami-client-id', [other]), /no result/);
    const doc = mergeResultsInto(undefined, 'uami-client-id', [...mine, other]);
    assert.deepEqual(Object.keys(doc.targets).sort(), ['arm', 'blob', 'keyvault']);
    assert.deepEqual(
      Object.keys(toPathDocument(doc, ['arm', 'blob', 'queue']).targets).sort(),
      ['arm', 'blob'],
      'the view gets the declared resources only',
    );
    // A privileges check keeps the cells, and cells keep the check.
    const check = {
      path: 'uami-client-id',
      outcome: 'ok',
      at: result(9).at,
      armRequests: 2,
    } as PrivilegesResult;
    const both = mergeResultsInto(mergePrivilegesInto(doc, 'uami-client-id', check), 'uami-client-id', [
      result(10),
    ]);
    assert.equal(both.privileges?.latest, check);
    assert.equal(both.targets.blob.latest.at, result(10).at);
    assert.equal(both.targets.arm, doc.targets.arm);
  });

  it("the federated token state is the newest result's, whichever cell and whatever the write order", () => {
    const withToken = (i: number, target: 'blob' | 'arm') => ({
      ...result(i),
      target,
      federatedToken: { source: 'file' as const, location: `/t${i}` },
    });
    const a = mergeResultsInto(undefined, 'uami-client-id', [withToken(2, 'arm')]);
    const b = mergeResultsInto(a, 'uami-client-id', [withToken(1, 'blob')]); // older, landed later
    assert.equal(b.federatedToken?.location, '/t2');
    assert.equal(
      mergeResultsInto(b, 'uami-client-id', [withToken(3, 'blob')]).federatedToken?.location,
      '/t3',
    );
  });

  it("folds the previous layout's documents (a blob per cell, the privileges blob) with their histories", () => {
    const legacy = (target: 'blob' | 'arm', n: number): LegacyCellDocument => {
      let record;
      for (let i = 0; i < n; i++)
        record = mergeRecord(record, { ...result(i, i ? 'ok' : 'forbidden'), target });
      return { schema: 2, path: 'uami-client-id', target, updatedAt: result(n - 1).at, record: record! };
    };
    const check = {
      path: 'uami-client-id',
      outcome: 'ok',
      at: result(3).at,
      armRequests: 1,
    } as PrivilegesResult;
    const privileges = mergePrivilegesInto(undefined, 'uami-client-id', check).privileges!;
    assert.equal(foldLegacy('uami-client-id', [undefined], undefined), undefined, 'nothing to fold');
    const folded = foldLegacy(
      'uami-client-id',
      [legacy('blob', 4), legacy('arm', 2), { ...legacy('arm', 1), path: 'federated' }],
      privileges,
    )!;
    assert.deepEqual(folded.targets.blob, legacy('blob', 4).record, 'history and streak kept as they were');
    assert.deepEqual(folded.targets.arm, legacy('arm', 2).record);
    assert.equal(folded.privileges, privileges);
    assert.deepEqual([folded.folded?.cells, folded.folded?.privileges], [2, true]);
    // The next result joins the folded history.
    const next = mergeResultsInto(folded, 'uami-client-id', [result(4)]);
    assert.equal(next.targets.blob.history.length, 5);
    assert.equal(next.targets.blob.timeToGreenMs, 1000, 'the streak goes on from the folded record');
  });
});

describe('coalescing writer', () => {
  it('one write per identity in flight; results arriving meanwhile join the next write; nothing lost', async () => {
    const writes: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const w = new CoalescingWriter(async (p, batch) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setImmediate(r)); // a write takes a turn: results arriving meanwhile queue
      writes.push(batch.length);
      inFlight--;
      return mergeResultsInto(undefined, p, batch);
    }, String);
    const docs = await Promise.all(Array.from({ length: 50 }, (_, i) => w.record([result(i)])));
    // Each result resolves with the document of the write that contained it (its latest is that result or newer).
    for (const [i, [doc]] of docs.entries())
      assert.ok(cell(doc).latest.at >= result(i).at, `result ${i} resolved with its write's document`);
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

  it("results given together (a timer run's cells) go in one write", async () => {
    const writes: string[][] = [];
    const w = new CoalescingWriter(async (p, batch) => {
      writes.push(batch.map((r) => r.target));
      return mergeResultsInto(undefined, p, batch);
    }, String);
    const run = (['keyvault', 'blob', 'arm'] as const).map((target) => ({ ...result(1), target }));
    const [a, b, c] = await w.record(run);
    assert.deepEqual(writes, [['keyvault', 'blob', 'arm']]);
    assert.ok(a === b && b === c, 'one document for the three');
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
    const doc = toPathDocument(mergeResultsInto(undefined, 'uami-client-id', [result(0)]));
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
