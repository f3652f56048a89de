// A sandbox world built from a probe declaration (sandbox/declaration.ts): 3 identities (system-assigned,
// user-assigned by client ID, federated) x 4 resources of all four kinds, two of them `denied`. Each identity runs in
// its own process with the real credential (the sandbox's App Service managed identity endpoint, or Entra federation
// with the sandbox's OIDC token file) and the real SDK clients, against the URLs the declaration's `%SETTING%`
// references resolve to in the connection's appSettings, as the app will. Then the admin API grants a forbidden role
// and removes an allowed one, and the cells follow. Bad declarations are refused before anything listens.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { loadDeclaration } from '../../common/declaration/parse.ts';
import type { SandboxConnection } from '../../sandbox/connection.ts';
import {
  amendWorld,
  declarationInfo,
  DeclarationError,
  planDeclaration,
} from '../../sandbox/declaration/index.ts';
import { startSandbox } from '../../sandbox/index.ts';
import { loadWorld } from '../../sandbox/world.ts';
import { childEnv, runMarkedChild } from '../../support/child.ts';
import { admin, useTestSandbox } from '../support/sandbox.ts';
import type { Cell, CellResult, Credential } from './fixtures/declaration-child.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(HERE, 'fixtures', 'team-declaration.json');
const CHILD = join(HERE, 'fixtures', 'declaration-child.ts');
const MARKER = '@@DECLARATION-CELLS@@';
const REPO = join(HERE, '..', '..');

const declared = JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
  identities: Record<string, Record<string, string>>;
  resources: Record<string, Record<string, string>>;
  probes: Array<{ identity: string; resource: string; expect?: string }>;
};

/** The declaration resolved against the sandbox's appSettings by the loader the app uses. */
function resolved(conn: SandboxConnection) {
  const loaded = loadDeclaration(declared, { settings: conn.appSettings });
  assert.deepEqual(loaded.problems, [], 'the declaration loads whole against the sandbox settings');
  return loaded;
}

function credentialOf(conn: SandboxConnection, identity: string): Credential {
  const probe = resolved(conn).probes.find((p) => p.identityName === identity)!;
  const id = probe.identity;
  if (id.kind === 'federated')
    return {
      kind: 'federated',
      tenantId: id.tenantId,
      clientId: id.clientId,
      tokenFile: id.tokenFile!,
      authorityHost: conn.appSettings.AZURE_AUTHORITY_HOST,
    };
  if (id.kind === 'user-assigned') return { kind: 'managed-identity', clientId: id.clientId };
  return { kind: 'managed-identity' };
}

function cellsOf(conn: SandboxConnection, identity: string, only?: string[]): Cell[] {
  return resolved(conn)
    .probes.filter((p) => p.identityName === identity && (!only || only.includes(p.resourceName)))
    .map((p): Cell => {
      const r = p.resource;
      const resource = p.resourceName;
      switch (r.kind) {
        case 'keyvault-secret':
          return { resource, kind: r.kind, vaultUrl: r.vaultUrl, secretName: r.secretName };
        case 'blob-container':
          return { resource, kind: r.kind, serviceUrl: r.serviceUrl, container: r.container };
        case 'storage-queue':
          return { resource, kind: r.kind, serviceUrl: r.serviceUrl, queue: r.queue };
        case 'arm-scope': {
          const m = /^\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+))?$/.exec(r.scope)!;
          return {
            resource,
            kind: r.kind,
            endpoint: r.endpoint!,
            subscriptionId: m[1],
            ...(m[2] ? { resourceGroup: m[2] } : {}),
          };
        }
      }
    });
}

/** The identity's cells, in a process of its own with only the App Service MI variables and the sandbox CA. */
async function run(
  conn: SandboxConnection,
  identity: string,
  only?: string[],
): Promise<Map<string, CellResult>> {
  const spec = { credential: credentialOf(conn, identity), cells: cellsOf(conn, identity, only) };
  const { value } = await runMarkedChild<CellResult[]>(
    CHILD,
    JSON.stringify(spec),
    childEnv({
      NODE_EXTRA_CA_CERTS: conn.caCertPath,
      IDENTITY_ENDPOINT: conn.appSettings.IDENTITY_ENDPOINT,
      IDENTITY_HEADER: conn.appSettings.IDENTITY_HEADER,
    }),
    MARKER,
    90_000,
  );
  return new Map(value.map((r) => [r.resource, r]));
}

