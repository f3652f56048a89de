// The federated token source against a real temp file and a real local HTTP server of our own
// (FEDERATED_TOKEN_URL), no SDK involved.
import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FederatedTokenSourceError } from '../../../src/identities/federatedTokenSource.ts';
import {
  computeRefreshAt,
  createFileTokenSource,
  createUrlTokenSource,
} from '../../../src/identities/federatedTokenSource.ts';
import { signJwt } from '../helpers/jwt.ts';

const ISS = 'https://oidc.example/issuer';
const SUB = 'system:serviceaccount:probes:identity-probes';
const external = (lifetime = 3600, sub = SUB) =>
  signJwt({ iss: ISS, sub, aud: 'api://AzureADTokenExchange' }, lifetime);

describe('computeRefreshAt', () => {
  it('80 % of the lifetime or 5 minutes before expiry, whichever is first, never before half-life', () => {
    const t = 1_000_000;
    assert.equal(computeRefreshAt(t, t, t + 3_600_000), t + 2_880_000, '1 h token: at 80 %');
    assert.equal(computeRefreshAt(t, t, t + 20 * 60_000), t + 15 * 60_000, '20 min token: 5 min before exp');
    assert.equal(
      computeRefreshAt(t, t, t + 10 * 60_000),
      t + 5 * 60_000,
      '10 min token: 5 min before exp = half-life',
    );
    assert.equal(computeRefreshAt(t, t, t + 4 * 60_000), t + 2 * 60_000, '4 min token: half-life');
    assert.equal(computeRefreshAt(t, undefined, t + 20 * 60_000), t + 15 * 60_000);
    assert.equal(computeRefreshAt(t, undefined, undefined), t + 5 * 60_000, 'no exp: 5 minutes');
  });
});

describe('file token source', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fed-token-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads the token, exposes iss/sub/exp/refreshAt (never the token), re-reads when the file changes', async () => {
    const file = join(dir, 'token');
    const first = await external();
    await writeFile(file, `${first}\n`);
    const source = createFileTokenSource(file);
    assert.equal(await source.getAssertion(), first, 'trimmed content');
    const s1 = source.status();
    assert.equal(s1.source, 'file');
    assert.equal(s1.issuer, ISS);
    assert.equal(s1.subject, SUB);
    assert.ok(Date.parse(s1.refreshAt!) < Date.parse(s1.expiresOn!));
    assert.ok(!JSON.stringify(s1).includes(first));

    const second = await external(7200, 'system:serviceaccount:probes:other');
    await writeFile(file, second);
    await utimes(file, new Date(), new Date(Date.now() + 5000)); // a distinct mtime even on coarse clocks
    assert.equal(await source.getAssertion(), second);
    assert.equal(source.status().subject, 'system:serviceaccount:probes:other');
  });

  it('re-reads an unchanged file once the token is due for refresh', async () => {
    const file = join(dir, 'due');
    const token = await external(3600);
    const fixed = new Date('2026-01-01T00:00:00Z');
    await writeFile(file, token);
    await utimes(file, fixed, fixed);
    let now = Date.now();
    const source = createFileTokenSource(file, () => now);
    await source.getAssertion();
    const refreshAt = Date.parse(source.status().refreshAt!);
    // A rotated token of exactly the same size, written with the same mtime: only the schedule finds it.
    const rotated = await external(3600, SUB.replace(/s$/, 'z'));
    assert.equal(rotated.length, token.length);
    await writeFile(file, rotated);
    await utimes(file, fixed, fixed);
    assert.equal(await source.getAssertion(), token, 'not due yet: cached');
    now = refreshAt + 1;
    assert.equal(await source.getAssertion(), rotated, 'due: re-read');
    assert.equal(source.status().subject, SUB.replace(/s$/, 'z'));
  });

  it('a missing, empty or non-JWT file is a typed error naming FEDERATED_TOKEN_FILE, without its content', async () => {
    await assert.rejects(
      createFileTokenSource(join(dir, 'nope')).getAssertion(),
      (e: FederatedTokenSourceError) => e.setting === 'FEDERATED_TOKEN_FILE' && /ENOENT/.test(e.message),
    );
    await writeFile(join(dir, 'empty'), ' \n');
    await assert.rejects(createFileTokenSource(join(dir, 'empty')).getAssertion(), /is empty/);
    await writeFile(join(dir, 'secret'), 'my-client-secret-value');
    const src = createFileTokenSource(join(dir, 'secret'));
    await assert.rejects(
      src.getAssertion(),
      (e: Error) => /did not yield a JWT/.test(e.message) && !e.message.includes('my-client-secret-value'),
    );
    assert.match(src.status().lastError!, /did not yield a JWT/);
  });
});

