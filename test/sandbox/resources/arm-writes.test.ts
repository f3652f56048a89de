// Resource Manager as the Azure CLI and the app's remediations use it, over raw HTTPS: subscriptions and tenants
// by role assignment, the anonymous /metadata/endpoints, api-version on every ARM and Key Vault request, role
// assignment PUT/DELETE (409 RoleAssignmentExists, PrincipalNotFound, propagation delay), federated credential
// PUT/DELETE seen by Entra, the site's identity PUT with linked authorization; and IMDS refusing X-Forwarded-For.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { ARM, VAULT, admin, identity, request, useTestSandbox } from '../../support/sandbox.ts';
import type { HttpResult } from '../../support/sandbox.ts';

const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const KV_SECRETS_USER = '4633458b-17de-408a-b874-0445c86b69e6';

describe(
  'Resource Manager writes, discovery and api-versions',
  { concurrency: true, timeout: 120_000 },
  () => {
    const sb = useTestSandbox();
    let rgId: string;
    let sub: string;
    const c = () => sb.connection;
    const tokenOf = async (key: string, audience = ARM) => {
      const id = key === 'operator' ? c().operator! : identity(c(), key);
      return (
        await sb.context.tokens.issue({
          subject: { principalId: id.principalId, clientId: id.clientId },
          audience,
        })
      ).token;
    };
    const call = async (
      method: string,
      path: string,
      who: string | undefined,
      body?: unknown,
    ): Promise<HttpResult> =>
      request(c(), `${c().endpoints.arm}${path}`, {
        method,
        headers: {
          ...(who ? { authorization: `Bearer ${await tokenOf(who)}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const errorOf = (r: HttpResult) => r.json<{ error: { code: string; message: string } }>().error;
    before(() => {
      sub = `/subscriptions/${c().subscriptionId}`;
      rgId = `${sub}/resourceGroups/${c().resourceGroup}`;
    });

    it('serves /metadata/endpoints without a token, with the fields az cloud register reads', async () => {
      const r = await call('GET', '/metadata/endpoints?api-version=2022-09-01', undefined);
      assert.equal(r.status, 200, r.text);
      const m = r.json<
        Record<string, unknown> & {
          authentication: Record<string, unknown>;
          suffixes: Record<string, string>;
        }
      >();
      assert.equal(m.resourceManager, `${c().endpoints.arm}/`);
      assert.equal(m.authentication.loginEndpoint, `${c().endpoints.entra}/`);
      assert.deepEqual(m.authentication.audiences, [
        'https://management.core.windows.net/',
        'https://management.azure.com/',
      ]);
      assert.equal(m.suffixes.keyVaultDns, 'vault.azure.net');
      assert.equal(m.suffixes.storage, 'core.windows.net');
      // The CLI calls Graph around role assignments: the sandbox's own, never the public one.
      assert.match(String(m.microsoftGraphResourceId), /^https:\/\/127\.0\.0\.1:\d+\/$/);
      // Everything else still needs a token.
      assert.equal((await call('GET', `${sub}?api-version=2022-12-01`, undefined)).status, 401);
    });

    it('lists the subscription to a caller with any role assignment in it, and to nobody else', async () => {
      const seen = await call('GET', '/subscriptions?api-version=2022-12-01', 'system');
      assert.equal(seen.status, 200, seen.text);
      const subs = seen.json<{ value: Array<{ subscriptionId: string; tenantId: string; state: string }> }>()
        .value;
      assert.deepEqual(
        subs.map((s) => [s.subscriptionId, s.tenantId, s.state]),
        [[c().subscriptionId, c().tenantId, 'Enabled']],
      );
      assert.equal((await call('GET', `${sub}?api-version=2022-12-01`, 'operator')).status, 200);
      // The CI app registration holds no role: an empty list, and 404 for the subscription itself.
      const none = await call('GET', '/subscriptions?api-version=2022-12-01', 'app-probes-ci');
      assert.deepEqual(none.json<{ value: unknown[] }>().value, []);
      const hidden = await call('GET', `${sub}?api-version=2022-12-01`, 'app-probes-ci');
      assert.equal(hidden.status, 404);
      assert.equal(errorOf(hidden).code, 'SubscriptionNotFound');
      const tenants = (await call('GET', '/tenants?api-version=2022-12-01', 'app-probes-ci')).json<{
        value: Array<{ tenantId: string }>;
      }>();
      assert.deepEqual(
        tenants.value.map((t) => t.tenantId),
        [c().tenantId],
      );
    });

    it('checks api-version on every request, with the real codes and wording', async () => {
      const x = await call('GET', `${rgId}?api-version=x`, 'operator');
      assert.equal(x.status, 400);
      assert.equal(errorOf(x).code, 'InvalidApiVersionParameter');
      assert.match(
        errorOf(x).message,
        /^The api-version 'x' is invalid\. The supported versions are '2025-04-01,2024-11-01,/,
      );
      const missing = await call('GET', rgId, 'operator');
      assert.deepEqual(errorOf(missing), {
        code: 'MissingApiVersionParameter',
        message: 'The api-version query parameter (?api-version=) is required for all requests.',
      });
      const site = await call(
        'GET',
        `${rgId}/providers/Microsoft.Web/sites/func-identity-probes?api-version=2099-01-01`,
        'operator',
      );
      assert.equal(site.status, 400);
      assert.equal(errorOf(site).code, 'NoRegisteredProviderFound');
      assert.match(
        errorOf(site).message,
        /^No registered resource provider found for location 'westeurope' and API version '2099-01-01' for type 'sites'\. The supported api-versions are '.*2024-11-01, /,
      );
      const meta = await call('GET', '/metadata/endpoints?api-version=1999-01-01', undefined);
      assert.equal(errorOf(meta).code, 'InvalidApiVersionParameter');
    });

    it('Key Vault answers BadParameter for a version it does not serve, and serves the ones the clients send', async () => {
      const token = await tokenOf('app', VAULT);
      const get = (v: string) =>
        request(c(), `${c().endpoints.keyVault}secrets/canary?api-version=${v}`, {
          headers: { authorization: `Bearer ${token}` },
        });
      const zz = await get('zz');
      assert.equal(zz.status, 400);
      assert.deepEqual(zz.json<{ error: unknown }>().error, {
        code: 'BadParameter',
        message:
          'The specified version (zz) is not recognized. Consider using the latest supported version (2026-04-01).',
      });
      for (const v of ['7.4', '7.6', '2025-07-01', '2026-04-01']) assert.equal((await get(v)).status, 200, v);
    });

    it('IMDS refuses a request that carries X-Forwarded-For with 400, whatever else it carries', async () => {
      const url = `${c().endpoints.imds}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(VAULT)}`;
      const plain = await request(c(), url, { headers: { Metadata: 'true' } });
      assert.equal(plain.status, 200);
      const proxied = await request(c(), url, {
        headers: { Metadata: 'true', 'X-Forwarded-For': '10.0.0.1' },
      });
      assert.equal(proxied.status, 400);
      assert.equal(proxied.json<{ error: string }>().error, 'bad_request');
      assert.doesNotMatch(proxied.text, /access_token/);
    });

    it('role assignments: PUT needs roleAssignments/write, 409 RoleAssignmentExists, PrincipalNotFound, DELETE', async () => {
      // A principal the directory does not hold: accepted because principalType says what it is (the point of
      // --assignee-principal-type); the CI app registration stays without roles for the other tests.
      const fed = { principalId: randomUUID() };
      const ci = identity(c(), 'app-probes-ci');
      const scope = `${rgId}/providers/Microsoft.KeyVault/vaults/kv-identity-probes`;
      const body = (principalId: string, principalType?: string) => ({
        properties: {
          roleDefinitionId: `${sub}/providers/Microsoft.Authorization/roleDefinitions/${KV_SECRETS_USER}`,
          principalId,
          ...(principalType ? { principalType } : {}),
        },
      });
      const path = (name: string) =>
        `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=2022-04-01`;
      const denied = await call(
        'PUT',
        path(randomUUID()),
        'system',
        body(fed.principalId, 'ServicePrincipal'),
      );
      assert.equal(denied.status, 403);
      assert.equal(errorOf(denied).code, 'AuthorizationFailed');
      assert.match(
        errorOf(denied).message,
        /perform action 'Microsoft.Authorization\/roleAssignments\/write' over scope/,
      );
      const name = randomUUID();
      const created = await call('PUT', path(name), 'operator', body(fed.principalId, 'ServicePrincipal'));
      assert.equal(created.status, 201, created.text);
      const again = await call(
        'PUT',
        path(randomUUID()),
        'operator',
        body(fed.principalId, 'ServicePrincipal'),
      );
      assert.equal(again.status, 409);
      assert.equal(errorOf(again).code, 'RoleAssignmentExists');
      const ghost = await call('PUT', path(randomUUID()), 'operator', body(randomUUID()));
      assert.equal(errorOf(ghost).code, 'PrincipalNotFound');
      assert.match(errorOf(ghost).message, /set the role assignment principalType property/);
      const wrongType = await call('PUT', path(randomUUID()), 'operator', body(ci.principalId, 'User'));
      assert.equal(errorOf(wrongType).code, 'UnmatchedPrincipalType');
      assert.equal((await call('DELETE', path(name), 'operator')).status, 200);
      assert.equal((await call('DELETE', path(name), 'operator')).status, 204);
    });

    it('role definitions by name at any scope, with subscription-level ids', async () => {
      const filter = encodeURIComponent("roleName eq 'Key Vault Secrets User'");
      const r = await call(
        'GET',
        `${rgId}/providers/Microsoft.Authorization/roleDefinitions?$filter=${filter}&api-version=2022-04-01`,
        'operator',
      );
      assert.deepEqual(
        r.json<{ value: Array<{ id: string }> }>().value.map((d) => d.id),
        [`${sub}/providers/Microsoft.Authorization/roleDefinitions/${KV_SECRETS_USER}`],
      );
    });

    it('federated credentials: PUT and DELETE change what Entra accepts', async () => {
      const fed = identity(c(), 'federated');
      const ficPath = `${fed.resourceId}/federatedIdentityCredentials/extra?api-version=2023-01-31`;
      const exchange = () =>
        request(c(), `${c().endpoints.entra}/${c().tenantId}/oauth2/v2.0/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: fed.clientId,
            scope: `${VAULT}/.default`,
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: readFileSync(c().files.federatedTokenFile, 'utf8'),
          }).toString(),
        });
      const props = (subject: string) => ({
        properties: { issuer: c().endpoints.oidcIssuer, subject, audiences: ['api://AzureADTokenExchange'] },
      });
      assert.equal(errorOf(await call('PUT', ficPath, 'system', props('x'))).code, 'AuthorizationFailed');
      const bad = await call('PUT', ficPath, 'operator', {
        properties: { issuer: 'http://x', subject: 's', audiences: ['a'] },
      });
      assert.equal(bad.status, 400);
      assert.equal(
        (await call('PUT', ficPath, 'operator', props('system:serviceaccount:other:sa'))).status,
        201,
      );
      assert.equal(
        (await call('PUT', ficPath, 'operator', props('system:serviceaccount:other:sa2'))).status,
        200,
      );
      assert.equal((await exchange()).status, 200, 'the declared credential still matches');
      const list = await call(
        'GET',
        `${fed.resourceId}/federatedIdentityCredentials?api-version=2023-01-31`,
        'operator',
      );
      assert.ok(list.json<{ value: Array<{ name: string }> }>().value.some((f) => f.name === 'extra'));
      assert.equal((await call('DELETE', ficPath, 'operator')).status, 200);
      assert.equal((await call('GET', ficPath, 'operator')).status, 404);
    });

    it('the site identity PUT attaches and detaches identities, with linked authorization', async () => {
      const app = identity(c(), 'app');
      const fed = identity(c(), 'federated');
      const site = `${rgId}/providers/Microsoft.Web/sites/func-identity-probes?api-version=2024-11-01`;
      const got = await call('GET', site, 'operator');
      assert.equal(got.status, 200, got.text);
      const identityOf = (r: HttpResult) =>
        r.json<{ identity: { type: string; userAssignedIdentities?: Record<string, unknown> } }>().identity;
      assert.equal(identityOf(got).type, 'SystemAssigned, UserAssigned');
      const uais = (ids: string[]) => Object.fromEntries(ids.map((i) => [i, {}]));
      const put = (who: string, ids: string[]) =>
        call('PUT', site, who, {
          ...got.json<Record<string, unknown>>(),
          identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: uais(ids) },
        });
      // A Reader may not write the site at all.
      assert.equal(errorOf(await put('system', [app.resourceId!])).code, 'AuthorizationFailed');
      const both = await put('operator', [app.resourceId!, fed.resourceId!]);
      assert.equal(both.status, 200, both.text);
      assert.equal(Object.keys(identityOf(both).userAssignedIdentities ?? {}).length, 2);
      const back = await put('operator', [app.resourceId!]);
      assert.deepEqual(Object.keys(identityOf(back).userAssignedIdentities ?? {}), [app.resourceId]);
    });
  },
);

