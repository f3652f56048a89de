// Resource Manager conformance: the real ResourceManagementClient (v8) with managed identity tokens from the
// sandbox's identity plane (child processes), and raw HTTPS for the routes the app calls without an SDK client
// (user-assigned identities, federated credentials, role assignments) and for wire details.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ARM, admin, identity, request, useTestSandbox } from '../../support/sandbox.ts';
import { err, ok, runAs, runSdkWithToken, withRole } from './helpers.ts';

const EXPECTED_RESOURCES = [
  'Microsoft.Web/sites/func-identity-probes',
  'Microsoft.KeyVault/vaults/kv-identity-probes',
  'Microsoft.Storage/storageAccounts/stidentityprobes',
  'Microsoft.ManagedIdentity/userAssignedIdentities/id-probes-app',
  'Microsoft.ManagedIdentity/userAssignedIdentities/id-probes-federated',
  // The host identity (host storage, deployment, telemetry): in the world since the sandbox serves its telemetry role.
  'Microsoft.ManagedIdentity/userAssignedIdentities/id-probes-host',
];

describe('Resource Manager (ResourceManagementClient)', () => {
  const sb = useTestSandbox();
  let sub: string;
  let rgId: string;
  const tokenFor = async (principalId: string, clientId: string, audience = ARM) =>
    (await sb.context.tokens.issue({ subject: { principalId, clientId }, audience })).token;
  const get = async (path: string, token: string) => {
    const res = await request(sb.connection, `${sb.connection.endpoints.arm}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return {
      ...res,
      json: () =>
        JSON.parse(res.text) as Record<string, unknown> & { value?: Array<Record<string, unknown>> },
    };
  };
  before(() => {
    sub = `/subscriptions/${sb.connection.subscriptionId}`;
    rgId = `${sub}/resourceGroups/${sb.connection.resourceGroup}`;
  });

  it('a Reader on the group reads it and lists its resources, paged, filtered by type', async () => {
    const c = sb.connection;
    const run = await runAs(c, 'system', [
      { op: 'arm.getRg', rg: c.resourceGroup },
      { op: 'arm.listRg', rg: c.resourceGroup, top: 2 },
      {
        op: 'arm.listRg',
        rg: c.resourceGroup,
        filter: "resourceType eq 'Microsoft.ManagedIdentity/userAssignedIdentities'",
      },
      { op: 'arm.listSub' },
      { op: 'arm.getRg', rg: 'rg-elsewhere' },
    ]);
    const [rg, paged, filtered, subList, elsewhere] = run.results;
    assert.deepEqual(ok(rg), { id: rgId, name: c.resourceGroup, location: 'westeurope' });
    const pages = ok(paged).pages as string[][];
    assert.deepEqual(
      pages.map((p) => p.length),
      [2, 2, 2],
      'top=2 pages, nextLink followed verbatim',
    );
    assert.deepEqual(ok(paged).names, EXPECTED_RESOURCES);
    assert.deepEqual(ok(filtered).names, EXPECTED_RESOURCES.slice(3));
    assert.deepEqual(
      ok(subList).names,
      EXPECTED_RESOURCES,
      'results filtered to what the caller may read (all of the group)',
    );
    const e = err(elsewhere);
    assert.equal(e.statusCode, 403);
    assert.equal(e.code, 'AuthorizationFailed');
    const system = identity(c, 'system');
    assert.equal(
      e.message,
      `The client '${system.clientId}' with object id '${system.principalId}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourcegroups/read' over scope '${sub}/resourcegroups/rg-elsewhere' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  });

  it('404 ResourceGroupNotFound for a group that does not exist, when the caller may read the subscription', async () => {
    const c = sb.connection;
    const app = identity(c, 'app');
    await withRole(c, { principalId: app.principalId, roleName: 'Reader', scope: sub }, async () => {
      const [got, listed] = (
        await runAs(c, 'app', [
          { op: 'arm.getRg', rg: 'rg-missing' },
          { op: 'arm.listRg', rg: 'rg-missing' },
        ])
      ).results;
      assert.equal(err(got).statusCode, 404);
      assert.equal(err(got).code, 'ResourceGroupNotFound');
      assert.equal(err(got).message, "Resource group 'rg-missing' could not be found.");
      assert.equal(err(listed).statusCode, 404, 'never an empty 200 for a missing group');
      assert.equal(
        JSON.parse(err(listed).body!).error.message,
        "Resource group 'rg-missing' could not be found.",
      );
    });
  });

  it('filters list results by what the caller may read: Reader on one resource lists just that one', async () => {
    const c = sb.connection;
    const principalId = crypto.randomUUID();
    const clientId = crypto.randomUUID();
    await admin(c, 'POST', '/_sandbox/role-assignments', {
      principalId,
      roleName: 'Reader',
      scope: `${rgId}/providers/Microsoft.KeyVault/vaults/${c.resources.keyVaultName}`,
    });
    const [listed, subListed, rg] = (
      await runSdkWithToken(c, await tokenFor(principalId, clientId), [
        { op: 'arm.listRg', rg: c.resourceGroup },
        { op: 'arm.listSub' },
        { op: 'arm.getRg', rg: c.resourceGroup },
      ])
    ).results;
    assert.deepEqual(ok(listed).names, ['Microsoft.KeyVault/vaults/kv-identity-probes']);
    assert.deepEqual(ok(subListed).names, ['Microsoft.KeyVault/vaults/kv-identity-probes']);
    assert.equal(err(rg).code, 'AuthorizationFailed');
    // Nothing readable at all: 403 naming the list action and the group's scope.
    const nobody = await runSdkWithToken(c, await tokenFor(crypto.randomUUID(), clientId), [
      { op: 'arm.listRg', rg: c.resourceGroup },
    ]);
    const e = err(nobody.results[0]);
    assert.equal(e.statusCode, 403);
    assert.equal(e.code, 'AuthorizationFailed');
    assert.match(
      JSON.parse(e.body!).error.message,
      /perform action 'Microsoft\.Resources\/subscriptions\/resourcegroups\/resources\/read' over scope '\/subscriptions\/[^/]+\/resourcegroups\/rg-identity-probes'/,
    );
  });

  it('serves user-assigned identities and their federated credentials, routing case-insensitively', async () => {
    const c = sb.connection;
    const system = identity(c, 'system');
    const federated = identity(c, 'federated');
    const token = await tokenFor(system.principalId, system.clientId);
    const rgLower = `/subscriptions/${c.subscriptionId}/resourcegroups/${c.resourceGroup}`;
    const one = await get(
      `${rgLower}/providers/microsoft.managedidentity/USERASSIGNEDIDENTITIES/id-probes-federated?api-version=2023-01-31`,
      token,
    );
    assert.equal(one.status, 200);
    assert.deepEqual(one.json(), {
      id: federated.resourceId,
      name: 'id-probes-federated',
      type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
      location: 'westeurope',
      tags: {},
      properties: {
        isolationScope: 'None',
        tenantId: c.tenantId,
        principalId: federated.principalId,
        clientId: federated.clientId,
      },
    });
    const all = await get(
      `${rgId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2023-01-31`,
      token,
    );
    assert.deepEqual(
      all.json().value!.map((x) => x.name),
      ['id-probes-app', 'id-probes-federated', 'id-probes-host'],
    );
    const fics = await get(
      `${federated.resourceId}/federatedIdentityCredentials?api-version=2023-01-31`,
      token,
    );
    assert.equal(fics.status, 200);
    const [fic] = fics.json().value!;
    assert.equal(fic.name, 'external-workload');
    assert.equal(fic.type, 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials');
    assert.deepEqual(fic.properties, {
      issuer: c.endpoints.oidcIssuer,
      subject: 'system:serviceaccount:probes:identity-probes',
      audiences: ['api://AzureADTokenExchange'],
    });
    const missing = await get(
      `${rgId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nope?api-version=2023-01-31`,
      token,
    );
    assert.equal(missing.status, 404);
    assert.equal((missing.json().error as { code: string }).code, 'ResourceNotFound');
    for (const casing of ['resourceGroups', 'resourcegroups', 'RESOURCEGROUPS']) {
      const r = await get(
        `/SUBSCRIPTIONS/${c.subscriptionId}/${casing}/${c.resourceGroup.toUpperCase()}?api-version=2025-04-01`,
        token,
      );
      assert.equal(r.status, 200, casing);
      assert.equal(r.json().id, rgId, 'ids keep their original casing');
    }
  });

  it('lists role assignments by principal (to explain a 403), at the scopes the caller may read', async () => {
    const c = sb.connection;
    const system = identity(c, 'system');
    const token = await tokenFor(system.principalId, system.clientId);
    const q = `api-version=2022-04-01&$filter=${encodeURIComponent(`principalId eq '${system.principalId}'`)}`;
    const atRg = await get(`${rgId}/providers/Microsoft.Authorization/roleAssignments?${q}`, token);
    assert.equal(atRg.status, 200);
    const items = atRg.json().value as Array<{
      id: string;
      type: string;
      properties: { roleDefinitionId: string; principalId: string; scope: string; principalType: string };
    }>;
    const byRole = items
      .map(
        (a) => `${a.properties.roleDefinitionId.split('/').pop()} ${a.properties.scope.replace(rgId, '~')}`,
      )
      .sort();
    // Exactly the world's assignments of the system identity (every one is inside the group)...
    const world = sb.context.world.roleAssignments
      .filter((a) => a.principalId === system.principalId)
      .map((a) => `${a.roleDefinitionId} ${a.scope.replace(rgId, '~')}`)
      .sort();
    assert.deepEqual(byRole, world);
    // ...which hold at least the three target roles and the status writer's, each at its scope.
    for (const want of [
      '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1 ~/providers/Microsoft.Storage/storageAccounts/stidentityprobes/blobServices/default/containers/canary',
      '4633458b-17de-408a-b874-0445c86b69e6 ~/providers/Microsoft.KeyVault/vaults/kv-identity-probes',
      'acdd72a7-3385-48ef-bd42-f606fba81ae7 ~',
      'ba92f5b4-2d11-453d-a403-e96b0029c9fe ~/providers/Microsoft.Storage/storageAccounts/stidentityprobes/blobServices/default/containers/probe-status',
    ])
      assert.ok(byRole.includes(want), `${want} in ${JSON.stringify(byRole)}`);
    for (const a of items) {
      assert.equal(a.type, 'Microsoft.Authorization/roleAssignments');
      assert.equal(a.properties.principalType, 'ServicePrincipal');
      assert.ok(a.id.startsWith(`${a.properties.scope}/providers/Microsoft.Authorization/roleAssignments/`));
      assert.ok(
        a.properties.roleDefinitionId.startsWith(`${sub}/providers/Microsoft.Authorization/roleDefinitions/`),
      );
    }
    const atSub = await get(`${sub}/providers/Microsoft.Authorization/roleAssignments?${q}`, token);
    assert.equal(atSub.status, 403, 'Reader on the group cannot read assignments at the subscription');
    assert.equal((atSub.json().error as { code: string }).code, 'AuthorizationFailed');
    const def = await get(
      `${sub}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7?api-version=2022-04-01`,
      token,
    );
    assert.equal(def.status, 403);
    const defAtRg = await get(
      `${rgId}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7?api-version=2022-04-01`,
      token,
    );
    assert.equal((defAtRg.json().properties as { roleName: string }).roleName, 'Reader');
  });

  it('accepts exactly the management audiences, and answers the real 400/401/404 gateway errors', async () => {
    const c = sb.connection;
    const system = identity(c, 'system');
    const path = `${rgId}?api-version=2025-04-01`;
    for (const aud of [
      'https://management.azure.com/',
      'https://management.azure.com',
      'https://management.core.windows.net/',
      'https://management.core.windows.net',
    ])
      assert.equal(
        (await get(path, await tokenFor(system.principalId, system.clientId, aud))).status,
        200,
        aud,
      );
    // What a client gets when it asks for `${endpoint}/.default` with a sandbox endpoint (v7 default, §2.1).
    const own = await get(path, await tokenFor(system.principalId, system.clientId, c.endpoints.arm));
    assert.equal(own.status, 401);
    assert.equal((own.json().error as { code: string }).code, 'InvalidAuthenticationTokenAudience');

    const none = await request(c, `${c.endpoints.arm}${path}`);
    assert.equal(none.status, 401);
    assert.deepEqual(JSON.parse(none.text), {
      error: {
        code: 'AuthenticationFailed',
        message: "Authentication failed. The 'Authorization' header is missing.",
      },
    });
    assert.equal(
      none.headers['www-authenticate'],
      `Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`,
    );
    assert.equal(none.headers['x-ms-failure-cause'], 'gateway');
    const basic = await request(c, `${c.endpoints.arm}${path}`, {
      headers: { authorization: 'Basic Zm9vOmJhcg==' },
    });
    assert.equal(
      (JSON.parse(basic.text) as { error: { code: string } }).error.code,
      'AuthenticationFailedInvalidHeader',
    );

    const token = await tokenFor(system.principalId, system.clientId);
    const noVersion = await get(rgId, token);
    assert.equal(noVersion.status, 400);
    assert.deepEqual(noVersion.json(), {
      error: {
        code: 'MissingApiVersionParameter',
        message: 'The api-version query parameter (?api-version=) is required for all requests.',
      },
    });
    const otherSub = await get(
      '/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/x?api-version=2025-04-01',
      token,
    );
    assert.equal(otherSub.status, 404);
    assert.equal((otherSub.json().error as { code: string }).code, 'SubscriptionNotFound');
    const paged = await get(`${rgId}/resources?api-version=2025-04-01&%24top=2`, token);
    const next = new URL(paged.json().nextLink as string);
    assert.equal(next.origin, c.endpoints.arm);
    assert.equal(next.searchParams.get('api-version'), '2025-04-01', 'real ARM puts api-version in nextLink');
    assert.equal(next.searchParams.get('$top'), '2');
    assert.ok(next.searchParams.get('$skiptoken'));
  });
});