/** The service's refusal of each kind, as the real service sends it (docs/data-plane.md). */
function assertRefused(kind: string, r: CellResult, cell: string): void {
  assert.ok(r.error, `${cell} must be refused, got ${JSON.stringify(r.ok)}`);
  assert.equal(r.error.statusCode, 403, `${cell}: ${r.error.message}`);
  if (kind === 'keyvault-secret') assert.equal(r.error.innerCode, 'ForbiddenByRbac', cell);
  else if (kind === 'arm-scope') assert.equal(r.error.code, 'AuthorizationFailed', cell);
  else assert.equal(r.error.code, 'AuthorizationPermissionMismatch', cell);
}

describe(
  'a sandbox world from a declaration (3 identities x 4 resources, two denied)',
  { timeout: 300_000 },
  () => {
    const sb = useTestSandbox(() => {}, 'healthy', { declaration: FIXTURE });

    it('gives every reference the declaration uses a value the sandbox serves, in appSettings', () => {
      const conn = sb.connection;
      const loaded = resolved(conn);
      assert.equal(loaded.probes.length, 12);
      assert.equal(conn.declaration?.name, 'team-orders');
      // 10 allowed probes, 10 derived grants, none for the denied ones.
      assert.equal(conn.declaration?.grants.length, 10);
      for (const denied of declared.probes.filter((p) => p.expect === 'denied'))
        assert.ok(
          !conn.declaration.grants.some(
            (g) => g.identity === denied.identity && g.resource === denied.resource,
          ),
          `${denied.identity}/${denied.resource} is granted nothing`,
        );
      const kv = loaded.probes.find((p) => p.resourceName === 'orders-secret')!.resource;
      assert.ok(
        kv.kind === 'keyvault-secret' && kv.vaultUrl.startsWith('https://127.0.0.1:'),
        'the vault is local',
      );
      assert.equal(conn.appSettings.ORDERS_SUBSCRIPTION, conn.subscriptionId);
      assert.equal(conn.appSettings.API_OBJECT_ID, conn.declaration.identities.api.principalId);
      assert.deepEqual(conn.declaration.warnings, [], 'no denied cell is let in by the world');
    });

    it("healthy world: each allowed cell gets in, each denied cell gets the service's refusal", async () => {
      const conn = sb.connection;
      const byIdentity = await Promise.all(['app', 'api', 'batch'].map((i) => run(conn, i)));
      const results = new Map(['app', 'api', 'batch'].map((i, n) => [i, byIdentity[n]]));
      let checked = 0;
      for (const p of declared.probes) {
        const r = results.get(p.identity)!.get(p.resource)!;
        const cell = `${p.identity}/${p.resource}`;
        const kind = declared.resources[p.resource].kind;
        if (p.expect === 'denied') assertRefused(kind, r, cell);
        else assert.ok(r.ok, `${cell} must get in: ${JSON.stringify(r.error)}`);
        checked++;
      }
      assert.equal(checked, 12);
      assert.deepEqual(results.get('api')!.get('orders-secret')!.ok, { name: 'db-password', hasValue: true });
    });

    it('a role the admin API grants lets a denied cell in; the roles it removes shut allowed cells out', async () => {
      const conn = sb.connection;
      const d = conn.declaration!;
      await admin(conn, 'POST', '/_sandbox/role-assignments', {
        principalId: d.identities.app.principalId,
        roleName: 'Key Vault Secrets User',
        scope: d.resources['orders-secret'].scope,
      });
      // Every role of the api identity but the vault's: Reader on the group goes too, since the Blob gateway lets its
      // */read cover the container's properties (containers/read is an action; docs/declaration.md).
      const { roleAssignments } = await admin<{ roleAssignments: Array<{ id: string; scope: string }> }>(
        conn,
        'GET',
        `/_sandbox/role-assignments?principalId=${d.identities.api.principalId}`,
      );
      const removed = roleAssignments.filter((a) => a.scope !== d.resources['orders-secret'].scope);
      assert.equal(removed.length, 3);
      for (const a of removed) await admin(conn, 'DELETE', `/_sandbox/role-assignments/${a.id}`);

      const app = await run(conn, 'app', ['orders-secret']);
      assert.ok(app.get('orders-secret')!.ok, `granted: ${JSON.stringify(app.get('orders-secret')!.error)}`);
      const api = await run(conn, 'api');
      assert.ok(api.get('orders-secret')!.ok, 'the role left in place still lets it in');
      for (const resource of ['orders-blobs', 'orders-rg', 'orders-queue'])
        assertRefused(
          declared.resources[resource].kind,
          api.get(resource)!,
          `api/${resource} after the removal`,
        );
    });
  },
);

