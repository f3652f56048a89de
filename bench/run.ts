// Benchmarks (figures, not pass/fail), against the sandbox with a fixed latency injected on every resource call:
//  (a) a full sweep (6 paths x 3 targets) against the slowest single probe: target ratio <= 1.3;
//  (b) token requests over 100 consecutive sweeps against one per identity per audience: target 1.0 (also printed
//      against one per credential selector per audience, the real floor: see the comment at (b) below);
//  (c) the time to import the app's entry point against importing @azure/functions alone;
//  (d) detection latency of each kind of break against the timer schedule period (bench/detection.ts);
//  (e) storage reads of open status pages in Chromium against one per status cache period (bench/status-page.ts);
//  (f) every HTTP answer with each endpoint the app uses blackholed in turn, as a ratio of PROBE_TIMEOUT_MS
//      (target <= 1.0; bench/blackhole.ts);
//  (g) cold start, bundled and unbundled side by side: spawn -> first sweep answered against a warm sweep (target
//      <= 4), first sweep against warm, and the deployment package's size and file count (bench/coldstart.ts);
//  (h) the status page's render in Chromium with 18, 100 and 500 declared cells: time to first render of the
//      matrix, render time, HTML and JSON size, side by side (bench/page-render.ts).
// `npm run bench` (prebench builds dist/). Options: --latency-ms N (default 100), --repeat N (default 5),
// --sweeps N (default 100), --imports N (default 15), --period-s N (default 5), --trials N (default 3),
// --propagation-s N (default 3), --page-seconds N (default 60), --cold-runs N (default 5), --page-loads N (default 5).
// `npm run bench -- cold` runs only (g); --baseline DIR adds to it the app as another checkout (built) has it.
// `npm run bench -- page` runs only (h).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { addFault, admin, startQuietSandbox as start } from '../support/sandbox.ts';
import { childEnv } from '../support/child.ts';
import { printDetection } from './detection-report.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.argv.slice(2).includes('declaration')) await (await import('./declaration.ts')).runPart(); // (i) alone
const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'latency-ms': { type: 'string', default: '100' },
    repeat: { type: 'string', default: '5' },
    sweeps: { type: 'string', default: '100' },
    imports: { type: 'string', default: '15' },
    'period-s': { type: 'string', default: '5' },
    trials: { type: 'string', default: '3' },
    'propagation-s': { type: 'string', default: '3' },
    'page-seconds': { type: 'string', default: '60' },
    'cold-runs': { type: 'string', default: '5' },
    'page-loads': { type: 'string', default: '5' },
    baseline: { type: 'string' },
  },
});
const PARTS = ['cold', 'page'];
const unknown = positionals.filter((p) => !PARTS.includes(p));
if (unknown.length) {
  console.error(`unknown part ${unknown.join(', ')}: give none (every part) or one of ${PARTS.join(', ')}`);
  process.exit(2);
}
if (positionals.includes('cold')) {
  await (await import('./coldstart.ts')).coldStartBench(Number(opts['cold-runs']), opts.baseline);
  process.exit(0);
}
if (positionals.includes('page')) {
  await (await import('./page-render.ts')).benchPageRender(Number(opts['page-loads']));
  process.exit(0);
}
const LATENCY_MS = Number(opts['latency-ms']);

function runNode(args: string[], env: NodeJS.ProcessEnv, marker: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith(marker));
      if (!line) return reject(new Error(`${args.join(' ')} exited ${code}\n${stderr.slice(-2000)}`));
      resolve(JSON.parse(line.slice(marker.length)));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f1 = (n: number) => n.toFixed(1);

