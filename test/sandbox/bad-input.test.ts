// The bad-input classes issue 24 found on one server, tried on every sandbox server (all 15: the admin API, the six
// managed identity sources, Entra, the OIDC issuer, Key Vault, Resource Manager, Graph, the Blob gateway, the stub
// data plane and the telemetry ingestion):
// - path normalization: a path with a dot segment (`..`, `%2e%2e`, `%2E%2E`, `.%2e`) is answered exactly as the path
//   it resolves to, so what a server authorizes and what it acts on is one name (the Blob gateway did not);
// - duplicate query parameters: a parameter a server reads, given twice, is refused in the service's own format,
//   never silently read as its first value; a server that reads no query is unchanged by one;
// - decompression bombs: ~100 KB of gzip that inflates to 100 MiB, sent to every server, is answered without a 5xx
//   and without the sandbox holding it inflated;
// - an oversized header block (a 200 KB bearer): 431 with a body in the service's own format, not an empty one.
// The sandbox runs in this process, so its memory is this process's.
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { before, describe, it } from 'node:test';
import type { SandboxConnection } from '../../sandbox/connection.ts';
import { stubTargets } from '../../sandbox/resources/stub.ts';
import { ARM, STORAGE, VAULT, identity, request, useTestSandbox } from '../support/sandbox.ts';

interface Answer {
  status: number;
  text: string;
  headers: http.IncomingHttpHeaders;
}

