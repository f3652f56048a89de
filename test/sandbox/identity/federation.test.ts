// Conformance: workload identity federation and client credentials at the sandbox's Entra ID, with the real
// WorkloadIdentityCredential, ClientAssertionCredential and ClientSecretCredential, each in its own child process;
// and the errors the SDK really surfaces when Entra refuses (AADSTS codes in Entra's body shape).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, generateKeyPair } from 'jose';
import type { SandboxConnection } from '../../../sandbox/connection.ts';
import type { FixtureSpec } from './fixtures/get-token.ts';
import {
  VAULT,
  admin,
  claimsOf,
  errorOf,
  identity,
  oidcToken,
  request,
  runFixture,
  sourceEnv,
  startTestSandbox,
} from './helpers.ts';
import type { TestSandbox } from './helpers.ts';

const SUBJECT = 'system:serviceaccount:probes:identity-probes';
const EXCHANGE = 'api://AzureADTokenExchange';

let sb: TestSandbox;
let conn: SandboxConnection;
let mismatch: TestSandbox;
/** Assertions prepared before the concurrent runs (faults apply to the next OIDC request, so no run may race them). */
const assertions: Record<string, string> = {};

/** A token claiming to come from the sandbox's OIDC issuer, signed with a key that issuer never published. */
async function forge(kid: string, claims: { sub?: string; iss?: string } = {}): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuer(claims.iss ?? conn.endpoints.oidcIssuer)
    .setSubject(claims.sub ?? SUBJECT)
    .setAudience(EXCHANGE)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(privateKey);
}

before(async () => {
  [sb, mismatch] = await Promise.all([startTestSandbox(), startTestSandbox('fic-subject-mismatch')]);
  conn = sb.connection;
  await admin(conn, 'POST', '/_sandbox/faults', { endpoint: 'oidc', kind: 'expired-token', count: 1 });
  assertions.expired = await oidcToken(conn);
  await admin(conn, 'POST', '/_sandbox/faults', { endpoint: 'oidc', kind: 'wrong-audience', count: 1 });
  assertions.wrongAudience = await oidcToken(conn);
  assertions.subjectCase = await oidcToken(conn, `?subject=${encodeURIComponent(SUBJECT.toUpperCase())}`);
  const keys = (await request(conn, `${conn.endpoints.oidcIssuer}/keys`)).json<{
    keys: Array<{ kid: string }>;
  }>();
  assertions.forgedUnknownKey = await forge('not-a-published-key');
  // Entra matches the credential before it fetches any key, so an issuer no credential names is refused as such.
  assertions.wrongIssuer = await forge('any', { iss: 'https://issuer.example.invalid/other' });
  assertions.forgedKnownKey = await forge(keys.keys[0].kid);
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  assertions.algNone = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: conn.endpoints.oidcIssuer, sub: SUBJECT, aud: EXCHANGE, iat: now, exp: now + 600 })}.`;
});
after(() => Promise.all([sb.close(), mismatch.close()]));

/** ClientAssertionCredential for the federated identity, fed by the external provider (URL) or a prepared token. */
function assertionSpec(
  c: SandboxConnection,
  from: { url?: string; env?: string },
  clientId?: string,
): FixtureSpec {
  return {
    credential: 'ClientAssertionCredential',
    tenantId: c.tenantId,
    clientId: clientId ?? identity(c, 'federated').clientId,
    ...(from.url ? { assertionUrl: from.url } : { assertionEnv: from.env }),
    // A custom authority host needs instance discovery off, or MSAL asks the public cloud (§10.2).
    options: { authorityHost: c.endpoints.entra, disableInstanceDiscovery: true },
    scope: `${VAULT}/.default`,
  };
}

/** The external OIDC provider's token endpoint for the world's workload (what ClientAssertionCredential reads). */
const providerUrl = (c: SandboxConnection) => `${c.endpoints.oidcIssuer}/workloads/identity-probes/token`;

/** ClientAssertionCredential fed the assertion prepared under `name` in before(). */
const runWithAssertion = (name: string) =>
  runFixture(conn, assertionSpec(conn, { env: 'TEST_ASSERTION' }), { TEST_ASSERTION: assertions[name] });

/** WorkloadIdentityCredential through the AKS-style token file. */
const runWorkloadIdentity = (c: SandboxConnection) =>
  runFixture(
    c,
    {
      credential: 'WorkloadIdentityCredential',
      options: { disableInstanceDiscovery: true },
      scope: `${VAULT}/.default`,
    },
    sourceEnv(c, 'aks'),
  );

/** ClientSecretCredential for the app registration, with `secret` handed over in the child's environment. */
const runClientSecret = (clientId: string, secret: string) =>
  runFixture(
    conn,
    {
      credential: 'ClientSecretCredential',
      tenantId: conn.tenantId,
      clientId,
      secretEnv: 'TEST_SECRET',
      options: { authorityHost: conn.endpoints.entra, disableInstanceDiscovery: true },
      scope: `${VAULT}/.default`,
    },
    { TEST_SECRET: secret },
  );

function assertFederated(claims: Record<string, unknown>, c: SandboxConnection) {
  const fed = identity(c, 'federated');
  assert.equal(claims.oid, fed.principalId);
  assert.equal(claims.appid, fed.clientId);
  assert.equal(claims.xms_mirid, fed.resourceId);
  assert.equal(claims.aud, VAULT);
  assert.equal(claims.iss, `https://sts.windows.net/${c.tenantId}/`);
  assert.equal(claims.appidacr, '2');
}

