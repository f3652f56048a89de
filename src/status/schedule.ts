// The one staleness rule: how old a result (a cell's, or an identity's privileges check, which runs on the same
// timers) may be before the status stops vouching for it: two periods of the probe schedule (one missed run is
// tolerated) plus one probe deadline. The period is the longest gap between the schedule's next
// runs, read with croner, the NCRONTAB-compatible parser the dev host also uses (six fields, seconds first).
import { Cron } from 'croner';
import { DEFAULT_PROBE_TIMEOUT_MS } from '../config.ts';

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

/** The default schedule's period (5 minutes): also the period assumed for a schedule croner cannot read. */
const DEFAULT_PERIOD_MS = 5 * 60_000;

export function staleAfterMs(schedule: string, probeTimeoutMs: number): number {
  const key = `${schedule}|${probeTimeoutMs}`;
  let v = memo.get(key);
  if (v === undefined) {
    v = 2 * (schedulePeriodMs(schedule) ?? DEFAULT_PERIOD_MS) + probeTimeoutMs;
    memo.set(key, v);
  }
  return v;
}

/** Staleness under the default settings (PROBE_SCHEDULE every 5 minutes, PROBE_TIMEOUT_MS 10 s): 610 s. */
export const DEFAULT_STALE_AFTER_MS = 2 * DEFAULT_PERIOD_MS + DEFAULT_PROBE_TIMEOUT_MS;
