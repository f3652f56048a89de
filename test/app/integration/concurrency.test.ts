// Nothing lost under contention: 200 concurrent probe requests plus 25 timer runs, against one app process and then
// against two (two instances sharing the sandbox's storage). Every result is recorded (each instance's
// store.writes: none failed, none left pending), and /api/status shows, for every cell, exactly what the store
// holds. Before cell blobs and coalescing, 39 of 200 results were lost to "412 ConditionNotMet after 10 attempts".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PATH_IDS, TARGET_IDS } from '../../../src/ids.ts';
import type { CellDocument } from '../../../src/status/cells.ts';
import type { StatusView } from '../../../src/status/model.ts';
import { runChild } from '../helpers/child.ts';
import { runTimer, startAppHosts, timedGet, writesSettled, type AppHosts } from '../helpers/hosts.ts';
import { useSandbox, type SuiteSandbox } from '../helpers/sandbox.ts';

const REQUESTS = 200;
const TIMER_RUNS = 25;

async function storm(sb: SuiteSandbox, app: AppHosts) {
  const bases = app.hosts.map((h) => h.baseUrl);
  const cells = PATH_IDS.flatMap((p) => TARGET_IDS.map((t) => [p, t] as const));
  const requests = Array.from({ length: REQUESTS }, (_, i) => {
    const [p, t] = cells[i % cells.length];
    return timedGet(bases[i % bases.length], `/api/probes/${p}/${t}`);
  });
  const timers = Array.from({ length: TIMER_RUNS }, (_, i) =>
    runTimer(bases[i % bases.length], `timer-${PATH_IDS[i % PATH_IDS.length]}`),
  );
  const [answers, timerStatus] = await Promise.all([Promise.all(requests), Promise.all(timers)]);
  assert.deepEqual(new Set(timerStatus), new Set([202]));
  for (const a of answers) assert.equal(a.status, 200, a.text);
  // Each host's results: its HTTP answers (one result each) plus one per target per timer run it ran.
  const expected = bases.map(
    (_, h) =>
      answers.filter((_, i) => i % bases.length === h).length +
      TARGET_IDS.length * Array.from({ length: TIMER_RUNS }).filter((_, i) => i % bases.length === h).length,
  );
  const views = await Promise.all(bases.map((b, h) => writesSettled(b, expected[h])));
  const writes = views.map((v) => v.store.writes!);
  const recorded = writes.reduce((a, w) => a + w.recorded, 0);
  const failed = writes.reduce((a, w) => a + w.failed, 0);
  const stored = (
    await runChild(sb.connection.appSettings, [{ op: 'raw-status-blobs', paths: [...PATH_IDS] }])
  ).steps[0].value as Record<string, string | null>;
  const final = (await timedGet(bases[0], '/api/status')).body as StatusView;
  return { answers, recorded, failed, expected: expected.reduce((a, b) => a + b, 0), stored, final };
}

function assertStatusEqualsStore(
  final: StatusView,
  stored: Record<string, string | null>,
  answers: { body: unknown }[],
) {
  for (const p of PATH_IDS)
    for (const t of TARGET_IDS) {
      const raw = stored[`${p}/${t}`];
      assert.ok(raw, `${p}/${t} is stored`);
      const doc = JSON.parse(raw) as CellDocument;
      const cell = final.paths[p].targets[t]!;
      const { ageMs: _a, stale: _s, since, history, ...latest } = cell;
      assert.deepEqual(
        latest,
        { ...doc.record.latest, ...pick(cell, doc.record) },
        `${p}/${t}: status = store`,
      );
      assert.equal(since, doc.record.since);
      assert.deepEqual(history, doc.record.history);
      // The newest answer for the cell is the stored latest, or older than it (a timer's result may be newer).
      const mine = answers
        .map((a) => a.body as { path: string; target: string; at: string })
        .filter((b) => b.path === p && b.target === t);
      const newest = Math.max(...mine.map((b) => Date.parse(b.at)));
      assert.ok(Date.parse(doc.record.latest.at) >= newest, `${p}/${t}: the newest result is stored`);
    }
}

/** The record's streak fields the view spreads onto the cell (lastOkAt, timeToGreenMs), as the record has them. */
function pick(cell: object, record: object): object {
  const out: Record<string, unknown> = {};
  for (const k of ['lastOkAt', 'timeToGreenMs'])
    if (k in cell || k in record) out[k] = (record as Record<string, unknown>)[k];
  return out;
}

describe('no result lost under contention', { timeout: 400_000, concurrency: false }, () => {
  const sb = useSandbox();

  for (const instances of [1, 2])
    it(`${REQUESTS} concurrent probe requests + ${TIMER_RUNS} timer runs, ${instances} app process(es): 0 lost, status = store`, async () => {
      const app = await startAppHosts(sb.connection, instances, { STATUS_CACHE_MS: '0' });
      try {
        const r = await storm(sb, app);
        console.log(
          `[concurrency] ${instances} instance(s): ${REQUESTS} requests + ${TIMER_RUNS} timer runs -> ${r.expected} results, ${r.recorded} recorded, ${r.failed} failed, ${r.expected - r.recorded} lost`,
        );
        assert.equal(r.failed, 0);
        assert.equal(r.recorded, r.expected, 'every result recorded');
        assertStatusEqualsStore(r.final, r.stored, r.answers);
      } finally {
        await app.stop();
      }
    });
});
