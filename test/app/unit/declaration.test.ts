// The probe declaration (common/declaration/): the default one is the canary demo, and a bad declaration costs only
// the probes it names, each problem naming its entry and field.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { PATH_IDS, TARGET_IDS } from '../../../common/catalog.ts';
import { defaultDeclaration } from '../../../common/declaration/default.ts';
import { loadDeclaration, type LoadedDeclaration } from '../../../common/declaration/parse.ts';
import { declarationSchema } from '../../../common/declaration/schema.ts';
import { FORMATS } from '../../../src/settingFormats.ts';

const SUB = 'fede0978-e421-4650-9304-746eefba010e';
const SETTINGS: Record<string, string> = {
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
  ARM_ENDPOINT: 'https://management.azure.com',
};
const check = (format: keyof typeof FORMATS, value: string) => FORMATS[format](value);
const load = (raw: unknown, settings: Record<string, string> = SETTINGS): LoadedDeclaration =>
  loadDeclaration(raw, { settings, check });

/** A declaration as plain JSON, to break one field of at a time. */
interface Draft {
  [field: string]: unknown;
  identities: Record<string, Record<string, unknown>>;
  resources: Record<string, Record<string, unknown>>;
  probes: Array<Record<string, unknown>>;
}

/** A small valid declaration. */
function small(): Draft {
  return {
    schemaVersion: 1,
    name: 'team-a',
    version: '2026-12-05',
    identities: {
      api: {
        kind: 'user-assigned',
        selectBy: 'client-id',
        clientId: '%UAMI_CLIENT_ID%',
        principalId: '%UAMI_OBJECT_ID%',
      },
      sys: { kind: 'system-assigned', principalId: '%SYSTEM_PRINCIPAL_ID%' },
    },
    resources: {
      vault: { kind: 'keyvault-secret', vaultUrl: '%KEY_VAULT_URL%', secretName: 'db-password' },
      orders: { kind: 'storage-queue', serviceUrl: 'https://stx.queue.core.windows.net/', queue: 'orders' },
    },
    probes: [
      { identity: 'api', resource: 'vault' },
      { identity: 'sys', resource: 'vault', expect: 'denied' },
      { identity: 'api', resource: 'orders' },
    ],
  };
}

