// Where a token may go (src/core/endpoints.ts): a configured or declared endpoint gets a token only when it is the
// service's own domain in an Azure cloud, or a host LOCAL_ENDPOINT_HOSTS lists; otherwise the probe is misconfigured
// before any I/O, naming the setting (or the declaration's name for it).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../src/config.ts';
import { untrustedEndpoint, type TokenService } from '../../../src/core/endpoints.ts';
import { probeOf } from '../../../src/core/plan.ts';
import { planOf } from '../../../src/declaration/index.ts';
import { ProbeRunner } from '../../../src/probes/runner.ts';

const LOCAL = ['127.0.0.1', 'localhost'];

describe('endpoints that may receive a token', () => {
  const cases: Array<[TokenService, string, boolean]> = [
    ['keyvault', 'https://kv-orders.vault.azure.net/', true],
    ['keyvault', 'https://kv-orders.vault.usgovcloudapi.net', true],
    ['keyvault', 'https://kv-orders.vault.azure.cn/', true],
    ['keyvault', 'https://kv-orders.vault.azure.net.evil.example/', false],
    ['keyvault', 'https://storders.blob.core.windows.net/', false],
    ['keyvault', 'https://kv-orders.vault.azure.net:8443/', false],
    ['blob', 'https://storders.blob.core.windows.net/', true],
    ['blob', 'https://storders-secondary.blob.core.windows.net/', true],
    ['blob', 'https://storders.z23.blob.storage.azure.net/', true],
    ['blob', 'https://storders.blob.core.chinacloudapi.cn/', true],
    ['blob', 'https://storders.queue.core.windows.net/', false],
    ['blob', 'https://user:pw@storders.blob.core.windows.net/', false],
    ['blob', 'https://evil.example/storders', false],
    ['queue', 'https://storders.queue.core.windows.net/', true],
    ['queue', 'https://storders.blob.core.windows.net/', false],
    ['arm', 'https://management.azure.com', true],
    ['arm', 'https://management.usgovcloudapi.net/', true],
    ['arm', 'https://management.azure.com.evil.example', false],
    ['arm', 'https://127.0.0.1:8443', true],
    ['blob', 'https://127.0.0.1:10000/devstoreaccount1', true],
    ['keyvault', 'https://LOCALHOST:9443/', true],
    ['keyvault', 'https://10.0.0.4/', false],
  ];
  for (const [service, url, ok] of cases)
    test(`${service} ${url}: ${ok ? 'may' : 'may not'}`, () => {
      const problem = untrustedEndpoint(service, url, LOCAL);
      if (ok) assert.equal(problem, undefined);
      else assert.match(problem ?? '', /no token is sent to /);
    });

  test('without LOCAL_ENDPOINT_HOSTS, a loopback host gets no token either', () => {
    assert.match(untrustedEndpoint('blob', 'https://127.0.0.1:10000/a', []) ?? '', /LOCAL_ENDPOINT_HOSTS/);
  });

  test('a declared resource on another host is misconfigured before any I/O, naming the declared setting', async () => {
    const team = JSON.parse(
      readFileSync(new URL('../../sandbox/fixtures/team-declaration.json', import.meta.url), 'utf8'),
    ) as unknown;
    const SUB = 'fede0978-e421-4650-9304-746eefba010e';
    const app = {
      SYSTEM_PRINCIPAL_ID: '11111111-1111-4111-8111-111111111111',
      AZURE_TENANT_ID: '44444444-4444-4444-8444-444444444444',
      AZURE_SUBSCRIPTION_ID: SUB,
      AZURE_RESOURCE_GROUP: 'rg',
    };
    const settings = {
      ...app,
      API_CLIENT_ID: '77777777-7777-4777-8777-777777777777',
      API_OBJECT_ID: '88888888-8888-4888-8888-888888888888',
      BATCH_CLIENT_ID: '99999999-9999-4999-8999-999999999999',
      BATCH_OBJECT_ID: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
      BATCH_TOKEN_FILE: '/var/run/secrets/batch',
      ORDERS_VAULT_URL: 'https://kv-orders.vault.azure.net/',
      // A blob writer who points a declared resource at their own host must not get a Storage token.
      ORDERS_BLOB_URL: 'https://collector.evil.example/',
      ORDERS_QUEUE_URL: 'https://storders.queue.core.windows.net/',
      ORDERS_SUBSCRIPTION: SUB,
      ORDERS_GROUP: 'rg-orders',
      ARM_ENDPOINT: 'https://management.azure.com',
    };
    const plan = planOf({ raw: team, source: 'test', readAt: '' }, loadConfig(app), settings);
    const r = await new ProbeRunner().runProbe(plan, probeOf(plan, 'api', 'orders-blobs')!);
    assert.equal(r.outcome, 'misconfigured');
    assert.equal(r.detail?.setting, 'ORDERS_BLOB_URL');
    assert.match(
      r.detail!.message!,
      /not a Blob endpoint of an Azure cloud .* no token is sent to collector\.evil\.example/,
    );
    assert.equal(r.timings.tokenMs, 0, 'no token was asked for');
  });
});