/** A request whose path goes on the wire exactly as written (URL parsing would resolve dot segments first). */
function send(
  conn: SandboxConnection,
  origin: string,
  o: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<Answer> {
  const u = new URL(origin);
  const tls = u.protocol === 'https:';
  const headers: Record<string, string | number> = { ...o.headers };
  if (o.body !== undefined) headers['content-length'] = Buffer.byteLength(o.body);
  return new Promise((resolve, reject) => {
    const req = (tls ? https : http).request(
      {
        host: u.hostname,
        port: u.port,
        method: o.method ?? 'GET',
        path: o.path,
        headers,
        ...(tls ? { ca: readFileSync(conn.caCertPath, 'utf8') } : {}),
        timeout: 20_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${origin}${o.path}`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

/** The error code of a body in any of the services' formats (JSON `error`, `error.code`, `code`; Storage XML). */
function codeOf(a: Answer): string | undefined {
  const xml = /<Code>([^<]*)<\/Code>/.exec(a.text);
  if (xml) return xml[1];
  try {
    const b = JSON.parse(a.text) as Record<string, unknown>;
    const e = b.error as Record<string, unknown> | string | undefined;
    if (typeof e === 'string') return e;
    if (e && typeof e.code === 'string') return e.code;
    if (typeof b.code === 'string') return b.code;
    if (typeof b.statusCode === 'number') return `statusCode ${b.statusCode}`;
  } catch {
    // not JSON
  }
  return undefined;
}

/** A body in the service's format: XML with a Code, or JSON. */
function hasServiceBody(a: Answer): boolean {
  if (/<Code>[^<]+<\/Code>/.test(a.text)) return true;
  try {
    return typeof JSON.parse(a.text) === 'object';
  } catch {
    return false;
  }
}

interface Server {
  name: string;
  origin: string;
  method: string;
  /** Path segments before and after the place a dot-segment walk is inserted. */
  head: string;
  tail: string;
  query: string;
  headers: Record<string, string>;
  body?: string;
  /** The query (or form body) with the parameter that matters given twice; undefined: the server reads no query. */
  duplicate?: { query?: string; body?: string };
  /** What the well-formed request answers (a success where the sandbox can give one). */
  ok: number;
}

describe('bad input on every sandbox server', { timeout: 300_000 }, () => {
  const sb = useTestSandbox();
  let servers: Server[];

  before(async () => {
    const c = sb.connection;
    const system = identity(c, 'system');
    const host = identity(c, 'host');
    const token = async (audience: string, who = system) =>
      (
        await sb.context.tokens.issue({
          subject: { principalId: who.principalId, clientId: who.clientId },
          audience,
        })
      ).token;
    const graphOrigin = (await request(c, `${c.endpoints.arm}/metadata/endpoints?api-version=2022-09-01`))
      .json<{ microsoftGraphResourceId: string }>()
      .microsoftGraphResourceId.replace(/\/$/, '');
    // The first catalog target the stub serves (none while every target has an emulator: then it answers 404).
    const [stubId, stub] = Object.entries(stubTargets())[0] ?? ['no-stub-target', { audience: STORAGE }];
    const V = encodeURIComponent(VAULT);
    const mi = (origin: string) => new URL(origin);
    // An app registration of the world and its client secret.
    const [regClientId, appSecret] = Object.entries(c.sourceSecrets.appSecrets)[0];
    const ikey = /InstrumentationKey=([^;]+)/.exec(c.appSettings.APPLICATIONINSIGHTS_CONNECTION_STRING)![1];
    const envelope = JSON.stringify([
      {
        name: 'Microsoft.ApplicationInsights.Event',
        time: new Date().toISOString(),
        iKey: ikey,
        data: { baseType: 'EventData', baseData: { ver: 2, name: 'bad-input' } },
      },
    ]);
    const account = c.resources.storageAccount;
    servers = [
      {
        name: 'admin API',
        origin: c.endpoints.admin,
        method: 'GET',
        head: '/_sandbox',
        tail: '/telemetry',
        query: '?kind=event',
        headers: {},
        duplicate: { query: '?kind=event&kind=availability' },
        ok: 200,
      },
      {
        name: 'App Service managed identity',
        origin: mi(c.endpoints.appService).origin,
        method: 'GET',
        head: '/msi',
        tail: '/token',
        query: `?api-version=2019-08-01&resource=${V}`,
        headers: { 'x-identity-header': c.appSettings.IDENTITY_HEADER },
        duplicate: { query: `?api-version=2019-08-01&resource=${V}&resource=${encodeURIComponent(ARM)}` },
        ok: 200,
      },
      {
        name: 'IMDS',
        origin: c.endpoints.imds,
        method: 'GET',
        head: '/metadata/identity',
        tail: '/oauth2/token',
        query: `?api-version=2018-02-01&resource=${V}`,
        headers: { metadata: 'true' },
        duplicate: { query: `?api-version=2018-02-01&resource=${V}&resource=${encodeURIComponent(ARM)}` },
        ok: 200,
      },
      {
        // Without root the Arc key file cannot be written: the well-formed request gets the 401 challenge.
        name: 'Azure Arc',
        origin: c.endpoints.arcImds,
        method: 'GET',
        head: '/metadata/identity',
        tail: '/oauth2/token',
        query: `?api-version=2020-06-01&resource=${V}`,
        headers: { metadata: 'true' },
        duplicate: { query: `?api-version=2020-06-01&api-version=2019-11-01&resource=${V}` },
        ok: 401,
      },
      {
        name: 'Cloud Shell',
        origin: mi(c.endpoints.cloudShell).origin,
        method: 'POST',
        head: '/oauth2',
        tail: '/token',
        query: '',
        headers: { metadata: 'true', 'content-type': 'application/x-www-form-urlencoded' },
        body: `resource=${V}`,
        duplicate: { body: `resource=${V}&resource=${encodeURIComponent(ARM)}` },
        ok: 200,
      },
      {
        name: 'Service Fabric',
        origin: mi(c.endpoints.serviceFabric).origin,
        method: 'GET',
        head: '/metadata/identity',
        tail: '/oauth2/token',
        query: `?api-version=2019-07-01-preview&resource=${V}`,
        headers: { secret: c.sourceSecrets.serviceFabricSecret },
        duplicate: {
          query: `?api-version=2019-07-01-preview&resource=${V}&resource=${encodeURIComponent(ARM)}`,
        },
        ok: 200,
      },
      {
        name: 'Azure ML',
        origin: mi(c.endpoints.azureMl).origin,
        method: 'GET',
        head: '/MSI',
        tail: '/token',
        query: `?api-version=2017-09-01&resource=${V}`,
        headers: { secret: c.sourceSecrets.msiSecret },
        duplicate: { query: `?api-version=2017-09-01&resource=${V}&resource=${encodeURIComponent(ARM)}` },
        ok: 200,
      },
      {
        name: 'Entra ID',
        origin: c.endpoints.entra,
        method: 'POST',
        head: `/${c.tenantId}`,
        tail: '/oauth2/v2.0/token',
        query: '',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=${regClientId}&client_secret=${encodeURIComponent(appSecret)}&scope=${encodeURIComponent(`${VAULT}/.default`)}`,
        duplicate: {
          body: `grant_type=client_credentials&client_id=${regClientId}&client_secret=${encodeURIComponent(appSecret)}&scope=${encodeURIComponent(`${VAULT}/.default`)}&scope=${encodeURIComponent(`${ARM}.default`)}`,
        },
        ok: 200,
      },
      {
        name: 'OIDC issuer',
        origin: c.endpoints.oidcIssuer,
        method: 'GET',
        head: '/workloads',
        tail: '/identity-probes/token',
        query: '',
        headers: {},
        duplicate: { query: '?audience=a&audience=b' },
        ok: 200,
      },
      {
        name: 'Key Vault',
        origin: c.endpoints.keyVault.replace(/\/$/, ''),
        method: 'GET',
        head: '/secrets',
        tail: `/${c.resources.secretName}`,
        query: '?api-version=7.6',
        headers: { authorization: `Bearer ${await token(VAULT)}` },
        duplicate: { query: '?api-version=7.6&api-version=7.6' },
        ok: 200,
      },
      {
        name: 'Resource Manager',
        origin: c.endpoints.arm,
        method: 'GET',
        head: `/subscriptions/${c.subscriptionId}`,
        tail: `/resourceGroups/${c.resourceGroup}`,
        query: '?api-version=2021-04-01',
        headers: { authorization: `Bearer ${await token(ARM)}` },
        duplicate: { query: '?api-version=2021-04-01&api-version=2021-04-01' },
        ok: 200,
      },
      {
        name: 'Microsoft Graph',
        origin: graphOrigin,
        method: 'POST',
        head: '/v1.0',
        tail: '/directoryObjects/getByIds',
        query: '',
        headers: { authorization: `Bearer ${await token(graphOrigin)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ids: [system.principalId] }),
        ok: 200,
      },
      {
        name: 'Blob gateway',
        origin: new URL(c.endpoints.blob).origin,
        method: 'GET',
        head: `/${account}`,
        tail: `/${c.resources.canaryContainer}`,
        query: '?restype=container',
        headers: { authorization: `Bearer ${await token(STORAGE)}`, 'x-ms-version': '2025-05-05' },
        duplicate: { query: '?restype=container&restype=service' },
        ok: 200,
      },
      {
        name: 'stub data plane',
        origin: c.endpoints.stub,
        method: 'GET',
        head: `/${stubId}`,
        tail: '/call',
        query: '',
        headers: { authorization: `Bearer ${await token(stub.audience)}` },
        // The stub reads no query: a repeated parameter changes nothing.
        ok: 0,
      },
      {
        name: 'telemetry ingestion',
        origin: c.endpoints.monitor,
        method: 'POST',
        head: '/v2.1',
        tail: '/track',
        query: '',
        headers: {
          authorization: `Bearer ${await token('https://monitor.azure.com', host)}`,
          'content-type': 'application/json',
        },
        body: envelope,
        ok: 200,
      },
    ];
    // The stub's answer depends on the world's roles for its first target: whatever it is, it is the reference.
    const stubServer = servers.find((s) => s.name === 'stub data plane')!;
    stubServer.ok = (
      await send(c, stubServer.origin, {
        path: `${stubServer.head}${stubServer.tail}`,
        headers: stubServer.headers,
      })
    ).status;
  });

  const direct = (s: Server, query = s.query, body = s.body) =>
    send(sb.connection, s.origin, {
      method: s.method,
      path: `${s.head}${s.tail}${query}`,
      headers: s.headers,
      ...(body !== undefined ? { body } : {}),
    });

  it('covers all 15 servers, each answering its well-formed request', async () => {
    assert.equal(servers.length, 15);
    for (const s of servers) {
      const a = await direct(s);
      assert.equal(a.status, s.ok, `${s.name}: ${a.text.slice(0, 300)}`);
    }
  });

  it('path normalization: a dot-segment walk is answered as the path it resolves to', async () => {
    for (const s of servers) {
      const expected = await direct(s);
      for (const dots of ['..', '%2e%2e', '%2E%2E', '.%2e']) {
        const a = await send(sb.connection, s.origin, {
          method: s.method,
          // `/head/a/b/../..tail` resolves to `/head/tail`.
          path: `${s.head}/a/b/${dots}/${dots}${s.tail}${s.query}`,
          headers: s.headers,
          ...(s.body !== undefined ? { body: s.body } : {}),
        });
        assert.equal(a.status, expected.status, `${s.name} ${dots}: ${a.text.slice(0, 300)}`);
        assert.equal(codeOf(a), codeOf(expected), `${s.name} ${dots}`);
      }
    }
  });

  it('duplicate query parameters: refused in the service format where read, ignored where not', async () => {
    for (const s of servers) {
      if (!s.duplicate) {
        const a = await direct(s, `${s.query ? `${s.query}&` : '?'}unused=1&unused=2`);
        assert.equal(a.status, s.ok, `${s.name} reads no query: ${a.text.slice(0, 200)}`);
        continue;
      }
      const a = await direct(s, s.duplicate.query ?? s.query, s.duplicate.body ?? s.body);
      assert.equal(a.status, 400, `${s.name}: ${a.status} ${a.text.slice(0, 300)}`);
      assert.ok(hasServiceBody(a), `${s.name}: ${a.text.slice(0, 200)}`);
      assert.ok(codeOf(a), `${s.name} names the problem: ${a.text.slice(0, 200)}`);
    }
  });

  it('decompression bombs: every server answers without a 5xx and without holding the inflated body', async () => {
    const bomb = gzipSync(Buffer.alloc(100 * 1024 * 1024), { level: 9 });
    global.gc?.();
    const before = process.memoryUsage().rss;
    for (const s of servers) {
      const a = await send(sb.connection, s.origin, {
        method: s.method === 'GET' ? 'POST' : s.method,
        path: `${s.head}${s.tail}${s.query}`,
        headers: { ...s.headers, 'content-encoding': 'gzip', 'content-type': 'application/json' },
        body: bomb,
      });
      assert.ok(a.status < 500, `${s.name}: ${a.status} ${a.text.slice(0, 200)}`);
      if (s.name === 'telemetry ingestion') assert.equal(a.status, 413, a.text);
    }
    const grownMiB = (process.memoryUsage().rss - before) / 2 ** 20;
    // One inflated bomb alone would be 100 MiB.
    assert.ok(grownMiB < 64, `the sandbox grew by ${grownMiB.toFixed(1)} MiB over 15 bombs`);
  });

  it('a 200 KB bearer: 431 with a body in the service format on every server', async () => {
    const big = `Bearer ${'a'.repeat(200 * 1024)}`;
    for (const s of servers) {
      const a = await send(sb.connection, s.origin, {
        path: `${s.head}${s.tail}${s.query}`,
        headers: { ...s.headers, authorization: big },
      });
      assert.equal(a.status, 431, s.name);
      assert.ok(hasServiceBody(a), `${s.name}: '${a.text.slice(0, 200)}'`);
      assert.equal(a.headers.connection, 'close');
    }
    const blob = servers.find((s) => s.name === 'Blob gateway')!;
    const x = await send(sb.connection, blob.origin, {
      path: `${blob.head}${blob.tail}`,
      headers: { authorization: big },
    });
    assert.match(
      x.text,
      /<Code>RequestHeaderFieldsTooLarge<\/Code><Message>The request headers are larger than 16384 bytes\./,
    );
    const kv = servers.find((s) => s.name === 'Key Vault')!;
    const k = await send(sb.connection, kv.origin, {
      path: `${kv.head}${kv.tail}`,
      headers: { authorization: big },
    });
    assert.equal(JSON.parse(k.text).error.code, 'RequestHeaderFieldsTooLarge');
  });
});