describe('probe declaration', () => {
  test('the default declaration is the canary demo: every path x target, allowed, with the settings resolved', () => {
    const raw = JSON.parse(
      readFileSync(new URL('../../../declarations/default.json', import.meta.url), 'utf8'),
    );
    assert.ok(declarationSchema.safeParse(raw).success, 'the editor schema accepts it');
    const d = load(raw);
    assert.deepEqual(d.problems, []);
    assert.equal(d.complete, true);
    assert.deepEqual(
      d.probes.map((p) => p.id),
      PATH_IDS.flatMap((p) => TARGET_IDS.map((t) => `${p}/${t}`)),
    );
    assert.ok(d.probes.every((p) => p.expect === 'allowed'));
    const arm = d.probes.find((p) => p.id === 'system-assigned/arm')!.resource;
    assert.deepEqual(arm, {
      kind: 'arm-scope',
      scope: `/subscriptions/${SUB}/resourceGroups/rg-identity-probes`,
      endpoint: 'https://management.azure.com',
    });
    // Optional fields that only name an unset setting are left out (ARM_AUDIENCE, AZURE_TOKEN_CREDENTIALS,
    // FEDERATED_TOKEN_URL here); the federated identity gets exactly its file.
    const fed = d.probes.find((p) => p.id === 'federated/keyvault')!.identity;
    assert.equal((fed as { tokenFile?: string }).tokenFile, '/var/run/secrets/token');
    assert.equal('tokenUrl' in fed, false);
    assert.deepEqual(defaultDeclaration(), raw);
  });

  test('a small declaration of its own: three probes, one of them denied', () => {
    const d = load(small());
    assert.deepEqual(d.problems, []);
    assert.deepEqual(
      d.probes.map((p) => [p.id, p.expect]),
      [
        ['api/vault', 'allowed'],
        ['sys/vault', 'denied'],
        ['api/orders', 'allowed'],
      ],
    );
    assert.equal(
      d.probes[0].identity.kind === 'user-assigned' && d.probes[0].identity.clientId,
      SETTINGS.UAMI_CLIENT_ID,
    );
  });

  // Each bad declaration: what is changed, and the problems it must give (entry, probe, field, message part); the
  // probes not named still run.
  const BAD: Array<{
    name: string;
    change: (d: Draft) => void;
    settings?: Record<string, string>;
    problems: Array<{ entry: string; probe?: string; field?: string; message: RegExp }>;
    runs: string[];
  }> = [
    {
      name: 'unknown identity kind',
      change: (d) => (d.identities.sys.kind = 'managed'),
      problems: [
        {
          entry: 'identities.sys',
          field: 'kind',
          message: /unknown kind 'managed': one of system-assigned, user-assigned/,
        },
        {
          entry: 'probes[1]',
          probe: 'sys/vault',
          field: 'identity',
          message: /identity 'sys' is invalid \(see identities.sys\)/,
        },
      ],
      runs: ['api/vault', 'api/orders'],
    },
    {
      name: 'unknown resource kind',
      change: (d) => (d.resources.orders.kind = 'service-bus-queue'),
      problems: [
        {
          entry: 'resources.orders',
          field: 'kind',
          message: /unknown kind 'service-bus-queue': one of keyvault-secret/,
        },
        {
          entry: 'probes[2]',
          probe: 'api/orders',
          field: 'resource',
          message: /resource 'orders' is invalid/,
        },
      ],
      runs: ['api/vault', 'sys/vault'],
    },
    {
      name: 'duplicate probe id',
      change: (d) => d.probes.push({ identity: 'api', resource: 'vault', expect: 'denied' }),
      problems: [
        { entry: 'probes[3]', probe: 'api/vault', field: 'id', message: /duplicate probe id 'api\/vault'/ },
      ],
      runs: ['api/vault', 'sys/vault', 'api/orders'],
    },
    {
      name: 'an identity that cannot be parsed (client ID not a GUID)',
      change: (d) => (d.identities.api.clientId = 'not-a-guid'),
      problems: [
        { entry: 'identities.api', field: 'clientId', message: /must be a GUID/ },
        { entry: 'probes[0]', probe: 'api/vault', field: 'identity', message: /invalid/ },
        { entry: 'probes[2]', probe: 'api/orders', field: 'identity', message: /invalid/ },
      ],
      runs: ['sys/vault'],
    },
    {
      name: 'a resource that cannot be parsed (vault URL over http)',
      change: (d) => (d.resources.vault.vaultUrl = 'http://kv-x.vault.azure.net/'),
      problems: [
        { entry: 'resources.vault', field: 'vaultUrl', message: /must be an https:\/\/ URL/ },
        { entry: 'probes[0]', probe: 'api/vault', field: 'resource', message: /invalid/ },
        { entry: 'probes[1]', probe: 'sys/vault', field: 'resource', message: /invalid/ },
      ],
      runs: ['api/orders'],
    },
    {
      name: 'a %SETTING% that is not set',
      change: () => undefined,
      settings: { ...SETTINGS, KEY_VAULT_URL: '' },
      problems: [
        { entry: 'resources.vault', field: 'vaultUrl', message: /setting KEY_VAULT_URL is not set/ },
        { entry: 'probes[0]', probe: 'api/vault', field: 'resource', message: /invalid/ },
        { entry: 'probes[1]', probe: 'sys/vault', field: 'resource', message: /invalid/ },
      ],
      runs: ['api/orders'],
    },
    {
      name: 'a denied expectation with no target',
      change: (d) => d.probes.push({ id: 'sys-nothing', identity: 'sys', expect: 'denied' }),
      problems: [
        {
          entry: 'probes[3]',
          probe: 'sys-nothing',
          field: 'resource',
          message: /a denied expectation needs a resource/,
        },
      ],
      runs: ['api/vault', 'sys/vault', 'api/orders'],
    },
    {
      name: 'a probe naming an identity that is not declared',
      change: (d) => d.probes.push({ identity: 'worker', resource: 'orders' }),
      problems: [
        {
          entry: 'probes[3]',
          probe: 'worker/orders',
          field: 'identity',
          message: /no identity named 'worker'/,
        },
      ],
      runs: ['api/vault', 'sys/vault', 'api/orders'],
    },
    {
      name: 'an expectation that is neither allowed nor denied',
      change: (d) => (d.probes[2].expect = 'maybe'),
      problems: [{ entry: 'probes[2]', field: 'expect', message: /must be one of allowed, denied/ }],
      runs: ['api/vault', 'sys/vault'],
    },
    {
      name: 'a user-assigned identity selected by an id it does not give',
      change: (d) => (d.identities.api.selectBy = 'resource-id'),
      problems: [
        { entry: 'identities.api', field: 'resourceId', message: /selectBy 'resource-id' needs resourceId/ },
        { entry: 'probes[0]', probe: 'api/vault', field: 'identity', message: /invalid/ },
        { entry: 'probes[2]', probe: 'api/orders', field: 'identity', message: /invalid/ },
      ],
      runs: ['sys/vault'],
    },
    {
      name: 'a federated identity with both a token file and a token URL',
      change: (d) => {
        d.identities.fed = {
          kind: 'federated',
          tenantId: '%AZURE_TENANT_ID%',
          clientId: '%FEDERATED_CLIENT_ID%',
          principalId: '%FEDERATED_PRINCIPAL_ID%',
          tokenFile: '/var/run/secrets/token',
          tokenUrl: 'https://issuer.example.com/token',
        };
        d.probes.push({ identity: 'fed', resource: 'vault' });
      },
      problems: [
        { entry: 'identities.fed', field: 'tokenFile', message: /exactly one of tokenFile and tokenUrl/ },
        { entry: 'probes[3]', probe: 'fed/vault', field: 'identity', message: /invalid/ },
      ],
      runs: ['api/vault', 'sys/vault', 'api/orders'],
    },
    {
      name: 'an unknown field in an entry',
      change: (d) => (d.resources.orders.queueName = 'orders'),
      problems: [
        { entry: 'resources.orders', message: /queueName/ },
        { entry: 'probes[2]', probe: 'api/orders', field: 'resource', message: /invalid/ },
      ],
      runs: ['api/vault', 'sys/vault'],
    },
  ];

  for (const c of BAD)
    test(`bad declaration: ${c.name}`, () => {
      const raw = small();
      c.change(raw);
      const d = load(raw, c.settings);
      assert.equal(d.complete, false);
      assert.equal(d.problems.length, c.problems.length, JSON.stringify(d.problems, null, 1));
      c.problems.forEach((want, i) => {
        const got = d.problems[i];
        assert.equal(got.entry, want.entry, JSON.stringify(got));
        assert.equal(got.probe, want.probe, JSON.stringify(got));
        if (want.field) assert.equal(got.field, want.field, JSON.stringify(got));
        assert.match(got.message, want.message);
      });
      assert.deepEqual(
        d.probes.map((p) => p.id),
        c.runs,
      );
    });

  test('a file that is not a declaration runs nothing and says why', () => {
    for (const [raw, field] of [
      [[], ''],
      [{ ...small(), schemaVersion: 2 }, 'schemaVersion'],
      [{ ...small(), probes: [] }, 'probes'],
      [{ ...small(), identities: [] }, 'identities'],
    ] as const) {
      const d = load(raw);
      assert.deepEqual(d.probes, []);
      assert.equal(d.complete, false);
      assert.equal(d.problems.at(-1)!.entry, 'declaration');
      assert.equal(d.problems.at(-1)!.field, field);
    }
  });
});
