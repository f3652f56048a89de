// The dev host as a user runs it: its own process, a real port, real HTTP, the real @azure/functions library
// loaded from the fixture app's package.json "main".
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { MAX_BODY_BYTES } from '../../devhost/httpServer.ts';
import { getJson, waitGroupGone } from '../../scripts/lib/proc.ts';
import { makeApp, runToExit, startDevhost } from './helpers.ts';
import type { DevHost } from './helpers.ts';

const settings = {
  TICK_SCHEDULE: '0 0 0 1 1 *',
  FIXTURE_FROM_SETTINGS: 'from-file',
  FIXTURE_ENV_WINS: 'from-file',
};

describe('dev host without --enable-auth (Core Tools default)', { timeout: 60_000 }, () => {
  let app: ReturnType<typeof makeApp>;
  let host: DevHost;
  before(async () => {
    app = makeApp({ localSettings: settings });
    host = await startDevhost(app.dir, [], { FIXTURE_ENV_WINS: 'from-env' });
  });
  after(async () => {
    host?.proc.kill();
    app?.cleanup();
  });

  it('serves an HTTP trigger through the library conversion: status, headers, cookies, JSON, params, query', async () => {
    const r = await getJson(`${host.url}/api/hello/bob?x=1`, { headers: { 'x-echo': 'hi' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.headers.get('x-demo'), '1');
    assert.match(r.headers.get('set-cookie') ?? '', /^session=abc; Path=\/; HttpOnly$/);
    const b = r.body as Record<string, unknown>;
    assert.equal(b.name, 'bob');
    assert.deepEqual(b.params, { name: 'bob' });
    assert.equal(b.x, '1');
    assert.equal(b.echo, 'hi');
    assert.equal(b.url, `${host.url}/api/hello/bob?x=1`);
    assert.equal(b.functionName, 'hello');
    assert.ok((b.preInvocations as number) >= 1, 'preInvocation hook ran');
  });

  it('passes a POST body and the handler status; optional parameter may be absent; matching ignores case', async () => {
    const r = await getJson(`${host.url}/API/Hello`, { method: 'POST', body: 'payload' });
    assert.equal(r.status, 201);
    const b = r.body as Record<string, unknown>;
    assert.equal(b.body, 'payload');
    assert.equal(b.name, null);
    assert.deepEqual(b.params, {});
  });

  it('orders routes as ASP.NET Core does: literal, constrained, parameter, catch-all', async () => {
    const which = async (path: string) =>
      ((await getJson(`${host.url}/api/${path}`)).body as { which: string }).which;
    assert.equal(await which('items/special'), 'literal');
    assert.equal(await which('items/42'), 'int');
    assert.equal(await which('items/abc'), 'param');
    assert.equal(await which('items/a/b/c'), 'catchall');
    assert.equal(await which('items'), 'catchall');
    assert.equal(await which('items/special/'), 'literal', 'a trailing slash is ignored');
    const r = await getJson(`${host.url}/api/items/a%2Fb/c`);
    assert.deepEqual((r.body as { params: unknown }).params, { rest: 'a/b/c' });
  });

  it('filters by method: another function on the same route, else 404 as the real host answers', async () => {
    const post = await getJson(`${host.url}/api/items/special`, { method: 'POST' });
    assert.equal((post.body as { which: string }).which, 'post-literal');
    const del = await getJson(`${host.url}/api/public/ping`, { method: 'DELETE' });
    assert.equal(del.status, 404);
    assert.match((del.body as { message: string }).message, /exists for other methods only/);
  });

  it('answers unknown routes with a JSON 404, inside and outside the route prefix', async () => {
    for (const path of ['/api/nope', '/api', '/other/thing']) {
      const r = await getJson(`${host.url}${path}`);
      assert.equal(r.status, 404, path);
      assert.equal((r.body as { error: string }).error, 'NotFound', path);
    }
  });

  it('maps a thrown error to a 500 with no body, and no return value to 204', async () => {
    const boom = await getJson(`${host.url}/api/boom`);
    assert.equal(boom.status, 500);
    assert.equal(boom.text, '');
    assert.match(host.proc.output(), /\[boom\].*Failed.*kaboom/s);
    const none = await getJson(`${host.url}/api/noReturn`);
    assert.equal(none.status, 204);
  });

  it('does not ask for keys when auth is not enabled, even for function and admin levels', async () => {
    assert.equal((await getJson(`${host.url}/api/secret`)).status, 200);
    assert.equal((await getJson(`${host.url}/api/hello`)).status, 200);
  });

  it('reads local.settings.json Values only where the environment has none, as Core Tools does', async () => {
    const b = (await getJson(`${host.url}/api/hello`)).body as Record<string, unknown>;
    assert.equal(b.fromSettings, 'from-file');
    assert.equal(b.envWins, 'from-env');
    assert.match(host.proc.output(), /Skipping 'FIXTURE_ENV_WINS' from local settings/);
  });

  it('runs runOnStartup timers with a fresh monitor status, resolving %SETTING% schedules', async () => {
    const m = await host.proc.waitFor(/TIMER tick (\{.*\})/);
    const timer = JSON.parse(m[1]);
    assert.equal(timer.isPastDue, false);
    assert.deepEqual(timer.schedule, { adjustForDST: true });
    assert.equal(timer.scheduleStatus.last, '0001-01-01T00:00:00');
    assert.equal(timer.scheduleStatus.next.slice(5, 19), '01-01T00:00:00');
  });

  it('runs a timer now through POST /admin/functions/{name} (202), with the camelCased timer object', async () => {
    const before = (host.proc.output().match(/TIMER tick/g) ?? []).length;
    const r = await fetch(`${host.url}/admin/functions/tick`, { method: 'POST', body: '{"input":""}' });
    assert.equal(r.status, 202);
    await host.proc.waitFor(/\[tick\].*programmatically called via the host APIs[\s\S]*TIMER tick/);
    assert.ok((host.proc.output().match(/TIMER tick/g) ?? []).length > before);
  });

  it('rejects admin invocations of unknown functions (404) and without a JSON body (400)', async () => {
    assert.equal(
      (await getJson(`${host.url}/admin/functions/nope`, { method: 'POST', body: '{}' })).status,
      404,
    );
    assert.equal((await getJson(`${host.url}/admin/functions/tick`, { method: 'POST' })).status, 400);
    assert.equal((await getJson(`${host.url}/admin/other`)).status, 404);
    const bad = await getJson(`${host.url}/admin/functions/%ZZ`, { method: 'POST', body: '{}' });
    assert.equal(bad.status, 400);
    assert.match((bad.body as { message: string }).message, /percent-encoding/);
  });

  it('answers an oversized body with 413 at once and closes the connection, without reading the rest', async () => {
    const { port } = new URL(host.url);
    const declared = 200 * 1024 * 1024;
    const result = await new Promise<{ status: number; sent: number; error?: string }>((resolve, reject) => {
      let sent = 0;
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/hello/bob',
          headers: { 'content-length': declared },
        },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, sent });
          req.destroy();
        },
      );
      // A reset after the limit must not leave this waiting: it is a failure that says what the client saw.
      req.on('error', (err) =>
        sent > MAX_BODY_BYTES
          ? resolve({ status: 0, sent, error: (err as NodeJS.ErrnoException).code ?? err.message })
          : reject(err),
      );
      const chunk = Buffer.alloc(1024 * 1024);
      const pump = () => {
        while (sent < declared) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
      };
      pump();
    });
    assert.equal(result.status, 413, `no answer, the connection failed: ${result.error}`);
    assert.ok(
      result.sent < declared,
      `the host answered before the whole body was sent (${result.sent} bytes)`,
    );
    // And it keeps serving.
    assert.equal((await getJson(`${host.url}/api/hello/bob`)).status, 200);
  });

  it('sanitizes logs: bearer tokens, JWTs, SAS signatures and keys never reach the output', async () => {
    assert.equal((await getJson(`${host.url}/api/leak`)).status, 200);
    await host.proc.waitFor(/console says/);
    const out = host.proc.output();
    assert.doesNotMatch(out, /eyJhbGciOiJSUzI1NiJ9/);
    assert.doesNotMatch(out, /SECRETSIGVALUE123/);
    assert.doesNotMatch(out, /CONSOLEKEY1234567/);
    assert.match(out, /Authorization: \[REDACTED\]/);
    assert.match(out, /sig=\[REDACTED\]/);
  });

  it('shuts down gracefully on SIGTERM: appTerminate hooks run, exit code 0, no process left', async () => {
    const code = await host.proc.stop('SIGTERM');
    assert.equal(code, 0);
    assert.match(host.proc.output(), /HOOK appTerminate/);
    assert.ok(await waitGroupGone(host.proc.pid));
  });
});

