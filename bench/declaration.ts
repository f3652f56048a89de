// (i) Declaration scale (issue 23, "Probe what you declare"): the default declaration (6 identities x 3 resources =
// 18 probes), 5 x 20 = 100 and 25 x 20 = 500 (support/scale-declaration.ts: every identity kind, all four resource
// kinds, a few `denied`), each in a sandbox world built from it (startSandbox({ declaration })), side by side:
//   - the sandbox's start with that world;
//   - one timer run (every identity's timer handler at once, as the host fires them on one schedule) against
//     PROBE_TIMEOUT_MS: the first (cold) run and the median of --decl-runs warm runs;
//   - token requests per warm timer run (counted at the sandbox's managed identity and Entra token endpoints) against
//     the declared identity x audience pairs (target 1.0: a timer run takes one fresh token per identity and audience);
//   - /api/status (the real HTTP function, JSON): time, size and status-store (Blob) requests per read, counted at the
//     sandbox's Blob gateway in front of Azurite, with STATUS_CACHE_MS=0 so every read goes to the store;
//   - the status page that function serves, in Chromium: ms from navigation start to the first frame with the matrix;
//   - how each grows from 18 to 100 to 500 (the last column: 500 / 18).
// `npm run bench -- declaration` (after the build: prebench), or as part (i) of the full `npm run bench`.
// Options: --decl-runs N (default 3), --decl-reads N (default 3), --decl-sizes 18,100,500 (which declarations).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Declaration } from '../common/declaration/schema.ts';
import { childEnv } from '../support/child.ts';
import { startQuietSandbox } from '../support/sandbox.ts';
import { MARKER, type WorkerInput, type WorkerOutput } from './declaration-protocol.ts';
import { benchDeclarations } from '../support/scale-declaration.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

interface Column {
  label: string;
  probes: number;
  identities: number;
  startMs: number;
  /** The machine's 1-minute load average when this declaration's measurement began. */
  load: number;
  app: WorkerOutput;
}

function runWorker(env: Record<string, string>, input: WorkerInput): Promise<WorkerOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(HERE, 'declaration-worker.ts'), JSON.stringify(input)], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // Bounded: 500 probes x a few runs stay well under this; a hung child is killed and reported.
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
      if (!line) return reject(new Error(`declaration worker exited ${code}\n${stderr.slice(-3000)}`));
      resolve(JSON.parse(line.slice(MARKER.length)) as WorkerOutput);
    });
  });
}

