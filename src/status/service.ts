// What the functions call: record a path's results, and read the status view. Reads are cached for
// STATUS_CACHE_MS with a single request in flight, so a flood of status requests costs at most one storage read
// per path per interval (docs/pain-points.md design cautions). When the store fails, probes still answer and the
// view reports the store as unreachable with the age of what this instance last saw; nothing here throws. Nothing
// here waits long either: a status read ends by PROBE_TIMEOUT_MS (store.ts), and a probe waits for its write only
// as long as its own budget allows (one PROBE_TIMEOUT_MS per answer, probe and write together); the write then goes
// on in the background, bounded, and its outcome shows in the view's store.writes.
import { getConfig, type Config } from '../config.ts';
import { PATH_IDS, TARGET_IDS, type PathId } from '../ids.ts';
import { sanitizer } from '../core/sanitize.ts';
import type { PrivilegesResult } from '../privileges/types.ts';
import type { PrivilegesRecord } from './privileges.ts';
import type { ProbeResult } from '../core/results.ts';
import { buildStatusView, type PathDocument, type StatusView, type StoreState } from './model.ts';
import { toPathDocument } from './cells.ts';
import { staleAfterMs } from './schedule.ts';
import { statusStore } from './store.ts';
import { CoalescingWriter } from './writer.ts';

export interface RecordOutcome {
  recorded: boolean;
  /** Not stored yet when the answer was due: the write goes on in the background (see /api/status store.writes). */
  pending?: boolean;
  error?: string;
  /** The cells written for these results, as one path document (streaks, time to green): telemetry reads
   *  transitions from it. */
  doc?: PathDocument;
}

/** A write that outlives a probe's answer goes on in the background for at most this many probe deadlines. */
export const WRITE_DEADLINE_FACTOR = 3;

/** The clock the status cache and "last seen" ages run on (tests hold it still or move it). */
export const statusClock = { now: (): number => Date.now() };

let lastSeen: { at: number; docs: Partial<Record<PathId, PathDocument | undefined>> } | undefined;
let cached: { at: number; view: StatusView } | undefined;
let inflight: Promise<StatusView> | undefined;
let writer: CoalescingWriter | undefined;

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; statusCode?: number; code?: string };
  const parts = [
    e?.name,
    e?.statusCode && `HTTP ${e.statusCode}`,
    e?.code,
    e?.message?.split('\n')[0],
  ].filter(Boolean);
  // Redact before cutting: a token cut in half no longer has the shape the sanitizer recognises.
  return sanitizer().text(parts.join(' ')).slice(0, 400);
}

/** How many of this instance's status writes are still under way (they end by their own deadline). */
export function pendingWrites(): number {
  return writer?.state.pending ?? 0;
}

function writes(config: Config): CoalescingWriter {
  writer ??= new CoalescingWriter(async (path, target, results) => {
    const store = await statusStore(config);
    const doc = await store.recordCell(path, target, results, WRITE_DEADLINE_FACTOR * config.probeTimeoutMs);
    cached = undefined; // this instance's next status read shows its own write
    return doc;
  }, describe);
  return writer;
}

/**
 * Persists one path's results. Never throws. Waits at most `budgetMs` (default: until the write ends, itself
 * bounded by WRITE_DEADLINE_FACTOR probe deadlines); a write still under way then continues in the background and
 * its outcome shows in the status view's `store.writes`. `onSettled` gets the outcome when the write ends, even
 * after the budget (telemetry reads transitions from its `doc`).
 */
export async function recordResults(
  path: PathId,
  results: ProbeResult[],
  config: Config = getConfig(),
  budgetMs?: number,
  onSettled?: (outcome: RecordOutcome) => void,
): Promise<RecordOutcome> {
  // `results` come from the probe runner, which sanitizes everything that leaves a probe.
  const write = writes(config)
    .record(results.filter((r) => r.path === path))
    .then(
      (cells): RecordOutcome => {
        const doc = toPathDocument(path, cells);
        return { recorded: true, ...(doc ? { doc } : {}) };
      },
      (err: unknown): RecordOutcome => ({ recorded: false, error: describe(err) }),
    );
  if (onSettled) void write.then(onSettled);
  if (budgetMs === undefined) return write;
  let timer: NodeJS.Timeout | undefined;
  const due = new Promise<RecordOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ recorded: false, pending: true }), Math.max(0, budgetMs));
  });
  return Promise.race([write, due]).finally(() => clearTimeout(timer));
}

function view(config: Config, docs: Partial<Record<PathId, PathDocument | undefined>>, store: StoreState) {
  const withWrites: StoreState = { ...store, ...(writer ? { writes: { ...writer.state } } : {}) };
  return buildStatusView(
    docs,
    withWrites,
    statusClock.now(),
    staleAfterMs(config.probeSchedule, config.probeTimeoutMs),
  );
}

/** Persists a privileges check in the document of the path that ran it. Never throws. */
export async function recordPrivileges(
  path: PathId,
  result: PrivilegesResult,
  config: Config = getConfig(),
): Promise<RecordOutcome & { privileges?: PrivilegesRecord }> {
  try {
    const store = await statusStore(config);
    const privileges = await store.recordPrivileges(path, result); // `result` is sanitized by the check
    cached = undefined;
    return { recorded: true, privileges };
  } catch (err) {
    return { recorded: false, error: describe(err) };
  }
}

async function load(config: Config): Promise<StatusView> {
  try {
    const store = await statusStore(config);
    const docs = await store.readAll(PATH_IDS, TARGET_IDS);
    lastSeen = { at: statusClock.now(), docs };
    return view(config, docs, { reachable: true, lastSeenAgeMs: 0 });
  } catch (err) {
    const now = statusClock.now();
    return view(config, lastSeen?.docs ?? {}, {
      reachable: false,
      error: describe(err),
      ...(lastSeen ? { lastSeenAgeMs: now - lastSeen.at } : {}),
    });
  }
}
/** The status view, from cache when younger than STATUS_CACHE_MS. Never throws. */
export function getStatus(config: Config = getConfig()): Promise<StatusView> {
  if (cached && statusClock.now() - cached.at < config.status.cacheMs) return Promise.resolve(cached.view);
  inflight ??= load(config)
    .then((view) => {
      // Failures are cached too: an unreachable store must not be hammered either.
      cached = { at: statusClock.now(), view: sanitizer().deep(view) };
      return cached.view;
    })
    .finally(() => {
      inflight = undefined;
    });
  return inflight;
}
