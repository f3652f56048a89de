// Negative conformance for the managed identity sources: each failure is produced by the sandbox answering as
// the platform does, and each assertion is on the error the real SDK surfaces (or, where the SDK cannot send the
// faulty request at all, on the wire answer).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SandboxConnection } from '../../../sandbox/connection.ts';
import { ArcKeyStore } from '../../../sandbox/identity/sources/arc.ts';
import type { FixtureSpec } from './fixtures/get-token.ts';
import {
  VAULT,
  claimsOf,
  counters,
  errorOf,
  identity,
  request,
  runFixture,
  sourceEnv,
  startTestSandbox,
} from './helpers.ts';
import type { TestSandbox } from './helpers.ts';

let healthy: TestSandbox;
let detached: TestSandbox;
let conn: SandboxConnection;

before(async () => {
  [healthy, detached] = await Promise.all([startTestSandbox(), startTestSandbox('uami-not-attached')]);
  conn = healthy.connection;
});
after(() => Promise.all([healthy.close(), detached.close()]));

/**
 * ManagedIdentityCredential with retries off: 404/410/5xx answers are retried with backoff for many seconds
 * (docs/identity-wire.md §1.7); these tests are about the answer, not the retry.
 */
const mi = (options: Record<string, unknown> = {}): FixtureSpec => ({
  credential: 'ManagedIdentityCredential',
  options: { ...options, retryOptions: { maxRetries: 0 } },
  scope: `${VAULT}/.default`,
});

const arcSkip = ArcKeyStore.canCreate()
  ? false
  : 'Arc needs root (key files under /var/opt/azcmagent/tokens)';

/** MSAL's rendering of an MI error body, wrapped by identity as CredentialUnavailableError (§1.6). */
function assertUnavailable(run: Awaited<ReturnType<typeof runFixture>>, error: string, description: string) {
  const e = errorOf(run);
  assert.equal(e.name, 'CredentialUnavailableError', e.message);
  assert.ok(
    e.message.startsWith(`ManagedIdentityCredential: Authentication failed. Message ${error}: Error(s): `),
    e.message,
  );
  assert.ok(e.message.includes(`Description: ${description} - `), e.message);
}

describe('identity not attached to the app (scenario uami-not-attached)', { concurrency: true }, () => {
  const client = () => ({ clientId: identity(detached.connection, 'app').clientId });

  it("App Service answers 400 'Unable to load the proper Managed Identity.' (a body with no `error` field)", async () => {
    const run = await runFixture(
      detached.connection,
      mi(client()),
      sourceEnv(detached.connection, 'appService'),
    );
    assertUnavailable(run, '', 'Unable to load the proper Managed Identity.');
  });

  it("IMDS answers 400 invalid_request 'Identity not found' for the client, object and resource ID", async () => {
    const c = detached.connection;
    const app = identity(c, 'app');
    const runs = await Promise.all(
      [{ clientId: app.clientId }, { objectId: app.principalId }, { resourceId: app.resourceId }].map((sel) =>
        runFixture(c, mi(sel), sourceEnv(c, 'imds')),
      ),
    );
    for (const run of runs) assertUnavailable(run, 'invalid_request', 'Identity not found');
  });

  it("Azure ML answers 'Identity not found' for an unattached clientid", async () => {
    const run = await runFixture(
      detached.connection,
      mi(client()),
      sourceEnv(detached.connection, 'azureMl'),
    );
    assertUnavailable(run, 'invalid_request', 'Identity not found');
  });

  it("Arc answers 'Identity not found' after the key-file handshake", { skip: arcSkip }, async () => {
    const run = await runFixture(detached.connection, mi(client()), sourceEnv(detached.connection, 'arc'));
    assertUnavailable(run, 'invalid_request', 'Identity not found');
  });

  it('the system-assigned identity is still served', async () => {
    const c = detached.connection;
    const run = await runFixture(c, mi(), sourceEnv(c, 'appService'));
    assert.equal(claimsOf(run).oid, identity(c, 'system').principalId);
  });
});

