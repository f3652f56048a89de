// Azurite's life cycle: it is the project's own dependency (node_modules/azurite, run by the project's Node), it
// starts with the sandbox and it never outlives it, whether the sandbox is closed or killed outright.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../../sandbox/index.ts';
import { azuriteBlobMain } from '../../../sandbox/resources/blob/azurite.ts';
import { admin, alive, startTestSandbox } from './helpers.ts';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'sandbox-child.ts');

async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('Azurite life cycle', () => {
  it("comes from the project's own devDependency and stops with the sandbox (no orphan)", async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    assert.ok(
      pkg.devDependencies.azurite,
      'azurite is a declared dependency: a fresh clone gets it from npm install',
    );
    assert.equal(
      azuriteBlobMain(),
      join(REPO_ROOT, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js'),
    );

    const sb = await startTestSandbox();
    let pid = 0;
    let cwd = '';
    try {
      const { azurite } = await admin<{ azurite: { pid: number; origin: string } }>(
        sb.connection,
        'GET',
        '/_sandbox/processes',
      );
      pid = azurite.pid;
      assert.ok(alive(pid));
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      assert.equal(argv[0], process.execPath, "run by the project's Node");
      assert.ok(argv.includes(azuriteBlobMain()), argv.join(' '));
      for (const flag of ['--oauth', '--cert', '--key', '--inMemoryPersistence'])
        assert.ok(argv.includes(flag), flag);
      assert.match(azurite.origin, /^https:\/\/127\.0\.0\.1:\d+$/);
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } finally {
      await sb.close();
    }
    assert.equal(alive(pid), false, `Azurite (pid ${pid}) is gone after close()`);
    assert.equal(existsSync(cwd), false, 'its private folder (certificate, key) is removed');
  });

  it('exits by itself when the sandbox process is killed with SIGKILL', async () => {
    const child = spawn(process.execPath, [CHILD], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '' },
    });
    let out = '';
    let errOut = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (errOut += d));
    const info = await new Promise<{ pid: number; stateDir: string; azuriteDir: string }>(
      (resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`sandbox child did not start:\n${errOut}`)), 60_000);
        child.stdout.on('data', () => {
          const line = out.split('\n').find((l) => l.startsWith('@@SANDBOX@@'));
          if (line) {
            clearTimeout(timer);
            resolve(JSON.parse(line.slice('@@SANDBOX@@'.length)));
          }
        });
        child.on('exit', (code) => reject(new Error(`sandbox child exited ${code}:\n${errOut}`)));
      },
    );
    try {
      assert.ok(alive(info.pid));
      child.kill('SIGKILL');
      assert.ok(
        await waitUntil(() => !alive(info.pid), 15_000),
        `Azurite (pid ${info.pid}) outlived its killed sandbox`,
      );
    } finally {
      if (alive(info.pid)) process.kill(info.pid, 'SIGKILL');
      // The killed sandbox could not clean up after itself.
      rmSync(info.stateDir, { recursive: true, force: true });
      rmSync(info.azuriteDir, { recursive: true, force: true });
    }
  });
});
