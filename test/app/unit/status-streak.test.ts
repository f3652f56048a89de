// The one streak rule (src/status/streak.ts) that cells, privileges checks and telemetry transitions share, and the
// one cell merge (model.ts mergeRecord) behind both a path's document and the store's per-cell documents.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProbeResult } from '../../../src/core/results.ts';
import { mergePrivilegesInto, mergeResultsInto, toPathDocument } from '../../../src/status/document.ts';
import { mergeResults } from '../../../src/status/model.ts';
import { mergePrivileges } from '../../../src/status/privileges.ts';
import type { PrivilegesResult } from '../../../src/privileges/types.ts';
import { appendHistory, HISTORY_LIMIT, nextStreak } from '../../../src/status/streak.ts';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

describe('streaks', () => {
  it('start, hold, break and recover, with time to green', () => {
    const first = nextStreak(undefined, 'forbidden', at(0));
    assert.deepEqual(first, { since: at(0) });
    const held = nextStreak({ ...first, outcome: 'forbidden' }, 'forbidden', at(60));
    assert.deepEqual(held, { since: at(0) });
    const green = nextStreak({ ...held, outcome: 'forbidden' }, 'ok', at(180));
    assert.deepEqual(green, {
      since: at(180),
      lastOkAt: at(180),
      timeToGreenMs: 180_000,
      previous: 'forbidden',
    });
    const broken = nextStreak({ ...green, outcome: 'ok' }, 'timeout', at(240));
    assert.deepEqual(broken, { since: at(240), lastOkAt: at(180), timeToGreenMs: 180_000, previous: 'ok' });
  });

  it('histories keep the newest entries, up to the limit', () => {
    let h: { at: string }[] = [];
    for (let i = 0; i < HISTORY_LIMIT + 3; i++) h = appendHistory(h, { at: at(i) });
    assert.equal(h.length, HISTORY_LIMIT);
    assert.equal(h[0].at, at(3));
    assert.equal(h.at(-1)!.at, at(HISTORY_LIMIT + 2));
  });
});

describe('one cell merge', () => {
  it('an identity document and a path document fold the same results into the same record', () => {
    const results: ProbeResult[] = [0, 2, 1, 3].map((s, i) => ({
      path: 'uami-client-id',
      target: 'arm',
      outcome: i % 2 ? 'ok' : 'forbidden',
      at: at(s * 60),
      timings: { tokenMs: 0, callMs: s, totalMs: s },
      ...(s === 3 ? { federatedToken: { source: 'file' as const, location: '/t' } } : {}),
    }));
    const stored = mergeResultsInto(undefined, 'uami-client-id', results);
    const doc = mergeResults(undefined, 'uami-client-id', results);
    assert.deepEqual(stored.targets.arm, doc.targets.arm);
    assert.deepEqual(stored.federatedToken, doc.federatedToken);
    assert.equal(stored.targets.arm.latest.at, at(180));
    assert.equal(
      stored.targets.arm.since,
      at(120),
      'folded in time order: forbidden at 0 and 1 min, ok from 2 min',
    );
  });
});

describe('path documents', () => {
  it('hold the cells and the privileges check; a check alone makes a document without cells', () => {
    const check = {
      identity: 'app',
      path: 'uami-client-id',
      outcome: 'ok',
      at: at(30),
      totalMs: 5,
      scopes: [],
      findings: [],
      armRequests: 3,
    } as PrivilegesResult;
    const alone = mergePrivilegesInto(undefined, 'uami-client-id', check, new Date(at(31)));
    const privileges = mergePrivileges(undefined, check);
    assert.deepEqual(toPathDocument(alone), {
      schema: 1,
      path: 'uami-client-id',
      updatedAt: at(31),
      targets: {},
      privileges,
    });
    const stored = mergeResultsInto(alone, 'uami-client-id', [
      {
        path: 'uami-client-id',
        target: 'arm',
        outcome: 'ok',
        at: at(60),
        timings: { tokenMs: 0, callMs: 1, totalMs: 1 },
      },
    ]);
    const doc = toPathDocument(stored);
    assert.equal(doc.updatedAt, stored.updatedAt);
    assert.deepEqual(doc.targets.arm, stored.targets.arm);
    assert.deepEqual(doc.privileges, privileges);
  });
});
