// The status model (pure): one document per identity path holding the latest result per target plus a bounded
// history (transitions, time to green: streak.ts), and the status view with its verdict.
import type { FederatedTokenStatus } from '../core/results.ts';
import type { DeclarationInfo, Expectation } from '../core/plan.ts';
import { PATH_IDS, TARGET_IDS, type OutcomeKind, type IdentityName, type ResourceName } from '../ids.ts';
import type { ProbeResult } from '../core/results.ts';
import { DEFAULT_STALE_AFTER_MS } from './schedule.ts';
import { HISTORY_LIMIT, nextStreak, type Streak } from './streak.ts';
import {
  identityViews,
  type IdentityView,
  type LeastPrivilegeVerdict,
  type Principals,
  type PrivilegesRecord,
} from './privileges.ts';

export interface HistoryEntry {
  at: string;
  outcome: OutcomeKind;
  totalMs: number;
  /** The result's record id (RecordedResult): two results with the same `at` stay two (absent in older documents). */
  id?: string;
}

/**
 * A result as the status store records it: with an id that is unique per result (the recording instance's random
 * id and a sequence number, status/service.ts), because `at` has millisecond precision and two instances can start
 * a probe of one cell in the same millisecond.
 */
export type RecordedResult = ProbeResult & { recordId?: string };

/** A cell: its latest result, its streak (streak.ts) and a bounded history. */
export interface TargetRecord extends Streak {
  latest: RecordedResult;
  history: HistoryEntry[];
}

export interface PathDocument {
  schema: 1;
  path: IdentityName;
  updatedAt: string;
  targets: Partial<Record<ResourceName, TargetRecord>>;
  federatedToken?: FederatedTokenStatus;
  /** The latest privileges check run with this path's credential (status/privileges.ts). */
  privileges?: PrivilegesRecord;
}

const time = (iso: string) => Date.parse(iso);

/** Entries without an id (documents written before ids) tell results apart by what they recorded. */
const entryKey = (h: HistoryEntry) => h.id ?? `${h.outcome}/${h.totalMs}`;

/** Time order, then id order: a total order, so that every writer folds equal times the same way. */
function byTimeThenId(a: HistoryEntry, b: HistoryEntry): number {
  const ka = entryKey(a);
  const kb = entryKey(b);
  return time(a.at) - time(b.at) || (ka < kb ? -1 : ka > kb ? 1 : 0);
}

const entryOf = (r: RecordedResult): HistoryEntry => ({
  at: r.at,
  outcome: r.outcome,
  totalMs: r.timings.totalMs,
  ...(r.recordId ? { id: r.recordId } : {}),
});

/** Results in the order they are folded: oldest first (equal times by record id). */
export function inOrder<R extends RecordedResult>(results: readonly R[]): R[] {
  return [...results].sort((a, b) => byTimeThenId(entryOf(a), entryOf(b)));
}

/** Folds new results into a path's document (a new object; `doc` is not modified). */
export function mergeResults(
  doc: PathDocument | undefined,
  path: IdentityName,
  results: RecordedResult[],
  now = new Date(),
): PathDocument {
  const next: PathDocument = {
    schema: 1,
    path,
    updatedAt: now.toISOString(),
    targets: { ...(doc?.targets ?? {}) },
    ...(doc?.federatedToken ? { federatedToken: doc.federatedToken } : {}),
    ...(doc?.privileges ? { privileges: doc.privileges } : {}),
  };
  for (const r of inOrder(results)) {
    if (r.path !== path) continue;
    const record = mergeRecord(next.targets[r.target], r);
    next.targets[r.target] = record;
    if (record.latest === r && r.federatedToken) next.federatedToken = r.federatedToken;
  }
  return next;
}

/**
 * Folds one result into its cell's record (a new object; `prev` is not modified): the one cell merge, used for a
 * path's document (mergeResults) and for the store's identity documents (document.ts).
 */
