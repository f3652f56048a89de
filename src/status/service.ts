// The status service: record a path's results and privileges checks, and read the status view. One per app, built
// by the composition root (orchestration/app.ts), which hands it the clock the status ages run on. Reads are cached
// for STATUS_CACHE_MS with a single request in flight, so a flood of status requests costs at most one storage read
// (one request per declared identity, store.ts) per interval (docs/pain-points.md design cautions). When the store
// fails, probes still answer and the view reports the store as unreachable with the age of what this instance last
// saw; nothing here throws. Nothing here waits long either: a status read ends by PROBE_TIMEOUT_MS (store.ts), and a
// probe waits for its write only as long as its own budget allows (one PROBE_TIMEOUT_MS per answer, probe and write
// together); the write then goes on in the background, bounded, and its outcome shows in the view's store.writes.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Plan } from '../core/plan.ts';
import type { IdentityName, ResourceName } from '../ids.ts';
import { sanitizer } from '../core/sanitize.ts';
import type { PrivilegesResult } from '../privileges/types.ts';
import type { PrivilegesRecord } from './privileges.ts';
import type { ProbeResult } from '../core/results.ts';
import {
  buildStatusView,
  type PathDocument,
  type RecordedResult,
  CANARY_LAYOUT,
  type StatusLayout,
  type StatusView,
  type StoreState,
} from './model.ts';
import { toPathDocument, type IdentityDocument } from './document.ts';
import { staleAfterMs } from './schedule.ts';
import { openStatusStore, StatusContainerMissingError, type StatusStore } from './store.ts';
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

/** This process's id in the record ids of its results: random, so that no two instances share one. */
const INSTANCE = randomBytes(6).toString('base64url');
let recordSeq = 0;

/** Each result with its record id (instance + sequence): equal `at` values of two instances stay two results. */
function stamped(results: ProbeResult[]): RecordedResult[] {
  return results.map((r) => ({ ...r, recordId: `${INSTANCE}-${(++recordSeq).toString(36)}` }));
}

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

export class StatusService {
  readonly #config: Config;
  /** The clock the status cache and "last seen" ages run on. */
  readonly #now: () => number;
  /** The store, built on first use, and built again after a token request hung (store.ts). */
  #store: Promise<StatusStore> | undefined;
  #lastSeen: { at: number; docs: Partial<Record<IdentityName, PathDocument | undefined>> } | undefined;
  #cached: { at: number; view: StatusView } | undefined;
  #inflight: Promise<StatusView> | undefined;
  readonly #writer: CoalescingWriter;
  /** Whether this instance has written results (the view shows its writes from then on). */
  #wrote = false;

  /** The plan whose cells the status shows (absent: the canary demo's). */
  readonly #plan: (() => Promise<Plan>) | undefined;

