// (h) Declaration scale (issue 23, "Probe what you declare"): the default declaration (6 identities x 3 resources =
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
// `npm run bench -- declaration` (after the build: prebench), or as part (h) of the full `npm run bench`.
// Options: --decl-runs N (default 3), --decl-reads N (default 3).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Declaration } from '../common/declaration/schema.ts';
import { childEnv } from '../support/child.ts';
import { startQuietSandbox } from '../support/sandbox.ts';
import { MARKER, type WorkerInput, type WorkerOutput } from './declaration-protocol.ts';
import { benchDeclarations } from '../support/scale-declaration.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The token audience each resource kind's probe asks for (one scope per service). */
const AUDIENCE: Readonly<Record<string, string>> = {
  'keyvault-secret': 'Key Vault',
  'blob-container': 'Storage',
  'storage-queue': 'Storage',
  'arm-scope': 'Resource Manager',
};

/** Declared identity x audience pairs of the probes: what one timer run must ask tokens for, once each. */
export function identityAudiencePairs(d: Declaration): number {
  const pairs = new Set<string>();
  for (const p of d.probes) pairs.add(`${p.identity} ${AUDIENCE[d.resources[p.resource].kind]}`);
  return pairs.size;
}

interface Column {
  label: string;
  probes: number;
  identities: number;
  pairs: number;
  startMs: number;
  /** Why the app side was not measured, or what it measured. */
  app: { notMeasured: string } | WorkerOutput;
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

/** Why the app cannot run this declaration yet, or undefined when it can. */
function appCannotRun(d: Declaration): string | undefined {
  if (d.name === 'canary-demo') return undefined;
  return "the app's timers, status and page follow the catalog's 6 paths, not a declaration, until the spine lands";
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
  const started = performance.now();
  const sb = await startQuietSandbox('healthy', { declaration: file, stateDir: dir });
  const startMs = performance.now() - started;
  try {
    const conn = sb.connection;
    if (conn.declaration?.warnings.length)
      throw new Error(`the world lets denied cells in:\n${conn.declaration.warnings.join('\n')}`);
    const why = appCannotRun(declaration);
    const app = why
      ? { notMeasured: why }
      : await runWorker(childEnv(conn.appSettings, { STATUS_CACHE_MS: '0' }), {
          adminUrl: conn.endpoints.admin,
          runs,
          reads,
          page: true,
        });
    return {
      label,
      probes: declaration.probes.length,
      identities: Object.keys(declaration.identities).length,
      pairs: identityAudiencePairs(declaration),
      startMs,
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

export async function declarationBench(runs = 3, reads = 3): Promise<void> {
  const started = performance.now();
  const columns: Column[] = [];
  for (const { label, declaration } of benchDeclarations())
    columns.push(await measure(label, declaration, runs, reads));

  console.log(
    `(h) declaration scale: sandbox worlds built from declarations of 18, 100 and 500 probes; every identity's timer ` +
      `at once (1 cold run, median of ${runs} warm), ${reads} status reads (STATUS_CACHE_MS=0), ${reads} page loads ` +
      `in Chromium; no injected latency`,
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
    `    ${'declaration'.padEnd(52)}${columns.map((c) => c.label.padStart(width)).join('')}${'500 / 18'.padStart(10)}`,
  );
  row('probes (identities)', (c) => `${c.probes} (${c.identities})`);
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
  row('declared identity x audience pairs', (c) => c.pairs, 'ratio');
  row('token requests / pairs (target 1.0)', (c) =>
    m((w) => f2(median(w.warm.map((r) => r.counted.tokens)) / c.pairs))(c),
  );
  row(
    'principal x audience pairs issued per run',
    m((w) => Number(f0(median(w.warm.map((r) => r.counted.pairs))))),
  );
  row(
    'Blob requests per warm timer run',
    m((w) => Number(f0(median(w.warm.map((r) => r.counted.blob))))),
    'ratio',
  );
  row(
    'cells not ok after the last run',
    m((w) => {
      const last = w.warm[w.warm.length - 1] ?? w.cold;
      return last.notOk === 0 ? 0 : `${last.notOk} ${JSON.stringify(last.outcomes)}`;
    }),
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
    'page: load event, ms (median)',
    m((w) => ('skipped' in w.page ? `skipped` : Number(f0(median(w.page.loadMs))))),
    'ratio',
  );
  row(
    'page: cells in the DOM',
    m((w) => ('skipped' in w.page ? `skipped` : w.page.cells)),
  );
  for (const c of columns) {
    if ('notMeasured' in c.app) console.log(`    ${c.label}: app figures not measured: ${c.app.notMeasured}`);
    else if ('skipped' in c.app.page) console.log(`    ${c.label}: page not measured: ${c.app.page.skipped}`);
  }
  console.log(`    (h) took ${f0((performance.now() - started) / 1000)} s\n`);
}

/** `npm run bench -- declaration [--decl-runs N] [--decl-reads N]` (bench/run.ts hands the part over to this). */
export async function runPart(): Promise<never> {
  const { values } = parseArgs({
    allowPositionals: true,
    options: {
      'decl-runs': { type: 'string', default: '3' },
      'decl-reads': { type: 'string', default: '3' },
    },
  });
  await declarationBench(Number(values['decl-runs']), Number(values['decl-reads']));
  process.exit(0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runPart();
