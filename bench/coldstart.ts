// (g) Cold start (docs/cold-start.md): a fresh dev host process per run, against the sandbox (no injected latency),
// for the bundled package (what ships: dist/app staged as `npm run deploy` stages it) and the unbundled build (tsc's
// dist/src loading node_modules) alternately, so machine noise hits both alike. Per run: spawn -> the host's first
// HTTP answer (GET /, which runs no function) = host ready; then a full sweep (the six paths at once, 18 probes) =
// first sweep; then, once the telemetry queued during the first sweep has reached the sandbox's ingestion, a
// second sweep = warm sweep. Medians of --cold-runs runs (default 5) per build:
//   (spawn -> first sweep answered) / warm sweep  (target <= 4; 9.1 before the bundle),
//   first sweep / warm sweep, and what the first sweep does that a warm one does not: token requests and TLS
//   handshakes (sandbox counters), the floor of a first sweep.
// Also each build's deployment package: size and file count.
// Alone: `npm run bench -- cold` or `node bench/coldstart.ts [--cold-runs N] [--baseline DIR]` (after npm run build);
// --baseline adds a column for the app as another checkout builds it (e.g. a worktree of main, built).
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { SandboxConnection } from '../sandbox/connection.ts';
import { mib, unbundledFigures, walk } from '../scripts/deploy/package.ts';
import { appMirror, unbundledAppMirror } from '../scripts/lib/appStack.ts';
import { NEVER } from '../scripts/lib/appHosts.ts';
import { REPO_ROOT, sandboxLocalSettings } from '../scripts/lib/stack.ts';
import { PATH_IDS } from '../src/ids.ts';
import { childEnv } from '../support/child.ts';
import { admin, startQuietSandbox } from '../support/sandbox.ts';

type Build = 'baseline' | 'unbundled' | 'bundled';

interface Counts {
  tokens: number;
  tls: number;
  connections: number;
}

interface Run {
  readyMs: number;
  firstSweepMs: number;
  warmSweepMs: number;
  /** spawn -> every answer of the first sweep */
  toFirstSweepMs: number;
  first: Counts;
  warm: Counts;
  notOk: number;
  telemetryItems: number;
}

interface Snapshot {
  tokenRequests: { total: number };
  connections?: Record<string, number>;
  tlsHandshakes?: Record<string, number>;
}

const sum = (r: Record<string, number> | undefined) => Object.values(r ?? {}).reduce((a, b) => a + b, 0);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f0 = (n: number) => n.toFixed(0);

async function counts(conn: SandboxConnection): Promise<Counts> {
  const s = await admin<Snapshot>(conn, 'GET', '/_sandbox/counters');
  return { tokens: s.tokenRequests.total, tls: sum(s.tlsHandshakes), connections: sum(s.connections) };
}
const minus = (a: Counts, b: Counts): Counts => ({
  tokens: a.tokens - b.tokens,
  tls: a.tls - b.tls,
  connections: a.connections - b.connections,
});

/** The six paths at once; resolves when every answer is in, with the count of cells not ok. */
async function sweep(base: string): Promise<{ ms: number; notOk: number }> {
  const t = performance.now();
  const bodies = await Promise.all(
    PATH_IDS.map(async (p) => {
      const res = await fetch(`${base}/api/probes/${p}`, { signal: AbortSignal.timeout(60_000) });
      return (await res.json()) as { results?: Array<{ outcome: string }> };
    }),
  );
  const ms = performance.now() - t;
  const cells = bodies.flatMap((b) => b.results ?? [{ outcome: 'no-answer' }]);
  return { ms, notOk: cells.filter((c) => c.outcome !== 'ok').length };
}

async function telemetryCount(conn: SandboxConnection): Promise<number> {
  return (await admin<{ items: unknown[] }>(conn, 'GET', '/_sandbox/telemetry?kind=availability')).items
    .length;
}

async function oneRun(conn: SandboxConnection, appDir: string): Promise<Run> {
  await admin(conn, 'DELETE', '/_sandbox/telemetry');
  const env = childEnv(sandboxLocalSettings(conn), { PROBE_SCHEDULE: NEVER });
  const before = await counts(conn);
  const spawned = performance.now();
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'devhost', 'cli.ts'), '--app-dir', appDir, '--port', '0'],
    { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "Listening on" in 60 s:\n${output}`)), 60_000);
      const seen = (d: Buffer) => {
        output += d;
        const m = /Listening on http:\/\/[^:]+:(\d+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout.on('data', seen);
      child.stderr.on('data', (d: Buffer) => (output += d));
      void exited.then((c) => reject(new Error(`the host exited (${c}):\n${output}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    await (await fetch(`${base}/`, { signal: AbortSignal.timeout(30_000) })).arrayBuffer();
    const readyMs = performance.now() - spawned;
    const first = await sweep(base);
    const toFirstSweepMs = performance.now() - spawned;
    const afterFirst = await counts(conn);
    // The results of the first sweep were queued while the telemetry library was not loaded: they must arrive.
    const expected = PATH_IDS.length * 3;
    let telemetryItems = 0;
    for (const end = Date.now() + 20_000; Date.now() < end;) {
      telemetryItems = await telemetryCount(conn);
      if (telemetryItems >= expected) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const beforeWarm = await counts(conn);
    const warm = await sweep(base);
    const afterWarm = await counts(conn);
    return {
      readyMs,
      firstSweepMs: first.ms,
      warmSweepMs: warm.ms,
      toFirstSweepMs,
      first: minus(afterFirst, before),
      warm: minus(afterWarm, beforeWarm),
      notOk: first.notOk + warm.notOk,
      telemetryItems,
    };
  } finally {
    child.kill('SIGTERM');
    const done = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
    if (done === 'timeout') child.kill('SIGKILL');
  }
}

