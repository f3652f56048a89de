// Fresh acquisition on every timer run (docs/usage.md "Fresh tokens on every timer run"): for each kind of break the
// timer run right after it shows the failing cell, its remediation and when the still-valid cached token expires,
// while an HTTP probe on the cached token still works; and what it costs in token requests.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PATH_IDS, TARGET_IDS, type PathId } from '../../../src/ids.ts';
import type { ProbeResult } from '../../../src/core/results.ts';
import type { Step } from '../fixtures/probe-child.ts';
import { runChild } from '../helpers/child.ts';
import { admin, identity, useSandbox } from '../helpers/sandbox.ts';

interface Counters {
  tokenRequests: { total: number; byIdentityAudience: Record<string, number> };
}

describe('fresh tokens on every timer run', { timeout: 600_000 }, () => {
  const sb = useSandbox();
  const { adminStep } = sb;
  const scenario = (name: string) => adminStep('/_sandbox/scenario', 'POST', { name });
  const timerResults = (value: unknown) => value as { logs: Array<{ message: string }> };
  type HttpValue = { status: number; body: { results?: ProbeResult[] } & Record<string, unknown> };

  /** Warm the HTTP probe's cached clients, break, run the timer, probe over HTTP again, read the status. */
  async function breakAndRun(path: PathId, breakSteps: Step[]) {
    const run = await runChild(sb.connection.appSettings, [
      { op: 'http', fn: 'probe', path },
      ...breakSteps,
      { op: 'timer', path },
      { op: 'http', fn: 'probe', path },
      { op: 'status' },
      scenario('healthy'),
    ]);
    const n = breakSteps.length;
    const before = (run.steps[0].value as HttpValue).body.results!;
    const cachedAfter = (run.steps[n + 2].value as HttpValue).body.results!;
    const status = run.steps[n + 3].value as {
      paths: Record<PathId, { targets: Record<string, ProbeResult> }>;
    };
    assert.ok(timerResults(run.steps[n + 1].value).logs.length > 0);
    for (const r of before) assert.equal(r.outcome, 'ok', `${r.target} before the break`);
    return { cachedAfter, cells: status.paths[path].targets, stdout: run.stdout + run.stderr };
  }

  function assertFreshFailure(cell: ProbeResult, kind: string) {
    assert.equal(cell.outcome, kind, JSON.stringify(cell.detail));
    assert.equal(cell.acquisition?.mode, 'fresh');
    assert.equal(cell.detail?.phase, 'token');
    assert.ok(cell.acquisition?.failsAt, 'the cached token still works, so the cell says when it stops');
    assert.ok(Date.parse(cell.acquisition.failsAt) > Date.now(), 'fails in the future');
    assert.match(cell.remediation?.summary ?? '', /fails at \d\d:\d\d UTC/);
  }

  it('federated credential subject changed: federation-rejected at the first timer run', async () => {
    const { cachedAfter, cells } = await breakAndRun('federated', [scenario('fic-subject-mismatch')]);
    for (const t of ['keyvault', 'blob', 'arm']) assertFreshFailure(cells[t], 'federation-rejected');
    assert.match(cells.keyvault.remediation!.command ?? '', /az identity federated-credential create/);
    for (const r of cachedAfter) {
      assert.equal(r.outcome, 'ok', 'the app itself still works on its cached token');
      assert.equal(r.acquisition?.mode, 'cached');
      assert.ok(r.acquisition?.acquiredAt, 'an HTTP probe says when its token was acquired');
    }
  });

  it('identity detached: identity-not-found at the first timer run, for every selector', async () => {
    for (const path of ['uami-client-id', 'default-chain'] as const) {
      const { cachedAfter, cells } = await breakAndRun(path, [scenario('uami-not-attached')]);
      for (const t of ['keyvault', 'blob', 'arm']) assertFreshFailure(cells[t], 'identity-not-found');
      assert.ok(cachedAfter.every((r) => r.outcome === 'ok' && r.acquisition?.mode === 'cached'));
    }
  });

  it("a failed fresh acquisition puts the old token back into msal-node's shared cache", async () => {
    // uami-client-id and default-chain share one msal-node cache entry (client_id selector). The timer run of the
    // first takes it out, fails, and must put it back: the second path's first probe, with a new SDK client and so
    // no token of its own, is then answered from the shared cache, as it would have been without the timer run.
    const run = await runChild(sb.connection.appSettings, [
      { op: 'http', fn: 'probe', path: 'uami-client-id' },
      scenario('uami-not-attached'),
      adminStep('/_sandbox/counters/reset', 'POST'),
      { op: 'timer', path: 'uami-client-id' },
      { op: 'http', fn: 'probe', path: 'default-chain' },
      adminStep('/_sandbox/counters'),
      scenario('healthy'),
    ]);
    const chain = (run.steps[4].value as HttpValue).body.results!;
    for (const r of chain) assert.equal(r.outcome, 'ok', `${r.target}: ${JSON.stringify(r.detail)}`);
    const counters = JSON.parse((run.steps[5].value as { body: string }).body) as Counters & {
      requestsByEndpoint: Record<string, number>;
    };
    assert.equal(counters.tokenRequests.total, 0, 'no token was issued: the detached identity has none');
    assert.ok(
      (counters.requestsByEndpoint.appService ?? 0) >= 3,
      'the timer run did ask the identity endpoint',
    );
  });

  it('role removed: forbidden at the first timer run after the propagation delay', async () => {
    const app = identity(sb.connection, 'app');
    const { roleAssignments } = await admin<{
      roleAssignments: Array<{ id: string; roleName: string; scope: string }>;
    }>(sb.connection, 'GET', `/_sandbox/role-assignments?principalId=${app.principalId}`);
    const kv = roleAssignments.find((r) => r.roleName === 'Key Vault Secrets User')!;
    const run = await runChild(sb.connection.appSettings, [
      { op: 'http', fn: 'probe', path: 'uami-object-id' },
      // Azure's real delay (up to 10 minutes), passed on the sandbox's clock instead of waited for.
      adminStep(`/_sandbox/role-assignments/${kv.id}?propagationDelaySeconds=600`, 'DELETE'),
      { op: 'timer', path: 'uami-object-id' },
      { op: 'status' },
      adminStep('/_sandbox/clock', 'POST', { advanceSeconds: 601 }),
      { op: 'timer', path: 'uami-object-id' },
      { op: 'status' },
      scenario('healthy'),
    ]);
    type View = { paths: Record<PathId, { targets: Record<string, ProbeResult> }> };
    const during = (run.steps[3].value as View).paths['uami-object-id'].targets;
    const afterDelay = (run.steps[6].value as View).paths['uami-object-id'].targets;
    assert.equal(during.keyvault.outcome, 'ok', 'still effective during the propagation delay');
    assert.equal(afterDelay.keyvault.outcome, 'forbidden');
    assert.match(
      afterDelay.keyvault.remediation?.command ?? '',
      /az role assignment create .*Key Vault Secrets User/,
    );
    assert.equal(afterDelay.blob.outcome, 'ok');
  });

  it('costs one token request per selector and audience per timer run, none per HTTP sweep in steady state', async () => {
    const paths: readonly PathId[] = PATH_IDS;
    const timers = paths.map((path): Step => ({ op: 'timer', path }));
    const sweep = paths.map((path): Step => ({ op: 'http', fn: 'probe', path }));
    const run = await runChild(sb.connection.appSettings, [
      ...timers,
      ...sweep,
      adminStep('/_sandbox/counters/reset', 'POST'),
      ...timers,
      adminStep('/_sandbox/counters'),
      adminStep('/_sandbox/counters/reset', 'POST'),
      ...sweep,
      adminStep('/_sandbox/counters'),
    ]);
    const counters = (i: number) => JSON.parse((run.steps[i].value as { body: string }).body) as Counters;
    const perTimerRun = counters(paths.length * 3 + 1).tokenRequests;
    const perSweep = counters(paths.length * 4 + 3).tokenRequests;
    // One fresh token per path x target (each target's client asks for its own audience); the telemetry identity's
    // own token is cached (24 h).
    assert.equal(
      perTimerRun.total,
      PATH_IDS.length * TARGET_IDS.length,
      JSON.stringify(perTimerRun.byIdentityAudience),
    );
    assert.equal(perSweep.total, 0, JSON.stringify(perSweep.byIdentityAudience));
  });
});
