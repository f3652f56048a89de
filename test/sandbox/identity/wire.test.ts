// Wire-level conformance of the identity plane (docs/identity-wire.md §15 checklist): transports, paths, body
// shapes, token signatures, Entra metadata and errors, the OIDC provider, token files, faults, scenario switches.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import type { SandboxConnection } from '../../../sandbox/connection.ts';
import { ArcKeyStore } from '../../../sandbox/identity/sources/arc.ts';
import {
  ARM,
  STORAGE,
  VAULT,
  admin,
  identity,
  oidcToken,
  request,
  startTestSandbox,
  useTestSandbox,
} from './helpers.ts';
import type { HttpResult } from './helpers.ts';

let conn: SandboxConnection;
const sb = useTestSandbox((started) => {
  conn = started.connection;
});

const now = () => Math.floor(Date.now() / 1000);
const imdsUrl = (c: SandboxConnection, path: string, query: string) => `${c.endpoints.imds}${path}?${query}`;
const imdsGet = (c: SandboxConnection, query: string, path = '/metadata/identity/oauth2/token') =>
  request(c, imdsUrl(c, path, query), { headers: { Metadata: 'true' } });
const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' };
const entraPost = (c: SandboxConnection, tenant: string, body: Record<string, string>, query = '') =>
  request(c, `${c.endpoints.entra}/${tenant}/oauth2/v2.0/token${query}`, {
    method: 'POST',
    headers: FORM,
    body: form(body),
  });

function assertEntraError(res: HttpResult, status: number, error: string, code: number) {
  assert.equal(res.status, status, res.text);
  const body = res.json<Record<string, unknown>>();
  assert.equal(body.error, error);
  assert.deepEqual(body.error_codes, [code]);
  assert.match(
    String(body.error_description),
    new RegExp(
      `^AADSTS${code}: .*\\r\\nTrace ID: [0-9a-f-]{36}\\r\\nCorrelation ID: [0-9a-f-]{36}\\r\\nTimestamp: \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}Z$`,
      's',
    ),
  );
  assert.match(String(body.timestamp), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/);
  assert.match(String(body.trace_id), /^[0-9a-f-]{36}$/);
  assert.equal(body.error_uri, `https://login.microsoftonline.com/error?code=${code}`);
  return body;
}

describe('transport', () => {
  it('listens on 127.0.0.1 only, HTTPS where Azure is (Service Fabric, Entra, the OIDC provider)', () => {
    const e = conn.endpoints;
    const https = [e.serviceFabric, e.entra, e.oidcIssuer];
    const http = [e.appService, e.imds, e.arc, e.arcImds, e.cloudShell, e.azureMl];
    for (const u of [...https, ...http]) assert.equal(new URL(u).hostname, '127.0.0.1', u);
    for (const u of https) assert.equal(new URL(u).protocol, 'https:', u);
    for (const u of http) assert.equal(new URL(u).protocol, 'http:', u);
  });
});

