// Runs before `npm start`, `npm test` and friends (npm pre-scripts), possibly under the machine's own Node
// (20 on our machines), so it is plain JavaScript. It installs the project's dependencies when they are missing
// or stale; the `node` devDependency then puts Node 22 first on PATH for every later npm script.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const localNode = join(root, 'node_modules', '.bin', 'node');
// The hash of the lockfile the installed node_modules came from. Decided by content, never by file times: a fresh
// clone's (or a restored cache's) files have any times, and reinstalling without need deletes a working
// node_modules and fails offline.
const stamp = join(root, 'node_modules', '.setup-lock.sha256');

const lockHash = () => createHash('sha256').update(readFileSync(lock)).digest('hex');

/**
 * node_modules installed before stamps existed: npm's own record of what it installed (node_modules/.package-lock.json)
 * must hold every package of the lockfile, at the same version (optional ones may be absent: other platforms).
 */
function matchesInstalled() {
  try {
    const want = JSON.parse(readFileSync(lock, 'utf8')).packages ?? {};
    const have = JSON.parse(readFileSync(marker, 'utf8')).packages ?? {};
    return Object.entries(want).every(
      ([name, p]) => name === '' || (have[name] ? have[name].version === p.version : Boolean(p.optional)),
    );
  } catch {
    return false;
  }
}

function upToDate() {
  if (!existsSync(marker) || !existsSync(localNode)) return false;
  if (!existsSync(lock)) return true;
  if (existsSync(stamp)) return readFileSync(stamp, 'utf8').trim() === lockHash();
  if (!matchesInstalled()) return false;
  writeFileSync(stamp, `${lockHash()}\n`);
  return true;
}

const stale = !upToDate();

if (stale) {
  const args = existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  console.log(`[setup] installing dependencies: npm ${args.join(' ')}`);
  if (Number(process.versions.node.split('.')[0]) < 22) {
    // npm would print an EBADENGINE warning for every package that wants Node 22 (azurite, @azure/*, ...): true of
    // this Node, not of the one the scripts will run on, so only errors are shown.
    console.log(
      `[setup] this machine's Node is ${process.version}; the install brings Node 22 (the node devDependency), ` +
        'which every npm script then runs on',
    );
    args.push('--loglevel=error');
  }
  const r = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('[setup] npm install failed');
    process.exit(r.status ?? 1);
  }
  if (existsSync(lock)) writeFileSync(stamp, `${lockHash()}\n`);
}

const v = spawnSync(localNode, ['--version'], { encoding: 'utf8' });
const major = Number(/^v(\d+)/.exec(v.stdout ?? '')?.[1]);
if (!(major >= 22)) {
  console.error(`[setup] expected Node >= 22 at ${localNode}, got ${v.stdout || v.error}`);
  process.exit(1);
}
