// Removing a role assignment turns a success into a 403 once the propagation delay has passed, and adding it back
// heals it after the delay again (the "403 right after deploy" trap, docs/data-plane.md §4.5). One SDK child
// process runs the whole story with the system-assigned identity (App Service managed identity), driving the admin
// API between calls, so the clients and their cached tokens are the same throughout, as in a running app. The delay
// is Azure's real one (up to 10 minutes); the test moves the sandbox's RBAC clock past it (/_sandbox/clock) rather
// than waiting on the wall clock.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admin, credentialFor, err, identity, ok, runSdk, startTestSandbox } from './helpers.ts';
import type { TestSandbox } from './helpers.ts';

const DELAY_S = 600;
const PAST_THE_DELAY = {
  op: 'admin',
  method: 'POST',
  path: '/_sandbox/clock',
  body: { advanceSeconds: DELAY_S + 1 },
};

describe('role assignment changes, with a propagation delay', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await startTestSandbox('healthy', { propagationDelaySeconds: DELAY_S });
  });
  after(() => sb.close());

  it('a removal turns 200 into 403 after the delay, and adding the role back heals it after the delay', async () => {
    const c = sb.connection;
    const system = identity(c, 'system');
    const { roleAssignments } = await admin<{
      roleAssignments: Array<{ id: string; roleName: string; scope: string; roleDefinitionId: string }>;
    }>(c, 'GET', `/_sandbox/role-assignments?principalId=${system.principalId}`);
    const targets = roleAssignments.filter((a) =>
      ['Key Vault Secrets User', 'Reader', 'Storage Blob Data Reader'].includes(a.roleName),
    );
    assert.equal(targets.length, 3);
    const calls = [
      { op: 'kv.get', name: c.resources.secretName },
      { op: 'arm.listRg', rg: c.resourceGroup },
      { op: 'blob.listBlobs', container: c.resources.canaryContainer },
    ];
    const run = await runSdk(c, credentialFor(c, 'system'), [
      ...calls,
      ...targets.map((a) => ({ op: 'admin', method: 'DELETE', path: `/_sandbox/role-assignments/${a.id}` })),
      ...calls,
      PAST_THE_DELAY,
      ...calls,
      ...targets.map((a) => ({
        op: 'admin',
        method: 'POST',
        path: '/_sandbox/role-assignments',
        body: { principalId: system.principalId, roleDefinitionId: a.roleDefinitionId, scope: a.scope },
      })),
      ...calls,
      PAST_THE_DELAY,
      ...calls,
    ]);
    const r = run.results;
    const phase = (start: number) => r.slice(start, start + 3);
    const [before, removedButPropagating, removed, addedButPropagating, healed] = [
      phase(0),
      phase(6),
      phase(10),
      phase(16),
      phase(20),
    ];
    for (const x of before) ok(x);
    for (const x of removedButPropagating) ok(x);
    const [kv, arm, blob] = removed;
    assert.equal(err(kv).statusCode, 403);
    assert.equal(err(kv).innerCode, 'ForbiddenByRbac');
    assert.equal(err(arm).statusCode, 403);
    assert.equal(err(arm).code, 'AuthorizationFailed');
    assert.equal(err(blob).statusCode, 403);
    assert.equal(err(blob).code, 'AuthorizationPermissionMismatch');
    for (const x of addedButPropagating)
      assert.equal(err(x).statusCode, 403, 'a new assignment is not effective before the delay');
    for (const x of healed) ok(x);
    // The control plane shows changes at once: the re-added assignments are listed with their effective time.
    const now = await admin<{
      roleAssignments: Array<{ roleName: string; origin: string; effectiveFrom: string }>;
    }>(c, 'GET', `/_sandbox/role-assignments?principalId=${system.principalId}`);
    const readded = now.roleAssignments.filter((a) => a.origin === 'admin');
    assert.equal(readded.length, 3);
    const clock = await admin<{ now: string; offsetMs: number }>(c, 'GET', '/_sandbox/clock');
    assert.equal(clock.offsetMs, 2 * (DELAY_S + 1) * 1000, 'the clock moved only when the test moved it');
    for (const a of readded) assert.ok(Date.parse(a.effectiveFrom) <= Date.parse(clock.now));
  });
});