describe('linked authorization on the site', { timeout: 120_000 }, () => {
  const sb = useTestSandbox();
  it('a site writer without assign/action on the identity gets LinkedAuthorizationFailed', async () => {
    const c = sb.connection;
    const ci = identity(c, 'app-probes-ci');
    const rgId = `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}`;
    const site = `${rgId}/providers/Microsoft.Web/sites/func-identity-probes`;
    // Owner on the site only: it may write the site, but not use an identity that lives outside it.
    await admin(c, 'POST', '/_sandbox/role-assignments', {
      principalId: ci.principalId,
      roleDefinitionId: OWNER,
      scope: site,
    });
    const token = (await sb.context.tokens.issue({ subject: ci, audience: ARM })).token;
    const fed = identity(c, 'federated');
    const r = await request(c, `${c.endpoints.arm}${site}?api-version=2024-11-01`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        identity: { type: 'UserAssigned', userAssignedIdentities: { [fed.resourceId!]: {} } },
      }),
    });
    assert.equal(r.status, 403, r.text);
    const e = r.json<{ error: { code: string; message: string } }>().error;
    assert.equal(e.code, 'LinkedAuthorizationFailed');
    assert.match(
      e.message,
      /does not have permission to perform action\(s\) 'Microsoft.ManagedIdentity\/userAssignedIdentities\/assign\/action' on the linked scope\(s\)/,
    );
  });
});

