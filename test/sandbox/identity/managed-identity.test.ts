// Conformance: the real @azure/identity credentials get tokens from every managed identity source of the sandbox,
// each scenario in its own child process, and every token carries the identity it must (oid, appid, xms_mirid, aud).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SandboxConnection } from '../../../sandbox/connection.ts';
import { ArcKeyStore } from '../../../sandbox/identity/sources/arc.ts';
import type { FixtureSpec } from './fixtures/get-token.ts';
import { ARM, STORAGE, VAULT, identity, useTestSandbox } from '../../support/sandbox.ts';
import { claimsOf, counters, runFixture, sourceEnv } from './helpers.ts';

let conn: SandboxConnection;
let siteId: string;
useTestSandbox((sb) => {
  conn = sb.connection;
  siteId = sb.context.world.functionApp.resourceId;
});

const mi = (options: Record<string, unknown> = {}, scope = `${VAULT}/.default`): FixtureSpec => ({
  credential: 'ManagedIdentityCredential',
  options,
  scope,
});

/** The claims a v1 managed identity token for `key` must carry. */
function assertIdentity(claims: Record<string, unknown>, key: string, aud: string) {
  const id = identity(conn, key);
  assert.equal(claims.oid, id.principalId, `oid of ${key}`);
  assert.equal(claims.sub, id.principalId);
  assert.equal(claims.appid, id.clientId, `appid of ${key}`);
  assert.equal(claims.xms_mirid, key === 'system' ? siteId : id.resourceId, `xms_mirid of ${key}`);
  assert.equal(claims.aud, aud);
  assert.equal(claims.iss, `https://sts.windows.net/${conn.tenantId}/`);
  assert.equal(claims.tid, conn.tenantId);
  assert.equal(claims.idtyp, 'app');
  assert.equal(claims.ver, '1.0');
  assert.equal(claims.appidacr, '2');
}

/** System identity, then the user-assigned identity by client ID, object ID and resource ID: one oid for all three. */
async function systemAndSelectors(source: 'appService' | 'imds' | 'arc') {
  const app = identity(conn, 'app');
  const env = sourceEnv(conn, source);
  const [system, byClient, byObject, byResource] = await Promise.all([
    runFixture(conn, mi(), env),
    runFixture(conn, mi({ clientId: app.clientId }), env),
    runFixture(conn, mi({ objectId: app.principalId }, ARM), env),
    runFixture(conn, mi({ resourceId: app.resourceId }, STORAGE), env),
  ]);
  assertIdentity(claimsOf(system), 'system', VAULT);
  assertIdentity(claimsOf(byClient), 'app', VAULT);
  // A scope without /.default is sent as is: ARM's trailing slash survives into `aud` (docs/identity-wire.md §1.3).
  assertIdentity(claimsOf(byObject), 'app', ARM);
  assertIdentity(claimsOf(byResource), 'app', STORAGE);
  const oids = new Set([byClient, byObject, byResource].map((r) => claimsOf(r).oid));
  assert.equal(oids.size, 1, 'client ID, object ID and resource ID select the same identity');
  assert.notEqual(claimsOf(system).oid, claimsOf(byClient).oid, 'system and user-assigned identities differ');
  assert.notEqual(claimsOf(system).appid, claimsOf(byClient).appid);
}

const arcSkip = ArcKeyStore.canCreate()
  ? false
  : 'Arc needs root: msal-node reads the key file only from /var/opt/azcmagent/tokens (docs/identity-wire.md §5)';

describe('managed identity sources with the real ManagedIdentityCredential', { concurrency: true }, () => {
  it('App Service / Functions: system-assigned, and the user-assigned identity by client, object and resource ID', () =>
    systemAndSelectors('appService'));

  it('IMDS through AZURE_POD_IDENTITY_AUTHORITY_HOST: system-assigned and all three selectors', () =>
    systemAndSelectors('imds'));

  it('IMDS with a trailing slash in AZURE_POD_IDENTITY_AUTHORITY_HOST (the client then asks //metadata/…/token/)', async () => {
    const env = { AZURE_POD_IDENTITY_AUTHORITY_HOST: `${conn.endpoints.imds}/` };
    assertIdentity(claimsOf(await runFixture(conn, mi(), env)), 'system', VAULT);
  });

  it(
    'Azure Arc: 401 key-file challenge, then system-assigned and all three selectors',
    { skip: arcSkip },
    () => systemAndSelectors('arc'),
  );

  it('Cloud Shell: form POST, system identity', async () => {
    assertIdentity(claimsOf(await runFixture(conn, mi(), sourceEnv(conn, 'cloudShell'))), 'system', VAULT);
  });

  it('Service Fabric over HTTPS (trusted through NODE_EXTRA_CA_CERTS): system identity', async () => {
    assertIdentity(claimsOf(await runFixture(conn, mi(), sourceEnv(conn, 'serviceFabric'))), 'system', VAULT);
  });

  it('Azure ML: system identity, and the user-assigned identity by client ID (clientid)', async () => {
    const env = sourceEnv(conn, 'azureMl');
    const [system, uami] = await Promise.all([
      runFixture(conn, mi(), env),
      runFixture(conn, mi({ clientId: identity(conn, 'app').clientId }), env),
    ]);
    assertIdentity(claimsOf(system), 'system', VAULT);
    assertIdentity(claimsOf(uami), 'app', VAULT);
  });

  it('AKS token exchange: ManagedIdentityCredential exchanges the projected token file at Entra', async () => {
    // AZURE_CLIENT_ID + AZURE_TENANT_ID + AZURE_FEDERATED_TOKEN_FILE win over every other source (§9.2).
    const env = { ...sourceEnv(conn, 'aks'), ...sourceEnv(conn, 'appService') };
    assertIdentity(claimsOf(await runFixture(conn, mi(), env)), 'federated', VAULT);
  });

  it('DefaultAzureCredential with AZURE_CLIENT_ID on App Service: the user-assigned identity', async () => {
    const env = { ...sourceEnv(conn, 'appService'), AZURE_CLIENT_ID: identity(conn, 'app').clientId };
    const run = await runFixture(
      conn,
      { credential: 'DefaultAzureCredential', scope: `${VAULT}/.default` },
      env,
    );
    assertIdentity(claimsOf(run), 'app', VAULT);
  });

  it('DefaultAzureCredential with AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential (and AZURE_CLIENT_ID)', async () => {
    const env = {
      ...sourceEnv(conn, 'imds'),
      AZURE_CLIENT_ID: identity(conn, 'app').clientId,
      AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential',
    };
    const run = await runFixture(
      conn,
      { credential: 'DefaultAzureCredential', scope: `${VAULT}/.default` },
      env,
    );
    assertIdentity(claimsOf(run), 'app', VAULT);
  });
});

describe('admin counters after the runs above', () => {
  it('count token requests per source, identity and audience', async () => {
    const c = (await counters(conn)).tokenRequests;
    for (const source of ['appService', 'imds', 'cloudShell', 'serviceFabric', 'azureMl', 'entra'])
      assert.ok((c.bySource[source] ?? 0) >= 1, `bySource.${source}`);
    if (!arcSkip) assert.equal(c.bySource.arc, 4);
    assert.equal(c.bySource.appService, 5, 'four App Service runs plus DefaultAzureCredential');
    const system = identity(conn, 'system').principalId;
    assert.ok(c.byIdentity[system] >= 6);
    assert.ok(c.byAudience[ARM] >= 2);
    assert.equal(
      c.total,
      Object.values(c.bySource).reduce((a, b) => a + b, 0),
    );
  });
});
