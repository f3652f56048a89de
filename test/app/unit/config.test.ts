import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_ARM_ENDPOINT,
  DEFAULT_PROBE_SCHEDULE,
  DEFAULT_PROBE_TIMEOUT_MS,
  describeConfig,
  loadConfig,
  secretEnvValues,
  settingProblems,
} from '../../../src/config.ts';
import { IDENTITY_PATHS } from '../../../src/identities/index.ts';
import { PATH_IDS } from '../../../src/ids.ts';
import { probeOf } from '../../../src/core/plan.ts';
import { defaultPlan } from '../../../src/declaration/index.ts';
import { ProbeRunner } from '../../../src/probes/runner.ts';
import { TARGETS } from '../../../src/targets/index.ts';
import { TARGETS as CATALOG_TARGETS, type SettingFormat } from '../../../common/catalog.ts';

/** A valid value of each format of the catalog. */
const EXAMPLES: Record<SettingFormat, string> = {
  'https-url': 'https://example.com/canary',
  'https-or-loopback-url': 'https://example.com/token',
  guid: '6c7e9a32-8f0d-4b1e-9a55-0d2c3b4e5f60',
  'secret-name': 'canary',
  'container-name': 'canary',
  'queue-name': 'canary-queue',
  'arm-scope': '/subscriptions/fede0978-e421-4650-9304-746eefba010e/resourceGroups/rg-identity-probes',
  'resource-group': 'rg-identity-probes',
  'vault-resource-id':
    '/subscriptions/fede0978-e421-4650-9304-746eefba010e/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv',
  'uami-resource-id':
    '/subscriptions/fede0978-e421-4650-9304-746eefba010e/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id',
  'token-credentials': 'prod',
  'absolute-path': '/var/run/secrets/token',
  'json-path': 'declarations/default.json',
  'probe-timeout-ms': '10000',
  ncrontab: '0 */5 * * * *',
  'cache-ms': '5000',
  bool: 'false',
  'host-list': '127.0.0.1,localhost',
};

const BASE = {
  KEY_VAULT_URL: 'https://kv-x.vault.azure.net/',
  KEY_VAULT_SECRET_NAME: 'canary',
  BLOB_SERVICE_URL: 'https://stx.blob.core.windows.net/',
  BLOB_CONTAINER_NAME: 'canary',
  AZURE_SUBSCRIPTION_ID: 'fede0978-e421-4650-9304-746eefba010e',
  AZURE_RESOURCE_GROUP: 'rg-identity-probes',
  UAMI_CLIENT_ID: '57b12e89-41f9-4736-aa94-667e627225ef',
  UAMI_OBJECT_ID: '63b2d18a-12b0-4881-b036-8fda3dae8b69',
  UAMI_RESOURCE_ID:
    '/subscriptions/fede0978-e421-4650-9304-746eefba010e/resourceGroups/rg-identity-probes/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-probes-app',
  SYSTEM_PRINCIPAL_ID: 'dc02f8ab-6df4-4829-bacd-4e730c4e42f2',
  AZURE_CLIENT_ID: '57b12e89-41f9-4736-aa94-667e627225ef',
  AZURE_TENANT_ID: '0ddb16eb-3bbd-4edd-9043-81e700fd85cd',
  FEDERATED_CLIENT_ID: '115a83f8-df5d-40ef-8b07-b289488cdd0c',
  FEDERATED_PRINCIPAL_ID: '9e395a69-d650-4867-aeac-24efa03d5ea7',
  FEDERATED_TOKEN_FILE: '/var/run/secrets/token',
  STATUS_BLOB_SERVICE_URL: 'https://stx.blob.core.windows.net/',
  STATUS_CONTAINER_NAME: 'probe-status',
};

