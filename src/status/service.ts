// What the functions call: record a path's results, and read the status view. Reads are cached for
// STATUS_CACHE_MS with a single request in flight, so a flood of status requests costs at most one storage read
// per path per interval (docs/pain-points.md design cautions). When the store fails, probes still answer and the
// view reports the store as unreachable with the age of what this instance last saw; nothing here throws. Nothing
// here waits long either: each store operation ends by PROBE_TIMEOUT_MS (store.ts), so a hung identity endpoint
// or storage account delays a probe's answer, or the one status read in flight, by at most that.
import { getConfig, type Config } from '../config.ts';
import { PATH_IDS, type PathId } from '../ids.ts';
import { sanitizer } from '../probes/sanitize.ts';
import type { ProbeResult } from '../probes/types.ts';
import { buildStatusView, type PathDocument, type StatusView } from './model.ts';
import { statusStore } from './store.ts';

export interface RecordOutcome {
  recorded: boolean;
  error?: string;
  /** The path's document as written (streaks, time to green): telemetry reads transitions from it. */
  doc?: PathDocument;
}

/** The clock the status cache and "last seen" ages run on (tests hold it still or move it). */
export const statusClock = { now: (): number => Date.now() };

let lastSeen: { at: number; docs: Partial<Record<PathId, PathDocument | undefined>> } | undefined;
let cached: { at: number; view: StatusView } | undefined;
let inflight: Promise<StatusView> | undefined;

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

/** Persists one path's results. Never throws. */
export async function recordResults(
  path: PathId,
  results: ProbeResult[],
  config: Config = getConfig(),
): Promise<RecordOutcome> {
  try {
    const store = await statusStore(config);
    // `results` come from the probe runner, which sanitizes everything that leaves a probe.
    const doc = await store.record(path, results);
    cached = undefined; // this instance's next status read shows its own write
    return { recorded: true, doc };
  } catch (err) {
    return { recorded: false, error: describe(err) };
  }
}

async function load(config: Config): Promise<StatusView> {
  try {
    const store = await statusStore(config);
    const docs = await store.readAll(PATH_IDS);
    lastSeen = { at: statusClock.now(), docs };
    return buildStatusView(docs, { reachable: true, lastSeenAgeMs: 0 });
  } catch (err) {
    const now = statusClock.now();
    return buildStatusView(lastSeen?.docs ?? {}, {
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
