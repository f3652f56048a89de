// Key Vault conformance: the real SecretClient, with tokens from the sandbox's identity plane (App Service managed
// identity in a child process), against the sandbox's vault; wire details checked with raw HTTPS.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { VAULT, admin, identity, request, useTestSandbox } from '../../support/sandbox.ts';
import { err, ok, runAs, runSdkWithToken, withRole } from './helpers.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('Key Vault (SecretClient)', () => {
  const sb = useTestSandbox();
  let vaultId: string;
  before(() => {
    vaultId = `/subscriptions/${sb.connection.subscriptionId}/resourceGroups/${sb.connection.resourceGroup}/providers/Microsoft.KeyVault/vaults/${sb.connection.resources.keyVaultName}`;
  });

  it('a Key Vault Secrets User gets the canary secret, latest and by version, and may do nothing else', async () => {
    const c = sb.connection;
    const system = identity(c, 'system');
    const run = await runAs(c, 'system', [
      { op: 'kv.get', name: c.resources.secretName },
      { op: 'kv.get', name: c.resources.secretName, version: '$prev.version' },
      { op: 'kv.set', name: 'not-allowed', value: 'v' },
      { op: 'kv.delete', name: c.resources.secretName },
      { op: 'kv.get', name: 'missing-secret' },
    ]);
    const [latest, byVersion, set, del, missing] = run.results;
    const issued = await admin<{ secrets: string[] }>(c, 'GET', '/_sandbox/issued');
    const got = ok(latest);
    assert.ok(
      issued.secrets.map(sha256).includes(got.valueSha256 as string),
      'the value is the canary value the sandbox holds',
    );
    assert.equal(
      got.vaultUrl,
      c.endpoints.keyVault.replace(/\/$/, ''),
      'ids parse against the vault URL (one origin per vault)',
    );
    assert.match(got.id as string, new RegExp(`^${c.endpoints.keyVault}secrets/canary/[0-9a-f]{32}$`));
    assert.deepEqual(ok(byVersion), got);

    for (const [r, action, resource] of [
      [set, 'setSecret/action', 'not-allowed'],
      [del, 'delete', c.resources.secretName],
    ] as const) {
      const e = err(r);
      assert.equal(e.statusCode, 403);
      assert.equal(e.code, 'Forbidden');
      assert.equal(e.innerCode, 'ForbiddenByRbac');
      assert.equal(
        e.message,
        [
          'Caller is not authorized to perform action on resource.',
          'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
          `Caller: appid=${system.clientId};oid=${system.principalId};iss=https://sts.windows.net/${c.tenantId}/`,
          `Action: 'Microsoft.KeyVault/vaults/secrets/${action}'`,
          `Resource: '${vaultId.toLowerCase()}/secrets/${resource}'`,
          'Assignment: (not found)',
          'DenyAssignmentId: null',
          "DecisionReason: 'DeniedWithNoValidRBAC'",
          `Vault: ${c.resources.keyVaultName};location=westeurope`,
        ].join('\r\n'),
      );
    }
    const m = err(missing);
    assert.equal(m.statusCode, 404);
    assert.equal(m.code, 'SecretNotFound');
    assert.match(
      m.message,
      /^A secret with \(name\/id\) missing-secret was not found in this key vault\. If you recently deleted this secret/,
    );
  });

  it('a Secrets Officer sets, lists with paging, deletes (soft), recovers and purges', async () => {
    const c = sb.connection;
    const app = identity(c, 'app');
    const officer = { principalId: app.principalId, roleName: 'Key Vault Secrets Officer', scope: vaultId };
    await withRole(c, officer, async () => {
      const names = Array.from({ length: 12 }, (_, i) => `paged-${String(i).padStart(2, '0')}`);
      const run = await runAs(c, 'app', [
        ...names.map((name) => ({ op: 'kv.set', name, value: `value of ${name}` })),
        { op: 'kv.set', name: 'paged-00', value: 'second version' },
        { op: 'kv.versions', name: 'paged-00' },
        { op: 'kv.list', pageSize: 5 },
        { op: 'kv.delete', name: 'paged-01' },
        { op: 'kv.getDeleted', name: 'paged-01' },
        { op: 'kv.get', name: 'paged-01' },
        { op: 'kv.set', name: 'paged-01', value: 'reuse' },
        { op: 'kv.recover', name: 'paged-01' },
        { op: 'kv.get', name: 'paged-01' },
        { op: 'kv.delete', name: 'paged-02' },
        { op: 'kv.purge', name: 'paged-02' },
        { op: 'kv.set', name: 'paged-02', value: 'after purge' },
        { op: 'kv.set', name: 'bad_name', value: 'x' },
      ]);
      const r = run.results.slice(names.length);
      const [
        ,
        versions,
        list,
        deleted,
        gotDeleted,
        getAfterDelete,
        reuse,
        recovered,
        getRecovered,
        ,
        purged,
        afterPurge,
        badName,
      ] = r;
      for (const x of run.results.slice(0, names.length)) ok(x);
      assert.equal((ok(versions).versions as string[]).length, 2);
      const listed = ok(list);
      assert.deepEqual(listed.names, [c.resources.secretName, ...names].sort());
      assert.equal(listed.pages, 3, '13 secrets in pages of 5 (nextLink followed verbatim)');
      assert.match(ok(deleted).recoveryId as string, /\/deletedsecrets\/paged-01$/);
      assert.equal(ok(gotDeleted).name, 'paged-01');
      assert.equal(err(getAfterDelete).code, 'SecretNotFound');
      const conflict = err(reuse);
      assert.equal(conflict.statusCode, 409);
      assert.equal(conflict.code, 'Conflict');
      assert.match(conflict.message, /paged-01 is currently in a deleted but recoverable state/);
      assert.equal(ok(recovered).name, 'paged-01');
      assert.equal(ok(getRecovered).name, 'paged-01');
      ok(purged);
      ok(afterPurge);
      assert.equal(err(badName).statusCode, 400);
      assert.equal(err(badName).code, 'BadParameter');
    });
  });

  it('Key Vault Reader lists but reads no value; Owner on the vault reads no secret (data plane is separate)', async () => {
    const c = sb.connection;
    for (const [roleName, canList] of [
      ['Key Vault Reader', true],
      ['Owner', false],
    ] as const) {
      const principalId = crypto.randomUUID();
      await admin(c, 'POST', '/_sandbox/role-assignments', { principalId, roleName, scope: vaultId });
      const { token } = await sb.context.tokens.issue({
        subject: { principalId, clientId: crypto.randomUUID() },
        audience: VAULT,
      });
      const [list, get] = (
        await runSdkWithToken(c, token, [{ op: 'kv.list' }, { op: 'kv.get', name: 'canary' }])
      ).results;
      if (canList) assert.ok((ok(list).names as string[]).includes('canary'), roleName);
      else {
        // The SDK's pager keeps status and code but drops the body ("Pagination failed with unexpected statusCode
        // 403"), as with ARM v8 (docs/data-plane.md §2.1); the body on the wire is the real one.
        assert.equal(err(list).statusCode, 403, roleName);
        assert.equal(err(list).code, 'Forbidden', roleName);
        assert.equal(JSON.parse(err(list).body!).error.innererror.code, 'ForbiddenByRbac', roleName);
      }
      assert.equal(err(get).innerCode, 'ForbiddenByRbac', roleName);
      assert.match(err(get).message, /Action: 'Microsoft\.KeyVault\/vaults\/secrets\/getSecret\/action'/);
    }
  });

  it('answers the challenge before reading the body, in the real WWW-Authenticate format', async () => {
    const c = sb.connection;
    // Not JSON at all: a server that read the body first would answer 400.
    const res = await request(c, `${c.endpoints.keyVault}secrets/first?api%2Dversion=2025-07-01`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: 'this is not json',
    });
    assert.equal(res.status, 401);
    assert.equal(
      res.headers['www-authenticate'],
      `Bearer authorization="https://login.microsoftonline.com/${c.tenantId}", resource="https://vault.azure.net"`,
    );
    assert.deepEqual(JSON.parse(res.text), {
      error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' },
    });
  });

  it('decodes query names, serves the trailing-slash form, and pages with a nextLink carrying api-version', async () => {
    const c = sb.connection;
    const system = identity(c, 'system');
    const { token } = await sb.context.tokens.issue({
      subject: { principalId: system.principalId, clientId: system.clientId },
      audience: VAULT,
    });
    const auth = { authorization: `Bearer ${token}` };
    const latest = await request(c, `${c.endpoints.keyVault}secrets/CANARY/?api%2Dversion=2026-04-01`, {
      headers: auth,
    });
    assert.equal(latest.status, 200, 'names are case-insensitive; the empty version is the latest');
    const body = JSON.parse(latest.text) as {
      id: string;
      value: string;
      attributes: Record<string, unknown>;
    };
    assert.match(body.id, /\/secrets\/canary\/[0-9a-f]{32}$/);
    assert.equal(typeof body.attributes.created, 'number');
    assert.equal(body.attributes.recoveryLevel, 'Recoverable+Purgeable');

    const noVersion = await request(c, `${c.endpoints.keyVault}secrets/canary/`, { headers: auth });
    assert.equal(noVersion.status, 400);
    assert.equal((JSON.parse(noVersion.text) as { error: { code: string } }).error.code, 'BadParameter');

    const page = await request(c, `${c.endpoints.keyVault}secrets?api-version=7.5&maxresults=1`, {
      headers: auth,
    });
    const listed = JSON.parse(page.text) as {
      value: Array<{ id: string; value?: string }>;
      nextLink: string | null;
    };
    assert.equal(listed.value.length, 1);
    assert.equal(listed.value[0].value, undefined, 'list items carry no value');
    assert.doesNotMatch(listed.value[0].id, /[0-9a-f]{32}$/, 'list item ids carry no version');
    // Only the canary exists for this identity's view (Secrets Officer grants above were removed, their secrets stay).
    if (listed.nextLink) {
      const next = new URL(listed.nextLink);
      assert.equal(next.origin, new URL(c.endpoints.keyVault).origin);
      assert.equal(next.searchParams.get('api-version'), '7.5');
      assert.equal(next.searchParams.get('maxresults'), '1');
      assert.ok(next.searchParams.get('$skiptoken'));
    }
  });
});