describe('IMDS and the token format', { concurrency: true }, () => {
  it('accepts the three path spellings the JS client produces (§3.1)', async () => {
    for (const path of [
      '/metadata/identity/oauth2/token',
      '/metadata/identity/oauth2/token/',
      '//metadata/identity/oauth2/token/',
    ]) {
      const res = await imdsGet(conn, `api-version=2018-02-01&resource=${encodeURIComponent(VAULT)}`, path);
      assert.equal(res.status, 200, path);
    }
  });

  it('answers JSON strings: expires_on in Unix seconds and `resource` echoed byte for byte', async () => {
    for (const resource of [VAULT, ARM, 'https://vault.azure.net/', STORAGE]) {
      const res = await imdsGet(conn, `api-version=2018-02-01&resource=${encodeURIComponent(resource)}`);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      const body = res.json<Record<string, string>>();
      assert.equal(body.resource, resource);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.client_id, identity(conn, 'system').clientId);
      assert.match(body.expires_on, /^\d{10}$/);
      // Azure's default managed identity token lifetime: 24 h.
      assert.ok(Math.abs(Number(body.expires_on) - now() - 86_400) < 5);
      assert.equal(decodeJwt(body.access_token).aud, resource);
    }
  });

  it('tokens are RS256 JWTs signed by the tenant key Entra publishes, with a distinct oid and appid per identity', async () => {
    const keys = (await request(conn, `${conn.endpoints.entra}/${conn.tenantId}/discovery/v2.0/keys`)).json();
    const jwks = createLocalJWKSet(keys as never);
    const seen = new Map<string, string>();
    for (const key of ['system', 'app']) {
      const sel = key === 'system' ? '' : `&client_id=${identity(conn, key).clientId}`;
      const token = (await imdsGet(conn, `api-version=2018-02-01&resource=${VAULT}${sel}`)).json<{
        access_token: string;
      }>().access_token;
      assert.equal(decodeProtectedHeader(token).alg, 'RS256');
      const { payload } = await jwtVerify(token, jwks, {
        issuer: `https://sts.windows.net/${conn.tenantId}/`,
        audience: VAULT,
      });
      for (const claim of [
        'aud',
        'iss',
        'iat',
        'nbf',
        'exp',
        'appid',
        'appidacr',
        'idp',
        'idtyp',
        'oid',
        'sub',
        'tid',
        'ver',
        'xms_mirid',
        'uti',
        'rh',
      ])
        assert.ok(payload[claim] !== undefined, `claim ${claim}`);
      seen.set(String(payload.oid), String(payload.appid));
    }
    assert.equal(seen.size, 2);
    assert.equal(new Set(seen.values()).size, 2);
  });

  it('refuses conflicting selectors and an unknown api-version with IMDS errors', async () => {
    const app = identity(conn, 'app');
    const both = await imdsGet(
      conn,
      `api-version=2018-02-01&resource=${VAULT}&client_id=${app.clientId}&object_id=${app.principalId}`,
    );
    assert.equal(both.status, 400);
    assert.equal(both.json().error, 'invalid_request');
    const old = await imdsGet(conn, `api-version=2017-09-01&resource=${VAULT}`);
    assert.equal(old.status, 400);
    const noResource = await imdsGet(conn, 'api-version=2018-02-01');
    assert.deepEqual(noResource.json(), {
      error: 'invalid_request',
      error_description: "Required query variable 'resource' is missing",
    });
  });

  it('App Service accepts principal_id as the object-ID alias and answers the documented body', async () => {
    const app = identity(conn, 'app');
    const res = await request(
      conn,
      `${conn.endpoints.appService}?api-version=2019-08-01&resource=${encodeURIComponent(ARM)}&principal_id=${app.principalId}`,
      {
        headers: { 'X-IDENTITY-HEADER': conn.sourceSecrets.identityHeader },
      },
    );
    const body = res.json<Record<string, string>>();
    assert.deepEqual(Object.keys(body).sort(), [
      'access_token',
      'client_id',
      'expires_on',
      'resource',
      'token_type',
    ]);
    assert.equal(body.client_id, app.clientId);
    assert.equal(body.resource, ARM);
    assert.equal(decodeJwt(body.access_token).oid, app.principalId);
  });

  it('Cloud Shell takes a form POST only', async () => {
    const get = await request(conn, conn.endpoints.cloudShell, { headers: { Metadata: 'true' } });
    assert.equal(get.status, 405);
    const post = await request(conn, conn.endpoints.cloudShell, {
      method: 'POST',
      headers: { Metadata: 'true', ...FORM },
      body: form({ resource: VAULT }),
    });
    assert.equal(post.status, 200);
    assert.equal(post.json().resource, VAULT);
  });

  it('Azure ML selects by clientid and needs the secret header', async () => {
    const app = identity(conn, 'app');
    const url = `${conn.endpoints.azureMl}?api-version=2017-09-01&resource=${VAULT}&clientid=${app.clientId}`;
    const ok = await request(conn, url, {
      headers: { Metadata: 'true', secret: conn.sourceSecrets.msiSecret },
    });
    assert.equal(decodeJwt(ok.json<{ access_token: string }>().access_token).oid, app.principalId);
    const bad = await request(conn, url, { headers: { Metadata: 'true' } });
    assert.equal(bad.status, 401);
    assert.match(String(bad.headers['content-type']), /^text\/plain/);
  });
});