async function importMs(specifier: string): Promise<number> {
  const code = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write('\\n@@IMPORT@@' + (performance.now() - t) + '\\n');`;
  // Outside a Functions host the library prints test-mode warnings; the measurement is the import itself.
  return (await runNode(
    ['--input-type=module', '-e', code],
    { PATH: process.env.PATH },
    '@@IMPORT@@',
  )) as number;
}

const sb = await start('healthy');
try {
  const conn = sb.connection;
  for (const endpoint of ['keyVault', 'arm', 'blob'])
    await addFault(conn, { endpoint, kind: 'latency', ms: LATENCY_MS });
  console.log(
    `identity-probes benchmarks (sandbox, ${LATENCY_MS} ms latency on every Key Vault, ARM and Blob request; ` +
      `${availableParallelism()} CPUs shared by the app, the sandbox and Azurite)\n`,
  );

  // (a)
  const a = (await runNode(
    [join(root, 'bench', 'worker.ts'), 'sweep-vs-single', opts.repeat],
    childEnv(conn.appSettings),
    '@@BENCH@@',
  )) as {
    notOk: string[];
    single: Record<string, number>;
    sweepMs: number;
  };
  if (a.notOk.length) console.log(`  warning: warm-up results not ok: ${a.notOk.join(', ')}`);
  const [slowestProbe, slowestMs] = Object.entries(a.single).sort((x, y) => y[1] - x[1])[0];
  console.log('(a) full sweep vs slowest single probe (warm, median of', opts.repeat, 'runs)');
  console.log(`    slowest single probe: ${slowestProbe} ${f1(slowestMs)} ms`);
  console.log(`    full sweep (18 probes): ${f1(a.sweepMs)} ms`);
  console.log(`    ratio: ${(a.sweepMs / slowestMs).toFixed(2)} (target <= 1.3)\n`);

  // (b) a fresh process, so the count includes every first acquisition.
  await admin(conn, 'POST', '/_sandbox/counters/reset');
  const b = (await runNode(
    [join(root, 'bench', 'worker.ts'), 'sweeps', opts.sweeps],
    childEnv(conn.appSettings),
    '@@BENCH@@',
  )) as {
    sweeps: number;
    totalMs: number;
    notOk: number;
  };
  const counters = await admin<{
    tokenRequests: { total: number; byIdentityAudience: Record<string, number> };
  }>(conn, 'GET', '/_sandbox/counters');
  const pairs = Object.keys(counters.tokenRequests.byIdentityAudience).length;
  const identities = conn.identities.filter((i) => ['system', 'app', 'federated'].includes(i.key)).length;
  const perIdentity = identities * 3;
  // The three user-assigned selectors (client id, object id, resource id) reach one identity but are separate
  // msal-node cache entries, and each must fetch its own token to prove that selector works.
  const perSelector = 5 * 3;
  console.log(
    `(b) token requests over ${b.sweeps} consecutive sweeps (${f1(b.totalMs)} ms, ${b.notOk} results not ok)`,
  );
  console.log(
    `    token requests: ${counters.tokenRequests.total} across ${pairs} identity x audience pairs`,
  );
  for (const [k, n] of Object.entries(counters.tokenRequests.byIdentityAudience))
    console.log(`      ${k}: ${n}`);
  console.log(
    `    vs one per identity per audience (${perIdentity}): ${(counters.tokenRequests.total / perIdentity).toFixed(2)}`,
  );
  console.log(
    `    vs one per credential selector per audience (${perSelector}): ${(counters.tokenRequests.total / perSelector).toFixed(2)} (target 1.0)\n`,
  );

  // (b') timer runs: fresh tokens every run (docs/usage.md "Fresh tokens on every timer run").
  const timerRuns = 3;
  const tr = (await runNode(
    [join(root, 'bench', 'worker.ts'), 'timer-runs', String(timerRuns), conn.endpoints.admin],
    childEnv(conn.appSettings),
    '@@BENCH@@',
  )) as { runs: number; notOk: number };
  const tc = await admin<{ tokenRequests: { total: number } }>(conn, 'GET', '/_sandbox/counters');
  console.log(
    `(b') token requests per timer run of all six paths, steady state (${tr.runs} runs, ${tr.notOk} not ok)`,
  );
  console.log(
    `    ${(tc.tokenRequests.total / tr.runs).toFixed(1)} per run of all paths (one per path per audience: 18), ` +
      `${(tc.tokenRequests.total / tr.runs / 6).toFixed(1)} per path\n`,
  );

  // (c) alternate the two imports so machine noise hits both alike.
  const app: number[] = [];
  const unbundled: number[] = [];
  const lib: number[] = [];
  const entry = pathToFileURL(join(root, 'dist', 'app', 'index.js')).href;
  const unbundledEntry = pathToFileURL(join(root, 'dist', 'src', 'index.js')).href;
  const functionsLib = pathToFileURL(
    join(root, 'node_modules', '@azure', 'functions', 'dist', 'azure-functions.js'),
  ).href;
  for (let i = 0; i < Number(opts.imports); i++) {
    app.push(await importMs(entry));
    unbundled.push(await importMs(unbundledEntry));
    lib.push(await importMs(functionsLib));
  }
  console.log(`(c) import time (median of ${opts.imports} fresh processes)`);
  console.log(`    @azure/functions alone: ${f1(median(lib))} ms`);
  console.log(`    unbundled entry point (dist/src/index.js): ${f1(median(unbundled))} ms`);
  console.log(`    app entry point (the bundle, dist/app/index.js): ${f1(median(app))} ms`);
  console.log(
    `    difference: ${f1(median(app) - median(lib))} ms (ratio ${(median(app) / median(lib)).toFixed(2)})\n`,
  );

  // (d) without the injected latency: a timer run is then as fast as the app's own calls.
  await admin(conn, 'DELETE', '/_sandbox/faults');
  await printDetection(conn, {
    periodS: Number(opts['period-s']),
    trials: Number(opts.trials),
    propagationS: Number(opts['propagation-s']),
  });
} finally {
  await sb.close();
}

await (await import('./declaration.ts')).declarationBench(); // (i) declaration scale: bench/declaration.ts
const { benchStatusPage } = await import('./status-page.ts');
await benchStatusPage(Number(opts['page-seconds']));
console.log('');
await (await import('./blackhole.ts')).blackholeBench();
console.log('');
await (await import('./coldstart.ts')).coldStartBench(Number(opts['cold-runs']), opts.baseline);
console.log('');
await (await import('./page-render.ts')).benchPageRender(Number(opts['page-loads']));