describe('federation and client credentials that Entra accepts', { concurrency: true }, () => {
  it('WorkloadIdentityCredential through the AKS-style token file', async () => {
    assertFederated(claimsOf(await runWorkloadIdentity(conn)), conn);
  });

  it('ClientAssertionCredential with a token from the external OIDC provider', async () => {
    const spec = assertionSpec(conn, { url: providerUrl(conn) });
    assertFederated(claimsOf(await runFixture(conn, spec, {})), conn);
  });

  it('ClientSecretCredential for the app registration: appidacr "1" and no xms_mirid', async () => {
    const appReg = identity(conn, 'app-probes-ci');
    const run = await runClientSecret(appReg.clientId, conn.sourceSecrets.appSecrets[appReg.clientId]);
    const claims = claimsOf(run);
    assert.equal(claims.oid, appReg.principalId);
    assert.equal(claims.appid, appReg.clientId);
    assert.equal(claims.appidacr, '1');
    assert.equal(claims.xms_mirid, undefined);
    assert.equal(claims.aud, VAULT);
  });
});

/** Asserts the SDK surfaced Entra's error `code` (AuthenticationRequiredError: "<error>: Error(s): <code> - …"). */
function assertAadsts(run: Awaited<ReturnType<typeof runFixture>>, error: string, code: number): string {
  const e = errorOf(run);
  assert.equal(e.name, 'AuthenticationRequiredError', e.message);
  assert.match(e.message, new RegExp(`^${error}: Error\\(s\\): ${code} - `));
  assert.match(e.message, new RegExp(`Description: AADSTS${code}: `));
  return e.message;
}

describe('assertions Entra refuses, as the SDK surfaces them', { concurrency: true }, () => {
  it('federated credential subject mismatch (scenario fic-subject-mismatch): 401 invalid_client AADSTS700213', async () => {
    const c = mismatch.connection;
    const run = await runWorkloadIdentity(c);
    const message = assertAadsts(run, 'invalid_client', 700213);
    assert.ok(
      message.includes(
        `No matching federated identity record found for presented assertion subject '${SUBJECT}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
      ),
      message,
    );
  });

  it('a subject that differs only in case: AADSTS7002138 (matching is case-sensitive)', async () => {
    const run = await runWithAssertion('subjectCase');
    const message = assertAadsts(run, 'invalid_client', 7002138);
    assert.ok(message.includes(`assertion subject '${SUBJECT.toUpperCase()}'`), message);
    assert.ok(
      message.includes(
        'The subject matches with case-insensitive comparison, but not with case-sensitive comparison.',
      ),
      message,
    );
  });

  it('an issuer no credential names: AADSTS700211', async () => {
    const run = await runWithAssertion('wrongIssuer');
    const message = assertAadsts(run, 'invalid_client', 700211);
    assert.ok(message.includes("presented assertion issuer 'https://issuer.example.invalid/other'"), message);
  });

  it('a wrongly addressed assertion (aud not api://AzureADTokenExchange): AADSTS700212', async () => {
    const run = await runWithAssertion('wrongAudience');
    const message = assertAadsts(run, 'invalid_client', 700212);
    assert.ok(message.includes("presented assertion audience 'https://wrong-audience.invalid'"), message);
  });

  it('an expired assertion: AADSTS700024', async () => {
    const run = await runWithAssertion('expired');
    assert.match(
      assertAadsts(run, 'invalid_client', 700024),
      /Client assertion is not within its valid time range/,
    );
  });

  it('a forged assertion signed by a key the issuer never published: AADSTS7000272', async () => {
    const run = await runWithAssertion('forgedUnknownKey');
    assert.match(
      assertAadsts(run, 'invalid_client', 7000272),
      /could not be found in the metadata of identity provider/,
    );
  });

  it("a forged assertion claiming the issuer's key id: AADSTS50013 (signature does not verify)", async () => {
    const run = await runWithAssertion('forgedKnownKey');
    assert.match(assertAadsts(run, 'invalid_client', 50013), /Assertion failed signature validation/);
  });

  it('an unsigned (alg: none) assertion: refused as malformed (AADSTS50027)', async () => {
    const run = await runWithAssertion('algNone');
    assertAadsts(run, 'invalid_request', 50027);
  });

  it('an unknown client ID: AADSTS700016', async () => {
    const spec = assertionSpec(conn, { url: providerUrl(conn) }, '0b9a7a3e-3f0c-4d55-9a37-5f6f3f1d2e10');
    const run = await runFixture(conn, spec, {});
    assertAadsts(run, 'unauthorized_client', 700016);
  });

  it('a wrong client secret: AADSTS7000215', async () => {
    const run = await runClientSecret(identity(conn, 'app-probes-ci').clientId, 'not-the-secret');
    assertAadsts(run, 'invalid_client', 7000215);
  });

  it('an unknown tenant: the OpenID metadata answers AADSTS90002, which MSAL surfaces as endpoints_resolution_error', async () => {
    // With a custom authority host MSAL first reads /{tenant}/v2.0/.well-known/openid-configuration (§10.3); the
    // real service answers 400 invalid_tenant there, and MSAL reports that it cannot resolve the endpoints.
    const spec = {
      ...assertionSpec(conn, { url: providerUrl(conn) }),
      tenantId: 'a5c0e7f4-6a3e-4d7e-9b83-2b6f1c0a9d11',
    };
    const e = errorOf(await runFixture(conn, spec, {}));
    assert.equal(e.name, 'CredentialUnavailableError');
    assert.match(e.message, /^endpoints_resolution_error/);
    const meta = await request(
      conn,
      `${conn.endpoints.entra}/${spec.tenantId}/v2.0/.well-known/openid-configuration`,
    );
    assert.equal(meta.status, 400);
    const body = meta.json<{ error: string; error_codes: number[] }>();
    assert.equal(body.error, 'invalid_tenant');
    assert.deepEqual(body.error_codes, [90002]);
  });
});