function folderFigures(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const f of walk(dir)) {
    files++;
    bytes += statSync(f).size;
  }
  return { files, bytes };
}

/**
 * An app folder built from another checkout (`--baseline DIR`, e.g. a worktree of main after `npm run build`): its
 * package.json and host.json, its dist/ and node_modules (this repository's when it has none).
 */
function baselineMirror(checkout: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'probes-app-baseline-'));
  copyFileSync(join(checkout, 'package.json'), join(dir, 'package.json'));
  copyFileSync(join(checkout, 'host.json'), join(dir, 'host.json'));
  symlinkSync(join(checkout, 'dist'), join(dir, 'dist'), 'dir');
  const modules = existsSync(join(checkout, 'node_modules')) ? checkout : REPO_ROOT;
  symlinkSync(join(modules, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Runs (g); `baseline` adds a third column: the app as another checkout builds it. */
export async function coldStartBench(runs = 5, baseline?: string): Promise<void> {
  const sb = await startQuietSandbox('healthy');
  const builds: Build[] = baseline ? ['baseline', 'unbundled', 'bundled'] : ['unbundled', 'bundled'];
  const dirs: Partial<Record<Build, string>> = { bundled: appMirror(), unbundled: unbundledAppMirror() };
  if (baseline) dirs.baseline = baselineMirror(resolve(baseline));
  const results: Record<Build, Run[]> = { baseline: [], unbundled: [], bundled: [] };
  try {
    const conn = sb.connection;
    for (let i = 0; i < runs; i++)
      for (const build of i % 2 ? [...builds].reverse() : builds)
        results[build].push(await oneRun(conn, dirs[build]!));
  } finally {
    await sb.close();
  }
  const pkg: Partial<Record<Build, { files: number; bytes: number }>> = {
    bundled: folderFigures(dirs.bundled!),
    unbundled: unbundledFigures(REPO_ROOT),
  };
  if (baseline && existsSync(join(baseline, 'node_modules')))
    pkg.baseline = unbundledFigures(resolve(baseline));
  for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });

  console.log(
    `(g) cold start: a fresh dev host process per run, then a full sweep (6 paths at once, 18 probes), then a warm ` +
      `sweep (median of ${runs} runs per build, builds alternating; no injected latency)`,
  );
  const row = (label: string, f: (b: Build) => string) =>
    console.log(`    ${label.padEnd(44)}${builds.map((b) => f(b).padStart(14)).join('')}`);
  const m = (b: Build, k: (r: Run) => number) => median(results[b].map(k));
  row('', (b) => b);
  row('host ready (spawn -> first HTTP answer), ms', (b) => f0(m(b, (r) => r.readyMs)));
  row('first sweep, ms', (b) => f0(m(b, (r) => r.firstSweepMs)));
  row('warm sweep, ms', (b) => f0(m(b, (r) => r.warmSweepMs)));
  row('spawn -> first sweep answered, ms', (b) => f0(m(b, (r) => r.toFirstSweepMs)));
  row('(spawn -> first sweep answered) / warm sweep', (b) =>
    m(b, (r) => r.toFirstSweepMs / r.warmSweepMs).toFixed(2),
  );
  row('first sweep / warm sweep', (b) => m(b, (r) => r.firstSweepMs / r.warmSweepMs).toFixed(2));
  row('first sweep: token requests', (b) => f0(m(b, (r) => r.first.tokens)));
  row(
    'first sweep: TLS handshakes (connections)',
    (b) => `${f0(m(b, (r) => r.first.tls))} (${f0(m(b, (r) => r.first.connections))})`,
  );
  row('warm sweep: token requests', (b) => f0(m(b, (r) => r.warm.tokens)));
  row(
    'warm sweep: TLS handshakes (connections)',
    (b) => `${f0(m(b, (r) => r.warm.tls))} (${f0(m(b, (r) => r.warm.connections))})`,
  );
  row('first sweep - warm sweep, ms', (b) => f0(m(b, (r) => r.firstSweepMs - r.warmSweepMs)));
  row('cells not ok (both sweeps, all runs)', (b) => String(results[b].reduce((s, r) => s + r.notOk, 0)));
  row(
    'telemetry items of the first sweep received',
    (b) => `${Math.min(...results[b].map((r) => r.telemetryItems))}/${PATH_IDS.length * 3}`,
  );
  row('deployment package, MiB', (b) => (pkg[b] ? mib(pkg[b].bytes) : '-'));
  row('deployment package, files', (b) => (pkg[b] ? String(pkg[b].files) : '-'));
  console.log('    target: (spawn -> first sweep answered) / warm sweep <= 4; package <= 8 MiB');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { 'cold-runs': { type: 'string', default: '5' }, baseline: { type: 'string' } },
  });
  await coldStartBench(Number(values['cold-runs']), values.baseline);
}
