// Availability results in Application Insights (docs/usage.md "Availability results in Application Insights"), against the
// sandbox's ingestion endpoint through the real applicationinsights library and a managed identity token: one
// result per cell with the attested oid and the outcome, an event per transition, probes unaffected when the sending
// identity loses its role (and /api/status says so), and nothing secret in anything the endpoint received.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PATH_IDS, TARGET_IDS, type PathId } from '../../../src/ids.ts';
import type { Step } from '../fixtures/probe-child.ts';
import { runChild } from '../helpers/child.ts';
import { admin, expectedPrincipal, identity, issued, useSandbox } from '../helpers/sandbox.ts';

interface Item {
  name: string;
  baseType: string;
  principalId: string;
  baseData: {
    name: string;
    success?: boolean;
    runLocation?: string;
    message?: string;
    properties: Record<string, string>;
  };
}

describe('telemetry to Application Insights', { timeout: 600_000 }, () => {
  const sb = useSandbox();
  const { adminStep } = sb;
  const items = async (kind: 'availability' | 'event') =>
    (await admin<{ items: Item[] }>(sb.connection, 'GET', `/_sandbox/telemetry?kind=${kind}`)).items;
  const sweep: Step[] = PATH_IDS.map((path) => ({ op: 'http', fn: 'probe', path }));

  it('a sweep sends one availability result per cell with the attested oid and the outcome', async () => {
    await admin(sb.connection, 'DELETE', '/_sandbox/telemetry');
    const run = await runChild(sb.connection.appSettings, [
      ...sweep,
      { op: 'telemetry-drain' },
      { op: 'telemetry-remote-config' },
    ]);
    // The exporter's remote configuration poller (Microsoft's OneSettings service) is stopped: nothing but the
    // ingestion endpoint is contacted.
    assert.deepEqual(run.steps.at(-1)!.value, { found: true, polling: false });
    const got = await items('availability');
    assert.equal(got.length, PATH_IDS.length * TARGET_IDS.length);
    const host = identity(sb.connection, 'host');
    for (const path of PATH_IDS)
      for (const target of TARGET_IDS) {
        const cell = got.filter((i) => i.baseData.name === `${path}/${target}`);
        assert.equal(cell.length, 1, `${path}/${target}`);
        const { baseData, principalId } = cell[0];
        assert.equal(principalId, host.principalId, 'sent with the host identity');
        assert.equal(baseData.success, true);
        assert.equal(baseData.runLocation, 'westeurope');
        assert.equal(baseData.properties.outcome, 'ok');
        assert.equal(baseData.properties.attestedOid, expectedPrincipal(sb.connection, path));
        assert.ok(baseData.properties.since);
      }
    assert.equal((await items('event')).length, 0, 'no transition on a first result');
  });

  it('a fresh instance answers before loading the library; results queued meanwhile are all sent', async () => {
    await admin(sb.connection, 'DELETE', '/_sandbox/telemetry');
    const run = await runChild(sb.connection.appSettings, [
      { op: 'telemetry-defer' }, // app start (functions/warmup.ts)
      ...sweep,
      { op: 'telemetry-loaded' },
      { op: 'telemetry-start' }, // after the first answer
      { op: 'telemetry-loaded' },
      { op: 'telemetry-drain' },
    ]);
    const [loadedBefore, , loadedAfter] = run.steps.slice(1 + sweep.length).map((s) => s.value);
    assert.equal(loadedBefore, false, 'the sweep did not load applicationinsights');
    assert.equal(loadedAfter, true);
    const got = await items('availability');
    assert.deepEqual(
      got.map((i) => i.baseData.name).sort(),
      PATH_IDS.flatMap((p) => TARGET_IDS.map((t) => `${p}/${t}`)).sort(),
      'one result per cell, none lost while the sender was not built',
    );
  });

  it('sends an event per transition: ok -> failing, and failing -> ok with the time to green', async () => {
    await admin(sb.connection, 'DELETE', '/_sandbox/telemetry');
    const path: PathId = 'federated';
    await runChild(sb.connection.appSettings, [
      { op: 'http', fn: 'probe', path }, // the app's own clients hold a token: the failure then says when it hits
      { op: 'timer', path },
      adminStep('/_sandbox/scenario', 'POST', { name: 'fic-subject-mismatch' }),
      { op: 'timer', path },
      adminStep('/_sandbox/scenario', 'POST', { name: 'healthy' }),
      { op: 'timer', path },
      { op: 'telemetry-drain' },
    ]);
    const events = (await items('event')).filter((e) => e.baseData.properties.path === path);
    const byTarget = (t: string) => events.filter((e) => e.baseData.properties.target === t);
    for (const t of TARGET_IDS) {
      const [down, up] = byTarget(t);
      assert.equal(byTarget(t).length, 2, `${t}: ${JSON.stringify(byTarget(t))}`);
      assert.equal(down.baseData.name, 'ProbeCellTransition');
      assert.deepEqual(
        [down.baseData.properties.from, down.baseData.properties.to],
        ['ok', 'federation-rejected'],
      );
      assert.equal(down.baseData.properties.direction, 'failing');
      assert.deepEqual(
        [up.baseData.properties.from, up.baseData.properties.to],
        ['federation-rejected', 'ok'],
      );
      assert.ok(Number(up.baseData.properties.timeToGreenMs) > 0);
    }
    const failed = (await items('availability')).filter(
      (i) =>
        i.baseData.properties.path === path && i.baseData.properties.target && i.baseData.success === false,
    );
    assert.equal(failed.length, TARGET_IDS.length);
    for (const f of failed) {
      assert.match(f.baseData.message ?? '', /^federation-rejected: .*fails at/);
      assert.ok(f.baseData.properties.failsAt);
      assert.equal(f.baseData.properties.tokenAcquisition, 'fresh');
    }
  });

  it("each identity's privileges check is an availability result too, with an event when it turns", async () => {
    await admin(sb.connection, 'DELETE', '/_sandbox/telemetry');
    const check: Step = { op: 'http', fn: 'privileges', params: { rest: 'uami-client-id' } };
    await runChild(sb.connection.appSettings, [
      check,
      adminStep('/_sandbox/scenario', 'POST', { name: 'app-contributor-on-rg' }),
      check,
      adminStep('/_sandbox/scenario', 'POST', { name: 'healthy' }),
      { op: 'telemetry-drain' },
    ]);
    const got = (await items('availability')).filter((i) => i.baseData.name === 'privileges/app');
    assert.deepEqual(
      got.map((i) => [i.baseData.success, i.baseData.properties.outcome]),
      [
        [true, 'ok'],
        [false, 'over-privileged'],
      ],
    );
    assert.equal(got[1].baseData.properties.attestedOid, identity(sb.connection, 'app').principalId);
    assert.ok(Number(got[1].baseData.properties.extraActions) > 0);
    assert.match(got[1].baseData.properties.remediationCommand ?? '', /^az role assignment /);
    const turned = (await items('event')).filter((e) => e.baseData.properties.test === 'privileges/app');
    assert.equal(turned.length, 1);
    assert.deepEqual(
      [
        turned[0].baseData.properties.from,
        turned[0].baseData.properties.to,
        turned[0].baseData.properties.direction,
      ],
      ['ok', 'over-privileged', 'failing'],
    );
  });

  it("without the sending identity's role, probes still answer and /api/status shows telemetry failing", async () => {
    const host = identity(sb.connection, 'host');
    const { roleAssignments } = await admin<{ roleAssignments: Array<{ id: string; roleName: string }> }>(
      sb.connection,
      'GET',
      `/_sandbox/role-assignments?principalId=${host.principalId}`,
    );
    const mmp = roleAssignments.find((r) => r.roleName === 'Monitoring Metrics Publisher')!;
    const run = await runChild(sb.connection.appSettings, [
      adminStep(`/_sandbox/role-assignments/${mmp.id}?propagationDelaySeconds=0`, 'DELETE'),
      { op: 'http', fn: 'probe', path: 'system-assigned' },
      { op: 'timer', path: 'uami-client-id' },
      { op: 'telemetry-drain' },
      { op: 'http', fn: 'status' },
      adminStep('/_sandbox/scenario', 'POST', { name: 'healthy' }),
    ]);
    const probe = run.steps[1].value as { status: number; body: { ok: boolean } };
    assert.equal(probe.status, 200);
    assert.equal(probe.body.ok, true, 'the probe itself is unaffected');
    const status = run.steps[4].value as {
      body: {
        status: string;
        telemetry: { state: string; lastFailure?: { status?: number; message: string } };
      };
    };
    assert.equal(status.body.telemetry.state, 'failing');
    assert.equal(status.body.telemetry.lastFailure?.status, 403);
    assert.match(status.body.telemetry.lastFailure?.message ?? '', /insufficient access/);
    assert.equal(status.body.status, 'ok', 'the verdict is about the probes, not about telemetry');
  });

  it('the leak scan covers telemetry: no token, assertion or secret in anything the endpoint received', async () => {
    const { bodies } = await admin<{ bodies: string[] }>(sb.connection, 'GET', '/_sandbox/telemetry/bodies');
    assert.ok(bodies.length >= 3, 'the earlier tests sent telemetry');
    const all = bodies.join('\n');
    const { tokens, assertions, secrets } = await issued(sb.connection);
    assert.ok(tokens.length > 0 && secrets.length > 0);
    for (const t of tokens) assert.ok(!all.includes(t), 'an access token reached telemetry');
    for (const t of tokens) assert.ok(!all.includes(t.split('.')[1]), 'a token payload reached telemetry');
    for (const a of assertions) assert.ok(!all.includes(a), 'a federated assertion reached telemetry');
    for (const s of secrets) assert.ok(!all.includes(s), 'a secret reached telemetry');
    assert.doesNotMatch(all, /eyJ[\w-]{10,}\.eyJ[\w-]{10,}/, 'nothing JWT-shaped');
  });
});
