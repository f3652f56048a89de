// How old the newest result may be before the status stops vouching for it: two periods of the probe schedule
// (one missed run is tolerated) plus one probe deadline. The period is the longest gap between the schedule's next
// runs, read with croner, the NCRONTAB-compatible parser the dev host also uses (six fields, seconds first).
import { Cron } from 'croner';
import { STALE_AFTER_MS } from './model.ts';

const memo = new Map<string, number>();

/** Longest gap between the next runs of `schedule`, in ms; undefined when croner cannot read it. */
export function schedulePeriodMs(schedule: string, from = new Date()): number | undefined {
  try {
    const runs = new Cron(schedule, { paused: true }).nextRuns(12, from);
    let gap = 0;
    for (let i = 1; i < runs.length; i++) gap = Math.max(gap, runs[i].getTime() - runs[i - 1].getTime());
    return gap > 0 ? gap : undefined;
  } catch {
    return undefined;
  }
}

export function staleAfterMs(schedule: string, probeTimeoutMs: number): number {
  const key = `${schedule}|${probeTimeoutMs}`;
  let v = memo.get(key);
  if (v === undefined) {
    const period = schedulePeriodMs(schedule);
    v = period === undefined ? STALE_AFTER_MS : 2 * period + probeTimeoutMs;
    memo.set(key, v);
  }
  return v;
}