describe('a declaration the sandbox cannot build', () => {
  const base = () =>
    structuredClone(declared) as unknown as Record<string, Record<string, Record<string, unknown>>>;
  const refusal = (mutate: (d: ReturnType<typeof base>) => void): string => {
    const d = base();
    mutate(d);
    try {
      planDeclaration(d, 'bad.json');
    } catch (err) {
      assert.ok(err instanceof DeclarationError, String(err));
      return err.message;
    }
    assert.fail('the declaration was accepted');
  };

  const cases: Array<[string, (d: ReturnType<typeof base>) => void, RegExp]> = [
    [
      'a literal vault URL',
      (d) => (d.resources['orders-secret'].vaultUrl = 'https://kv-orders.vault.azure.net/'),
      /resources\.orders-secret\.vaultUrl: 'https:\/\/kv-orders\.vault\.azure\.net\/' is a vault URL the sandbox cannot serve locally; write a %SETTING% reference/,
    ],
    [
      'a literal Blob service URL',
      (d) => (d.resources['orders-blobs'].serviceUrl = 'https://storders.blob.core.windows.net'),
      /resources\.orders-blobs\.serviceUrl: .* cannot serve locally/,
    ],
    [
      'a literal subscription',
      (d) =>
        (d.resources['orders-rg'].scope =
          '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/%G%'),
      /resources\.orders-rg\.scope: subscription '00000000-0000-0000-0000-000000000001' is not the sandbox's/,
    ],
    [
      'an ARM scope without endpoint',
      (d) => delete d.resources['orders-rg'].endpoint,
      /resources\.orders-rg\.endpoint: is needed locally .*%ARM_ENDPOINT%/,
    ],
    [
      'a literal token file',
      (d) => (d.identities.batch.tokenFile = '/var/run/secrets/token'),
      /identities\.batch\.tokenFile: '\/var\/run\/secrets\/token' is a token file the sandbox cannot serve locally/,
    ],
    [
      'one reference for two values',
      (d) => (d.identities.batch.clientId = '%API_CLIENT_ID%'),
      /identities\.batch\.clientId: %API_CLIENT_ID% is used for two different values/,
    ],
    [
      'an unknown resource kind',
      (d) => (d.resources['orders-queue'].kind = 'table'),
      /resources\.orders-queue\.kind: /,
    ],
    [
      'two names for one identity expecting opposite things',
      (d) => {
        d.identities.chain = { kind: 'default-chain', clientId: '%API_CLIENT_ID%' };
        (d.probes as unknown as Array<Record<string, string>>).push({
          identity: 'chain',
          resource: 'orders-secret',
          expect: 'denied',
        });
      },
      /probes\[12\]\.expect: 'denied' contradicts probes\[4\] \('allowed'\): both are the same identity in the sandbox/,
    ],
    [
      'a probe of an undeclared identity',
      (d) => ((d.probes as unknown as Array<Record<string, string>>)[0].identity = 'nobody'),
      /probes\[0\]\.identity: no identity named 'nobody'/,
    ],
  ];
  for (const [what, mutate, expected] of cases)
    it(`refuses ${what}, naming the entry and field`, () => assert.match(refusal(mutate), expected));

  it('startSandbox rejects it before anything listens, and the CLI exits 1 naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idp-decl-'));
    try {
      const bad = base();
      bad.resources['orders-secret'].vaultUrl = 'https://kv-orders.vault.azure.net/';
      const file = join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify(bad));
      await assert.rejects(
        startSandbox({ declaration: file, stateDir: dir, writeConnectionFile: false, quiet: true }),
        (err: Error) => err instanceof DeclarationError && /orders-secret\.vaultUrl/.test(err.message),
      );
      const cli = spawn(
        process.execPath,
        [join(REPO, 'sandbox', 'cli.ts'), '--declaration', file, '--state-dir', dir],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      cli.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => cli.kill('SIGKILL'), 30_000);
      const code = await new Promise<number | null>((resolve) => cli.on('close', resolve));
      clearTimeout(timer);
      assert.equal(code, 1, stderr);
      assert.match(stderr, /sandbox: declaration .*bad\.json: resources\.orders-secret\.vaultUrl: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a scenario on top of a declaration', () => {
  it('the scenario changes the canary world; the declared grants stay', () => {
    const plan = planDeclaration(declared, 'team.json');
    const w = loadWorld('system-no-reader', { amend: (raw) => amendWorld(plan, raw) });
    const system = w.functionApp.systemAssigned!.principalId;
    const readerOnRg = w.roleAssignments.filter(
      (a) => a.principalId === system && a.roleName === 'Reader' && a.scope === w.resourceGroupId,
    );
    // system-no-reader removes the wiring's Reader; the declaration's app/orders-rg grant is its own assignment.
    assert.equal(readerOnRg.length, 1);
    assert.equal(readerOnRg[0].origin, 'scenario');
    assert.ok(
      w.identities.some((i) => i.name === 'id-decl-api'),
      'declared identities are in the world',
    );
    assert.ok(w.keyVaults.some((k) => k.name === 'kv-orders-secret' && k.secrets[0].name === 'db-password'));
  });
});

