// Streaks and history, the one rule for both the cells (model.ts) and the privileges checks (privileges.ts), and
// for telemetry's transitions: since when an outcome holds, when it was last ok, how long the last failure lasted
// before it turned ok ("time to green": docs/pain-points.md P6, P11), and a bounded history.

/** How many entries a history keeps (a cell's, and a privileges check's). */
export const HISTORY_LIMIT = 20;

/** Where a run of equal outcomes stands. */
export interface Streak {
  /** When the current outcome started (first result of the current streak). */
  since: string;
  lastOkAt?: string;
  /** How long the last failure streak lasted before it turned ok ("time to green"). */
  timeToGreenMs?: number;
}

/** What a streak was before the next outcome: the outcome it held, and the streak itself. */
export interface Before extends Streak {
  outcome: string;
}

/** The streak after `outcome` at `at` follows `before` (absent: the first outcome), and the outcome it replaced. */
export function nextStreak(
  before: Before | undefined,
  outcome: string,
  at: string,
): Streak & { previous?: string } {
  const changed = before !== undefined && before.outcome !== outcome;
  const recovered = changed && outcome === 'ok';
  const lastOkAt = outcome === 'ok' ? at : before?.lastOkAt;
  const timeToGreenMs = recovered ? Date.parse(at) - Date.parse(before.since) : before?.timeToGreenMs;
  return {
    since: before && !changed ? before.since : at,
    ...(lastOkAt !== undefined ? { lastOkAt } : {}),
    ...(timeToGreenMs !== undefined ? { timeToGreenMs } : {}),
    ...(changed ? { previous: before.outcome } : {}),
  };
}

/** `history` with `entry` added, oldest first, the oldest dropped past `limit`. */
export function appendHistory<T extends { at: string }>(
  history: readonly T[] | undefined,
  entry: T,
  limit = HISTORY_LIMIT,
): T[] {
  return [...(history ?? []), entry].slice(-limit);
}
