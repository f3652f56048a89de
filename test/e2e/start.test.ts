// `npm start` itself (scripts/start.ts) as a user runs it, against a throw-away app folder: the matrix with every
// cell ok, the status and health URLs, then Ctrl-C stops everything with nothing left behind.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { getJson, startProc } from '../../scripts/lib/proc.ts';
import type { Proc } from '../../scripts/lib/proc.ts';
import { REPO_ROOT } from '../../scripts/lib/stack.ts';
import { appMirror, killMentioning, nothingLeft } from './helpers.ts';
import { PATHS, TARGETS } from './results.ts';

/** Every path against every target: what npm start reports as n/ALL ok. */
const ALL = PATHS.length * TARGETS.length;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('e2e: npm start', () => {
  const appDir = appMirror();
  let start: Proc | undefined;
  after(async () => {
    // If an assertion failed midway, stop it as a user would (Ctrl-C), then make sure nothing survives.
    if (start && start.child.exitCode === null && start.child.signalCode === null) {
      process.kill(-start.pid, 'SIGINT');
      await Promise.race([start.exited, new Promise((r) => setTimeout(r, 60_000).unref())]);
    }
    start?.kill();
    killMentioning(appDir);
    rmSync(appDir, { recursive: true, force: true });
  });

  it('prints the matrix with every cell ok and the URLs, keeps serving, and Ctrl-C stops everything', async () => {
    const port = await freePort();
    start = startProc(
      process.execPath,
      [join(REPO_ROOT, 'scripts', 'start.ts'), '--app-dir', appDir, '--port', String(port)],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    await start.waitFor(new RegExp(`\\d+/${ALL} ok`), 120_000);
    await start.waitFor(/Health: \S+/, 10_000);
    const out = start.output();
    assert.match(out, /wrote .*local\.settings\.json from the sandbox connection file/);
    assert.match(out, new RegExp(`${ALL}/${ALL} ok`), out);
    for (const p of PATHS)
      assert.match(out, new RegExp(`^  ${p}\\s+ok \\d+ms\\s+ok \\d+ms\\s+ok \\d+ms$`, 'm'), p);
    assert.ok(out.includes(`Status: http://127.0.0.1:${port}/api/status`));
    assert.ok(out.includes(`Health: http://127.0.0.1:${port}/api/health`));

    // Still serving after the sweep.
    assert.equal((await getJson(`http://127.0.0.1:${port}/api/health`)).status, 200);

    // Ctrl-C in a terminal signals the foreground process group.
    process.kill(-start.pid, 'SIGINT');
    const code = await Promise.race([
      start.exited,
      new Promise((r) => setTimeout(() => r('timeout'), 60_000).unref()),
    ]);
    assert.equal(code, 0, start.output().slice(-2000));
    assert.match(start.output(), /stopped the host and the sandbox/);
    assert.deepEqual(await nothingLeft({ groups: [start.pid], appDir }), []);
  });
});