describe('Azure Arc key-file handshake', { skip: ArcKeyStore.canCreate() ? false : 'needs root' }, () => {
  it('401 names a fresh key file in /var/opt/azcmagent/tokens (unquoted realm); its contents unlock one request', async () => {
    const app = identity(conn, 'app');
    const url = `${conn.endpoints.arc}?api-version=2020-06-01&resource=${VAULT}&object_id=${app.principalId}`;
    const challenge = await request(conn, url, { headers: { Metadata: 'true' } });
    assert.equal(challenge.status, 401);
    const m = /^Basic realm=(\/var\/opt\/azcmagent\/tokens\/[0-9a-f]+\.key)$/.exec(
      String(challenge.headers['www-authenticate']),
    );
    assert.ok(m, String(challenge.headers['www-authenticate']));
    const file = m[1];
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const key = readFileSync(file, 'utf8');
    assert.ok(key.length > 0 && key.length <= 4096);
    const ok = await request(conn, url, { headers: { Metadata: 'true', Authorization: `Basic ${key}` } });
    assert.equal(ok.status, 200);
    // msal-node ≥ 5.6 requires the echo of the user-assigned identity it asked for (§5).
    assert.equal(ok.json().object_id, app.principalId);
    assert.equal(existsSync(file), false, 'a key is single-use');
    const again = await request(conn, url, { headers: { Metadata: 'true', Authorization: `Basic ${key}` } });
    assert.equal(again.status, 401);
  });
});

