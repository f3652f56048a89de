// `npm start -- --declaration FILE` as a team runs it before deploying (docs/declaration.md "Trying a declaration
// locally"): the sandbox builds its world from the file, the app reads the file (PROBES_DECLARATION) with the
// sandbox's values for its %SETTING% references, and the matrix printed is the declaration's: 3 identities x 4
// resources of all four kinds, two of them `denied`, all ok in the healthy world. Ctrl-C leaves nothing behind.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { getJson, startProc } from '../../scripts/lib/proc.ts';
import type { Proc } from '../../scripts/lib/proc.ts';
import { REPO_ROOT } from '../../scripts/lib/stack.ts';
import { appMirror, killMentioning, nothingLeft } from './helpers.ts';

const FILE = join('test', 'sandbox', 'fixtures', 'team-declaration.json');

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('e2e: npm start -- --declaration FILE', () => {
  const appDir = appMirror();
  let start: Proc | undefined;
  after(async () => {
    if (start && start.child.exitCode === null && start.child.signalCode === null) {
      process.kill(-start.pid, 'SIGINT');
      await Promise.race([start.exited, new Promise((r) => setTimeout(r, 60_000).unref())]);
    }
    start?.kill();
    killMentioning(appDir);
    rmSync(appDir, { recursive: true, force: true });
  });

  it("prints the declaration's matrix, every probe ok (the denied ones refused), and stops cleanly", async () => {
    const port = await freePort();
    start = startProc(
      process.execPath,
      [
        join(REPO_ROOT, 'scripts', 'start.ts'),
        '--app-dir',
        appDir,
        '--port',
        String(port),
        '--declaration',
        FILE, // relative to where npm was run: INIT_CWD
      ],
      { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1', INIT_CWD: REPO_ROOT } },
    );
    await start.waitFor(/\d+\/12 ok/, 180_000);
    await start.waitFor(/Health: \S+/, 10_000);
    const out = start.output();
    assert.match(out, /declaration 'team-orders version 2026-12-05': 3 identities x 4 resources, 12 probes/);
    assert.match(out, /identities x resources of declaration 'team-orders version 2026-12-05'/);
    assert.match(out, /^\s+orders-secret\s+orders-blobs\s+orders-rg\s+orders-queue$/m);
    const ok = 'ok \\d+ms';
    const denied = 'ok \\(denied\\) \\d+ms';
    const row = (name: string, cells: string[]) => new RegExp(`^  ${name}\\s+${cells.join('\\s+')}$`, 'm');
    assert.match(out, row('app', [denied, ok, ok, ok]), out);
    assert.match(out, row('api', [ok, ok, ok, ok]), out);
    assert.match(out, row('batch', [ok, ok, denied, ok]), out);
    assert.match(out, /^ {2}12\/12 ok$/m, out);

    // The app runs that declaration: /api/status says which.
    const status = await getJson(`http://127.0.0.1:${port}/api/status`);
    assert.match(JSON.stringify(status.body), /team-orders/);

    process.kill(-start.pid, 'SIGINT');
    const code = await Promise.race([
      start.exited,
      new Promise((r) => setTimeout(() => r('timeout'), 60_000).unref()),
    ]);
    assert.equal(code, 0, start.output().slice(-2000));
    assert.deepEqual(await nothingLeft({ groups: [start.pid], appDir }), []);
  });

  it('a declaration the sandbox cannot serve: exit 1 with the entry and field, nothing left running', async () => {
    const ownDir = appMirror(); // its own: nothing of the first test's run may count here
    after(() => rmSync(ownDir, { recursive: true, force: true }));
    const file = join(ownDir, 'literal-vault.json');
    const d = JSON.parse(readFileSync(join(REPO_ROOT, FILE), 'utf8')) as {
      resources: Record<string, Record<string, string>>;
    };
    d.resources['orders-secret'].vaultUrl = 'https://kv-orders.vault.azure.net/';
    writeFileSync(file, JSON.stringify(d));
    const bad = startProc(
      process.execPath,
      [join(REPO_ROOT, 'scripts', 'start.ts'), '--app-dir', ownDir, '--port', '0', '--declaration', file],
      { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1' } },
    );
    const code = await Promise.race([
      bad.exited,
      new Promise((r) => setTimeout(() => r('timeout'), 90_000).unref()),
    ]);
    assert.equal(code, 1, bad.output());
    assert.match(
      bad.output(),
      /the sandbox did not start: sandbox: declaration .*literal-vault\.json: resources\.orders-secret\.vaultUrl: .*cannot serve locally; write a %SETTING% reference/,
    );
    assert.deepEqual(await nothingLeft({ groups: [bad.pid], appDir: ownDir }), []);
  });
});