  constructor(config: Config, now: () => number = Date.now, plan?: () => Promise<Plan>) {
    this.#config = config;
    this.#now = now;
    this.#plan = plan;
    this.#writer = new CoalescingWriter(async (path, results) => {
      const store = await this.store();
      const doc = await store.recordResults(path, results, WRITE_DEADLINE_FACTOR * config.probeTimeoutMs);
      this.#cached = undefined; // this instance's next status read shows its own write
      return doc;
    }, describe);
  }

  /** The status store's client, built once with the status identity (STATUS_CLIENT_ID or system). */
  store(): Promise<StatusStore> {
    if (!this.#store) {
      // Forgotten after a token request hung, so that the next operation builds a fresh credential and client.
      const built: Promise<StatusStore> = openStatusStore(this.#config, () => {
        if (this.#store === built) this.#store = undefined;
      });
      built.catch(() => {}); // every caller awaits it; this only avoids an unhandled-rejection warning
      this.#store = built;
    }
    return this.#store;
  }

  /** How many of this instance's status writes are still under way (they end by their own deadline). */
  get pendingWrites(): number {
    return this.#writer.state.pending;
  }

  /**
   * Persists one path's results. Never throws. Waits at most `budgetMs` (default: until the write ends, itself
   * bounded by WRITE_DEADLINE_FACTOR probe deadlines); a write still under way then continues in the background and
   * its outcome shows in the status view's `store.writes`. `onSettled` gets the outcome when the write ends, even
   * after the budget (telemetry reads transitions from its `doc`).
   */
  async recordResults(
    path: IdentityName,
    results: ProbeResult[],
    budgetMs?: number,
    onSettled?: (outcome: RecordOutcome) => void,
  ): Promise<RecordOutcome> {
    // `results` come from the probe runner, which sanitizes everything that leaves a probe.
    this.#wrote = true;
    const write = this.#writer.record(stamped(results.filter((r) => r.path === path))).then(
      (docs): RecordOutcome => {
        // Every result of one identity is in one write; several writes: the last one landed holds them all.
        const newest = docs.reduce<IdentityDocument | undefined>(
          (a, d) => (!a || Date.parse(d.updatedAt) >= Date.parse(a.updatedAt) ? d : a),
          undefined,
        );
        return { recorded: true, ...(newest ? { doc: toPathDocument(newest) } : {}) };
      },
      (err: unknown): RecordOutcome => ({ recorded: false, error: describe(err) }),
    );
    if (onSettled) void write.then(onSettled);
    if (budgetMs === undefined) return write;
    // No time left: answer now, without a turn of the event loop that a busy process may make long.
    if (budgetMs <= 0) return { recorded: false, pending: true };
    let timer: NodeJS.Timeout | undefined;
    const due = new Promise<RecordOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ recorded: false, pending: true }), budgetMs);
    });
    return Promise.race([write, due]).finally(() => clearTimeout(timer));
  }

  /** Persists a privileges check in the document of the path that ran it. Never throws. */
  async recordPrivileges(
    path: IdentityName,
    result: PrivilegesResult,
  ): Promise<RecordOutcome & { privileges?: PrivilegesRecord }> {
    try {
      const store = await this.store();
      const privileges = await store.recordPrivileges(path, result); // `result` is sanitized by the check
      this.#cached = undefined;
      return { recorded: true, privileges };
    } catch (err) {
      return { recorded: false, error: describe(err) };
    }
  }

  /**
   * The status view, from cache when younger than STATUS_CACHE_MS. Never throws. `readBy` (epoch ms, wall clock):
   * when a read must have ended, for an answer that is due (default: one PROBE_TIMEOUT_MS from now). A read already
   * in flight is shared: it started earlier, so it ends earlier too.
   */
  getStatus(readBy = Date.now() + this.#config.probeTimeoutMs): Promise<StatusView> {
    if (this.#cached && this.#now() - this.#cached.at < this.#config.status.cacheMs)
      return Promise.resolve(this.#cached.view);
    this.#inflight ??= this.#load(readBy)
      .then((view) => {
        // Failures are cached too: an unreachable store must not be hammered either.
        this.#cached = { at: this.#now(), view: sanitizer().deep(view) };
        return this.#cached.view;
      })
      .finally(() => {
        this.#inflight = undefined;
      });
    return this.#inflight;
  }

  #view(
    docs: Partial<Record<IdentityName, PathDocument | undefined>>,
    store: StoreState,
    layout: StatusLayout,
  ): StatusView {
    const withWrites: StoreState = {
      ...store,
      ...(this.#wrote ? { writes: { ...this.#writer.state } } : {}),
    };
    return buildStatusView(
      docs,
      withWrites,
      this.#now(),
      staleAfterMs(this.#config.probeSchedule, this.#config.probeTimeoutMs),
      layout,
    );
  }

  /** The declared cells and the declaration, from the plan (the canary demo's without one). */
  async #layout(): Promise<StatusLayout> {
    if (!this.#plan) return CANARY_LAYOUT;
    const [plan, { principalsOf }] = await Promise.all([this.#plan(), import('../privileges/declared.ts')]);
    return {
      cells: plan.probes.map((p) => ({
        identity: p.identity,
        resource: p.resource,
        probe: p.id,
        expect: p.expect,
      })),
      declaration: plan.declaration,
      // Each principal's check, under its declared names (the user-assigned identity's four, checked once).
      principals: principalsOf(plan, this.#config),
    };
  }

  async #load(readBy: number): Promise<StatusView> {
    const layout = await this.#layout();
    // Each declared identity with its declared resources: one store request per identity.
    const resourcesOf: Record<IdentityName, ResourceName[]> = {};
    for (const c of layout.cells) (resourcesOf[c.identity] ??= []).push(c.resource);
    try {
      const store = await this.store();
      const docs = await store.readAll(resourcesOf, readBy - Date.now());
      this.#lastSeen = { at: this.#now(), docs };
      return this.#view(docs, { reachable: true, lastSeenAgeMs: 0 }, layout);
    } catch (err) {
      const now = this.#now();
      return this.#view(
        this.#lastSeen?.docs ?? {},
        {
          reachable: false,
          ...(err instanceof StatusContainerMissingError ? { containerMissing: err.container } : {}),
          error: describe(err),
          ...(this.#lastSeen ? { lastSeenAgeMs: now - this.#lastSeen.at } : {}),
        },
        layout,
      );
    }
  }
}