describe('dev host with --enable-auth', { timeout: 60_000 }, () => {
  let app: ReturnType<typeof makeApp>;
  let host: DevHost;
  let keys: {
    masterKey: string;
    hostKeys: { default: string };
    functionKeys: Record<string, { default: string }>;
  };
  before(async () => {
    app = makeApp({ localSettings: settings });
    host = await startDevhost(app.dir, ['--enable-auth']);
    keys = JSON.parse(readFileSync(join(app.dir, '.devhost', 'keys.json'), 'utf8'));
  });
  after(async () => {
    host?.proc.kill();
    app?.cleanup();
  });

  it('creates a private keys file and never prints a key', () => {
    assert.equal(statSync(join(app.dir, '.devhost', 'keys.json')).mode & 0o777, 0o600);
    assert.match(host.proc.output(), /keys created in .*keys\.json/);
    const out = host.proc.output();
    for (const k of [keys.masterKey, keys.hostKeys.default, keys.functionKeys.hello.default]) {
      assert.equal(out.includes(k), false);
    }
  });

  it('function level: 401 without a key; the function key, a host key or the master key let it through', async () => {
    const url = `${host.url}/api/hello`;
    const none = await getJson(url);
    assert.equal(none.status, 401);
    assert.equal((none.body as { error: string }).error, 'Unauthorized');
    assert.equal(
      (await getJson(url, { headers: { 'x-functions-key': keys.functionKeys.hello.default } })).status,
      200,
    );
    assert.equal((await getJson(`${url}?code=${keys.hostKeys.default}`)).status, 200);
    assert.equal((await getJson(url, { headers: { 'x-functions-key': keys.masterKey } })).status, 200);
    assert.equal(
      (await getJson(url, { headers: { 'x-functions-key': keys.functionKeys.itemsParam.default } })).status,
      401,
      "another function's key is refused",
    );
  });

  it('takes the x-functions-key header before the code query parameter', async () => {
    const url = `${host.url}/api/hello`;
    const good = keys.functionKeys.hello.default;
    assert.equal(
      (await getJson(`${url}?code=${good}`, { headers: { 'x-functions-key': 'wrong' } })).status,
      401,
    );
    assert.equal((await getJson(`${url}?code=wrong`, { headers: { 'x-functions-key': good } })).status, 200);
  });

  it('admin level and admin APIs need the master key', async () => {
    assert.equal(
      (await getJson(`${host.url}/api/secret`, { headers: { 'x-functions-key': keys.hostKeys.default } }))
        .status,
      401,
    );
    assert.equal(
      (await getJson(`${host.url}/api/secret`, { headers: { 'x-functions-key': keys.masterKey } })).status,
      200,
    );
    const invoke = (key?: string) =>
      fetch(`${host.url}/admin/functions/tick`, {
        method: 'POST',
        body: '{}',
        headers: key ? { 'x-functions-key': key } : {},
      }).then((r) => r.status);
    assert.equal(await invoke(), 401);
    assert.equal(await invoke(keys.hostKeys.default), 401);
    assert.equal(await invoke(keys.masterKey), 202);
  });

  it('leaves anonymous functions open', async () => {
    assert.equal((await getJson(`${host.url}/api/public/ping`)).status, 200);
  });

  it('stops on SIGINT with exit code 0', async () => {
    assert.equal(await host.proc.stop('SIGINT'), 0);
    assert.ok(await waitGroupGone(host.proc.pid));
  });
});

