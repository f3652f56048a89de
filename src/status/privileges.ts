// The privileges checks in the status documents and view (docs/privileges.md): a check's result is kept in the
// document of the path whose credential ran it (no extra blob, no extra read), with its streak and a short history
// (streak.ts), stale by the same rule as the cells (schedule.ts: the checks run on the probes' timers);
// the view shows one entry per identity, the newest among its paths, beside the path x target cells.
import type { IdentityName } from '../ids.ts';
import { IDENTITY_KEYS, PATHS_OF_IDENTITY } from '../privileges/catalog.ts';
import type { PrivilegesResult } from '../privileges/types.ts';
import { DEFAULT_STALE_AFTER_MS } from './schedule.ts';
import { appendHistory, nextStreak } from './streak.ts';

export interface PrivilegesRecord {
  latest: PrivilegesResult;
  /** When the current outcome started. */
  since: string;
  history: Array<{ at: string; outcome: PrivilegesResult['outcome']; armRequests: number }>;
}

export interface IdentityView {
  paths: readonly IdentityName[];
  privileges?: PrivilegesRecord & { ageMs: number; stale: boolean };
}

/** 'ok': every identity's fresh check is clean; 'over-privileged': any is; 'unknown': a check is missing or stale. */
export type LeastPrivilegeVerdict = 'ok' | 'over-privileged' | 'failing' | 'unknown';

const time = (iso: string) => Date.parse(iso);

export function mergePrivileges(prev: PrivilegesRecord | undefined, r: PrivilegesResult): PrivilegesRecord {
  if (prev && time(prev.latest.at) > time(r.at)) return prev; // a late writer never replaces a newer check
  const entry = { at: r.at, outcome: r.outcome, armRequests: r.armRequests };
  return {
    latest: r,
    since: nextStreak(prev && { ...prev, outcome: prev.latest.outcome }, r.outcome, r.at).since,
    history: appendHistory(prev?.history, entry),
  };
}

/** The principals whose checks the view shows, each with its declared names (the catalog's without a plan). */
export type Principals = ReadonlyArray<{ key: string; paths: readonly IdentityName[] }>;

const CATALOG_PRINCIPALS: Principals = IDENTITY_KEYS.map((key) => ({ key, paths: PATHS_OF_IDENTITY[key] }));

export function identityViews(
  docs: Partial<Record<IdentityName, { privileges?: PrivilegesRecord } | undefined>>,
  now: number,
  staleAfterMs = DEFAULT_STALE_AFTER_MS,
  principals: Principals = CATALOG_PRINCIPALS,
): { identities: Record<string, IdentityView>; leastPrivilege: LeastPrivilegeVerdict } {
  const identities = {} as Record<string, IdentityView>;
  const outcomes: Array<string | undefined> = [];
  for (const { key, paths } of principals) {
    const newest = paths
      .map((p) => docs[p]?.privileges)
      .filter((x): x is PrivilegesRecord => x !== undefined)
      .sort((a, b) => time(b.latest.at) - time(a.latest.at))[0];
    if (!newest) {
      identities[key] = { paths };
      outcomes.push(undefined);
      continue;
    }
    const ageMs = Math.max(0, now - time(newest.latest.at));
    const stale = ageMs > staleAfterMs;
    identities[key] = { paths, privileges: { ...newest, ageMs, stale } };
    outcomes.push(stale ? undefined : newest.latest.outcome);
  }
  const leastPrivilege: LeastPrivilegeVerdict = outcomes.includes('over-privileged')
    ? 'over-privileged'
    : outcomes.includes(undefined)
      ? 'unknown'
      : outcomes.every((o) => o === 'ok')
        ? 'ok'
        : 'failing';
  return { identities, leastPrivilege };
}
