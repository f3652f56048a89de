// Where the declaration comes from, against the sandbox's Blob gateway (its RBAC in front of Azurite) with the real
// BlobClient and managed identity: a blob read on each call with a conditional GET, a failed read that keeps the last
// good declaration and says why, a reader without the role refused, a hang bounded by the deadline, and a URL
// outside the trusted endpoints never sent a token. One child process, so the reads share its memory.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { childEnv, runMarkedChild } from '../../../support/child.ts';
import { defaultDeclaration } from '../../../common/declaration/default.ts';
import type { DeclarationInfo } from '../../../src/core/plan.ts';
import type { DeclarationRead } from '../../../src/declaration/source.ts';
import type { SourceStep } from '../fixtures/declaration-source-child.ts';
import { identity, useSandbox } from '../helpers/sandbox.ts';

const fixture = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'declaration-source-child.ts',
);

/** The fixture's result line (test/app/fixtures/declaration-source-child.ts). */
const SOURCE_MARKER = '@@SOURCE@@';

type Out = {
  op: string;
  ms?: number;
  read?: DeclarationRead;
  status?: number;
  body?: unknown;
  etag?: string;
};

const declaration = (version: string) =>
  JSON.stringify({
    schemaVersion: 1,
    name: 'team-orders',
    version,
    identities: {},
    resources: {},
    probes: [],
  });
const versionOf = (r: DeclarationRead | undefined) => (r?.raw as { version?: string } | undefined)?.version;
const nameOf = (r: DeclarationRead | undefined) => (r?.raw as { name?: string } | undefined)?.name;