export function mergeRecord(prev: TargetRecord | undefined, r: RecordedResult): TargetRecord {
  const entry = entryOf(r);
  // Every result is kept: an entry is replaced only by the same result written again (same time and id, as when
  // a write is retried after it landed); equal times alone are two results (two instances, one millisecond).
  const history = [
    ...(prev?.history ?? []).filter((h) => h.at !== r.at || entryKey(h) !== entryKey(entry)),
    entry,
  ]
    .sort(byTimeThenId)
    .slice(-HISTORY_LIMIT);
  // Concurrent writers may land out of order: an older result joins the history but does not replace latest.
  // Nor does an ok on a cached token (HTTP probe) replace a fresh acquisition's failure while the app's cached
  // token still hides it (docs/usage.md "Fresh tokens on every timer run"): the cell stays failing until a fresh run.
  if (prev && (byTimeThenId(entryOf(prev.latest), entry) > 0 || masksFreshFailure(prev.latest, r)))
    return { ...prev, history };
  const { previous: _, ...streak } = nextStreak(
    prev && { ...prev, outcome: prev.latest.outcome },
    r.outcome,
    r.at,
  );
  return { latest: r, ...streak, history };
}

function masksFreshFailure(latest: ProbeResult, r: ProbeResult): boolean {
  const failsAt = latest.acquisition?.failsAt;
  return (
    r.outcome === 'ok' &&
    r.acquisition?.mode === 'cached' &&
    latest.outcome !== 'ok' &&
    failsAt !== undefined &&
    time(failsAt) > time(r.at)
  );
}

export type Verdict = 'ok' | 'degraded' | 'failing' | 'unknown';

/** A status cell: the latest result itself, plus its age and what the history says about it. */
export interface CellView extends ProbeResult, Omit<TargetRecord, 'latest'> {
  ageMs: number;
  stale: boolean;
}

/** This instance's status writes since it started (a write that outlives a probe's answer ends here). */
export interface WriteState {
  /** Results whose write is still under way (after the probe answered, it goes on in the background). */
  pending: number;
  recorded: number;
  failed: number;
  lastRecordedAt?: string;
  lastFailure?: { at: string; path: IdentityName; target: ResourceName; error: string };
}

export interface StoreState {
  /**
   * Whether this instance could read its results from the store: false when the store did not answer, refused, or
   * answered that the status container is not there (`containerMissing`). `error` says which.
   */
  reachable: boolean;
  /** The status container's name, when the store answered that it does not exist (writes fail until it does). */
  containerMissing?: string;
  writes?: WriteState;
  /** Age of the newest data this instance read from the store (absent when it never read any). */
  lastSeenAgeMs?: number;
  error?: string;
}

export interface StatusView {
  status: Verdict;
  /** Why the verdict is not what the cells alone say (store unreadable, newest result too old). */
  reasons: string[];
  generatedAt: string;
  /** Age of the newest result of any cell (absent when there is none). */
  newestResultAgeMs?: number;
  /** A cell, and the newest result, count as stale after this (from the probe schedule). */
  staleAfterMs: number;
  store: StoreState;
  counts: { ok: number; failing: number; unknown: number; total: number };
  /** Which declaration runs (its name, version, source and problems). */
  declaration?: DeclarationInfo;
  /** Every declared cell, in declaration order (a cell without a result is unknown). */
  cells: DeclaredCell[];
  paths: Record<
    IdentityName,
    { targets: Record<ResourceName, CellView>; federatedToken?: FederatedTokenStatus }
  >;
  /** Per identity, beside the cells: its latest privileges check (least privilege, not availability). */
  identities: Record<string, IdentityView>;
  leastPrivilege: LeastPrivilegeVerdict;
}

/** One declared probe as the status lists it. */
export interface DeclaredCell {
  identity: IdentityName;
  resource: ResourceName;
  probe: string;
  expect: Expectation;
}

/** What the status shows: the declared cells and the declaration they come from. */
export interface StatusLayout {
  cells: DeclaredCell[];
  declaration?: DeclarationInfo;
  /** The principals whose privileges checks are shown (privileges/declared.ts principalsOf; the catalog's without). */
  principals?: Principals;
}