describe('dev host refuses what it does not implement', { timeout: 60_000 }, () => {
  const pkg = JSON.stringify({ type: 'module', main: 'index.mjs' });
  const hostJson = JSON.stringify({ version: '2.0' });
  const refused = async (code: string, env: Record<string, string> = {}) => {
    const app = makeApp({ files: { 'package.json': pkg, 'host.json': hostJson, 'index.mjs': code } });
    try {
      return await runToExit(app.dir, env);
    } finally {
      app.cleanup();
    }
  };
  const head = `import { app, output } from '@azure/functions';\nconst handler = async () => ({ body: 'x' });\n`;

  it('a trigger other than http or timer', async () => {
    const r = await refused(
      `${head}app.storageQueue('onQueue', { queueName: 'q', connection: 'C', handler });`,
    );
    assert.equal(r.code, 1);
    assert.match(r.output, /function "onQueue": trigger "queueTrigger" is not implemented/);
  });

  it('an extra output binding', async () => {
    const r = await refused(
      `${head}app.http('withQueue', { handler, extraOutputs: [output.storageQueue({ queueName: 'q', connection: 'C' })] });`,
    );
    assert.equal(r.code, 1);
    assert.match(
      r.output,
      /function "withQueue": binding "queueOutput\w*" of type "queue" \(out\) is not implemented/,
    );
  });

  it('a timer schedule naming a missing app setting', async () => {
    const r = await refused(`${head}app.timer('t', { schedule: '%NO_SUCH_SCHEDULE%', handler });`);
    assert.equal(r.code, 1);
    assert.match(r.output, /'%NO_SUCH_SCHEDULE%' does not resolve to a value/);
  });

  it('an invalid NCRONTAB schedule', async () => {
    const r = await refused(`${head}app.timer('t', { schedule: '0 0 * * * MON#2', handler });`);
    assert.equal(r.code, 1);
    assert.match(r.output, /function "t": .*NCRONTAB/);
  });

  it('HTTP streaming mode', async () => {
    const r = await refused(`${head}app.setup({ enableHttpStream: true });\napp.http('s', { handler });`);
    assert.equal(r.code, 1);
    assert.match(r.output, /HTTP streaming/);
  });

  it('two functions on the same route and method', async () => {
    const r = await refused(
      `${head}app.http('a', { route: 'x/{id}', handler });\napp.http('b', { route: 'X/{other}', methods: ['GET'], handler });`,
    );
    assert.equal(r.code, 1);
    assert.match(r.output, /"a" and "b" both handle GET/);
  });

  it('a package.json main that matches no file', async () => {
    const app = makeApp({
      files: { 'package.json': JSON.stringify({ main: 'dist/nothing.js' }), 'host.json': hostJson },
    });
    try {
      const r = await runToExit(app.dir);
      assert.equal(r.code, 1);
      assert.match(r.output, /"main" \(dist\/nothing\.js\) matches no file/);
    } finally {
      app.cleanup();
    }
  });
});

