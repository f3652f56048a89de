// Azure RBAC evaluation (sandbox/resources/rbac), pure: wildcards, notActions per role, union across roles, scope
// inheritance on segment boundaries, control plane vs data plane, built-in definitions, propagation delay.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  actionMatches,
  authorize,
  roleAllows,
  scopeCovers,
} from '../../../sandbox/resources/rbac/authorize.ts';
import type { AssignmentLike } from '../../../sandbox/resources/rbac/authorize.ts';
import { BUILT_IN_ROLES, findRole, roleGuidOf } from '../../../sandbox/resources/rbac/roles.ts';
import { RoleAssignmentStore } from '../../../sandbox/resources/rbac/store.ts';
import { loadWorld } from '../../../sandbox/world.ts';

const SUB = '/subscriptions/fede0978-e421-4650-9304-746eefba010e';
const RG = `${SUB}/resourceGroups/rg-identity-probes`;
const VAULT = `${RG}/providers/Microsoft.KeyVault/vaults/kv-identity-probes`;
const ACCOUNT = `${RG}/providers/Microsoft.Storage/storageAccounts/stidentityprobes`;
const CONTAINER = `${ACCOUNT}/blobServices/default/containers/canary`;
const P = '11111111-1111-4111-8111-111111111111';
const role = (name: string) => findRole(name)!;
const assign = (roleName: string, scope: string, extra: Partial<AssignmentLike> = {}): AssignmentLike => ({
  id: `${roleName}@${scope}`,
  principalId: P,
  roleDefinitionId: role(roleName).id,
  scope,
  effectiveFrom: 0,
  ...extra,
});
const GET_SECRET = 'Microsoft.KeyVault/vaults/secrets/getSecret/action';
const BLOB_READ = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read';

describe('wildcard matching', () => {
  it('matches * anywhere, across slashes, case-insensitively', () => {
    assert.ok(actionMatches('*', 'Microsoft.Resources/subscriptions/resourceGroups/read'));
    assert.ok(actionMatches('*/read', 'Microsoft.Resources/subscriptions/resourceGroups/resources/read'));
    assert.ok(actionMatches('Microsoft.KeyVault/vaults/*/read', 'Microsoft.KeyVault/vaults/secrets/read'));
    assert.ok(
      actionMatches('Microsoft.Authorization/*/Delete', 'microsoft.authorization/roleAssignments/delete'),
    );
    assert.ok(!actionMatches('*/read', 'Microsoft.KeyVault/vaults/write'));
    assert.ok(
      !actionMatches('Microsoft.KeyVault/vaults/*/read', 'Microsoft.KeyVault/vaults/read'),
      'needs a segment between',
    );
    assert.ok(!actionMatches('Microsoft.Web/sites/read', 'Microsoft.Web/sites/reader'), 'whole-string match');
    assert.ok(actionMatches('a.b/c', 'A.B/C') && !actionMatches('a.b/c', 'aXb/c'), 'dots are literal');
  });
});

describe('scope inheritance', () => {
  it('applies downward on segment boundaries only, case-insensitively', () => {
    assert.ok(scopeCovers(SUB, VAULT));
    assert.ok(scopeCovers(RG, `${VAULT}/secrets/canary`));
    assert.ok(scopeCovers(RG.toLowerCase().replace('resourcegroups', 'resourceGroups'), VAULT));
    assert.ok(scopeCovers(`${RG}/`, RG), 'trailing slash ignored');
    assert.ok(scopeCovers('/', VAULT), 'root scope covers all');
    assert.ok(!scopeCovers(VAULT, RG), 'never upward');
    assert.ok(
      !scopeCovers(
        `${RG}/providers/Microsoft.KeyVault/vaults/kv`,
        `${RG}/providers/Microsoft.KeyVault/vaults/kv-identity-probes`,
      ),
      'prefix must end on a segment',
    );
    assert.ok(!scopeCovers(CONTAINER, `${ACCOUNT}/blobServices/default/containers/canary2`));
  });
});

