// The fetch-style entry point (docs/host-notes.md B.5 step 5), in this test file's own process: the test
// runner gives each file a process, so the core shim and the app's registrations stay isolated.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startHost } from '../../devhost/host.ts';
import type { RunningHost } from '../../devhost/host.ts';
import { makeApp } from './helpers.ts';

let app: ReturnType<typeof makeApp>;
let host: RunningHost;
before(async () => {
  app = makeApp({ localSettings: { TICK_SCHEDULE: '0 0 0 1 1 *' } });
  process.env.TICK_SCHEDULE = '0 0 0 1 1 *';
  host = await startHost({ appDir: app.dir, port: 0 });
});
after(async () => {
  await host?.close();
  app?.cleanup();
});

it('answers a Request with a Response through the same handler as the HTTP server', async () => {
  const res = await host.fetch(
    new Request('http://localhost/api/hello/ann?x=2', { headers: { 'x-echo': 'e' } }),
  );
  assert.equal(res.status, 200);
  const body = (await res.json()) as { name: string; x: string; echo: string };
  assert.deepEqual([body.name, body.x, body.echo], ['ann', '2', 'e']);
  assert.equal((await host.fetch(new Request('http://localhost/api/none'))).status, 404);
  assert.ok(host.functions.some((f) => f.name === 'tick' && f.timer?.schedule === '0 0 0 1 1 *'));
});