describe('Entra ID', { concurrency: true }, () => {
  it('serves OpenID metadata with the four keys MSAL requires, an issuer on its own origin, and the v1 issuer', async () => {
    const v2 = (
      await request(conn, `${conn.endpoints.entra}/${conn.tenantId}/v2.0/.well-known/openid-configuration`)
    ).json<Record<string, string>>();
    for (const k of ['authorization_endpoint', 'token_endpoint', 'issuer', 'jwks_uri']) assert.ok(v2[k], k);
    assert.equal(v2.issuer, `${conn.endpoints.entra}/${conn.tenantId}/v2.0`);
    assert.equal(v2.token_endpoint, `${conn.endpoints.entra}/${conn.tenantId}/oauth2/v2.0/token`);
    const v1 = (
      await request(conn, `${conn.endpoints.entra}/${conn.tenantId}/.well-known/openid-configuration`)
    ).json<Record<string, string>>();
    assert.equal(v1.issuer, `https://sts.windows.net/${conn.tenantId}/`);
    const keys = (await request(conn, v2.jwks_uri)).json<{ keys: Array<{ kid: string; kty: string }> }>();
    assert.equal(keys.keys[0].kty, 'RSA');
  });

  it('answers instance discovery for its own host, and invalid_instance for another', async () => {
    const authz = `${conn.endpoints.entra}/${conn.tenantId}/oauth2/v2.0/authorize`;
    const ok = await request(
      conn,
      `${conn.endpoints.entra}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(authz)}`,
    );
    const body = ok.json<{ tenant_discovery_endpoint: string; metadata: Array<{ aliases: string[] }> }>();
    assert.equal(
      body.tenant_discovery_endpoint,
      `${conn.endpoints.entra}/${conn.tenantId}/v2.0/.well-known/openid-configuration`,
    );
    assert.ok(body.metadata[0].aliases.includes(new URL(conn.endpoints.entra).host));
    const other = await request(
      conn,
      `${conn.endpoints.entra}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent('https://login.example.com/x/oauth2/v2.0/authorize')}`,
    );
    assertEntraError(other, 400, 'invalid_instance', 50049);
  });

  it('token endpoint: unknown tenant AADSTS90002, echoing client-request-id as the correlation id', async () => {
    const rid = 'd2d6f2a4-58a0-4c3b-9a55-1f1ae0c5a111';
    const res = await entraPost(
      conn,
      '6f1e2d3c-0000-4000-8000-000000000000',
      { grant_type: 'client_credentials', client_id: 'x', scope: `${VAULT}/.default` },
      `?client-request-id=${rid}`,
    );
    const body = assertEntraError(res, 400, 'invalid_request', 90002);
    assert.equal(body.correlation_id, rid);
    assertEntraError(await entraPost(conn, 'not_a_tenant', {}), 400, 'invalid_request', 900023);
  });

  it('token endpoint: missing parameters, unsupported grant, invalid scope, no credential', async () => {
    const fed = identity(conn, 'federated').clientId;
    assertEntraError(
      await entraPost(conn, conn.tenantId, { grant_type: 'client_credentials', scope: `${VAULT}/.default` }),
      400,
      'invalid_request',
      900144,
    );
    assertEntraError(
      await entraPost(conn, conn.tenantId, { grant_type: 'password', client_id: fed }),
      400,
      'unsupported_grant_type',
      70003,
    );
    assertEntraError(
      await entraPost(conn, conn.tenantId, {
        grant_type: 'client_credentials',
        client_id: fed,
        scope: VAULT,
      }),
      400,
      'invalid_scope',
      1002012,
    );
    assertEntraError(
      await entraPost(conn, conn.tenantId, {
        grant_type: 'client_credentials',
        client_id: fed,
        scope: `${VAULT}/.default`,
      }),
      401,
      'invalid_client',
      7000216,
    );
  });

  it('never accepts alg none, HMAC, an Entra-issued token, or a garbage assertion', async () => {
    const fed = identity(conn, 'federated').clientId;
    const assertionBody = (a: string) => ({
      grant_type: 'client_credentials',
      client_id: fed,
      scope: `${VAULT}/.default`,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: a,
    });
    const genuine = decodeJwt(await oidcToken(conn));
    const hs = await new SignJWT(genuine)
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('k'.repeat(32)));
    assertEntraError(await entraPost(conn, conn.tenantId, assertionBody(hs)), 400, 'invalid_request', 50027);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none' })}.${b64(genuine)}.`;
    assertEntraError(
      await entraPost(conn, conn.tenantId, assertionBody(none)),
      400,
      'invalid_request',
      50027,
    );
    assertEntraError(
      await entraPost(conn, conn.tenantId, assertionBody('not.a.jwt')),
      400,
      'invalid_request',
      50027,
    );
    const entraToken = (
      await imdsGet(
        conn,
        `api-version=2018-02-01&resource=${encodeURIComponent('api://AzureADTokenExchange')}`,
      )
    ).json<{ access_token: string }>().access_token;
    assertEntraError(
      await entraPost(conn, conn.tenantId, assertionBody(entraToken)),
      400,
      'invalid_request',
      700222,
    );
  });

  it('v1 token endpoint: `resource` in, v1 body (strings, resource) out', async () => {
    const res = await request(conn, `${conn.endpoints.entra}/${conn.tenantId}/oauth2/token`, {
      method: 'POST',
      headers: FORM,
      body: form({
        grant_type: 'client_credentials',
        client_id: identity(conn, 'federated').clientId,
        resource: ARM,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await oidcToken(conn),
      }),
    });
    const body = res.json<Record<string, string>>();
    assert.equal(res.status, 200, res.text);
    assert.equal(body.resource, ARM);
    assert.equal(body.expires_in, '3599', "Entra's app token lifetime");
    assert.equal(decodeJwt(body.access_token).aud, ARM);
  });
});

