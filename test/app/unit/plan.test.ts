// The plan (src/declaration/compile.ts): a declaration compiled into what the app runs. The default declaration is
// the canary demo with the app's own settings; a team's declaration gives each identity and resource its own fields
// as the settings of the module that runs it, and results name what the declaration wrote.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { PATH_IDS, TARGET_IDS } from '../../../common/catalog.ts';
import { loadDeclaration } from '../../../common/declaration/parse.ts';
import {
  IDENTITY_KINDS as SCHEMA_IDENTITY_KINDS,
  RESOURCE_KINDS as SCHEMA_RESOURCE_KINDS,
} from '../../../common/declaration/schema.ts';
import { loadConfig } from '../../../src/config.ts';
import { probeOf } from '../../../src/core/plan.ts';
import { defaultPlan, planOf } from '../../../src/declaration/index.ts';
import { compilePlan, KINDS } from '../../../src/declaration/compile.ts';
import { ProbeRunner } from '../../../src/probes/runner.ts';

const SUB = 'fede0978-e421-4650-9304-746eefba010e';
const APP: Record<string, string> = {
  SYSTEM_PRINCIPAL_ID: '11111111-1111-4111-8111-111111111111',
  UAMI_CLIENT_ID: '22222222-2222-4222-8222-222222222222',
  UAMI_OBJECT_ID: '33333333-3333-4333-8333-333333333333',
  UAMI_RESOURCE_ID: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-app`,
  AZURE_CLIENT_ID: '22222222-2222-4222-8222-222222222222',
  AZURE_TENANT_ID: '44444444-4444-4444-8444-444444444444',
  FEDERATED_CLIENT_ID: '55555555-5555-4555-8555-555555555555',
  FEDERATED_PRINCIPAL_ID: '66666666-6666-4666-8666-666666666666',
  FEDERATED_TOKEN_FILE: '/var/run/secrets/token',
  KEY_VAULT_URL: 'https://kv-x.vault.azure.net/',
  KEY_VAULT_SECRET_NAME: 'canary',
  BLOB_SERVICE_URL: 'https://stx.blob.core.windows.net/',
  BLOB_CONTAINER_NAME: 'canary',
  AZURE_SUBSCRIPTION_ID: SUB,
  AZURE_RESOURCE_GROUP: 'rg-identity-probes',
  PROBE_TIMEOUT_MS: '4000',
};
const TEAM = JSON.parse(
  readFileSync(new URL('../../sandbox/fixtures/team-declaration.json', import.meta.url), 'utf8'),
) as unknown;
const TEAM_SETTINGS: Record<string, string> = {
  ...APP,
  API_CLIENT_ID: '77777777-7777-4777-8777-777777777777',
  API_OBJECT_ID: '88888888-8888-4888-8888-888888888888',
  BATCH_CLIENT_ID: '99999999-9999-4999-8999-999999999999',
  BATCH_OBJECT_ID: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
  BATCH_TOKEN_FILE: '/var/run/secrets/batch',
  ORDERS_VAULT_URL: 'https://kv-orders.vault.azure.net/',
  ORDERS_BLOB_URL: 'https://storders.blob.core.windows.net/',
  ORDERS_QUEUE_URL: 'https://storders.queue.core.windows.net/',
  ORDERS_SUBSCRIPTION: 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb',
  ORDERS_GROUP: 'rg-orders',
  ARM_ENDPOINT: 'https://management.azure.com',
};
const read = (raw: unknown) => ({ raw, source: 'test', readAt: new Date(0).toISOString() });

describe('plan', () => {
  test('the default declaration is the canary demo: 6 paths x 3 targets, with the app settings unchanged', () => {
    const config = loadConfig(APP);
    const plan = defaultPlan(config);
    assert.equal(plan.declaration.complete, true, JSON.stringify(plan.declaration.problems));
    assert.deepEqual(
      plan.probes.map((p) => p.id),
      PATH_IDS.flatMap((p) => TARGET_IDS.map((t) => `${p}/${t}`)),
    );
    assert.deepEqual([...plan.identities.keys()], [...PATH_IDS]);
    for (const p of plan.probes) {
      assert.equal(p.identity, plan.identities.get(p.identity)!.path.id, 'each identity runs its own path');
      assert.equal(p.resource, plan.resources.get(p.resource)!.target.id, 'each resource its own target');
      assert.deepEqual(p.settingNames, {}, `${p.id}: the settings are the app's own`);
      for (const key of ['uami', 'keyVault', 'blob', 'arm', 'federated', 'systemPrincipalId'] as const)
        assert.deepEqual(p.config[key], config[key], `${p.id} ${key}`);
      assert.equal(p.config.probeTimeoutMs, 4000);
    }
  });

  test("a team's declaration: each identity and resource runs with its own fields", () => {
    const plan = planOf(read(TEAM), loadConfig(APP), TEAM_SETTINGS);
    const api = plan.identities.get('api')!;
    assert.equal(api.path.id, 'uami-client-id', 'user-assigned selected by client ID');
    assert.equal(api.config.uami.clientId, TEAM_SETTINGS.API_CLIENT_ID);
    assert.equal(api.config.uami.objectId, TEAM_SETTINGS.API_OBJECT_ID);
    assert.equal(api.config.uami.resourceId, undefined, "the app's own UAMI resource id does not leak in");
    const batch = plan.identities.get('batch')!;
    assert.equal(batch.path.id, 'federated');
    assert.equal(batch.config.federated.tokenFile, '/var/run/secrets/batch');
    assert.equal(batch.config.federated.resourceId, undefined);
    assert.equal(plan.identities.get('app')!.path.id, 'system-assigned');

    const secret = probeOf(plan, 'api', 'orders-secret')!;
    assert.equal(secret.config.keyVault.url, TEAM_SETTINGS.ORDERS_VAULT_URL);
    assert.equal(secret.config.keyVault.secretName, 'db-password', 'literal values are used as written');
    assert.equal(secret.config.uami.clientId, TEAM_SETTINGS.API_CLIENT_ID);
    const rg = probeOf(plan, 'app', 'orders-rg')!;
    assert.equal(rg.config.arm.subscriptionId, TEAM_SETTINGS.ORDERS_SUBSCRIPTION);
    assert.equal(rg.config.arm.resourceGroup, 'rg-orders');
    assert.equal(probeOf(plan, 'app', 'orders-secret')!.expect, 'denied');
    assert.equal(probeOf(plan, 'batch', 'orders-rg')!.expect, 'denied');
    // What the declaration calls the modules' settings.
    assert.equal(secret.settingNames.UAMI_CLIENT_ID, 'API_CLIENT_ID');
    assert.equal(secret.settingNames.KEY_VAULT_URL, 'ORDERS_VAULT_URL');
    assert.equal(secret.settingNames.KEY_VAULT_SECRET_NAME, 'resources.orders-secret.secretName');
    assert.equal(rg.settingNames.AZURE_RESOURCE_GROUP, 'ORDERS_GROUP');
  });

  test('an unset %SETTING% keeps the probe: it answers misconfigured naming the setting the declaration uses', async () => {
    const settings = { ...TEAM_SETTINGS };
    delete settings.BATCH_CLIENT_ID;
    const plan = planOf(read(TEAM), loadConfig(APP), settings);
    assert.equal(plan.declaration.complete, false);
    assert.deepEqual(
      plan.declaration.problems.map((p) => `${p.entry} ${p.field}: ${p.message}`),
      ['identities.batch clientId: setting BATCH_CLIENT_ID is not set'],
    );
    const probe = probeOf(plan, 'batch', 'orders-blobs');
    assert.ok(probe, 'the probe is still planned');
    // Settings are checked before any I/O: no network here.
    const r = await new ProbeRunner().runProbe(plan, probe);
    assert.equal(r.outcome, 'misconfigured');
    assert.equal(r.detail?.setting, 'BATCH_CLIENT_ID');
    assert.match(r.remediation!.summary, /BATCH_CLIENT_ID/);
    assert.doesNotMatch(
      JSON.stringify(r),
      /FEDERATED_CLIENT_ID/,
      'the module’s own setting name is not shown',
    );
  });

  test('a kind this build cannot probe is a problem of its probes, not a crash', () => {
    const loaded = loadDeclaration(TEAM, { settings: TEAM_SETTINGS, keepValueProblems: true });
    const resources = new Map(KINDS.resources);
    resources.delete('keyvault-secret');
    const plan = compilePlan(loaded, loadConfig(APP), read(TEAM), {
      identities: KINDS.identities,
      resources,
    });
    assert.ok(!plan.probes.some((p) => p.resource === 'orders-secret'), 'its probes are left out');
    assert.ok(
      plan.probes.some((p) => p.resource === 'orders-blobs'),
      'the others run',
    );
    assert.equal(plan.declaration.complete, false);
    assert.deepEqual(
      plan.declaration.problems
        .filter((p) => p.entry === 'resources.orders-secret')
        .map((p) => `${p.probe} ${p.field}`),
      ['app/orders-secret kind', 'api/orders-secret kind', 'batch/orders-secret kind'],
    );
    assert.match(plan.declaration.problems[0].message, /keyvault-secret' cannot be probed/);
  });

  test('every identity and resource kind of the schema has a module that runs it', () => {
    for (const kind of SCHEMA_IDENTITY_KINDS) assert.ok(KINDS.identities.has(kind), `identity kind ${kind}`);
    for (const kind of SCHEMA_RESOURCE_KINDS) assert.ok(KINDS.resources.has(kind), `resource kind ${kind}`);
  });
});
