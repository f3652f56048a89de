// The declared access the privileges check reads from the plan (src/privileges/declared.ts): principals, grants, the
// scopes read and their names, from settings only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config.ts';
import {
  checkedIdentities,
  principalKey,
  resourceScope,
  scopeChain,
} from '../../../src/privileges/declared.ts';
import { catalogPlan } from '../helpers/catalogPlan.ts';

const SUB = '00000000-0000-0000-0000-0000000000aa';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-probes`;
const ACCOUNT = `${RG}/providers/Microsoft.Storage/storageAccounts/stprobes`;
const UAMI = '22222222-0000-0000-0000-000000000002';

const settings = (extra: Record<string, string | undefined> = {}) => ({
  KEY_VAULT_URL: 'https://kv-probes.vault.azure.net/',
  KEY_VAULT_SECRET_NAME: 'canary',
  BLOB_SERVICE_URL: 'https://stprobes.blob.core.windows.net/',
  BLOB_CONTAINER_NAME: 'canary',
  AZURE_SUBSCRIPTION_ID: SUB,
  AZURE_RESOURCE_GROUP: 'rg-probes',
  AZURE_TENANT_ID: '33333333-0000-0000-0000-000000000003',
  SYSTEM_PRINCIPAL_ID: '11111111-0000-0000-0000-000000000001',
  UAMI_CLIENT_ID: '22222222-0000-0000-0000-0000000000c1',
  UAMI_OBJECT_ID: UAMI,
  UAMI_RESOURCE_ID: `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-app`,
  AZURE_CLIENT_ID: '22222222-0000-0000-0000-0000000000c1',
  FEDERATED_CLIENT_ID: '44444444-0000-0000-0000-0000000000c1',
  FEDERATED_PRINCIPAL_ID: '44444444-0000-0000-0000-000000000004',
  FEDERATED_TOKEN_FILE: '/tmp/token',
  STATUS_BLOB_SERVICE_URL: 'https://stprobes.blob.core.windows.net/',
  STATUS_CONTAINER_NAME: 'probe-status',
  ...extra,
});

describe('declared access from the plan', () => {
  it('the scope chain: subscription, group, top-level resource, the scope', () => {
    assert.deepEqual(scopeChain(`${ACCOUNT}/blobServices/default/containers/canary/`), [
      `/subscriptions/${SUB}`,
      RG,
      ACCOUNT,
      `${ACCOUNT}/blobServices/default/containers/canary`,
    ]);
    assert.deepEqual(scopeChain(RG), [`/subscriptions/${SUB}`, RG]);
    assert.deepEqual(scopeChain(`/subscriptions/${SUB}`), [`/subscriptions/${SUB}`]);
  });

  it('one principal per object id: the four user-assigned names are one; the default chain without AZURE_CLIENT_ID is the system identity', () => {
    const config = loadConfig(settings());
    const plan = catalogPlan(config);
    assert.deepEqual(
      checkedIdentities(plan, config).map((g) => g.names),
      [
        ['system-assigned'],
        ['uami-client-id', 'uami-object-id', 'uami-resource-id', 'default-chain'],
        ['federated'],
      ],
    );
    assert.equal(principalKey(plan.identities.get('uami-object-id')!), `oid:${UAMI}`);
    const chainless = loadConfig(settings({ AZURE_CLIENT_ID: undefined }));
    assert.deepEqual(
      checkedIdentities(catalogPlan(chainless), chainless).map((g) => g.names),
      [
        ['system-assigned', 'default-chain'],
        ['uami-client-id', 'uami-object-id', 'uami-resource-id'],
        ['federated'],
      ],
    );
  });

  it("grants: each allowed resource's least role at its scope, the status writer's for the system identity only", () => {
    const config = loadConfig(settings());
    const denied = (i: string, r: string) => (i === 'federated' && r === 'keyvault' ? 'denied' : 'allowed');
    const [system, app, federated] = checkedIdentities(catalogPlan(config, denied), config);
    const vault = `${RG}/providers/Microsoft.KeyVault/vaults/kv-probes`;
    assert.deepEqual(
      system.grants.map((g) => [g.role, g.scope, g.for]),
      [
        ['Key Vault Secrets User', vault, 'system-assigned/keyvault'],
        [
          'Storage Blob Data Reader',
          `${ACCOUNT}/blobServices/default/containers/canary`,
          'system-assigned/blob',
        ],
        ['Reader', RG, 'system-assigned/arm'],
        [
          'Storage Blob Data Contributor',
          `${ACCOUNT}/blobServices/default/containers/probe-status`,
          'status writer',
        ],
      ],
    );
    assert.equal(app.grants.length, 3, 'one principal, its grants once');
    assert.deepEqual(
      federated.grants.map((g) => g.role),
      ['Storage Blob Data Reader', 'Reader'],
      'nothing where the probe is denied',
    );
    // The denied resource's scope is still read: a grant there is excess.
    assert.deepEqual(
      federated.scopes.map((s) => s.name),
      ['subscription', 'resourceGroup', 'keyVault', 'storageAccount', 'canaryContainer', 'statusContainer'],
    );
    assert.ok(federated.scopes.every((s) => s.id?.startsWith(`/subscriptions/${SUB}`)));
  });

  it('STATUS_CLIENT_ID moves the status writer role to the identity with that client id', () => {
    const config = loadConfig(settings({ STATUS_CLIENT_ID: '22222222-0000-0000-0000-0000000000c1' }));
    const [system, app] = checkedIdentities(catalogPlan(config), config);
    assert.ok(!system.grants.some((g) => g.for === 'status writer'));
    assert.ok(app.grants.some((g) => g.for === 'status writer'));
  });

  it("a vault URL that does not name its vault: the app's KEY_VAULT_RESOURCE_ID for the app's own vault, else unknown", () => {
    const loopback = { KEY_VAULT_URL: 'https://127.0.0.1:8443/' };
    const named = `${RG}/providers/Microsoft.KeyVault/vaults/kv-local`;
    const app = loadConfig(settings({ ...loopback, KEY_VAULT_RESOURCE_ID: named }));
    const plan = catalogPlan(app);
    assert.deepEqual(resourceScope(plan.resources.get('keyvault')!, app), { id: named });
    // Another vault behind a loopback URL: no id, the problem named.
    const other = loadConfig(settings({ KEY_VAULT_URL: 'https://127.0.0.1:9443/' }));
    const r = resourceScope(
      { ...plan.resources.get('keyvault')!, name: 'orders-secret', config: other },
      app,
    );
    assert.equal(r.id, undefined);
    assert.match(r.problem!, /^the Key Vault scope of orders-secret cannot be told from its settings/);
  });
});