/** BASE, plus a valid value for every setting of a target BASE names none of (a target added to the catalog). */
const GOOD: typeof BASE = {
  ...Object.fromEntries(
    Object.values(CATALOG_TARGETS)
      .map((t) => Object.entries(t.settings) as Array<[string, { format: SettingFormat }]>)
      .filter((settings) => !settings.some(([n]) => n in BASE))
      .flatMap((settings) => settings.map(([n, f]) => [n, EXAMPLES[f.format]])),
  ),
  ...BASE,
};

function problemsOf(env: Record<string, string>) {
  const config = loadConfig(env);
  const out: Record<string, string[]> = {};
  for (const p of PATH_IDS)
    for (const t of Object.values(TARGETS)) {
      const names = [...IDENTITY_PATHS[p].problems(config), ...t.problems(config)].map((i) => i.setting);
      if (names.length) out[`${p}/${t.id}`] = names;
    }
  return out;
}

describe('config', () => {
  it('applies defaults and validates a complete environment with no issues', () => {
    const c = loadConfig(GOOD);
    assert.deepEqual(c.issues, []);
    assert.equal(c.arm.endpoint, DEFAULT_ARM_ENDPOINT);
    assert.equal(c.probeTimeoutMs, DEFAULT_PROBE_TIMEOUT_MS);
    assert.equal(c.probeSchedule, DEFAULT_PROBE_SCHEDULE);
    assert.equal(c.status.cacheMs, 5000);
    assert.deepEqual(problemsOf(GOOD), {});
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.uami), 'config is frozen');
  });

  it('ARM token audience: ARM_AUDIENCE, else ARM_ENDPOINT, else the public cloud', () => {
    assert.equal(loadConfig(GOOD).arm.audience, 'https://management.azure.com');
    const gov = loadConfig({ ...GOOD, ARM_ENDPOINT: 'https://management.usgovcloudapi.net/' });
    assert.equal(gov.arm.audience, 'https://management.usgovcloudapi.net');
    const local = loadConfig({
      ...GOOD,
      ARM_ENDPOINT: 'https://127.0.0.1:8443',
      ARM_AUDIENCE: 'https://management.azure.com/',
    });
    assert.deepEqual(
      [local.arm.endpoint, local.arm.audience],
      ['https://127.0.0.1:8443', 'https://management.azure.com'],
    );
  });

  it('treats empty strings as unset and strips trailing slashes from endpoints', () => {
    const c = loadConfig({ ...GOOD, ARM_ENDPOINT: 'https://127.0.0.1:8443/', FEDERATED_TOKEN_URL: '  ' });
    assert.equal(c.arm.endpoint, 'https://127.0.0.1:8443');
    assert.equal(c.federated.tokenUrl, undefined);
    assert.ok(!c.present.includes('FEDERATED_TOKEN_URL'));
  });

  it('a missing setting makes only the paths/targets that need it misconfigured, naming it', () => {
    const { KEY_VAULT_URL: _kv, SYSTEM_PRINCIPAL_ID: _sp, ...env } = GOOD;
    const p = problemsOf(env);
    // Key Vault: every path, only the keyvault target.
    for (const path of PATH_IDS) assert.ok(p[`${path}/keyvault`]?.includes('KEY_VAULT_URL'), path);
    // System principal: only the system-assigned path (default-chain names the UAMI through AZURE_CLIENT_ID).
    assert.deepEqual(p['system-assigned/arm'], ['SYSTEM_PRINCIPAL_ID']);
    assert.equal(p['uami-client-id/arm'], undefined);
    assert.equal(p['federated/blob'], undefined);
    assert.equal(p['default-chain/blob'], undefined);
  });

  it('an invalid setting is an issue naming it, and the affected paths report it', () => {
    const c = loadConfig({
      ...GOOD,
      UAMI_OBJECT_ID: 'not-a-guid',
      PROBE_TIMEOUT_MS: 'soon',
      KEY_VAULT_URL: 'http://kv',
    });
    assert.deepEqual(c.issues.map((i) => i.setting).sort(), [
      'KEY_VAULT_URL',
      'PROBE_TIMEOUT_MS',
      'UAMI_OBJECT_ID',
    ]);
    assert.match(c.issues.find((i) => i.setting === 'KEY_VAULT_URL')!.problem, /https/);
    assert.equal(c.probeTimeoutMs, DEFAULT_PROBE_TIMEOUT_MS, 'an invalid timeout falls back to the default');
    const p = problemsOf({ ...GOOD, UAMI_OBJECT_ID: 'not-a-guid' });
    for (const path of ['uami-client-id', 'uami-object-id', 'uami-resource-id', 'default-chain'])
      assert.ok(p[`${path}/arm`]?.includes('UAMI_OBJECT_ID'), path);
    assert.equal(p['system-assigned/arm'], undefined);
    assert.equal(p['federated/arm'], undefined);
  });

  it('federated needs exactly one token source', () => {
    const { FEDERATED_TOKEN_FILE: _f, ...none } = GOOD;
    assert.deepEqual(problemsOf(none)['federated/arm'], ['FEDERATED_TOKEN_FILE']);
    const both = loadConfig({ ...GOOD, FEDERATED_TOKEN_URL: 'https://token.example/x' });
    assert.ok(both.issues.some((i) => i.setting === 'FEDERATED_TOKEN_URL'));
    assert.deepEqual(problemsOf({ ...none, FEDERATED_TOKEN_URL: 'http://127.0.0.1:1/t' }), {});
  });

  it('FEDERATED_TOKEN_URL must be https, or http only to loopback; the problem names the setting', async () => {
    const { FEDERATED_TOKEN_FILE: _f, ...none } = GOOD;
    for (const url of [
      'https://token.example/x?audience=api://AzureADTokenExchange',
      'http://127.0.0.1:1/t',
      'http://[::1]:8080/t',
      'http://localhost:3000/t',
      'http://LOCALHOST/t',
    ]) {
      const c = loadConfig({ ...none, FEDERATED_TOKEN_URL: url });
      assert.deepEqual(c.issues, [], url);
      assert.equal(c.federated.tokenUrl, url);
    }
    for (const url of [
      'http://token.example/x',
      'http://10.0.0.5/t',
      'http://127.0.0.1.nip.io/t',
      'http://localhost.example.com/t',
      'http://127.0.0.2/t',
      'ftp://127.0.0.1/t',
    ]) {
      const config = loadConfig({ ...none, FEDERATED_TOKEN_URL: url });
      assert.deepEqual(
        config.issues,
        [
          {
            setting: 'FEDERATED_TOKEN_URL',
            problem: 'must be an https:// URL (http:// only to 127.0.0.1, ::1 or localhost)',
          },
        ],
        url,
      );
      assert.equal(config.federated.tokenUrl, undefined, url);
      assert.match(describeConfig(config), /invalid: FEDERATED_TOKEN_URL must be an https:\/\/ URL/);
      const problems = problemsOf({ ...none, FEDERATED_TOKEN_URL: url });
      assert.deepEqual(
        Object.keys(problems).sort(),
        Object.keys(TARGETS)
          .map((t) => `federated/${t}`)
          .sort(),
      );
      assert.deepEqual(problems['federated/arm'], ['FEDERATED_TOKEN_URL']);
    }
    // What a probe of the federated path then answers (settings are checked before any I/O).
    const config = loadConfig({ ...none, FEDERATED_TOKEN_URL: 'http://token.example/x' });
    const plan = defaultPlan(config);
    const r = await new ProbeRunner().runProbe(plan, probeOf(plan, 'federated', 'arm')!);
    assert.equal(r.outcome, 'misconfigured');
    assert.equal(r.detail?.setting, 'FEDERATED_TOKEN_URL');
    assert.match(r.detail!.message!, /^FEDERATED_TOKEN_URL must be an https:\/\/ URL/);
    assert.match(r.remediation!.summary, /FEDERATED_TOKEN_URL/);
  });

  it('rejects an AZURE_TOKEN_CREDENTIALS value DefaultAzureCredential would throw on, only for default-chain', () => {
    const p = problemsOf({ ...GOOD, AZURE_TOKEN_CREDENTIALS: 'ManagedIdentity' });
    assert.deepEqual(
      Object.keys(p).sort(),
      Object.keys(TARGETS)
        .map((t) => `default-chain/${t}`)
        .sort(),
    );
    assert.deepEqual(problemsOf({ ...GOOD, AZURE_TOKEN_CREDENTIALS: ' managedidentitycredential ' }), {});
  });

  it('default-chain without AZURE_CLIENT_ID expects the system identity', () => {
    const { AZURE_CLIENT_ID: _c, SYSTEM_PRINCIPAL_ID: _s, ...env } = GOOD;
    assert.deepEqual(problemsOf(env)['default-chain/arm'], ['SYSTEM_PRINCIPAL_ID']);
    const expected = IDENTITY_PATHS['default-chain'].expected(
      loadConfig({ ...env, SYSTEM_PRINCIPAL_ID: GOOD.SYSTEM_PRINCIPAL_ID }),
    );
    assert.equal(expected.oid?.value, GOOD.SYSTEM_PRINCIPAL_ID);
    assert.equal(expected.selector.kind, 'system');
  });

  it('detects the managed identity source msal-node will use, from presence only', () => {
    assert.equal(
      loadConfig({ IDENTITY_ENDPOINT: 'http://x', IDENTITY_HEADER: 'h' }).managedIdentitySource,
      'AppService',
    );
    assert.equal(loadConfig({ MSI_ENDPOINT: 'http://x' }).managedIdentitySource, 'CloudShell');
    assert.equal(loadConfig({}).managedIdentitySource, 'Imds');
    assert.deepEqual(loadConfig({ IDENTITY_HEADER: 'h' }).identityEnvironment.IDENTITY_HEADER, true);
  });

  it('logs names, switches and problems but never values', () => {
    const secret = 'super-secret-identity-header-value';
    const env = {
      ...GOOD,
      IDENTITY_HEADER: secret,
      KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true',
    };
    const line = describeConfig(loadConfig(env));
    assert.match(line, /LOCAL-ONLY switches ON: KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION/);
    assert.match(line, /settings set: .*KEY_VAULT_URL/);
    for (const v of Object.values(env))
      if (v.length > 8 && v !== 'true') assert.ok(!line.includes(v), `value leaked: ${v}`);
    assert.deepEqual(secretEnvValues(env), [secret]);
  });

  it('settingProblems reports missing required and invalid optional settings', () => {
    const c = loadConfig({ AZURE_TENANT_ID: 'nope' });
    assert.deepEqual(settingProblems(c, ['SYSTEM_PRINCIPAL_ID'], ['AZURE_TENANT_ID', 'UAMI_CLIENT_ID']), [
      { setting: 'SYSTEM_PRINCIPAL_ID', problem: 'is not set' },
      { setting: 'AZURE_TENANT_ID', problem: 'must be a GUID' },
    ]);
  });

  it('values: every valid setting by its catalog name (how a target reads its own), invalid ones absent', () => {
    const c = loadConfig({
      ...GOOD,
      KEY_VAULT_URL: 'http://kv-x.vault.azure.net/',
      PROBE_TIMEOUT_MS: '5000',
    });
    assert.equal(c.values.BLOB_CONTAINER_NAME, 'canary');
    assert.equal(c.values.PROBE_TIMEOUT_MS, '5000');
    assert.equal(c.values.KEY_VAULT_URL, undefined, 'an invalid value is not handed out');
    assert.deepEqual(c.issues, [{ setting: 'KEY_VAULT_URL', problem: 'must be an https:// URL' }]);
    assert.ok(Object.isFrozen(c.values));
  });
});