describe('built-in roles', () => {
  it('carry the real GUIDs', () => {
    const expected: Record<string, string> = {
      Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
      Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
      Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
      'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
      'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
      'Key Vault Reader': '21090545-7ca7-4776-b22c-e363652d74d2',
      'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
      'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
      'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    };
    for (const [name, guid] of Object.entries(expected)) assert.equal(role(name).id, guid, name);
    assert.equal(new Set(BUILT_IN_ROLES.map((r) => r.id)).size, BUILT_IN_ROLES.length);
  });

  it('are found by GUID, by either roleDefinitionId form, or by name', () => {
    const g = '4633458b-17de-408a-b874-0445c86b69e6';
    assert.equal(roleGuidOf(`/providers/Microsoft.Authorization/roleDefinitions/${g}`), g);
    assert.equal(
      findRole(`${SUB}/providers/Microsoft.Authorization/roleDefinitions/${g.toUpperCase()}`)?.roleName,
      'Key Vault Secrets User',
    );
    assert.equal(findRole('key vault secrets user')?.id, g);
    assert.equal(findRole('Not A Role'), undefined);
  });

  it('keep the control plane and the data plane apart', () => {
    for (const name of ['Owner', 'Contributor', 'Reader']) {
      assert.ok(!roleAllows(role(name), GET_SECRET, 'dataAction'), `${name} reads no secret`);
      assert.ok(!roleAllows(role(name), BLOB_READ, 'dataAction'), `${name} reads no blob`);
    }
    assert.ok(
      !roleAllows(role('Key Vault Secrets User'), GET_SECRET, 'action'),
      'a dataAction never matches as an action',
    );
    assert.ok(roleAllows(role('Key Vault Secrets User'), GET_SECRET, 'dataAction'));
    assert.ok(
      !roleAllows(
        role('Key Vault Secrets User'),
        'Microsoft.KeyVault/vaults/secrets/setSecret/action',
        'dataAction',
      ),
    );
    assert.ok(
      roleAllows(
        role('Key Vault Secrets Officer'),
        'Microsoft.KeyVault/vaults/secrets/setSecret/action',
        'dataAction',
      ),
    );
    assert.ok(
      roleAllows(
        role('Key Vault Reader'),
        'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
        'dataAction',
      ),
    );
    assert.ok(
      !roleAllows(role('Key Vault Reader'), GET_SECRET, 'dataAction'),
      'Key Vault Reader cannot read values',
    );
    assert.ok(roleAllows(role('Storage Blob Data Reader'), BLOB_READ, 'dataAction'));
    assert.ok(
      !roleAllows(role('Storage Blob Data Reader'), BLOB_READ.replace(/read$/, 'write'), 'dataAction'),
    );
    assert.ok(
      roleAllows(
        role('Storage Blob Data Owner'),
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags/write',
        'dataAction',
      ),
    );
    assert.ok(
      roleAllows(role('Reader'), 'Microsoft.Storage/storageAccounts/blobServices/containers/read', 'action'),
      'Reader lists containers (*/read)',
    );
  });

  it('subtract notActions within the role (Contributor cannot write role assignments)', () => {
    assert.ok(roleAllows(role('Contributor'), 'Microsoft.KeyVault/vaults/write', 'action'));
    assert.ok(!roleAllows(role('Contributor'), 'Microsoft.Authorization/roleAssignments/write', 'action'));
    assert.ok(roleAllows(role('Owner'), 'Microsoft.Authorization/roleAssignments/write', 'action'));
  });
});

describe('authorize', () => {
  it('decides on the principal, inherits downward and unions roles (notActions are not deny rules)', () => {
    const write = 'Microsoft.Authorization/roleAssignments/write';
    const contributorOnly = [assign('Contributor', RG)];
    assert.equal(
      authorize(contributorOnly, { principalId: P, action: write, kind: 'action', scope: VAULT }).allowed,
      false,
    );
    const plusUaa = [...contributorOnly, assign('User Access Administrator', SUB)];
    const d = authorize(plusUaa, { principalId: P, action: write, kind: 'action', scope: VAULT });
    assert.equal(d.allowed, true, "another role's grant wins over Contributor's notActions");
    assert.equal(d.role?.roleName, 'User Access Administrator');
    assert.equal(
      authorize(plusUaa, {
        principalId: '22222222-2222-4222-8222-222222222222',
        action: write,
        kind: 'action',
        scope: VAULT,
      }).allowed,
      false,
      'other principals get nothing',
    );
  });

  it('honours child scopes: a container-scoped reader reads that container only', () => {
    const a = [assign('Storage Blob Data Reader', CONTAINER)];
    assert.ok(
      authorize(a, { principalId: P, action: BLOB_READ, kind: 'dataAction', scope: CONTAINER }).allowed,
    );
    assert.ok(
      !authorize(a, {
        principalId: P,
        action: BLOB_READ,
        kind: 'dataAction',
        scope: `${ACCOUNT}/blobServices/default/containers/probe-status`,
      }).allowed,
    );
    assert.ok(
      !authorize(a, {
        principalId: P,
        action: 'Microsoft.Storage/storageAccounts/blobServices/containers/read',
        kind: 'action',
        scope: ACCOUNT,
      }).allowed,
      'not at the account',
    );
    const secretScoped = [assign('Key Vault Secrets User', `${VAULT}/secrets/canary`)];
    assert.ok(
      authorize(secretScoped, {
        principalId: P,
        action: GET_SECRET,
        kind: 'dataAction',
        scope: `${VAULT}/secrets/canary`,
      }).allowed,
    );
    assert.ok(
      !authorize(secretScoped, {
        principalId: P,
        action: GET_SECRET,
        kind: 'dataAction',
        scope: `${VAULT}/secrets/other`,
      }).allowed,
    );
  });

  it('counts an assignment only inside its effective window', () => {
    const a = [assign('Key Vault Secrets User', VAULT, { effectiveFrom: 1000, effectiveUntil: 2000 })];
    const at = (now: number) =>
      authorize(a, { principalId: P, action: GET_SECRET, kind: 'dataAction', scope: VAULT, now }).allowed;
    assert.deepEqual([at(999), at(1000), at(1999), at(2000)], [false, true, true, false]);
  });
});

describe('RoleAssignmentStore', () => {
  const world = loadWorld('healthy', { placeholders: { OIDC_ISSUER: 'https://issuer.invalid' } });
  const system = world.functionApp.systemAssigned!.principalId;

  it('starts from the world and applies additions and removals after the propagation delay', () => {
    let now = 1_000_000;
    const store = new RoleAssignmentStore(world, 30, () => now);
    const req = {
      principalId: P,
      action: GET_SECRET,
      kind: 'dataAction' as const,
      scope: `${world.keyVaults[0].resourceId}/secrets/canary`,
    };
    assert.equal(
      store.authorize({ ...req, principalId: system }).allowed,
      true,
      'world assignments are effective at once',
    );

    const added = store.add({
      principalId: P,
      role: 'Key Vault Secrets User',
      scope: world.keyVaults[0].resourceId,
    });
    assert.equal(store.authorize(req).allowed, false, 'not yet propagated');
    assert.equal(store.list({ principalId: P }).length, 1, 'but listed at once, as ARM lists it');
    now += 30_000;
    assert.equal(store.authorize(req).allowed, true, 'effective after the delay');

    store.remove(added.id);
    assert.equal(store.list({ principalId: P }).length, 0);
    assert.equal(store.authorize(req).allowed, true, 'a removal propagates too');
    now += 30_000;
    assert.equal(store.authorize(req).allowed, false);
  });

  it('validates new assignments like ARM does', () => {
    const store = new RoleAssignmentStore(world, 0);
    assert.throws(() => store.add({ principalId: 'nope', role: 'Reader', scope: SUB }), /principalId/);
    assert.throws(() => store.add({ principalId: P, role: 'Chief Wizard', scope: SUB }), {
      code: 'RoleDefinitionDoesNotExist',
    } as object);
    assert.throws(() => store.add({ principalId: P, role: 'Reader', scope: 'rg-identity-probes' }), {
      code: 'InvalidScope',
    } as object);
    const a = store.add({
      principalId: P,
      role: '/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7',
      scope: SUB,
    });
    assert.equal(a.roleName, 'Reader');
    assert.throws(() => store.add({ principalId: P.toUpperCase(), role: 'Reader', scope: `${SUB}/` }), {
      status: 409,
      code: 'RoleAssignmentExists',
    } as object);
  });

  it('is reset by a world change', () => {
    const store = new RoleAssignmentStore(world, 0);
    store.add({ principalId: P, role: 'Reader', scope: SUB });
    const broken = loadWorld('system-no-reader', { placeholders: { OIDC_ISSUER: 'https://issuer.invalid' } });
    store.resetFromWorld(broken);
    assert.equal(store.list({ principalId: P }).length, 0);
    const readRg = {
      principalId: system,
      action: 'Microsoft.Resources/subscriptions/resourceGroups/resources/read',
      kind: 'action' as const,
      scope: world.resourceGroupId,
    };
    assert.equal(store.authorize(readRg).allowed, false);
  });
});
