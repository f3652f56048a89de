// Dot segments never route outside /api/: `new URL()` resolves `..` and even `%2e%2e` into path navigation, so
// before the guard `GET /api/probes/%2e%2e/%2e%2e/admin/host/status` reached the admin API (200, no key needed
// without --enable-auth). The real host does not navigate encoded dot segments; the dev host answers 400.
// Raw requests through node:http, which sends the path exactly as written (fetch would normalize it first).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { hasDotSegment } from '../../devhost/httpServer.ts';
import { makeApp, startDevhost } from './helpers.ts';
import type { DevHost } from './helpers.ts';

function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET', timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const ATTEMPTS = [
  '/api/probes/%2e%2e/%2e%2e/admin/host/status',
  '/api/probes/%2E%2E/%2E%2E/admin/host/status',
  '/api/probes/../../admin/host/status',
  '/api/probes/.%2e/%2e./admin/host/status',
  '/api/%2e%2e/admin/functions/tick',
  '/api/probes\\..\\..\\admin\\host\\status',
  '/api/./hello/bob',
  '/api/hello/%2e',
];

describe('dot segments in the dev host', { timeout: 60_000 }, () => {
  let app: ReturnType<typeof makeApp>;
  let host: DevHost;
  before(async () => {
    app = makeApp({ localSettings: { TICK_SCHEDULE: '0 0 0 1 1 *' } });
    host = await startDevhost(app.dir);
  });
  after(async () => {
    host?.proc.kill();
    app?.cleanup();
  });

  it('never reach the admin API or another route: 400 naming the dot segment', async () => {
    assert.equal((await rawGet(host.url, '/admin/host/status')).status, 200, 'the admin status exists');
    for (const path of ATTEMPTS) {
      const r = await rawGet(host.url, path);
      assert.equal(r.status, 400, `${path} -> ${r.status} ${r.body}`);
      assert.match(r.body, /dot segment/);
    }
  });

  it('leaves dots inside segments and in the query alone', async () => {
    assert.equal((await rawGet(host.url, '/api/hello/a..b')).status, 200);
    assert.equal((await rawGet(host.url, '/api/hello/bob?x=../..')).status, 200);
  });

  it('recognises every spelling (unit)', () => {
    for (const p of ATTEMPTS) assert.ok(hasDotSegment(p), p);
    for (const p of ['/api/hello/a..b', '/api/x?y=/../', '/api/.well-known', '/api/%2e%2e%2e'])
      assert.ok(!hasDotSegment(p), p);
  });
});
