// Timer triggers on NCRONTAB schedules, evaluated by croner (docs/host-notes.md B.4 "Timer trigger"):
// six fields with seconds first (five fields also accepted, as CronSchedule.HasSeconds allows); day-of-month and
// day-of-week combine with AND as NCrontab does (croner legacyMode: false); UTC unless WEBSITE_TIME_ZONE or TZ is
// set. The payload is the host's TimerInfo JSON in PascalCase; the library camelCases it for the handler.
import { Cron } from 'croner';
import type { FunctionSpec } from './loadApp.ts';
import { hostLog } from './logger.ts';
import { StartupError } from './settings.ts';

const NEVER = '0001-01-01T00:00:00';

export interface TimerPayload {
  Schedule: { AdjustForDST: boolean };
  ScheduleStatus: { Last: string; Next: string; LastUpdated: string } | null;
  IsPastDue: boolean;
}

interface TimerState {
  spec: FunctionSpec;
  cron: Cron;
  monitor: boolean;
  last: string;
  lastUpdated: string;
  chain: Promise<void>;
  running: boolean;
  handle?: unknown;
}

/** The time and timers schedules run on: the real ones, or a clock a test moves. */
export interface TimerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_CLOCK: TimerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer wait is taken in steps. */
const MAX_WAIT_MS = 2 ** 31 - 1;

function iso(d: Date | null): string {
  return d ? d.toISOString().replace(/\.000Z$/, 'Z') : NEVER;
}

export function timeZone(env: NodeJS.ProcessEnv = process.env): string {
  return env.WEBSITE_TIME_ZONE || env.TZ || 'UTC';
}

/** Parses an NCRONTAB expression with croner, rejecting croner-only syntax NCrontab does not know. */
export function parseSchedule(expr: string, tz: string): Cron {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 6 && fields.length !== 5) {
    throw new StartupError(
      `"${expr}" is not an NCRONTAB expression: expected 6 fields (second minute hour day month day-of-week)`,
    );
  }
  if (/[?#]|\bL\b|\dW\b|\bLW\b/i.test(expr)) {
    throw new StartupError(`"${expr}" uses cron syntax (?, L, W, #) that NCRONTAB does not support`);
  }
  try {
    return new Cron(expr, { timezone: tz, legacyMode: false, paused: true });
  } catch (err) {
    throw new StartupError(`"${expr}" is not a valid NCRONTAB expression: ${(err as Error).message}`);
  }
}

export class TimerScheduler {
  #timers = new Map<string, TimerState>();
  #run: (spec: FunctionSpec, payload: TimerPayload, reason: string) => Promise<void>;
  #stopped = false;
  readonly #clock: TimerClock;

  /** Validates every schedule (throws StartupError) but starts nothing yet. */
  constructor(
    specs: FunctionSpec[],
    run: (spec: FunctionSpec, payload: TimerPayload, reason: string) => Promise<void>,
    tz = timeZone(),
    clock: TimerClock = REAL_CLOCK,
  ) {
    this.#run = run;
    this.#clock = clock;
    const problems: string[] = [];
    for (const spec of specs) {
      if (!spec.timer || spec.disabled) continue;
      try {
        const cron = parseSchedule(spec.timer.schedule, tz);
        // useMonitor is forced off when more than one occurrence falls in the next minute
        // (TimerSchedule.Create, "disable persistence"); then ScheduleStatus is null.
        const runs = cron.nextRuns(2, this.#date());
        const subMinute = runs.length === 2 && runs[1].getTime() - this.#clock.now() <= 60_000;
        this.#timers.set(spec.name, {
          spec,
          cron,
          monitor: spec.timer.useMonitor && !subMinute,
          last: NEVER,
          lastUpdated: NEVER,
          chain: Promise.resolve(),
          running: false,
        });
      } catch (err) {
        problems.push(`function "${spec.name}": ${(err as Error).message}`);
      }
    }
    if (problems.length > 0)
      throw new StartupError(`Invalid timer schedule:\n  - ${problems.join('\n  - ')}`);
  }

  describe(name: string): string {
    const t = this.#timers.get(name);
    if (!t) return '';
    return `${t.spec.timer?.schedule} (next ${iso(t.cron.nextRun(this.#date()))})`;
  }

  payload(name: string, isPastDue = false): TimerPayload {
    const t = this.#timers.get(name);
    return {
      Schedule: { AdjustForDST: true },
      ScheduleStatus:
        t && t.monitor
          ? { Last: t.last, Next: iso(t.cron.nextRun(this.#date())), LastUpdated: t.lastUpdated }
          : null,
      IsPastDue: isPastDue,
    };
  }

  /** Starts the schedules and the runOnStartup invocations. */
  start(): void {
    for (const t of this.#timers.values()) {
      this.#arm(t);
      if (t.spec.timer?.runOnStartup) this.#enqueue(t, true, 'Timer fired at startup (runOnStartup)');
    }
  }

  #date(): Date {
    return new Date(this.#clock.now());
  }

  /** Waits on the clock for the next occurrence, fires it, and arms the one after. */
  #arm(t: TimerState): void {
    if (this.#stopped) return;
    const next = t.cron.nextRun(this.#date());
    if (!next) return;
    const wait = next.getTime() - this.#clock.now();
    t.handle = this.#clock.setTimeout(
      () => {
        if (this.#clock.now() >= next.getTime()) this.#fire(t);
        this.#arm(t);
      },
      Math.min(Math.max(0, wait), MAX_WAIT_MS),
    );
  }

  #fire(t: TimerState): void {
    // No overlap (TimerListener _invocationLock): an occurrence that falls during a run is not queued.
    if (t.running) {
      hostLog('warning', `Timer "${t.spec.name}": occurrence skipped, the previous run is still in progress`);
      return;
    }
    void this.#enqueue(t, true, 'Timer fired');
  }

  /** Runs a timer now, as `POST /admin/functions/{name}` does: IsPastDue false plus the current status. */
  invokeNow(name: string): Promise<void> {
    const t = this.#timers.get(name);
    if (!t) return Promise.reject(new Error(`no timer named ${name}`));
    return this.#enqueue(t, false, 'This function was programmatically called via the host APIs.');
  }

  #enqueue(t: TimerState, updatesStatus: boolean, reason: string): Promise<void> {
    const run = async () => {
      if (this.#stopped) return;
      t.running = true;
      const startedAt = this.#date();
      try {
        // A failed run is not retried; the next occurrence comes as scheduled (timer doc, "Retry behavior").
        await this.#run(t.spec, this.payload(t.spec.name), reason);
      } catch {
        // Already logged by the runner.
      } finally {
        t.running = false;
        if (updatesStatus && t.monitor) {
          t.last = iso(startedAt);
          t.lastUpdated = iso(this.#date());
        }
      }
    };
    t.chain = t.chain.then(run);
    return t.chain;
  }

  /** Stops scheduling and waits for runs in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers.values()) {
      if (t.handle !== undefined) this.#clock.clearTimeout(t.handle);
      t.cron.stop();
    }
    await Promise.all([...this.#timers.values()].map((t) => t.chain));
  }
}
