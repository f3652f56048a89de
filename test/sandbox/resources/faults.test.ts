// Every fault kind, produced for real through the admin API and observed through the real SDK clients with managed
// identity tokens (child processes): latency, an error status in each service's real format (429 with Retry-After
// honoured, 500, 503; 404 and 410 from IMDS), connection reset, a hang until cleared, and tokens issued expired or
// for the wrong audience. Deterministic: each fault names its endpoint and the number of requests it applies to.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { admin, credentialFor, err, ok, runSdk, startTestSandbox } from './helpers.ts';
import type { TestSandbox } from './helpers.ts';
import type { Step } from './fixtures/sdk-child.ts';

type Endpoint = 'keyVault' | 'arm' | 'blob';

describe('faults on demand, observed through the real SDKs', () => {
  let sb: TestSandbox;
  let call: Record<Endpoint, Step>;
  const fault = (spec: Record<string, unknown>) =>
    admin<{ id: string }>(sb.connection, 'POST', '/_sandbox/faults', spec);
  const requests = async (endpoint: string) =>
    (await admin<{ requestsByEndpoint: Record<string, number> }>(sb.connection, 'GET', '/_sandbox/counters'))
      .requestsByEndpoint[endpoint] ?? 0;
  before(async () => {
    sb = await startTestSandbox();
    const c = sb.connection;
    call = {
      keyVault: { op: 'kv.get', name: c.resources.secretName },
      arm: { op: 'arm.getRg', rg: c.resourceGroup },
      blob: { op: 'blob.containerProps', container: c.resources.canaryContainer },
    };
  });
  afterEach(() => admin(sb.connection, 'DELETE', '/_sandbox/faults'));
  after(() => sb.close());

  it('latency: the call succeeds, that much later', async () => {
    const c = sb.connection;
    for (const ep of ['keyVault', 'arm', 'blob'] as const)
      await fault({ endpoint: ep, kind: 'latency', ms: 600, count: 1 });
    const run = await runSdk(c, credentialFor(c, 'system'), [call.keyVault, call.arm, call.blob, call.arm]);
    const [kv, arm, blob, armAgain] = run.results;
    for (const r of [kv, arm, blob]) {
      ok(r);
      assert.ok(r.ms >= 600, `${r.op} took ${r.ms} ms`);
    }
    ok(armAgain);
    assert.ok(armAgain.ms < 500, `the fault applied to one request only (${armAgain.ms} ms)`);
  });

  it('status 429: the real throttling body with Retry-After, which the SDK honours', async () => {
    const c = sb.connection;
    for (const ep of ['keyVault', 'arm', 'blob'] as const)
      await fault({ endpoint: ep, kind: 'status', status: 429, retryAfterSeconds: 1, count: 1 });
    const [kv, arm, blob] = (
      await runSdk(c, credentialFor(c, 'system'), [call.keyVault, call.arm, call.blob])
    ).results;
    assert.equal(err(kv).statusCode, 429);
    assert.equal(err(kv).code, 'Throttled');
    assert.equal(
      err(kv).message,
      'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached',
    );
    assert.equal(err(kv).headers?.['retry-after'], '1');
    assert.equal(err(arm).statusCode, 429);
    assert.equal(err(arm).code, 'SubscriptionRequestsThrottled');
    assert.match(
      err(arm).message,
      /^Number of 'read' requests for subscription '[0-9a-f-]{36}' actor '[0-9a-f-]{36}' exceeded\. Please try again after '1' seconds/,
    );
    assert.equal(err(arm).headers?.['retry-after'], '1');
    // Storage throttles with ServerBusy; its SDK does not retry 429 (it retries 5xx), so the caller sees it.
    assert.equal(err(blob).statusCode, 429);
    assert.equal(err(blob).headers?.['x-ms-error-code'], 'ServerBusy');
    assert.equal(err(blob).headers?.['retry-after'], '1');

    // With retries on, Key Vault and ARM wait for Retry-After (1 s, not the 10 ms retry delay) and then succeed.
    for (const ep of ['keyVault', 'arm'] as const) {
      await fault({ endpoint: ep, kind: 'status', status: 429, retryAfterSeconds: 1, count: 1 });
      const before = await requests(ep);
      const [r] = (
        await runSdk(c, credentialFor(c, 'system'), [
          { ...call[ep], retry: { maxRetries: 2, retryDelayInMs: 10, maxRetryDelayInMs: 10 } },
        ])
      ).results;
      ok(r);
      assert.ok(r.ms >= 950 && r.ms < 10_000, `${ep} retried after ${r.ms} ms`);
      assert.ok((await requests(ep)) - before >= 2, `${ep}: the retry reached the service`);
    }
  });

  it('status 500 and 503: each service answers its real error body; the SDK retries them', async () => {
    const c = sb.connection;
    const expected: Record<Endpoint, Record<number, [string, RegExp]>> = {
      keyVault: {
        500: ['InternalServerError', /internal server error/],
        503: ['ServiceUnavailable', /temporarily unavailable/],
      },
      arm: {
        500: [
          'InternalServerError',
          /^Encountered internal server error\. Diagnostic information: timestamp '\d{8}T\d{6}Z', subscription id '[0-9a-f-]{36}', tracking id/,
        ],
        503: ['ServiceUnavailable', /unavailable/],
      },
      blob: {
        500: [
          'InternalError',
          /^The server encountered an internal error\. Please retry the request\.\nRequestId:/,
        ],
        503: [
          'ServerBusy',
          /^The server is currently unable to receive requests\. Please retry your request\.\nRequestId:/,
        ],
      },
    };
    const endpoints = ['keyVault', 'arm', 'blob'] as const;
    // Faults apply in the order they were added: per endpoint a 500, a 503, and a 503 the third (retrying) call absorbs.
    for (const ep of endpoints)
      for (const status of [500, 503, 503]) await fault({ endpoint: ep, kind: 'status', status, count: 1 });
    const steps = endpoints.flatMap((ep) => [
      call[ep],
      call[ep],
      {
        ...call[ep],
        retry: ep === 'blob' ? { maxTries: 2, retryDelayInMs: 10 } : { maxRetries: 1, retryDelayInMs: 10 },
      },
    ]);
    const results = (await runSdk(c, credentialFor(c, 'system'), steps)).results;
    endpoints.forEach((ep, i) => {
      const [r500, r503, retried] = results.slice(i * 3, i * 3 + 3);
      for (const [r, status] of [
        [r500, 500],
        [r503, 503],
      ] as const) {
        const [code, message] = expected[ep][status];
        assert.equal(err(r).statusCode, status, `${ep} ${status}`);
        assert.equal(err(r).code, code, `${ep} ${status}`);
        assert.match(err(r).message, message, `${ep} ${status}`);
      }
      ok(retried);
    });
  });

  it('status 404 and 410 from IMDS: the credential retries them and the call succeeds', async () => {
    const c = sb.connection;
    const imdsEnv = {
      IDENTITY_ENDPOINT: undefined,
      IDENTITY_HEADER: undefined,
      AZURE_POD_IDENTITY_AUTHORITY_HOST: c.endpoints.imds,
    };
    for (const status of [404, 410]) {
      await fault({ endpoint: 'imds', kind: 'status', status, count: 1 });
      const before = await requests('imds');
      const [r] = (await runSdk(c, credentialFor(c, 'system'), [call.keyVault], imdsEnv)).results;
      ok(r);
      assert.equal((await requests('imds')) - before, 2, `IMDS ${status}: one refused request, one retried`);
      const faults = await admin<{ faults: unknown[] }>(c, 'GET', '/_sandbox/faults');
      assert.equal(faults.faults.length, 0, 'a counted fault is used up');
    }
  });

  it('reset: the connection is dropped and the SDK reports ECONNRESET', async () => {
    const c = sb.connection;
    for (const ep of ['keyVault', 'arm', 'blob'] as const)
      await fault({ endpoint: ep, kind: 'reset', count: 1 });
    const run = await runSdk(c, credentialFor(c, 'system'), [call.keyVault, call.arm, call.blob, call.blob]);
    for (const r of run.results.slice(0, 3)) assert.equal(err(r).code, 'ECONNRESET', r.op);
    ok(run.results[3]);
  });

  it("hang: nothing comes back until the fault is cleared; the caller's deadline fires", async () => {
    const c = sb.connection;
    const hangs = await Promise.all(
      (['keyVault', 'arm', 'blob'] as const).map((ep) => fault({ endpoint: ep, kind: 'hang' })),
    );
    const run = await runSdk(c, credentialFor(c, 'system'), [
      { ...call.keyVault, abortAfterMs: 800 },
      { ...call.arm, abortAfterMs: 800 },
      { ...call.blob, abortAfterMs: 800 },
      ...hangs.map((h) => ({ op: 'admin', method: 'DELETE', path: `/_sandbox/faults/${h.id}` })),
      call.arm,
    ]);
    for (const r of run.results.slice(0, 3)) {
      assert.equal(err(r).name, 'AbortError', r.op);
      assert.ok(r.ms >= 750, `${r.op} hung for ${r.ms} ms`);
    }
    ok(run.results[run.results.length - 1]);
  });

  it('expired-token: the identity endpoint issues expired tokens; every resource server refuses them', async () => {
    const c = sb.connection;
    await fault({ endpoint: 'appService', kind: 'expired-token' });
    const [kv, arm, blob] = (
      await runSdk(c, credentialFor(c, 'system'), [call.keyVault, call.arm, call.blob])
    ).results;
    assert.equal(err(kv).statusCode, 401);
    assert.equal(err(kv).message, "[TokenExpired] Error validating token: 'S2S12086'.");
    assert.equal(err(arm).code, 'ExpiredAuthenticationToken');
    assert.equal(err(blob).code, 'InvalidAuthenticationInfo');
    assert.match(
      err(blob).body ?? '',
      /<AuthenticationErrorDetail>Lifetime validation failed\. The token is expired\.<\/AuthenticationErrorDetail>/,
    );
  });

  it('wrong-audience: the identity endpoint issues tokens for another audience; every resource server refuses them', async () => {
    const c = sb.connection;
    await fault({ endpoint: 'appService', kind: 'wrong-audience' });
    const [kv, arm, blob] = (
      await runSdk(c, credentialFor(c, 'system'), [call.keyVault, call.arm, call.blob])
    ).results;
    assert.match(
      err(kv).message,
      /^AKV10022: Invalid audience\. Expected https:\/\/vault\.azure\.net or cfa8b339-82a2-471a-a3c9-0fc0be7a4093, found: /,
    );
    assert.equal(err(arm).code, 'InvalidAuthenticationTokenAudience');
    assert.match(
      err(blob).body ?? '',
      /<AuthenticationErrorDetail>Audience validation failed\. Audience did not match\.<\/AuthenticationErrorDetail>/,
    );
  });
});