describe('external OIDC provider and token files', { concurrency: true }, () => {
  it('publishes discovery and its own key (not the tenant key), and issues workload tokens', async () => {
    const disc = (await request(conn, `${conn.endpoints.oidcIssuer}/.well-known/openid-configuration`)).json<
      Record<string, string>
    >();
    assert.equal(disc.issuer, conn.endpoints.oidcIssuer);
    const oidcKeys = (await request(conn, disc.jwks_uri)).json<{ keys: Array<{ kid: string; n: string }> }>();
    const tenantKeys = (await request(conn, `${conn.endpoints.entra}/common/discovery/keys`)).json<{
      keys: Array<{ n: string }>;
    }>();
    assert.notEqual(oidcKeys.keys[0].n, tenantKeys.keys[0].n);
    const token = await oidcToken(conn);
    const { payload } = await jwtVerify(token, createLocalJWKSet(oidcKeys as never), {
      issuer: conn.endpoints.oidcIssuer,
      audience: 'api://AzureADTokenExchange',
    });
    assert.equal(payload.sub, 'system:serviceaccount:probes:identity-probes');
    assert.equal(payload.exp! - payload.iat!, 3600, 'default external token lifetime 1 h');
    const unknown = await request(conn, `${conn.endpoints.oidcIssuer}/workloads/nobody/token`);
    assert.equal(unknown.status, 404);
  });

  it('keeps the token files under the state dir, private, holding a token for the workload', () => {
    for (const f of [conn.files.federatedTokenFile, conn.files.aksTokenFile]) {
      assert.ok(f.startsWith(`${sb.stateDir}/tokens/`), f);
      assert.equal(statSync(f).mode & 0o777, 0o600);
      const claims = decodeJwt(readFileSync(f, 'utf8'));
      assert.equal(claims.iss, conn.endpoints.oidcIssuer);
      assert.equal(claims.sub, 'system:serviceaccount:probes:identity-probes');
    }
  });

  it('refreshes the files at 80 % of the token lifetime on the sandbox clock, and removes them on close', async () => {
    // An hour's token (Azure's default for external tokens); the refresh falls due at 48 min on the sandbox's clock,
    // which the test moves through the admin API (/_sandbox/clock) instead of waiting.
    const sandbox = await startTestSandbox('healthy', { oidcTokenLifetimeSeconds: 3600 });
    const c = sandbox.connection;
    const file = c.files.aksTokenFile;
    const advance = (advanceSeconds: number) =>
      admin<{ now: string }>(c, 'POST', '/_sandbox/clock', { advanceSeconds });
    try {
      const first = readFileSync(file, 'utf8');
      const { iat, exp } = decodeJwt(first);
      assert.equal(exp! - iat!, 3600);
      await advance(2870);
      assert.equal(readFileSync(file, 'utf8'), first, 'not refreshed 10 s before 80 % of the lifetime');
      const { now: clockNow } = await advance(20);
      const second = readFileSync(file, 'utf8');
      assert.notEqual(second, first, 'refreshed once 80 % of the lifetime has passed');
      assert.ok(Date.parse(clockNow) < exp! * 1000, 'before the first token expires on the sandbox clock');
      assert.equal(decodeJwt(second).sub, decodeJwt(first).sub);
      assert.ok(decodeJwt(second).exp! > now(), 'the file never holds an expired token');
      assert.equal(readFileSync(c.files.federatedTokenFile, 'utf8'), second, 'both files hold the new token');
    } finally {
      await sandbox.close();
    }
    assert.equal(existsSync(dirname(file)), false);
  });
});

