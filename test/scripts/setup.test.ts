// scripts/setup.mjs decides whether to reinstall from the lockfile's content, never from file times: a fresh clone
// or a restored cache gives the lockfile any time, and a needless `npm ci` deletes a working node_modules and fails
// offline. Each case runs the real script, in its own folder, with npm offline and an empty cache, so that an
// install it should not start fails loudly (before, a lockfile newer than node_modules did exactly that).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT } from '../../scripts/lib/stack.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const pkg = { name: 'setup-case', version: '1.0.0', private: true, dependencies: { 'left-pad': '1.3.0' } };
function lockfile(version: string): string {
  const packages = {
    '': { name: 'setup-case', version: '1.0.0', dependencies: { 'left-pad': version } },
    'node_modules/left-pad': {
      version,
      resolved: `https://registry.npmjs.org/left-pad/-/left-pad-${version}.tgz`,
      integrity:
        'sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQH5Km7nkvDq2Ie3X2zzHvwYydlu46mHkqsRZ9W+AJ2dR4mp==',
      license: 'WTFPL',
    },
  };
  return JSON.stringify(
    { name: 'setup-case', version: '1.0.0', lockfileVersion: 3, requires: true, packages },
    null,
    2,
  );
}

/** A project whose node_modules was installed from lockfile `installed`, now carrying lockfile `current`. */
function project(installed: string, current: string, stamp: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'setup-case-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(join(REPO_ROOT, 'scripts', 'setup.mjs'), join(dir, 'scripts', 'setup.mjs'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', 'left-pad'));
  writeFileSync(
    join(dir, 'node_modules', 'left-pad', 'package.json'),
    '{"name":"left-pad","version":"1.3.0"}',
  );
  writeFileSync(join(dir, 'node_modules', '.package-lock.json'), installed);
  symlinkSync(process.execPath, join(dir, 'node_modules', '.bin', 'node'));
  if (stamp)
    writeFileSync(
      join(dir, 'node_modules', '.setup-lock.sha256'),
      createHash('sha256').update(installed).digest('hex') + '\n',
    );
  writeFileSync(join(dir, 'package-lock.json'), current);
  // The lockfile is newer than everything npm wrote, as in a fresh clone over a restored node_modules.
  const later = new Date(Date.now() + 3600_000);
  utimesSync(join(dir, 'package-lock.json'), later, later);
  return dir;
}

function setup(dir: string) {
  const cache = mkdtempSync(join(tmpdir(), 'setup-cache-'));
  dirs.push(cache);
  const r = spawnSync(process.execPath, [join(dir, 'scripts', 'setup.mjs')], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      npm_config_offline: 'true',
      npm_config_cache: cache,
      npm_config_registry: 'http://127.0.0.1:9/',
    },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('setup decides from the lockfile content', { timeout: 120_000 }, () => {
  it('a lockfile newer than node_modules but with the same content: no install, node_modules kept', () => {
    const dir = project(lockfile('1.3.0'), lockfile('1.3.0'), true);
    const r = setup(dir);
    assert.equal(r.status, 0, r.out);
    assert.doesNotMatch(r.out, /installing dependencies/);
    assert.ok(existsSync(join(dir, 'node_modules', 'left-pad', 'package.json')), 'node_modules is intact');
  });

  it('node_modules from before the stamp, matching npm record of what it installed: no install, stamp written', () => {
    const dir = project(lockfile('1.3.0'), lockfile('1.3.0'), false);
    const r = setup(dir);
    assert.equal(r.status, 0, r.out);
    assert.doesNotMatch(r.out, /installing dependencies/);
    assert.ok(existsSync(join(dir, 'node_modules', '.setup-lock.sha256')));
  });

  it('a lockfile whose content changed: reinstalls (here offline, so the install fails and says so)', () => {
    for (const stamp of [true, false]) {
      const dir = project(lockfile('1.3.0'), lockfile('1.2.0'), stamp);
      const r = setup(dir);
      assert.match(r.out, /installing dependencies: npm ci/, r.out);
      assert.notEqual(r.status, 0);
    }
  });
});