describe('wrong secrets and unsupported selectors', { concurrency: true }, () => {
  it('App Service with a wrong IDENTITY_HEADER: 401, surfaced with its message', async () => {
    const env = { ...sourceEnv(conn, 'appService'), IDENTITY_HEADER: 'not-the-header' };
    assertUnavailable(
      await runFixture(conn, mi(), env),
      '',
      'The X-IDENTITY-HEADER header is missing or invalid.',
    );
  });

  it('Service Fabric with a wrong secret: 404 ManagedIdentityNotFound (object-form error), one request', async () => {
    const before = (await counters(conn)).requestsByEndpoint.serviceFabric ?? 0;
    const env = { ...sourceEnv(conn, 'serviceFabric'), IDENTITY_HEADER: 'not-the-secret' };
    const run = await runFixture(conn, mi(), env);
    assertUnavailable(
      run,
      'ManagedIdentityNotFound',
      'Managed Identity not found for the specified application host.',
    );
    assert.equal(
      (await counters(conn)).requestsByEndpoint.serviceFabric - before,
      1,
      'maxRetries 0: no retry',
    );
  });

  it('Azure ML with a wrong MSI_SECRET: a plain-text 401 that identity reports as client_error', async () => {
    const env = { ...sourceEnv(conn, 'azureMl'), MSI_SECRET: 'not-the-secret' };
    const e = errorOf(await runFixture(conn, mi(), env));
    assert.equal(e.name, 'CredentialUnavailableError');
    assert.match(
      e.message,
      /Message client_error: .*Http status code: 401\nHttp status message: Invalid secret token header\./s,
    );
    assert.ok(!e.message.includes(conn.sourceSecrets.msiSecret));
  });

  it('Azure ML refuses an object ID selector in the client (only client ID is supported)', async () => {
    const run = await runFixture(
      conn,
      mi({ objectId: identity(conn, 'app').principalId }),
      sourceEnv(conn, 'azureMl'),
    );
    assert.match(errorOf(run).message, /Only client id is supported/);
  });

  it('Cloud Shell and Service Fabric refuse a user-assigned identity at construction', async () => {
    const clientId = identity(conn, 'app').clientId;
    const [cloudShell, fabric] = await Promise.all([
      runFixture(conn, mi({ clientId }), sourceEnv(conn, 'cloudShell')),
      runFixture(conn, mi({ clientId }), sourceEnv(conn, 'serviceFabric')),
    ]);
    assert.match(errorOf(cloudShell).message, /not supported for CloudShell/);
    assert.match(errorOf(fabric).message, /not supported by the Service Fabric managed identity environment/);
  });
});

describe('answers only the wire can show (the SDK never sends these requests)', { concurrency: true }, () => {
  const imdsToken = () =>
    `${conn.endpoints.imds}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${VAULT}`;

  it('IMDS without the Metadata header: 400 bad_request_102', async () => {
    const res = await request(conn, imdsToken());
    assert.equal(res.status, 400);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(res.json(), {
      error: 'bad_request_102',
      error_description: 'Required metadata header not specified',
    });
  });

  it('IMDS with Metadata: false is refused the same way (the value must be exactly "true")', async () => {
    const res = await request(conn, imdsToken(), { headers: { Metadata: 'false' } });
    assert.equal(res.json().error, 'bad_request_102');
  });

  it("DefaultAzureCredential's availability probe (no query, no Metadata) is answered at once", async () => {
    const started = Date.now();
    const res = await request(conn, `${conn.endpoints.imds}/metadata/identity/oauth2/token`, {
      headers: { Accept: 'application/json' },
    });
    assert.equal(res.status, 400, 'any status but a 403 "unreachable" means available (§3.2)');
    assert.ok(Date.now() - started < 1000, 'within the probe timeout of 1 s');
  });

  it('App Service without X-IDENTITY-HEADER: 401 {statusCode, message, correlationId}', async () => {
    const res = await request(conn, `${conn.endpoints.appService}?api-version=2019-08-01&resource=${VAULT}`);
    assert.equal(res.status, 401);
    const body = res.json();
    assert.equal(body.statusCode, 401);
    assert.equal(typeof body.message, 'string');
    assert.match(String(body.correlationId), /^[0-9a-f-]{36}$/);
  });

  it('Service Fabric without the secret header: SecretHeaderNotFound in the object form', async () => {
    const res = await request(
      conn,
      `${conn.endpoints.serviceFabric}?api-version=2019-07-01-preview&resource=${VAULT}`,
    );
    const body = res.json<{ error: { code: string; message: string; correlationId: string } }>();
    assert.equal(body.error.code, 'SecretHeaderNotFound');
    assert.equal(body.error.message, 'Secret is not found in the request headers.');
  });

  it('Arc with a Basic credential that is not the contents of a handed-out key file: 401', async () => {
    const res = await request(conn, `${conn.endpoints.arc}?api-version=2020-06-01&resource=${VAULT}`, {
      headers: { Metadata: 'true', Authorization: 'Basic not-a-key' },
    });
    assert.equal(res.status, 401);
    assert.equal(res.json().error, 'unauthorized_client');
  });
});