describe('a denied cell the world lets in anyway', () => {
  it('is named, with the role and scope that let it in', () => {
    const d = structuredClone(declared);
    // The system identity holds Reader on the group through the canary wiring; api holds it through orders-rg, and
    // the Blob gateway lets Reader's */read cover a container's properties.
    d.probes.find((p) => p.identity === 'app' && p.resource === 'orders-rg')!.expect = 'denied';
    d.probes.find((p) => p.identity === 'api' && p.resource === 'orders-blobs')!.expect = 'denied';
    const plan = planDeclaration(d, 'team.json');
    const w = loadWorld('healthy', { amend: (raw) => amendWorld(plan, raw) });
    const { warnings } = declarationInfo(plan, w);
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(
      warnings[0],
      /^probes\[2\] \(app -> orders-rg\) is declared denied, but Reader at \/subscriptions\/.*\/resourceGroups\/rg-identity-probes lets it in/,
    );
    assert.match(warnings[1], /^probes\[5\] \(api -> orders-blobs\) is declared denied, but Reader at /);
  });
});

describe('the default declaration in the sandbox', () => {
  const defaults = JSON.parse(readFileSync(join(REPO, 'declarations', 'default.json'), 'utf8')) as unknown;
  const shape = (w: ReturnType<typeof loadWorld>) => ({
    identities: w.identities.map((i) => `${i.key}|${i.principalId}`).sort(),
    attached: [...w.functionApp.attached].sort(),
    vaults: w.keyVaults.map((k) => `${k.name}:${k.secrets.map((s) => s.name).join(',')}`),
    containers: w.storageAccounts.flatMap((a) => a.containers.map((c) => c.name)),
    assignments: w.roleAssignments.map((a) => `${a.principalId}|${a.roleDefinitionId}|${a.scope}`).sort(),
    federated: w.federatedCredentials.length,
  });
  for (const scenario of ['healthy', 'uami-no-keyvault-role', 'system-no-reader', 'uami-not-attached'])
    it(`builds exactly the canary world of '${scenario}' (its references name the canary's things)`, () => {
      const plan = planDeclaration(defaults, 'default.json');
      assert.equal(plan.grants.length, 0, 'every cell is a canary cell: the wiring and the scenario decide');
      const amended = loadWorld(scenario, { amend: (raw) => amendWorld(plan, raw) });
      assert.deepEqual(shape(amended), shape(loadWorld(scenario)));
      assert.equal(
        declarationInfo(plan, amended).identities['uami-client-id'].clientId,
        '57b12e89-41f9-4736-aa94-667e627225ef',
      );
    });
});

describe('literal identity ids', () => {
  it('are the ids the sandbox gives the identity', () => {
    const d = structuredClone(declared);
    d.identities.api.clientId = '11111111-2222-4333-8444-555555555555';
    d.identities.api.principalId = '66666666-7777-4888-9999-aaaaaaaaaaaa';
    const plan = planDeclaration(d, 'team.json');
    const w = loadWorld('healthy', { amend: (raw) => amendWorld(plan, raw) });
    const api = w.identities.find((i) => i.name === 'id-decl-api')!;
    assert.equal(api.clientId, '11111111-2222-4333-8444-555555555555');
    assert.ok(w.functionApp.attached.includes('66666666-7777-4888-9999-aaaaaaaaaaaa'), 'attached to the app');
    assert.equal(
      w.roleAssignments.filter((a) => a.principalId === '66666666-7777-4888-9999-aaaaaaaaaaaa').length,
      4,
      'its four allowed probes',
    );
  });
});