describe(
  'a role assignment written through ARM takes effect after the propagation delay',
  { timeout: 120_000 },
  () => {
    // Azure's real delay (up to 10 minutes), passed on the sandbox's clock (/_sandbox/clock), not slept through.
    const sb = useTestSandbox(() => {}, 'healthy', { propagationDelaySeconds: 600 });
    it('the new Reader is listed at once and enforced once the delay has passed', async () => {
      const c = sb.connection;
      const ci = identity(c, 'app-probes-ci');
      const rgId = `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}`;
      const tokenOf = async (id: { principalId: string; clientId: string }) =>
        (await sb.context.tokens.issue({ subject: id, audience: ARM })).token;
      const call = async (method: string, path: string, token: string, body?: unknown) =>
        request(c, `${c.endpoints.arm}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const operator = await tokenOf(c.operator!);
      const reader = await tokenOf(ci);
      const put = await call(
        'PUT',
        `${rgId}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`,
        operator,
        {
          properties: {
            roleDefinitionId: `/subscriptions/${c.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`,
            principalId: ci.principalId,
            principalType: 'ServicePrincipal',
          },
        },
      );
      assert.equal(put.status, 201, put.text);
      const group = () => call('GET', `${rgId}?api-version=2024-11-01`, reader);
      assert.equal((await group()).status, 403, 'not yet in force');
      await admin(c, 'POST', '/_sandbox/clock', { advanceSeconds: 599 });
      assert.equal((await group()).status, 403, 'still not in force a second before');
      await admin(c, 'POST', '/_sandbox/clock', { advanceSeconds: 2 });
      assert.equal((await group()).status, 200, 'in force after the delay');
    });
  },
);
