// Application Insights ingestion conformance (sandbox/monitor): the track API as the exporter calls it, gzip and
// plain batches, Entra bearer tokens for the Azure Monitor audience, 401 without a token, 403 without Monitoring
// Metrics Publisher on the component, 206 partial success per item, and the admin API's queries and counts.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { beforeEach, describe, it } from 'node:test';
import { admin, identity, request, useTestSandbox } from '../../support/sandbox.ts';

const MONITOR = 'https://monitor.azure.com';

function ikeyOf(connectionString: string): string {
  return /InstrumentationKey=([^;]+)/.exec(connectionString)![1];
}

function availability(ikey: string, name: string, success: boolean) {
  return {
    name: 'Microsoft.ApplicationInsights.Availability',
    time: new Date().toISOString(),
    iKey: ikey,
    tags: {},
    data: {
      baseType: 'AvailabilityData',
      baseData: {
        ver: 2,
        id: 'run-1',
        name,
        duration: '00:00:00.120',
        success,
        runLocation: 'test',
        message: 'm',
      },
    },
  };
}

describe('Application Insights ingestion (sandbox/monitor)', { timeout: 120_000 }, () => {
  const sb = useTestSandbox();
  const conn = () => sb.connection;
  const track = (body: string | Buffer, headers: Record<string, string>) =>
    request(conn(), `${conn().endpoints.monitor}/v2.1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const tokenFor = async (key: string, audience = MONITOR) => {
    const id = identity(conn(), key);
    return (
      await sb.context.tokens.issue({
        subject: { principalId: id.principalId, clientId: id.clientId },
        audience,
      })
    ).token;
  };
  const ikey = () => ikeyOf(conn().appSettings.APPLICATIONINSIGHTS_CONNECTION_STRING);

  beforeEach(() => admin(conn(), 'DELETE', '/_sandbox/telemetry'));

  it('the app settings name the endpoint and the host identity that sends', () => {
    const s = conn().appSettings;
    assert.match(
      s.APPLICATIONINSIGHTS_CONNECTION_STRING,
      /^InstrumentationKey=[0-9a-f-]{36};IngestionEndpoint=https:\/\/127\.0\.0\.1:\d+\//,
    );
    assert.equal(
      s.APPLICATIONINSIGHTS_AUTHENTICATION_STRING,
      `ClientId=${identity(conn(), 'host').clientId};Authorization=AAD`,
    );
  });

  it('accepts a gzip batch from the host identity and stores every item', async () => {
    const body = gzipSync(
      JSON.stringify([
        availability(ikey(), 'federated/arm', false),
        availability(ikey(), 'federated/blob', true),
      ]),
    );
    const res = await track(body, {
      'content-encoding': 'gzip',
      authorization: `Bearer ${await tokenFor('host')}`,
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json(), { itemsReceived: 2, itemsAccepted: 2, appId: null, errors: [] });
    const got = await admin<{
      items: Array<{ name: string; baseData: { success: boolean }; principalId: string }>;
    }>(conn(), 'GET', '/_sandbox/telemetry?kind=availability&name=federated/arm');
    assert.equal(got.items.length, 1);
    assert.equal(got.items[0].baseData.success, false);
    assert.equal(got.items[0].principalId, identity(conn(), 'host').principalId);
    const requests = await admin<{ requests: Array<{ encoding: string; status: number }> }>(
      conn(),
      'GET',
      '/_sandbox/telemetry/requests',
    );
    assert.deepEqual(
      requests.requests.map((r) => [r.status, r.encoding]),
      [[200, 'gzip']],
    );
  });

  it('answers 401 without a token and for another audience', async () => {
    const body = JSON.stringify([availability(ikey(), 'system-assigned/arm', true)]);
    const none = await track(body, {});
    assert.equal(none.status, 401);
    assert.equal(none.json<{ itemsAccepted: number }>().itemsAccepted, 0);
    assert.match(none.text, /Authorization header is missing/);
    const wrong = await track(body, {
      authorization: `Bearer ${await tokenFor('host', 'https://vault.azure.net')}`,
    });
    assert.equal(wrong.status, 401, wrong.text);
  });

  it('answers 403 to an identity without Monitoring Metrics Publisher on the component', async () => {
    const res = await track(JSON.stringify([availability(ikey(), 'x/arm', true)]), {
      authorization: `Bearer ${await tokenFor('app')}`,
    });
    assert.equal(res.status, 403, res.text);
    assert.match(res.text, /insufficient access/);
    const counts = await admin<{ items: number; byStatus: Record<string, number> }>(
      conn(),
      'GET',
      '/_sandbox/telemetry/counts',
    );
    assert.equal(counts.items, 0);
    assert.equal(counts.byStatus['403'], 1);
  });

  it('partial success: refuses items with another instrumentation key or no name, accepts the rest (206)', async () => {
    const bad = { ...availability('00000000-0000-0000-0000-000000000000', 'a/arm', true) };
    const noName = { ...availability(ikey(), 'b/arm', true), name: '' };
    const body = JSON.stringify([availability(ikey(), 'ok/arm', true), bad, noName]);
    const res = await track(body, { authorization: `Bearer ${await tokenFor('host')}` });
    assert.equal(res.status, 206, res.text);
    const b = res.json<{
      itemsReceived: number;
      itemsAccepted: number;
      errors: Array<{ index: number; statusCode: number }>;
    }>();
    assert.equal(b.itemsReceived, 3);
    assert.equal(b.itemsAccepted, 1);
    assert.deepEqual(
      b.errors.map((e) => [e.index, e.statusCode]),
      [
        [1, 400],
        [2, 400],
      ],
    );
  });

  it('a role removed at run time stops ingestion after the propagation delay', async () => {
    const host = identity(conn(), 'host');
    const { roleAssignments } = await admin<{ roleAssignments: Array<{ id: string; roleName: string }> }>(
      conn(),
      'GET',
      `/_sandbox/role-assignments?principalId=${host.principalId}`,
    );
    const mmp = roleAssignments.find((r) => r.roleName === 'Monitoring Metrics Publisher');
    assert.ok(mmp, 'the host identity holds Monitoring Metrics Publisher in the healthy world');
    await admin(conn(), 'DELETE', `/_sandbox/role-assignments/${mmp.id}?propagationDelaySeconds=0`);
    const res = await track(JSON.stringify([availability(ikey(), 'x/arm', true)]), {
      authorization: `Bearer ${await tokenFor('host')}`,
    });
    assert.equal(res.status, 403, res.text);
    await admin(conn(), 'POST', '/_sandbox/scenario', { name: 'healthy' }); // restores the world's assignments
  });

  it('a decompression bomb: 401 without reading it when unauthenticated, 413 past the limit once inflated', async () => {
    // 100 MiB of zeros as ~100 KB of gzip (issue 24: answered 401 after being inflated and kept).
    const bomb = gzipSync(Buffer.alloc(100 * 1024 * 1024), { level: 9 });
    assert.ok(bomb.length < 200 * 1024);
    const gz = { 'content-encoding': 'gzip' };
    const anonymous = await track(bomb, gz);
    assert.equal(anonymous.status, 401, anonymous.text);
    assert.match(anonymous.text, /Authorization header is missing/);
    const forged = await track(bomb, { ...gz, authorization: 'Bearer not.a.token' });
    assert.equal(forged.status, 401, forged.text);
    const { bodies } = await admin<{ bodies: string[] }>(conn(), 'GET', '/_sandbox/telemetry/bodies');
    assert.deepEqual(bodies, [], 'an unauthenticated body is neither inflated nor kept');

    const auth = { authorization: `Bearer ${await tokenFor('host')}` };
    const big = await track(bomb, { ...gz, ...auth });
    assert.equal(big.status, 413, big.text);
    const b = big.json<{ itemsAccepted: number; errors: Array<{ statusCode: number; message: string }> }>();
    assert.equal(b.itemsAccepted, 0);
    assert.equal(b.errors[0].statusCode, 413);
    assert.match(b.errors[0].message, /larger than 1048576 bytes/);
    // A plain body past the limit is refused the same way, and so is a gzip body just past it once inflated.
    const plain = await track(Buffer.alloc(1024 * 1024 + 1, 0x20), auth);
    assert.equal(plain.status, 413, plain.text);
    const justOver = await track(gzipSync(Buffer.alloc(1024 * 1024 + 1, 0x20)), { ...gz, ...auth });
    assert.equal(justOver.status, 413, justOver.text);
    // At the limit a batch is still read (and then judged as JSON).
    const items = JSON.stringify([availability(ikey(), 'big/arm', true)]);
    const atLimit = items + ' '.repeat(1024 * 1024 - Buffer.byteLength(items));
    const fits = await track(gzipSync(atLimit), { ...gz, ...auth });
    assert.equal(fits.status, 200, fits.text);
    const counts = await admin<{ byStatus: Record<string, number> }>(
      conn(),
      'GET',
      '/_sandbox/telemetry/counts',
    );
    assert.deepEqual(counts.byStatus, { 200: 1, 401: 2, 413: 3 });
  });

  it('rejects other routes and methods with JSON errors', async () => {
    const r = await request(conn(), `${conn().endpoints.monitor}/v2.1/track`);
    assert.equal(r.status, 405);
    const n = await request(conn(), `${conn().endpoints.monitor}/other`, { method: 'POST', body: '[]' });
    assert.equal(n.status, 404);
    assert.ok(n.json());
  });
});
