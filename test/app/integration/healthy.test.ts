// Against the sandbox's healthy world: every path x target is `ok`, and each result's attested oid is the world's
// principal id for that path. Also the HTTP handlers (routes, 404/405), the federated token from a URL, and the
// reuse of credentials (token requests per identity x audience).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PATH_IDS, TARGET_IDS, type PathId } from '../../../src/ids.ts';
import { TARGETS } from '../../../common/catalog.ts';
import type { ProbeResult } from '../../../src/core/results.ts';
import { runChild } from '../helpers/child.ts';
import { admin, expectedPrincipal, useSandbox } from '../helpers/sandbox.ts';

describe('healthy sandbox', { timeout: 180_000 }, () => {
  const sb = useSandbox();

  it('every path and target is ok, attested as the world principal of that path', async () => {
    const run = await runChild(sb.connection.appSettings, [{ op: 'sweep' }, { op: 'sweep' }]);
    for (const sweep of run.steps) {
      const results = sweep.value.results as ProbeResult[];
      assert.equal(results.length, PATH_IDS.length * TARGET_IDS.length);
      for (const r of results) {
        const where = `${r.path}/${r.target}`;
        assert.equal(r.outcome, 'ok', `${where}: ${JSON.stringify(r.detail ?? r.identity)}`);
        assert.equal(
          r.identity?.oid,
          expectedPrincipal(sb.connection, r.path as PathId),
          `${where} attested oid`,
        );
        assert.equal(r.identity?.matches, true, where);
        assert.equal(r.identity?.tid, sb.connection.tenantId, where);
        assert.ok(r.timings.totalMs >= r.timings.tokenMs, where);
        assert.ok(r.data && Object.keys(r.data).length > 0, `${where} reports what it read`);
      }
    }
    const [first, second] = run.steps.map((s) => s.value.results as ProbeResult[]);
    assert.ok(
      first.every((r) => r.identity?.tokenFrom === 'credential'),
      'first sweep: each client asked its credential',
    );
    assert.ok(
      second.every((r) => r.identity?.tokenFrom === 'client-cache'),
      'second sweep: the clients reused their tokens',
    );
    const kv = first.find((r) => r.target === 'keyvault')!;
    assert.match(
      String(kv.data!.version),
      /^[0-9a-f]{32}$/,
      'the secret version is reported, never its value',
    );
    assert.equal(kv.data!.value, undefined);
    const fed = first.find((r) => r.path === 'federated')!;
    assert.ok(
      fed.federatedToken?.expiresOn && fed.federatedToken.refreshAt,
      'federated status shows expiry and refresh',
    );
    assert.ok(Date.parse(fed.federatedToken.refreshAt!) < Date.parse(fed.federatedToken.expiresOn!));
    assert.equal(fed.federatedToken.source, 'file');
  });

  it('asks for one token per credential selector per audience over repeated sweeps', async () => {
    await admin(sb.connection, 'POST', '/_sandbox/counters/reset');
    await runChild(
      sb.connection.appSettings,
      Array.from({ length: 5 }, () => ({ op: 'sweep' as const })),
    );
    const counters = await admin<{
      tokenRequests: { total: number; byIdentityAudience: Record<string, number> };
    }>(sb.connection, 'GET', '/_sandbox/counters');
    // system (1), UAMI by client id (shared with default-chain), object id, resource id (MSAL caches per
    // selector), federated (1): 5 selectors x 3 audiences, the status store reusing the system identity's.
    assert.equal(counters.tokenRequests.total, 15, JSON.stringify(counters.tokenRequests.byIdentityAudience));
    for (const [key, n] of Object.entries(counters.tokenRequests.byIdentityAudience))
      assert.ok(n <= 3, `${key}: ${n} requests for 5 sweeps`);
  });

  it('federated path with FEDERATED_TOKEN_URL (GitHub Actions style JSON) is ok too', async () => {
    // The sandbox's external OIDC provider serves {count, value, expires_on} per workload; the workload is the one
    // whose subject the federated identity's credential expects (sandbox/worlds/healthy.json).
    const world = sb.context.world;
    const fic = world.federatedCredentials.find(
      (f) => f.principalId === expectedPrincipal(sb.connection, 'federated'),
    );
    const workload = world.oidcWorkloads.find((w) => w.subject === fic?.subject);
    assert.ok(workload, 'the healthy world has a workload for the federated credential');
    const base = `${sb.connection.endpoints.oidcIssuer}/workloads/${encodeURIComponent(workload.name)}/token`;
    await admin(sb.connection, 'POST', '/_sandbox/counters/reset');
    const run = await runChild(sb.connection.appSettings, [{ op: 'probe', path: 'federated' }], {
      FEDERATED_TOKEN_FILE: undefined,
      FEDERATED_TOKEN_URL: `${base}?audience=api://AzureADTokenExchange`,
    });
    const results = run.steps[0].value as ProbeResult[];
    for (const r of results) {
      assert.equal(r.outcome, 'ok', JSON.stringify(r.detail));
      assert.equal(r.identity?.oid, expectedPrincipal(sb.connection, 'federated'));
      assert.equal(r.federatedToken?.source, 'url');
      assert.equal(r.federatedToken?.location, base, 'no query string in the status');
      assert.equal(r.federatedToken?.subject, workload.subject);
    }
    const counters = await admin<{
      tokenRequests: { bySource: Record<string, number> };
      requestsByEndpoint: Record<string, number>;
    }>(sb.connection, 'GET', '/_sandbox/counters');
    const exchanges = counters.tokenRequests.bySource.entra ?? 0;
    // Targets that share an audience share its token (the credential caches per audience).
    const audiences = new Set(TARGET_IDS.map((t) => TARGETS[t].audience)).size;
    assert.equal(exchanges, audiences, 'one exchange at Entra per audience');
    // The OIDC provider also answers Entra's key lookups (discovery and JWKS for each exchange:
    // sandbox/identity/assertion.ts); what is left is the app's own requests to the token URL.
    assert.equal(
      (counters.requestsByEndpoint.oidc ?? 0) - 2 * exchanges,
      1,
      `one external token for the ${audiences} audiences (${JSON.stringify(counters.requestsByEndpoint)})`,
    );
  });

  it('HTTP handlers: all targets, one target, unknown ids (404 listing valid ids), wrong method (405)', async () => {
    const run = await runChild(sb.connection.appSettings, [
      { op: 'http', fn: 'probe', path: 'uami-resource-id' },
      { op: 'http', fn: 'probe', path: 'system-assigned', params: { target: 'keyvault' } },
      { op: 'http', fn: 'probe', path: 'system-assigned', params: { target: 'vault' } },
      { op: 'http', fn: 'unknown', params: { rest: 'uami/keyvault' } },
      { op: 'http', fn: 'probe', path: 'federated', method: 'POST' },
      { op: 'http', fn: 'status', method: 'DELETE' },
      { op: 'http', fn: 'health', method: 'PUT' },
    ]);
    const [all, one, badTarget, badPath, post, del, put] = run.steps.map((s) => s.value);
    assert.equal(all.status, 200);
    assert.equal(all.body.ok, true);
    assert.deepEqual(
      all.body.results.map((r: ProbeResult) => r.target),
      [...TARGET_IDS],
    );
    assert.equal(all.body.statusStore.recorded, true);
    assert.ok(
      all.logs.some((l: { message: string }) => /probe uami-resource-id: keyvault=ok/.test(l.message)),
    );
    assert.equal(one.status, 200);
    assert.equal(one.body.target, 'keyvault');
    assert.equal(one.body.outcome, 'ok');
    for (const nf of [badTarget, badPath]) {
      assert.equal(nf.status, 404);
      assert.deepEqual(nf.body.paths, [...PATH_IDS]);
      assert.deepEqual(nf.body.targets, [...TARGET_IDS]);
    }
    assert.match(badTarget.body.message, /'vault'/);
    assert.match(badPath.body.message, /'uami'/);
    for (const wrong of [post, del, put]) {
      assert.equal(wrong.status, 405);
      assert.equal(wrong.headers.allow, 'GET');
      assert.equal(wrong.body.error, 'method-not-allowed');
    }
  });

  it('HTTP: a valid path and target followed by an extra segment is a 404 that says so, listing the valid ids', async () => {
    // /api/probes/{path}/{target?} does not match three segments, so probes/{*rest} gets the whole rest.
    const run = await runChild(sb.connection.appSettings, [
      { op: 'http', fn: 'unknown', params: { rest: 'system-assigned/keyvault/extra' } },
      { op: 'http', fn: 'unknown', params: { rest: 'federated/arm/a/b' } },
      { op: 'http', fn: 'unknown', params: { rest: 'federated/vault/extra' } },
    ]);
    const [extra, two, badTarget] = run.steps.map((s) => s.value);
    for (const nf of [extra, two, badTarget]) {
      assert.equal(nf.status, 404);
      assert.equal(nf.body.error, 'not-found');
      assert.deepEqual(nf.body.paths, [...PATH_IDS]);
      assert.deepEqual(nf.body.targets, [...TARGET_IDS]);
    }
    assert.equal(
      extra.body.message,
      "The route /api/probes/system-assigned/keyvault/extra has an extra segment ('extra'): use /api/probes/{path}[/{target}].",
    );
    assert.doesNotMatch(extra.body.message, /Unknown identity path/);
    assert.match(two.body.message, /extra segment \('a\/b'\)/);
    assert.equal(badTarget.body.message, "Unknown target 'vault'.");
  });
});
