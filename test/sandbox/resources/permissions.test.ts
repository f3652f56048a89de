// The sandbox's Resource Manager answers the permissions API for the caller like ARM (docs/privileges.md), checked
// through the real @azure/arm-authorization client (resource group and resource forms) and the generic ARM REST
// client (subscription form): the answer's shape, wildcards and notActions as the role defines them, one entry per
// assignment in force with inheritance from every scope above; and role assignment PUT/DELETE with RBAC on writes.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { SandboxConnection } from '../../../sandbox/connection.ts';
import { admin, identity, startTestSandbox, type TestSandbox } from './helpers.ts';
import { as, runAuthz } from '../../support/authz.ts';
import { scopeCovers } from '../../../sandbox/resources/rbac/authorize.ts';
import type { AuthzResult, AuthzStep } from './fixtures/authz-child.ts';

const READER = { actions: ['*/read'], notActions: [], dataActions: [], notDataActions: [] };
const BLOB = 'Microsoft.Storage/storageAccounts/blobServices';
const SBDR = {
  actions: [`${BLOB}/containers/read`, `${BLOB}/generateUserDelegationKey/action`],
  notActions: [],
  dataActions: [`${BLOB}/containers/blobs/read`],
  notDataActions: [],
};

const ok = (r: AuthzResult) => {
  assert.equal(r.error, undefined, `${r.op}: ${JSON.stringify(r.error)}`);
  return r.ok as Record<string, unknown>[];
};

