// Runs in a child process whose environment is the app's settings (managed-identity source, token caches and
// NODE_EXTRA_CA_CERTS are per process). Uses the built app (dist/, `prebench` builds it), prints one JSON line.
import type * as Config from '../src/config.ts';
import type * as Declaration from '../src/declaration/index.ts';
import type * as Ids from '../src/ids.ts';
import type * as Plans from '../src/core/plan.ts';
import type * as Runner from '../src/probes/runner.ts';
import type * as TimerRun from '../src/probes/timerRun.ts';

// The built modules, typed by their sources.
const dist = (p: string) => new URL(`../dist/src/${p}`, import.meta.url).href;
const { PATH_IDS, TARGET_IDS } = (await import(dist('ids.js'))) as typeof Ids;
const { ProbeRunner } = (await import(dist('probes/runner.js'))) as typeof Runner;
const { runTimerIdentity } = (await import(dist('probes/timerRun.js'))) as typeof TimerRun;
const { loadPlan } = (await import(dist('declaration/index.js'))) as typeof Declaration;
const { probeOf } = (await import(dist('core/plan.js'))) as typeof Plans;
const { loadConfig } = (await import(dist('config.js'))) as typeof Config;
// One runner for the process, as the app has (its credentials, clients and tokens stay warm between runs).
const runner = new ProbeRunner();
// The default declaration (the canary demo), as the app runs it.
const plan = await loadPlan(loadConfig());
const runProbe = (path: string, target: string) => runner.runProbe(plan, probeOf(plan, path, target)!);
const runSweep = () => runner.runSweep(plan);

type Mode = 'sweep-vs-single' | 'sweeps' | 'timer-runs';
const mode = process.argv[2] as Mode;
const repeat = Number(process.argv[3] ?? '5');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const value = await fn();
  return [performance.now() - started, value];
}

let out: unknown;
if (mode === 'sweep-vs-single') {
  // Warm up: credentials, clients and tokens, as in a running app.
  const warm = await runSweep();
  const notOk = warm.filter((r) => r.outcome !== 'ok');
  const single: Record<string, number> = {};
  for (const path of PATH_IDS)
    for (const target of TARGET_IDS) {
      const times: number[] = [];
      for (let i = 0; i < repeat; i++) times.push((await timed(() => runProbe(path, target)))[0]);
      single[`${path}/${target}`] = median(times);
    }
  const sweeps: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const [ms, results] = await timed(() => runSweep());
    if (results.some((r) => r.outcome !== 'ok')) throw new Error('a sweep result was not ok');
    sweeps.push(ms);
  }
  out = {
    notOk: notOk.map((r) => `${r.path}/${r.target}=${r.outcome}`),
    single,
    sweepMs: median(sweeps),
    sweeps,
  };
} else if (mode === 'timer-runs') {
  // Every path's timer run once to warm up, then the counters are reset (by the caller's admin URL) and `repeat`
  // more runs of every path are counted: token requests per timer run in steady state.
  const adminUrl = process.argv[4];
  const all = () => Promise.all(PATH_IDS.map((p) => runTimerIdentity(runner, plan, p)));
  await all();
  await fetch(`${adminUrl}/_sandbox/counters/reset`, { method: 'POST' });
  let notOk = 0;
  for (let i = 0; i < repeat; i++) notOk += (await all()).flat().filter((r) => r.outcome !== 'ok').length;
  out = { runs: repeat, notOk };
} else {
  let notOk = 0;
  const [ms] = await timed(async () => {
    for (let i = 0; i < repeat; i++) notOk += (await runSweep()).filter((r) => r.outcome !== 'ok').length;
  });
  out = { sweeps: repeat, totalMs: ms, notOk };
}
process.stdout.write(`\n@@BENCH@@${JSON.stringify(out)}\n`);
process.exit(0);