describe('url token source', () => {
  let server: Server;
  let base: string;
  let requests = 0;
  let mode: 'json-value' | 'json-token' | 'json-id_token' | 'raw' | 'fail' | 'bad-json' | 'redirect' =
    'json-value';
  let token = '';

  before(async () => {
    token = await external(3600);
    server = createServer((req, res) => {
      requests++;
      if (mode === 'fail') return void res.writeHead(503).end('busy');
      if (mode === 'redirect' && req.url !== '/elsewhere')
        return void res.writeHead(302, { location: '/elsewhere' }).end();
      if (mode === 'raw') return void res.writeHead(200, { 'content-type': 'application/jwt' }).end(token);
      if (mode === 'bad-json')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"count":1}');
      const key = mode.slice('json-'.length);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ [key]: token, count: 1 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  for (const m of ['json-value', 'json-token', 'json-id_token', 'raw'] as const)
    it(`accepts a ${m} body`, async () => {
      mode = m;
      const src = createUrlTokenSource(`${base}/token?audience=api://AzureADTokenExchange&sig=abc`, {
        timeoutMs: 2000,
      });
      assert.equal(await src.getAssertion(), token);
      assert.equal(src.status().location, `${base}/token`, 'no query string in the status');
      assert.equal(src.status().issuer, ISS);
    });

  it('caches until refreshAt, then fetches again; a failed refresh keeps a still-valid token', async () => {
    mode = 'json-value';
    let now = Date.now();
    const src = createUrlTokenSource(`${base}/token`, { timeoutMs: 2000, now: () => now });
    const before = requests;
    await Promise.all([src.getAssertion(), src.getAssertion(), src.getAssertion()]);
    assert.equal(requests - before, 1, 'one request in flight, then cached');
    now = Date.parse(src.status().refreshAt!) + 1;
    mode = 'fail';
    assert.equal(await src.getAssertion(), token, 'old token still valid');
    assert.match(src.status().lastError!, /HTTP 503/);
    assert.equal(requests - before, 2);
  });

  it('never follows a redirect: a typed error naming FEDERATED_TOKEN_URL, and no request to the target', async () => {
    mode = 'redirect';
    const before = requests;
    await assert.rejects(
      createUrlTokenSource(`${base}/token`, { timeoutMs: 2000 }).getAssertion(),
      (e: FederatedTokenSourceError) =>
        e.name === 'FederatedTokenSourceError' &&
        e.setting === 'FEDERATED_TOKEN_URL' &&
        /FEDERATED_TOKEN_URL answered with a redirect, which is not followed/.test(e.message),
    );
    assert.equal(requests - before, 1, 'the redirect target was never asked');
  });

  it('errors name FEDERATED_TOKEN_URL: HTTP failure, JSON without a token, nothing listening', async () => {
    mode = 'fail';
    await assert.rejects(
      createUrlTokenSource(`${base}/t`, { timeoutMs: 2000 }).getAssertion(),
      /FEDERATED_TOKEN_URL answered HTTP 503/,
    );
    mode = 'bad-json';
    await assert.rejects(
      createUrlTokenSource(`${base}/t`, { timeoutMs: 2000 }).getAssertion(),
      /without value, token or id_token/,
    );
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await assert.rejects(
      createUrlTokenSource(`http://127.0.0.1:${port}/t`, { timeoutMs: 2000 }).getAssertion(),
      (e: FederatedTokenSourceError) =>
        e.setting === 'FEDERATED_TOKEN_URL' && (e.cause as { code?: string }).code === 'ECONNREFUSED',
    );
  });
});
