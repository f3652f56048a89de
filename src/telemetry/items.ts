// What a probe result becomes in Application Insights (pure): one availability result per path x target (test name
// "<path>/<target>"), and an event per transition of a cell (ok -> failing, failing -> ok with time to green).
import type { IdentityName, ResourceName } from '../ids.ts';
import type { ProbeResult } from '../core/results.ts';
import type { PathDocument } from '../status/model.ts';

export interface AvailabilityItem {
  id: string;
  name: string;
  duration: number;
  success: boolean;
  runLocation: string;
  message: string;
  time: Date;
  properties: Record<string, string>;
}

export interface TransitionItem {
  name: 'ProbeCellTransition';
  time: Date;
  properties: Record<string, string>;
}

export const testName = (path: IdentityName, target: ResourceName) => `${path}/${target}`;

/** Facts about a cell's streak, from the status document when it was written (undefined when the store failed). */
export interface Streak {
  since?: string;
  timeToGreenMs?: number;
  /** The outcome before this result, when this result changed it. */
  previous?: string;
}

/**
 * The cell as the status shows it after `r` was recorded: usually `r` itself; the earlier fresh failure when `r` is
 * an ok on a cached token that the fresh failure outranks (status/model.ts). Availability results report that, so
 * Application Insights and /api/status never disagree.
 */
export function effectiveResult(doc: PathDocument | undefined, r: ProbeResult): ProbeResult {
  const latest = doc?.targets?.[r.target]?.latest;
  return latest && latest.at !== r.at && latest.outcome !== 'ok' && latest.acquisition?.failsAt ? latest : r;
}

export function streakOf(doc: PathDocument | undefined, r: ProbeResult): Streak {
  const rec = doc?.targets?.[r.target];
  if (!rec) return {};
  if (rec.latest.at !== r.at) return { since: rec.since };
  const before = rec.history.filter((h) => h.at < r.at).at(-1);
  const changed = rec.since === r.at && before !== undefined && before.outcome !== r.outcome;
  return {
    since: rec.since,
    ...(changed && r.outcome === 'ok' && rec.timeToGreenMs !== undefined
      ? { timeToGreenMs: rec.timeToGreenMs }
      : {}),
    ...(changed ? { previous: before.outcome } : {}),
  };
}

const MAX_MESSAGE = 1000;

export function availabilityOf(
  r: ProbeResult,
  streak: Streak,
  runLocation: string,
  runId: string,
  at: string = r.at,
): AvailabilityItem {
  const summary = r.remediation?.summary;
  const message = r.outcome === 'ok' ? 'ok' : `${r.outcome}${summary ? `: ${summary}` : ''}`;
  const properties: Record<string, string> = {
    path: r.path,
    target: r.target,
    outcome: r.outcome,
    ...(r.identity?.oid ? { attestedOid: r.identity.oid } : {}),
    ...(streak.since ? { since: streak.since } : {}),
    ...(streak.timeToGreenMs !== undefined ? { timeToGreenMs: String(streak.timeToGreenMs) } : {}),
    ...(r.acquisition ? { tokenAcquisition: r.acquisition.mode } : {}),
    ...(r.acquisition?.failsAt ? { failsAt: r.acquisition.failsAt } : {}),
    ...(r.remediation?.command ? { remediationCommand: r.remediation.command } : {}),
  };
  return {
    id: runId,
    name: testName(r.path, r.target),
    duration: Math.max(1, r.timings.totalMs),
    success: r.outcome === 'ok',
    runLocation,
    message: message.slice(0, MAX_MESSAGE),
    time: new Date(at),
    properties,
  };
}

export function transitionOf(r: ProbeResult, streak: Streak): TransitionItem | undefined {
  if (!streak.previous) return undefined;
  const wasOk = streak.previous === 'ok';
  const isOk = r.outcome === 'ok';
  return {
    name: 'ProbeCellTransition',
    time: new Date(r.at),
    properties: {
      test: testName(r.path, r.target),
      path: r.path,
      target: r.target,
      from: streak.previous,
      to: r.outcome,
      direction: isOk ? 'recovered' : wasOk ? 'failing' : 'changed',
      ...(streak.timeToGreenMs !== undefined ? { timeToGreenMs: String(streak.timeToGreenMs) } : {}),
      ...(r.identity?.oid ? { attestedOid: r.identity.oid } : {}),
    },
  };
}
