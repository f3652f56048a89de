// The resource plane's admin API: role assignments added and removed at run time (bad input gets a clear JSON
// error with the right status), the child processes it runs, and the connection file's resource fields.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { identity, startTestSandbox } from './helpers.ts';
import type { TestSandbox } from './helpers.ts';

describe('resource plane admin API and connection', () => {
  let sb: TestSandbox;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sb.connection.endpoints.admin}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  before(async () => {
    sb = await startTestSandbox();
  });
  after(() => sb.close());

  it('adds, lists and removes role assignments, by role GUID, full id or name', async () => {
    const c = sb.connection;
    const principalId = crypto.randomUUID();
    const scope = `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}`;
    const byGuid = await call('POST', '/_sandbox/role-assignments', {
      principalId,
      roleDefinitionId: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
      scope,
    });
    assert.equal(byGuid.status, 201);
    assert.equal(byGuid.body.roleName, 'Reader');
    assert.match(byGuid.body.id as string, /^[0-9a-f-]{36}$/);
    const byId = await call('POST', '/_sandbox/role-assignments', {
      principalId,
      roleDefinitionId: `/subscriptions/${c.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`,
      scope,
    });
    assert.equal(byId.body.roleName, 'Key Vault Secrets User');
    const byName = await call('POST', '/_sandbox/role-assignments', {
      principalId,
      roleName: 'Storage Blob Data Owner',
      scope,
    });
    assert.equal(byName.body.roleDefinitionId, 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b');

    const listed = await call('GET', `/_sandbox/role-assignments?principalId=${principalId}`);
    assert.deepEqual(
      (listed.body.roleAssignments as Array<{ roleName: string }>).map((a) => a.roleName).sort(),
      ['Key Vault Secrets User', 'Reader', 'Storage Blob Data Owner'],
    );
    const all = await call('GET', '/_sandbox/role-assignments');
    const system = identity(c, 'system').principalId;
    assert.ok(
      (all.body.roleAssignments as Array<{ principalId: string; origin: string }>).some(
        (a) => a.principalId === system && a.origin === 'wiring',
      ),
      "the world's assignments are listed too",
    );

    const removed = await call('DELETE', `/_sandbox/role-assignments/${byGuid.body.id as string}`);
    assert.equal(removed.status, 200);
    assert.equal(removed.body.removed, true);
    assert.equal(
      (await call('DELETE', `/_sandbox/role-assignments/${byGuid.body.id as string}`)).status,
      404,
    );
  });

  it('answers bad input with a clear JSON error and the right status', async () => {
    const c = sb.connection;
    const scope = `/subscriptions/${c.subscriptionId}`;
    const principalId = crypto.randomUUID();
    const cases: Array<[unknown, number, string]> = [
      [{ roleName: 'Reader', scope }, 400, 'InvalidPrincipalId'],
      [{ principalId: 'not-a-guid', roleName: 'Reader', scope }, 400, 'InvalidPrincipalId'],
      [{ principalId, scope }, 400, 'InvalidRoleDefinitionId'],
      [{ principalId, roleName: 'Chief Wizard', scope }, 400, 'RoleDefinitionDoesNotExist'],
      [{ principalId, roleName: 'Reader', scope: 'rg-identity-probes' }, 400, 'InvalidScope'],
      [{ principalId, roleName: 'Reader', scope, principalType: 'Robot' }, 400, 'InvalidPrincipalType'],
      [
        { principalId, roleName: 'Reader', scope, propagationDelaySeconds: -1 },
        400,
        'InvalidPropagationDelay',
      ],
      ['{not json', 400, 'invalid_json'],
    ];
    for (const [body, status, code] of cases) {
      const r = await call('POST', '/_sandbox/role-assignments', body);
      assert.equal(r.status, status, JSON.stringify(body));
      assert.equal(r.body.error, code, JSON.stringify(body));
      assert.equal(typeof r.body.message, 'string');
    }
    const first = await call('POST', '/_sandbox/role-assignments', {
      principalId,
      roleName: 'Reader',
      scope,
    });
    const dup = await call('POST', '/_sandbox/role-assignments', {
      principalId,
      roleName: 'reader',
      scope: `${scope}/`,
    });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error, 'RoleAssignmentExists');
    assert.equal(dup.body.id, first.body.id);
    assert.equal(
      (await call('DELETE', '/_sandbox/role-assignments/nope?propagationDelaySeconds=x')).status,
      400,
    );
  });

  it('reports Azurite, and the connection carries every resource endpoint, name and app setting', async () => {
    const c = sb.connection;
    const p = await call('GET', '/_sandbox/processes');
    assert.equal(typeof (p.body.azurite as { pid: number }).pid, 'number');
    assert.match(c.endpoints.keyVault, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(c.endpoints.arm, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(c.endpoints.blob, /^https:\/\/127\.0\.0\.1:\d+\/stidentityprobes$/);
    assert.deepEqual(c.resources, {
      keyVaultName: 'kv-identity-probes',
      secretName: 'canary',
      storageAccount: 'stidentityprobes',
      canaryContainer: 'canary',
      canaryBlob: 'canary.txt',
      statusContainer: 'probe-status',
    });
    const s = c.appSettings;
    assert.equal(s.KEY_VAULT_URL, c.endpoints.keyVault);
    assert.equal(s.KEY_VAULT_SECRET_NAME, 'canary');
    assert.equal(s.BLOB_SERVICE_URL, c.endpoints.blob);
    assert.equal(s.BLOB_CONTAINER_NAME, 'canary');
    assert.equal(s.STATUS_BLOB_SERVICE_URL, c.endpoints.blob);
    assert.equal(s.STATUS_CONTAINER_NAME, 'probe-status');
    assert.equal(s.ARM_ENDPOINT, c.endpoints.arm);
  });

  it('answers malformed percent-encoding in an admin path with a JSON 400', async () => {
    const r = await call('DELETE', '/_sandbox/role-assignments/%ZZ');
    assert.equal(r.status, 400);
    assert.match(String(r.body.message), /percent-encoding/);
  });
});