/** The canary demo's cells (every catalog path x target), for callers that have no plan. */
export const CANARY_LAYOUT: StatusLayout = {
  cells: PATH_IDS.flatMap((identity) =>
    TARGET_IDS.map((resource) => ({
      identity,
      resource,
      probe: `${identity}/${resource}`,
      expect: 'allowed' as const,
    })),
  ),
};

/**
 * ok: every path x target has a fresh ok result. failing: results exist and none is ok. unknown: no fresh result
 * at all. degraded: anything in between (some failing, stale or never run).
 */
export function verdict(counts: StatusView['counts']): Verdict {
  if (counts.ok + counts.failing === 0) return 'unknown';
  if (counts.ok === counts.total) return 'ok';
  if (counts.ok === 0) return 'failing';
  return 'degraded';
}

/**
 * The cells' verdict, made honest: a store that cannot be read, or a newest result older than the schedule allows,
 * turns `ok` into `degraded` (the cells may look fine only because nothing new can be seen); a missing status
 * container turns `unknown` into `degraded` too.
 */
export function honestVerdict(
  cells: Verdict,
  store: StoreState,
  newestAgeMs: number | undefined,
  staleAfterMs: number,
): { status: Verdict; reasons: string[] } {
  const reasons: string[] = [];
  if (store.containerMissing)
    reasons.push(
      `status container "${store.containerMissing}" not found, so no result can be read or recorded`,
    );
  else if (!store.reachable) reasons.push(`status store unreachable: ${store.error ?? 'no answer'}`);
  if (newestAgeMs !== undefined && newestAgeMs > staleAfterMs)
    reasons.push(
      `newest result is ${Math.round(newestAgeMs / 1000)} s old (stale after ${staleAfterMs / 1000} s)`,
    );
  // A missing container is a known fault of the app's own setup, not "no data yet": degraded even with no result.
  if (store.containerMissing && (cells === 'ok' || cells === 'unknown'))
    return { status: 'degraded', reasons };
  return { status: cells === 'ok' && reasons.length ? 'degraded' : cells, reasons };
}

export function buildStatusView(
  docs: Partial<Record<IdentityName, PathDocument | undefined>>,
  store: StoreState,
  now = Date.now(),
  staleAfterMs = DEFAULT_STALE_AFTER_MS,
  layout: StatusLayout = CANARY_LAYOUT,
): StatusView {
  let newest: number | undefined;
  const counts = { ok: 0, failing: 0, unknown: 0, total: layout.cells.length };
  const paths = {} as StatusView['paths'];
  for (const cell of layout.cells) {
    const { identity: path, resource: target } = cell;
    const doc = docs[path];
    paths[path] ??= { targets: {}, ...(doc?.federatedToken ? { federatedToken: doc.federatedToken } : {}) };
    const rec = doc?.targets?.[target];
    if (!rec) {
      counts.unknown++;
      continue;
    }
    const { latest, ...streak } = rec;
    const ageMs = Math.max(0, now - time(latest.at));
    newest = newest === undefined ? ageMs : Math.min(newest, ageMs);
    const stale = ageMs > staleAfterMs;
    if (stale) counts.unknown++;
    else if (latest.outcome === 'ok') counts.ok++;
    else counts.failing++;
    paths[path].targets[target] = { ...latest, ageMs, stale, ...streak };
  }
  const honest = honestVerdict(verdict(counts), store, newest, staleAfterMs);
  let { status } = honest;
  const reasons = [...honest.reasons];
  // A declaration with entries left out: the cells may all be fine, but not everything declared is probed.
  const d = layout.declaration;
  if (d && !d.complete) {
    reasons.push(
      `declaration ${d.name} is not fully configured: ${d.problems.length} problem(s), listed in /api/status declaration.problems`,
    );
    if (status === 'ok') status = 'degraded';
  }
  return {
    status,
    reasons,
    generatedAt: new Date(now).toISOString(),
    ...(newest !== undefined ? { newestResultAgeMs: newest } : {}),
    staleAfterMs,
    store,
    counts,
    ...(layout.declaration ? { declaration: layout.declaration } : {}),
    cells: layout.cells,
    paths,
    ...identityViews(docs, now, staleAfterMs, layout.principals),
  };
}
