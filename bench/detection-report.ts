// Prints benchmark (d) (bench/detection.ts): per kind of break, each trial's time to the failing cell in
// /api/status and to the failed availability result at the ingestion endpoint, and the ratio to the period.
import type { SandboxConnection } from '../sandbox/connection.ts';
import { detectionBench } from './detection.ts';

const s1 = (ms: number | undefined) => (ms === undefined ? 'not seen' : `${(ms / 1000).toFixed(2)} s`);

export async function printDetection(
  conn: SandboxConnection,
  opts: { periodS: number; trials: number; propagationS: number },
): Promise<void> {
  console.log(
    `(d) detection latency: timers every ${opts.periodS} s (dev host), ${opts.trials} breaks per kind at random phases`,
  );
  const results = await detectionBench(conn, opts);
  let worst = 0;
  for (const { b, trials } of results) {
    console.log(`    ${b.name} -> cell ${b.cell}`);
    const ratios: number[] = [];
    for (const t of trials) {
      const detected = t.statusMs !== undefined && t.telemetryMs !== undefined;
      const ms = detected ? Math.max(t.statusMs!, t.telemetryMs!) : undefined;
      const ratio = ms === undefined ? Infinity : (ms - b.propagationS * 1000) / (opts.periodS * 1000);
      ratios.push(ratio);
      console.log(
        `      /api/status ${s1(t.statusMs)}, availability result ${s1(t.telemetryMs)}: ` +
          `(detection - propagation ${b.propagationS} s) / period = ${ratio.toFixed(2)}`,
      );
    }
    const max = Math.max(...ratios);
    worst = Math.max(worst, max);
    const mean = ratios.reduce((a, x) => a + x, 0) / ratios.length;
    console.log(`      mean ${mean.toFixed(2)}, max ${max.toFixed(2)}`);
  }
  console.log(
    `    worst ratio over all breaks: ${worst.toFixed(2)} (target <= 1.0 + the run's own duration)`,
  );
}