async function measure(
  label: string,
  declaration: Declaration,
  runs: number,
  reads: number,
): Promise<Column> {
  const dir = mkdtempSync(join(tmpdir(), 'probes-decl-bench-'));
  const file = join(dir, 'declaration.json');
  writeFileSync(file, JSON.stringify(declaration, null, 2));
  const load = loadavg()[0];
  const started = performance.now();
  const sb = await startQuietSandbox('healthy', { declaration: file, stateDir: dir });
  const startMs = performance.now() - started;
  try {
    const conn = sb.connection;
    if (conn.declaration?.warnings.length)
      throw new Error(`the world lets denied cells in:\n${conn.declaration.warnings.join('\n')}`);
    const app = await runWorker(
      childEnv(conn.appSettings, { STATUS_CACHE_MS: '0', PROBES_DECLARATION: file }),
      { adminUrl: conn.endpoints.admin, runs, reads, page: true },
    );
    return {
      label,
      probes: declaration.probes.length,
      identities: Object.keys(declaration.identities).length,
      startMs,
      load,
      app,
    };
  } finally {
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f0 = (n: number) => n.toFixed(0);
const f2 = (n: number) => n.toFixed(2);
const kib = (n: number) => (n / 1024).toFixed(1);

export async function declarationBench(runs = 3, reads = 3, sizes = [18, 100, 500]): Promise<void> {
  const started = performance.now();
  const columns: Column[] = [];
  for (const { label, declaration } of benchDeclarations())
    if (sizes.includes(declaration.probes.length))
      columns.push(await measure(label, declaration, runs, reads));

  console.log(
    `(i) declaration scale: sandbox worlds built from declarations of 18, 100 and 500 probes; every identity's timer ` +
      `at once (1 cold run, median of ${runs} warm), ${reads} status reads (STATUS_CACHE_MS=0), ${reads} page loads ` +
      `in Chromium; no injected latency; ${availableParallelism()} CPUs shared by the app, the sandbox, Azurite and Chromium`,
  );
  const width = 24;
  const row = (name: string, f: (c: Column) => number | string | undefined, growth?: 'ratio') => {
    const values = columns.map(f);
    const nums = values.map((v) => (typeof v === 'number' ? v : undefined));
    const first = nums[0];
    const last = nums[nums.length - 1];
    const grows =
      growth && first !== undefined && last !== undefined && first > 0 ? `x${(last / first).toFixed(1)}` : '';
    console.log(
      `    ${name.padEnd(52)}${values.map((v) => String(v ?? '-').padStart(width)).join('')}${grows.padStart(10)}`,
    );
  };
  const app = (c: Column) => ('notMeasured' in c.app ? undefined : c.app);
  const m =
    <T>(f: (w: WorkerOutput) => T) =>
    (c: Column) => {
      const w = app(c);
      return w === undefined ? undefined : f(w);
    };
  console.log(
    `    ${'declaration'.padEnd(52)}${columns.map((c) => c.label.padStart(width)).join('')}${`${columns[columns.length - 1].probes} / ${columns[0].probes}`.padStart(10)}`,
  );
  row('declared probes (identities)', (c) => `${c.probes} (${c.identities})`);
  row('probes the app runs (identities)', (c) => `${c.app.probes} (${c.app.identities})`);
  row('machine load average (1 min) at the start', (c) => c.load.toFixed(1));
  row('sandbox start with the world, ms', (c) => Number(f0(c.startMs)), 'ratio');
  row(
    'timer run (all identities) cold, ms',
    m((w) => Number(f0(w.cold.ms))),
    'ratio',
  );
  row(
    'timer run warm, ms (median)',
    m((w) => Number(f0(median(w.warm.map((r) => r.ms))))),
    'ratio',
  );
  row(
    'timer run warm / PROBE_TIMEOUT_MS (target <= 1.0)',
    m((w) => `${f2(median(w.warm.map((r) => r.ms)) / w.probeTimeoutMs)} of ${w.probeTimeoutMs}`),
  );
  row(
    'token requests per warm timer run',
    m((w) => Number(f0(median(w.warm.map((r) => r.counted.tokens))))),
    'ratio',
  );
  row('declared identity x audience pairs', (c) => c.app.pairs, 'ratio');
  row(
    'token requests / pairs (target 1.0)',
    m((w) => f2(median(w.warm.map((r) => r.counted.tokens)) / w.pairs)),
  );
  row(
    'principal x audience pairs issued per run',
    m((w) => Number(f0(median(w.warm.map((r) => r.counted.pairs))))),
  );
  row(
    'TLS handshakes per warm timer run',
    m((w) => Number(f0(median(w.warm.map((r) => r.counted.tls))))),
    'ratio',
  );
  row(
    'Blob requests per warm timer run',
    m((w) => Number(f0(median(w.warm.map((r) => r.counted.blob))))),
    'ratio',
  );
  const last = (w: WorkerOutput) => w.warm[w.warm.length - 1] ?? w.cold;
  row(
    'cells not ok after the last run',
    m((w) => last(w).notOk),
  );
  row(
    '/api/status (JSON) time, ms (median)',
    m((w) => Number(f0(median(w.status.map((s) => s.ms))))),
    'ratio',
  );
  row(
    '/api/status (JSON) size, KiB',
    m((w) => Number(kib(median(w.status.map((s) => s.bytes))))),
    'ratio',
  );
  row(
    '/api/status cells',
    m((w) => median(w.status.map((s) => s.cells))),
  );
  row(
    'status-store (Blob) requests per status read',
    m((w) => median(w.status.map((s) => s.blob))),
    'ratio',
  );
  row(
    'status page (HTML) size, KiB',
    m((w) => Number(kib(w.html.bytes))),
    'ratio',
  );
  row(
    'page: navigation -> matrix painted, ms (median)',
    m((w) => ('skipped' in w.page ? `skipped` : Number(f0(median(w.page.toMatrixMs))))),
    'ratio',
  );
  row(
    "page: its own 'matrix-rendered' mark, ms (median)",
    m((w) =>
      'skipped' in w.page ? 'skipped' : w.page.markMs.length ? Number(f0(median(w.page.markMs))) : 'no mark',
    ),
    'ratio',
  );
  row(
    'page: load event, ms (median)',
    m((w) => ('skipped' in w.page ? `skipped` : Number(f0(median(w.page.loadMs))))),
    'ratio',
  );
  row(
    'page: cells drawn',
    m((w) => ('skipped' in w.page ? `skipped` : w.page.cells)),
  );
  for (const c of columns) {
    for (const [key, why] of Object.entries(last(c.app).why))
      console.log(`    ${c.label}: ${last(c.app).outcomes[key]} x ${key}: ${why.slice(0, 160)}`);
    if ('skipped' in c.app.page) console.log(`    ${c.label}: page not measured: ${c.app.page.skipped}`);
    // Entries this build of the app cannot run (e.g. a kind it does not have yet) are left out of its plan: named.
    const problems = [...new Set(c.app.problems.map((p) => p.replace(/^[^ ]+ /, '')))];
    if (problems.length)
      console.log(`    ${c.label}: ${c.app.problems.length} declaration problem(s): ${problems.join('; ')}`);
  }
  console.log(`    (i) took ${f0((performance.now() - started) / 1000)} s\n`);
}

/** `npm run bench -- declaration [--decl-runs N] [--decl-reads N]` (bench/run.ts hands the part over to this). */
export async function runPart(): Promise<never> {
  const { values } = parseArgs({
    allowPositionals: true,
    options: {
      'decl-runs': { type: 'string', default: '3' },
      'decl-reads': { type: 'string', default: '3' },
      'decl-sizes': { type: 'string', default: '18,100,500' },
    },
  });
  await declarationBench(
    Number(values['decl-runs']),
    Number(values['decl-reads']),
    values['decl-sizes'].split(',').map(Number),
  );
  process.exit(0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runPart();