describe('permissions API and role assignment writes', { timeout: 300_000 }, () => {
  let sb: TestSandbox;
  let c: SandboxConnection;
  let canary: Extract<AuthzStep, { op: 'permissions.resource' }>;
  let vault: Extract<AuthzStep, { op: 'permissions.resource' }>;
  before(async () => {
    sb = await startTestSandbox();
    c = sb.connection;
    const account = c.resources.storageAccount;
    canary = {
      op: 'permissions.resource',
      rg: c.resourceGroup,
      ns: 'Microsoft.Storage',
      parent: `storageAccounts/${account}/blobServices/default`,
      type: 'containers',
      name: c.resources.canaryContainer,
    };
    vault = {
      ...canary,
      ns: 'Microsoft.KeyVault',
      parent: '',
      type: 'vaults',
      name: c.resources.keyVaultName,
    };
  });
  after(() => sb?.close());
  const use = (name: string) => admin(c, 'POST', '/_sandbox/scenario', { name });
  /** How many of the current world's assignments of `key` apply at the canary container (its own and inherited). */
  const atCanary = (key: string) => {
    const w = sb.context.world;
    const pid = w.identities.find((i) => i.key === key)!.principalId;
    const id = w.storageAccounts[0].containers.find((x) => x.name === canary.name)!.resourceId;
    return w.roleAssignments.filter((a) => a.principalId === pid && scopeCovers(a.scope, id)).length;
  };

  it('healthy: one entry per assignment in force, inherited ones included, each as its role defines it', async () => {
    const sub = `/subscriptions/${c.subscriptionId}`;
    const [rg, container, kv, atSub] = await runAuthz(c, as(c, 'app'), [
      { op: 'permissions.rg', rg: c.resourceGroup },
      canary,
      vault,
      { op: 'permissions.scope', scope: sub },
    ]);
    assert.deepEqual(ok(rg), [READER]);
    // The container inherits Reader from the resource group; its own assignment adds the Blob reader (and a
    // role given on the storage account would be inherited too).
    assert.equal(ok(container).length, atCanary('app'));
    assert.ok(atCanary('app') >= 2);
    assert.ok(ok(container).some((p) => JSON.stringify(p) === JSON.stringify(SBDR)));
    assert.ok(ok(container).some((p) => JSON.stringify(p) === JSON.stringify(READER)));
    const kvData = ok(kv).flatMap((p) => p.dataActions as string[]);
    assert.deepEqual(kvData.sort(), [
      'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
    ]);
    assert.deepEqual(atSub.ok, { value: [] }, 'nothing is assigned at the subscription');
  });

  it('wildcards and notActions come back unexpanded, as the role defines them (Contributor on the group)', async () => {
    await use('app-contributor-on-rg');
    const [rg, container] = await runAuthz(c, as(c, 'app'), [
      { op: 'permissions.rg', rg: c.resourceGroup },
      canary,
    ]);
    const contributor = ok(rg).find((p) => (p.actions as string[]).includes('*'));
    assert.ok(contributor, JSON.stringify(rg.ok));
    assert.ok((contributor.notActions as string[]).includes('Microsoft.Authorization/*/Delete'));
    assert.ok((contributor.notActions as string[]).includes('Microsoft.Authorization/*/Write'));
    assert.deepEqual(contributor.dataActions, []);
    assert.equal(
      ok(container).length,
      atCanary('app'),
      'Reader and Contributor from the group, the Blob reader on the container (and any role on the account)',
    );
    assert.ok(atCanary('app') >= 3);
  });

  it('inheritance from the subscription (Reader there instead of on the group)', async () => {
    await use('federated-reader-on-subscription');
    const [atSub, rg, container] = await runAuthz(c, as(c, 'federated'), [
      { op: 'permissions.scope', scope: `/subscriptions/${c.subscriptionId}` },
      { op: 'permissions.rg', rg: c.resourceGroup },
      canary,
    ]);
    assert.deepEqual((atSub.ok as { value: unknown[] }).value, [READER]);
    assert.deepEqual(ok(rg), [READER], 'the group inherits it');
    assert.equal(ok(container).length, atCanary('federated'));
    assert.ok(atCanary('federated') >= 2);
  });

  it('a resource group that does not exist is 404 ResourceGroupNotFound', async () => {
    const [r] = await runAuthz(c, as(c, 'app'), [{ op: 'permissions.rg', rg: 'rg-nope' }]);
    assert.equal(r.error?.statusCode, 404);
    assert.equal(r.error?.code, 'ResourceGroupNotFound');
  });

  it('role assignment create and delete: RBAC on writes, 409 for a duplicate, 204 for an absent one', async () => {
    await use('healthy');
    const sub = `/subscriptions/${c.subscriptionId}`;
    const ci = identity(c, 'app-probes-ci');
    await admin(c, 'POST', '/_sandbox/role-assignments', {
      principalId: ci.principalId,
      roleName: 'User Access Administrator',
      scope: sub,
    });
    const app = identity(c, 'app');
    const scope = `${sub}/resourceGroups/${c.resourceGroup}`;
    const role = `${sub}/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c`;
    const create = (name: string): AuthzStep => ({
      op: 'assignments.create',
      scope,
      name,
      roleDefinitionId: role,
      principalId: app.principalId,
    });
    const [denied] = await runAuthz(c, as(c, 'app'), [create(randomUUID())]);
    assert.equal(denied.error?.statusCode, 403);
    assert.equal(denied.error?.code, 'AuthorizationFailed');
    const name = randomUUID();
    const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
    const [created, dup, deleted, again] = await runAuthz(c, as(c, 'operator'), [
      create(name),
      create(randomUUID()),
      { op: 'assignments.deleteById', id },
      { op: 'assignments.deleteById', id },
    ]);
    const a = created.ok as unknown as Record<string, string>;
    assert.equal(a.id, id);
    assert.equal(a.name, name);
    assert.equal(a.principalId, app.principalId);
    assert.equal(a.roleDefinitionId, role);
    assert.equal(a.scope, scope);
    assert.equal(dup.error?.statusCode, 409);
    assert.equal(dup.error?.code, 'RoleAssignmentExists');
    assert.equal((deleted.ok as unknown as Record<string, string>).id, id);
    assert.equal(again.error, undefined, 'deleting an absent assignment is not an error (204)');
    assert.equal((again.ok as Record<string, unknown> | null)?.id, undefined, '204 carries no assignment');
  });
});