describe('dev host and start-time settings', { timeout: 60_000 }, () => {
  it('NODE_EXTRA_CA_CERTS from local.settings.json is in effect from process start (the app trusts the CA)', async () => {
    const x509 = await import('@peculiar/x509');
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=devhost test CA',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3600_000),
      signingAlgorithm: alg,
      keys,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    const app = makeApp({
      files: {
        'package.json': JSON.stringify({ main: 'index.cjs' }),
        'host.json': JSON.stringify({ version: '2.0', extensions: { http: { routePrefix: '' } } }),
        'index.cjs': `const { app } = require('@azure/functions');
const tls = require('node:tls');
const fs = require('node:fs');
const flat = (s) => s.replace(/\\s/g, '');
const mine = flat(fs.readFileSync(__dirname + '/ca.pem', 'utf8'));
app.http('ca', {
  methods: ['GET'],
  handler: async () => ({ jsonBody: { trusted: tls.getCACertificates('default').map(flat).includes(mine) } }),
});`,
        'ca.pem': cert.toString('pem'),
      },
    });
    try {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(
        join(app.dir, 'local.settings.json'),
        JSON.stringify({ IsEncrypted: false, Values: { NODE_EXTRA_CA_CERTS: join(app.dir, 'ca.pem') } }),
      );
      // Some machines set NODE_EXTRA_CA_CERTS globally; then the environment would win, as in Core Tools.
      const host = await startDevhost(app.dir, [], { NODE_EXTRA_CA_CERTS: undefined });
      try {
        // routePrefix "" removes the prefix; the CommonJS entry point is loaded with require.
        const r = await getJson(`${host.url}/ca`);
        assert.equal(r.status, 200);
        assert.deepEqual(r.body, { trusted: true });
        assert.equal(await host.proc.stop('SIGTERM'), 0);
        assert.ok(await waitGroupGone(host.proc.pid));
      } finally {
        host.proc.kill();
      }
    } finally {
      app.cleanup();
    }
  });
});
