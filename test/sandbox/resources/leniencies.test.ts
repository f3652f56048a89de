// Where the sandbox was more lenient than Azure (issue 24, item 6), each answered as the service does:
// Blob `x-ms-version: zz` / `9999-01-01` (400 InvalidHeaderValue naming the header), Key Vault and Resource Manager
// with two `api-version` parameters (read as one comma-joined value, which neither serves), the admin API's
// `?kind=__proto__`, and a token past `exp`, on which the Blob gateway and Azurite behind it now agree.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAzurite, type AzuriteProcess } from '../../../sandbox/resources/blob/azurite.ts';
import { ARM, STORAGE, VAULT, identity, request, useTestSandbox } from '../../support/sandbox.ts';

describe('the leniencies answer as Azure does', { timeout: 120_000 }, () => {
  const sb = useTestSandbox();
  const token = async (audience: string, lifetimeSeconds?: number) => {
    const s = identity(sb.connection, 'system');
    return (
      await sb.context.tokens.issue({
        subject: { principalId: s.principalId, clientId: s.clientId },
        audience,
        lifetimeSeconds,
      })
    ).token;
  };

  it('Blob refuses an x-ms-version it does not serve: 400 InvalidHeaderValue naming it', async () => {
    const c = sb.connection;
    const url = `${c.endpoints.blob}/${c.resources.canaryContainer}?restype=container`;
    const auth = `Bearer ${await token(STORAGE)}`;
    for (const v of ['zz', '9999-01-01', '2025-02-30', '2009-09-18', '2025-05-05, 2025-05-05']) {
      const r = await request(c, url, { headers: { authorization: auth, 'x-ms-version': v } });
      assert.equal(r.status, 400, v);
      assert.equal(r.headers['x-ms-error-code'], 'InvalidHeaderValue');
      assert.equal(r.headers['x-ms-version'], undefined, 'an unserved version is not echoed');
      assert.match(
        r.text,
        new RegExp(
          `^\uFEFF<\\?xml version="1\\.0" encoding="utf-8"\\?><Error><Code>InvalidHeaderValue</Code><Message>The value for one of the HTTP headers is not in the correct format\\.\\nRequestId:[0-9a-f-]{36}\\nTime:[0-9T:.-]+Z</Message><HeaderName>x-ms-version</HeaderName><HeaderValue>${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</HeaderValue></Error>$`,
        ),
      );
    }
    for (const v of ['2017-11-09', '2026-10-06']) {
      const r = await request(c, url, { headers: { authorization: auth, 'x-ms-version': v } });
      assert.equal(r.status, 200, `${v}: ${r.text}`);
    }
  });

  it('Key Vault and Resource Manager read two api-version parameters as one value they do not serve', async () => {
    const c = sb.connection;
    const kv = await request(
      c,
      `${c.endpoints.keyVault}secrets/${c.resources.secretName}?api-version=7.6&api-version=7.6`,
      {
        headers: { authorization: `Bearer ${await token(VAULT)}` },
      },
    );
    assert.equal(kv.status, 400);
    assert.deepEqual(kv.json<{ error: unknown }>().error, {
      code: 'BadParameter',
      message:
        'The specified version (7.6,7.6) is not recognized. Consider using the latest supported version (2026-04-01).',
    });
    const one = await request(c, `${c.endpoints.keyVault}secrets/${c.resources.secretName}?api-version=7.6`, {
      headers: { authorization: `Bearer ${await token(VAULT)}` },
    });
    assert.equal(one.status, 200, one.text);
    const arm = await request(
      c,
      `${c.endpoints.arm}/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/resources?api-version=2021-04-01&api-version=2021-04-01`,
      { headers: { authorization: `Bearer ${await token(ARM)}` } },
    );
    assert.equal(arm.status, 400);
    const e = arm.json<{ error: { code: string; message: string } }>().error;
    assert.equal(e.code, 'InvalidApiVersionParameter');
    assert.match(e.message, /^The api-version '2021-04-01,2021-04-01' is invalid\./);
  });

  it('the admin API refuses ?kind=__proto__ (and any name Object.prototype has)', async () => {
    const c = sb.connection;
    for (const kind of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const r = await request(c, `${c.endpoints.admin}/_sandbox/telemetry?kind=${kind}`);
      assert.equal(r.status, 400, kind);
      assert.deepEqual(r.json(), {
        error: 'invalid_kind',
        message: 'kind must be one of availability, event',
      });
    }
    const ok = await request(c, `${c.endpoints.admin}/_sandbox/telemetry?kind=event`);
    assert.equal(ok.status, 200);
  });

  describe('a token past exp: the Blob gateway and Azurite behind it agree', () => {
    let azurite: AzuriteProcess;
    before(async () => {
      azurite = await startAzurite({
        cert: sb.context.serverCert,
        accounts: [sb.connection.resources.storageAccount],
        log: () => {},
      });
    });
    after(() => azurite?.close());

    it('refused by both the moment it expires; accepted by both before', async () => {
      const c = sb.connection;
      const account = c.resources.storageAccount;
      // Expired 5 s ago: inside the 300 s the gateway used to allow, which Azurite never did.
      const expired = await token(STORAGE, -5);
      const fresh = await token(STORAGE, 600);
      const headers = (t: string) => ({ authorization: `Bearer ${t}`, 'x-ms-version': '2025-05-05' });
      const gateway = (t: string) => request(c, `${c.endpoints.blob}?comp=list`, { headers: headers(t) });
      const direct = (t: string) =>
        request(c, `${azurite.origin}/${account}?comp=list`, { headers: headers(t) });

      const g = await gateway(expired);
      assert.equal(g.status, 401, g.text);
      assert.match(
        g.text,
        /<AuthenticationErrorDetail>Lifetime validation failed\. The token is expired\.<\/AuthenticationErrorDetail>/,
      );
      const a = await direct(expired);
      assert.equal(a.status, 403, a.text);
      assert.match(a.text, /Lifetime validation failed\. The token is expired\./);

      // A fresh token is authenticated by both (the gateway then applies the system identity's roles).
      const gf = await gateway(fresh);
      assert.notEqual(gf.status, 401, gf.text);
      assert.notEqual(gf.headers['x-ms-error-code'], 'InvalidAuthenticationInfo');
      const af = await direct(fresh);
      assert.equal(af.status, 200, af.text);
    });
  });
});