describe('faults, lifetimes, issued values', () => {
  it('renders status faults in each endpoint’s own error format, with Retry-After', async () => {
    await admin(conn, 'POST', '/_sandbox/faults', {
      endpoint: 'imds',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 7,
      count: 1,
    });
    const imds = await imdsGet(conn, `api-version=2018-02-01&resource=${VAULT}`);
    assert.equal(imds.status, 429);
    assert.equal(imds.headers['retry-after'], '7');
    assert.equal(imds.json().error, 'too_many_requests');

    await admin(conn, 'POST', '/_sandbox/faults', {
      endpoint: 'appService',
      kind: 'status',
      status: 503,
      count: 1,
    });
    const app = await request(conn, `${conn.endpoints.appService}?api-version=2019-08-01&resource=${VAULT}`, {
      headers: { 'X-IDENTITY-HEADER': conn.sourceSecrets.identityHeader },
    });
    assert.equal(app.json().statusCode, 503);

    await admin(conn, 'POST', '/_sandbox/faults', {
      endpoint: 'serviceFabric',
      kind: 'status',
      status: 500,
      count: 1,
    });
    const sf = await request(
      conn,
      `${conn.endpoints.serviceFabric}?api-version=2019-07-01-preview&resource=${VAULT}`,
      { headers: { secret: conn.sourceSecrets.serviceFabricSecret } },
    );
    assert.equal(sf.json<{ error: { code: string } }>().error.code, 'InternalServerError');

    await admin(conn, 'POST', '/_sandbox/faults', {
      endpoint: 'entra',
      kind: 'status',
      status: 503,
      retryAfterSeconds: 3,
      count: 1,
    });
    const entra = await request(
      conn,
      `${conn.endpoints.entra}/${conn.tenantId}/v2.0/.well-known/openid-configuration`,
    );
    assert.equal(entra.headers['retry-after'], '3');
    assertEntraError(entra, 503, 'temporarily_unavailable', 90033);
  });

  it('token faults: an expired token, or a token for another audience with `resource` still echoed', async () => {
    await admin(conn, 'POST', '/_sandbox/faults', { endpoint: 'imds', kind: 'expired-token', count: 1 });
    const expired = (await imdsGet(conn, `api-version=2018-02-01&resource=${VAULT}`)).json<
      Record<string, string>
    >();
    assert.ok(decodeJwt(expired.access_token).exp! < now());
    await admin(conn, 'POST', '/_sandbox/faults', { endpoint: 'imds', kind: 'wrong-audience', count: 1 });
    const wrong = (await imdsGet(conn, `api-version=2018-02-01&resource=${VAULT}`)).json<
      Record<string, string>
    >();
    assert.equal(wrong.resource, VAULT);
    assert.equal(decodeJwt(wrong.access_token).aud, 'https://wrong-audience.invalid');
  });

  it('lifetimes are configurable: managed identity and Entra tokens follow tokenLifetimeSeconds', async () => {
    const s = await startTestSandbox('healthy', { tokenLifetimeSeconds: 600 });
    try {
      const mi = (await imdsGet(s.connection, `api-version=2018-02-01&resource=${VAULT}`)).json<
        Record<string, string>
      >();
      assert.ok(Math.abs(Number(mi.expires_on) - now() - 600) < 5);
      const res = await entraPost(s.connection, s.connection.tenantId, {
        grant_type: 'client_credentials',
        client_id: identity(s.connection, 'federated').clientId,
        scope: `${VAULT}/.default`,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await oidcToken(s.connection),
      });
      assert.ok(Math.abs(res.json<{ expires_in: number }>().expires_in - 600) < 5);
    } finally {
      await s.close();
    }
  });

  it('lists every secret and external token it handed out in /_sandbox/issued', async () => {
    const issued = await admin<{ tokens: string[]; assertions: string[]; secrets: string[] }>(
      conn,
      'GET',
      '/_sandbox/issued',
    );
    const s = conn.sourceSecrets;
    for (const secret of [
      s.identityHeader,
      s.msiSecret,
      s.serviceFabricSecret,
      ...Object.values(s.appSecrets),
    ])
      assert.ok(issued.secrets.includes(secret));
    assert.ok(issued.assertions.includes(readFileSync(conn.files.aksTokenFile, 'utf8')));
    assert.ok(issued.tokens.length > 0);
  });
});

describe('scenario switch at run time', () => {
  it('detaching the identity and breaking the federated credential take effect at once, and heal', async () => {
    const s = await startTestSandbox();
    const c = s.connection;
    const app = identity(c, 'app');
    const uami = () =>
      request(
        c,
        `${c.endpoints.appService}?api-version=2019-08-01&resource=${VAULT}&client_id=${app.clientId}`,
        { headers: { 'X-IDENTITY-HEADER': c.sourceSecrets.identityHeader } },
      );
    const federate = async () =>
      entraPost(c, c.tenantId, {
        grant_type: 'client_credentials',
        client_id: identity(c, 'federated').clientId,
        scope: `${VAULT}/.default`,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: readFileSync(c.files.federatedTokenFile, 'utf8'),
      });
    try {
      assert.equal((await uami()).status, 200);
      await admin(c, 'POST', '/_sandbox/scenario', { name: 'uami-not-attached' });
      assert.equal((await uami()).status, 400);
      await admin(c, 'POST', '/_sandbox/scenario', { name: 'fic-subject-mismatch' });
      assert.equal((await uami()).status, 200);
      assertEntraError(await federate(), 401, 'invalid_client', 700213);
      await admin(c, 'POST', '/_sandbox/scenario', { name: 'healthy' });
      assert.equal((await federate()).status, 200);
    } finally {
      await s.close();
    }
  });
});