describe('declaration source: a blob read on each timer run', { timeout: 180_000 }, () => {
  const sb = useSandbox();

  it('reads conditionally, keeps the last good one on failure, refuses untrusted hosts before any token', async (t) => {
    const s = sb.connection.appSettings;
    const url = `${s.STATUS_BLOB_SERVICE_URL!.replace(/\/+$/, '')}/${s.STATUS_CONTAINER_NAME}/declarations/team.json`;
    const blob = 'declarations/team.json';
    const read = (settings: Record<string, string | undefined> = {}, deadlineMs?: number): SourceStep => ({
      op: 'read',
      settings: { PROBES_DECLARATION_URL: url, ...settings },
      ...(deadlineMs !== undefined ? { deadlineMs } : {}),
    });
    const steps: SourceStep[] = [
      read(), // 0: no blob yet
      { op: 'upload', blob, body: declaration('1') }, // 1
      read(), // 2
      read(), // 3: unchanged
      { op: 'upload', blob, body: declaration('2') }, // 4
      read(), // 5
      read({ PROBES_DECLARATION_CLIENT_ID: identity(sb.connection, 'app').clientId }), // 6: no role
      { op: 'admin', method: 'POST', path: '/_sandbox/faults', body: { endpoint: 'blob', kind: 'hang' } }, // 7
      read({}, 1500), // 8: hang
      { op: 'admin', method: 'DELETE', path: '/_sandbox/faults' }, // 9
      { op: 'upload', blob, body: '{ "schemaVersion": 1, ' }, // 10
      read(), // 11: not JSON
      { op: 'delete', blob }, // 12
      read(), // 13: gone
      { op: 'admin', method: 'POST', path: '/_sandbox/counters/reset' }, // 14
      // 15: a reachable HTTPS server the app does not use for Blob (the sandbox's Resource Manager), read by an
      // identity with no token yet: had the token been asked for or sent, the counters would show it.
      read({
        PROBES_DECLARATION_URL: `${new URL(sb.connection.endpoints.arm).origin}/declarations/team.json`,
        PROBES_DECLARATION_CLIENT_ID: identity(sb.connection, 'host').clientId,
      }),
      read({ PROBES_DECLARATION_URL: `${url}?sv=2024-01-01&sig=abc` }), // 16
      { op: 'admin', method: 'GET', path: '/_sandbox/counters' }, // 17
      { op: 'upload', blob, body: declaration('3') }, // 18
      { op: 'admin', method: 'POST', path: '/_sandbox/counters/reset' }, // 19
      { op: 'reads', n: 5, settings: { PROBES_DECLARATION_URL: url } }, // 20
      { op: 'admin', method: 'GET', path: '/_sandbox/counters' }, // 21
    ];
    const run = await runMarkedChild<Out[]>(
      fixture,
      JSON.stringify(steps),
      childEnv(s, { SANDBOX_ADMIN: sb.connection.endpoints.admin }),
      SOURCE_MARKER,
      120_000,
    );
    const out = run.value;
    const r = (i: number) => out[i].read!;

    // 0: nothing to keep yet: the package's default runs, and the problem says why.
    assert.equal(r(0).source, 'package:declarations/default.json');
    assert.equal(nameOf(r(0)), 'canary-demo');
    assert.equal(r(0).problem?.field, 'PROBES_DECLARATION_URL');
    assert.match(
      r(0).problem!.message,
      /HTTP 404 BlobNotFound: no such blob; running package:declarations\/default\.json instead/,
    );

    // 2: read; 3: a 304 reuses the parse, same ETag.
    assert.equal(r(2).source, url);
    assert.equal(versionOf(r(2)), '1');
    assert.equal(r(2).problem, undefined);
    assert.equal(r(2).unchanged, undefined);
    assert.ok(r(2).etag);
    assert.equal(r(3).unchanged, true);
    assert.equal(r(3).etag, r(2).etag);
    assert.equal(versionOf(r(3)), '1');

    t.diagnostic(
      `read times: first (token + 200) ${out[2].ms} ms, 304 ${out[3].ms} ms, changed 200 ${out[5].ms} ms, hang at a 1500 ms deadline ${out[8].ms} ms`,
    );

    // 5: the new version, without a restart.
    assert.equal(versionOf(r(5)), '2');
    assert.notEqual(r(5).etag, r(2).etag);
    assert.equal(r(5).problem, undefined);

    // 6: an identity without Storage Blob Data Reader is refused, named, and told what to grant.
    assert.match(
      r(6).problem!.message,
      /HTTP 403 AuthorizationPermissionMismatch: the identity with client ID \S+ \(PROBES_DECLARATION_CLIENT_ID\) may not read it; give it Storage Blob Data Reader/,
    );

    // 8: the Blob service hangs: the read ends at its deadline and keeps version 2.
    assert.ok(out[8].ms! < 1500 + 2000, `took ${out[8].ms} ms`);
    assert.match(r(8).problem!.message, /no answer within 1500 ms; still running the copy read at/);
    assert.equal(versionOf(r(8)), '2');
    assert.equal(r(8).etag, r(5).etag);

    // 11: a bad upload loses nothing.
    assert.match(r(11).problem!.message, /not valid JSON/);
    assert.equal(versionOf(r(11)), '2');
    // 13: neither does a deleted blob.
    assert.match(r(13).problem!.message, /no such blob; still running the copy read at .* \(ETag /);
    assert.equal(versionOf(r(13)), '2');

    // 15, 16: no token for a host outside the trusted endpoints, nor for a URL carrying a SAS.
    assert.match(
      r(15).problem!.message,
      /is not a Storage blob endpoint of an Azure cloud .*no token is sent there/,
    );
    assert.equal(r(15).source, 'package:declarations/default.json');
    assert.match(r(16).problem!.message, /must not carry a query or fragment/);
    assert.doesNotMatch(JSON.stringify(out), /sig=abc/);
    const counters = out[17].body as {
      tokenRequests: { total: number };
      requestsByEndpoint: Record<string, number>;
    };
    assert.equal(counters.tokenRequests.total, 0, 'no token was asked for the untrusted URLs');
    assert.equal(counters.requestsByEndpoint.arm ?? 0, 0, 'nothing was sent to the untrusted host');
    assert.equal(counters.requestsByEndpoint.blob ?? 0, 0, 'nor to the Blob service');

    // 20: five timers at once share one read: one Blob request, one version.
    const together = (out[20] as { reads?: DeclarationRead[] }).reads!;
    assert.deepEqual(
      together.map((x) => versionOf(x)),
      ['3', '3', '3', '3', '3'],
    );
    const after = out[21].body as { requestsByEndpoint: Record<string, number> };
    assert.equal(after.requestsByEndpoint.blob, 1, 'one Blob request for five reads at once');
  });

  it('the app re-reads the blob on each timer run: a new version runs without a restart, a lost one keeps the last', async () => {
    const s = sb.connection.appSettings;
    const url = `${s.STATUS_BLOB_SERVICE_URL!.replace(/\/+$/, '')}/${s.STATUS_CONTAINER_NAME}/declarations/app.json`;
    const blob = 'declarations/app.json';
    const v1 = { ...defaultDeclaration(), name: 'team-orders', version: '1' };
    const v2 = { ...v1, version: '2', probes: v1.probes.filter((p) => p.resource !== 'arm') };
    const plan: SourceStep = { op: 'app-plan', settings: { PROBES_DECLARATION_URL: url } };
    const run = await runMarkedChild<
      Array<{
        op: string;
        declaration?: DeclarationInfo;
        probes?: string[];
        samePlan?: boolean;
        distinct?: number;
        body?: unknown;
      }>
    >(
      fixture,
      JSON.stringify([
        { op: 'upload', blob, body: JSON.stringify(v1) },
        plan, // 1
        { op: 'upload', blob, body: JSON.stringify(v2) },
        plan, // 3
        { op: 'delete', blob },
        plan, // 5
        { op: 'upload', blob, body: JSON.stringify({ ...v2, version: '3' }) },
        plan, // 7: version 3
        plan, // 8: a 304: the same plan object, nothing compiled
        { op: 'admin', method: 'POST', path: '/_sandbox/counters/reset' },
        { op: 'app-plans', n: 6, settings: { PROBES_DECLARATION_URL: url } }, // 10: six timers at once
        { op: 'admin', method: 'GET', path: '/_sandbox/counters' }, // 11
      ] satisfies SourceStep[]),
      childEnv(s, { SANDBOX_ADMIN: sb.connection.endpoints.admin }),
      SOURCE_MARKER,
      120_000,
    );
    const [first, second, third] = [1, 3, 5].map((i) => run.value[i]);
    assert.equal(first.declaration!.source, url);
    assert.equal(first.declaration!.version, '1');
    assert.equal(first.declaration!.complete, true, JSON.stringify(first.declaration!.problems));
    assert.equal(first.probes!.length, 18);
    assert.ok(first.declaration!.etag);

    assert.equal(second.declaration!.version, '2');
    assert.equal(second.probes!.length, 12, 'the arm probes are gone');
    assert.notEqual(second.declaration!.etag, first.declaration!.etag);

    assert.equal(third.declaration!.version, '2', 'the last good declaration still runs');
    assert.equal(third.probes!.length, 12);
    assert.equal(third.declaration!.complete, false, '/api/health: not fully configured');
    assert.equal(third.declaration!.problems[0].field, 'PROBES_DECLARATION_URL');
    assert.match(
      third.declaration!.problems[0].message,
      /HTTP 404 BlobNotFound: no such blob; still running/,
    );

    // An unchanged declaration keeps the plan in use; timers firing together share one reload and one request.
    assert.equal(run.value[7].declaration!.version, '3');
    assert.equal(run.value[7].samePlan, false);
    assert.equal(run.value[8].samePlan, true, 'a 304 compiles nothing');
    assert.equal(run.value[10].distinct, 1, 'six timers, one plan');
    const counters = run.value[11].body as { requestsByEndpoint: Record<string, number> };
    assert.equal(counters.requestsByEndpoint.blob, 1, 'six timers, one conditional GET');
  });
});
