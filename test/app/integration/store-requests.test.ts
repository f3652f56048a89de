// What one status read costs the status store, counted where the requests arrive (the sandbox's storage gateway
// counts every request per endpoint): one Blob request per identity, however many resources each has.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PATH_IDS, TARGET_IDS } from '../../../src/ids.ts';
import type { IdentityDocument } from '../../../src/status/document.ts';
import { runChild } from '../helpers/child.ts';
import { useSandbox, type SuiteSandbox } from '../helpers/sandbox.ts';

interface Counted {
  requestsByEndpoint: Record<string, number>;
}

/** The Blob requests the steps between a counter reset and a counter read sent (the child's own reads only). */
const blobRequests = (value: { body: string }) =>
  (JSON.parse(value.body) as Counted).requestsByEndpoint.blob ?? 0;

function counted(sb: SuiteSandbox, steps: Parameters<typeof runChild>[1]): Parameters<typeof runChild>[1] {
  return [sb.adminStep('/_sandbox/counters/reset', 'POST'), ...steps, sb.adminStep('/_sandbox/counters')];
}

describe('status store requests per status read', { timeout: 300_000 }, () => {
  const sb = useSandbox();

  it(`the default declaration (${PATH_IDS.length} identities x ${TARGET_IDS.length} resources): one request per identity`, async () => {
    const cells = PATH_IDS.length * TARGET_IDS.length;
    const run = await runChild(
      sb.connection.appSettings,
      [
        ...PATH_IDS.map((path) => ({ op: 'timer' as const, path })),
        // Warm: the store's token and connection, so that only the read itself is counted.
        { op: 'status' },
        ...counted(sb, [{ op: 'status' }]),
        { op: 'raw-status-blobs', paths: [...PATH_IDS] },
      ],
      { STATUS_CACHE_MS: '0' },
    );
    const [, view, counters, raw] = run.steps.slice(PATH_IDS.length + 1).map((s) => s.value);
    assert.deepEqual(view.counts, { ok: cells, failing: 0, unknown: 0, total: cells });
    const requests = blobRequests(counters);
    const sizes = PATH_IDS.map((p) => Buffer.byteLength(raw[p]));
    console.log(
      `[store-requests] ${PATH_IDS.length} identities x ${TARGET_IDS.length} resources = ${cells} cells: ${requests} Blob requests per status read; identity documents of ${Math.min(...sizes)} to ${Math.max(...sizes)} bytes after one timer run`,
    );
    assert.equal(requests, PATH_IDS.length);
  });

  it('a declaration of 25 identities x 20 resources (500 cells): 25 requests per status read', async () => {
    const identities = Array.from({ length: 25 }, (_, i) => `team-${String(i).padStart(2, '0')}`);
    const resources = Array.from({ length: 20 }, (_, i) => `resource-${String(i).padStart(2, '0')}`);
    const layout = Object.fromEntries(identities.map((id) => [id, resources]));
    const run = await runChild(sb.connection.appSettings, [
      { op: 'store-fill', identities, resources },
      { op: 'store-read', layout },
      ...counted(sb, [{ op: 'store-read', layout }]),
      // Recording a result for every cell, as a timer run of each identity does: one write per identity.
      ...counted(sb, [{ op: 'store-fill', identities, resources }]),
      { op: 'raw-status-blobs', paths: [identities[0]] },
    ]);
    const [, warm, , read, counters, , , writeCounters, raw] = run.steps.map((s) => s.value);
    for (const id of identities) {
      assert.deepEqual(warm[id], [...resources].sort(), `${id}: every cell comes back`);
      assert.deepEqual(read[id], warm[id]);
    }
    const requests = blobRequests(counters);
    const writes = blobRequests(writeCounters);
    console.log(
      `[store-requests] ${identities.length} identities x ${resources.length} resources = ${identities.length * resources.length} cells: ${requests} Blob requests per status read; ${writes} to record a result for every cell (one write per identity); ${Buffer.byteLength(raw[identities[0]])} bytes per identity document`,
    );
    // A write is a read and a conditional upload; nothing else writes to this sandbox's store meanwhile.
    assert.equal(writes, 2 * identities.length);
    assert.equal(requests, identities.length);
  });
});

describe('status store: the previous layout (a blob per cell)', { timeout: 300_000 }, () => {
  // A sandbox of its own: no identity has a document of the new layout yet, as after a redeploy.
  const sb = useSandbox();

  it('an identity stored in the previous layout: read from its cell blobs, folded into its first write, nothing lost', async () => {
    const path = 'uami-client-id';
    const startAt = Date.now() - 3_600_000;
    const check = {
      latest: { identity: 'app', path, outcome: 'ok', at: new Date(startAt).toISOString(), armRequests: 3 },
      since: new Date(startAt).toISOString(),
      history: [{ at: new Date(startAt).toISOString(), outcome: 'ok', armRequests: 3 }],
    };
    const layout = { [path]: [...TARGET_IDS] };
    const run = await runChild(
      sb.connection.appSettings,
      [
        { op: 'legacy-write', path, targets: [...TARGET_IDS], results: 4, startAt, privileges: check },
        ...counted(sb, [{ op: 'store-read', layout: { 'never-written': ['arm'] } }]),
        ...counted(sb, [{ op: 'store-read', layout }]),
        // The identity's first write in the new layout: one probe of one cell.
        { op: 'http', fn: 'probe', path, params: { target: 'arm' } },
        { op: 'raw-status-blobs', paths: [path] },
        ...counted(sb, [{ op: 'store-read', layout }]),
        ...counted(sb, [{ op: 'store-read', layout: { 'never-written': ['arm'] } }]),
      ],
      { STATUS_CACHE_MS: '0' },
    );
    const v = run.steps.map((s) => s.value);
    const [firstNoneCount, legacyRead, legacyCount, probe, raw] = [v[3], v[5], v[6], v[7], v[8]];
    const [newRead, newCount, noneCount] = [v[10], v[11], v[14]];
    // An identity with neither a document nor old blobs: the missing document, the empty listing, the missing
    // privileges blob; then it is remembered.
    assert.equal(blobRequests(firstNoneCount), 3);
    assert.deepEqual(legacyRead[path], [...TARGET_IDS].sort(), 'the previous layout is read');
    // One listing of the identity's cell blobs, one read of each, its privileges blob: only until its first write.
    assert.equal(blobRequests(legacyCount), 2 + 1 + TARGET_IDS.length);
    assert.equal(probe.body.statusStore.recorded, true, JSON.stringify(probe.body.statusStore));
    const doc = JSON.parse(raw[path]) as IdentityDocument;
    assert.deepEqual(doc.folded && [doc.folded.cells, doc.folded.privileges], [TARGET_IDS.length, true]);
    for (const t of TARGET_IDS) {
      const record = doc.targets[t];
      const kept = record.history.filter((h) => h.id?.startsWith('legacy-'));
      assert.equal(kept.length, 4, `${t}: the previous history is kept`);
      assert.equal(record.history.length, t === 'arm' ? 5 : 4);
    }
    assert.equal(doc.targets.arm.latest.at, probe.body.at, 'the new result is the latest');
    assert.equal(
      doc.targets.arm.timeToGreenMs,
      60_000,
      'the streak and time to green go on from the stored ones',
    );
    assert.deepEqual(doc.privileges, check);
    assert.deepEqual(newRead[path], [...TARGET_IDS].sort());
    assert.equal(blobRequests(newCount), 1, 'then one request');
    assert.equal(blobRequests(noneCount), 1, 'an identity found with no old blobs is not listed again');
  });
});
