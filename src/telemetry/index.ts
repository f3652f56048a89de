// Reports probe results to Application Insights when APPLICATIONINSIGHTS_CONNECTION_STRING is set (README
// "Availability results in Application Insights"). report() returns at once and never throws: sending never delays
// or fails a probe; whether it works is shown in /api/status (health.ts).
import { randomUUID } from 'node:crypto';
import { getConfig, type Config } from '../config.ts';
import { sanitizer } from '../core/sanitize.ts';
import type { ProbeResult } from '../core/results.ts';
import type { PrivilegesResult } from '../privileges/types.ts';
import type { PathDocument } from '../status/model.ts';
import type { PrivilegesRecord } from '../status/privileges.ts';
import { nextStreak } from '../status/streak.ts';
import type { Sender } from './client.ts';
import { countTracked, markConfigured, sendFailed, telemetryHealth, type TelemetryHealth } from './health.ts';
import { availabilityOf, effectiveResult, streakOf, transitionOf, type Streak } from './items.ts';
import { privilegesAvailabilityOf, privilegesTransitionOf } from './privilegeItems.ts';

export type { TelemetryHealth } from './health.ts';

let sender: Promise<Sender> | undefined;
/**
 * Opens when the sender may be built. Open from the start, except in a host that calls deferStart() at app start:
 * then results are queued until start() (after the first answer, functions/warmup.ts), so that loading the library
 * (several hundred milliseconds of CPU) never delays an answer, and nothing reported meanwhile is lost.
 */
let gate: Promise<void> = Promise.resolve();
let openGate: (() => void) | undefined;
/** Last outcome per cell seen by this instance: transitions when the status store could not be read. */
const lastSeen = new Map<string, { outcome: string; since: string }>();

function senderFor(config: Config): Promise<Sender> | undefined {
  const t = config.telemetry;
  if (!t.connectionString) return undefined;
  if (t.problem || !t.clientId) {
    markConfigured(t.problem ?? 'no Entra identity for telemetry');
    return undefined;
  }
  if (!sender) {
    markConfigured();
    // Statsbeat (the library's own usage statistics) goes to Microsoft-owned endpoints, not to this component:
    // this app sends only its own results (https://learn.microsoft.com/azure/azure-monitor/app/statsbeat).
    process.env.APPLICATIONINSIGHTS_STATSBEAT_DISABLED ??= 'true';
    process.env.APPLICATION_INSIGHTS_NO_STATSBEAT ??= 'true';
    process.env.APPLICATIONINSIGHTS_SDKSTATS_DISABLED ??= 'true';
    sender = gate.then(() => import('./client.ts')).then((m) => m.createSender(config));
    sender.catch((err) => sendFailed(err, 'connection'));
  }
  return sender;
}

/** Holds results back (queued, not dropped) until start(): app start does this (functions/warmup.ts). */
export function deferStart(): void {
  if (openGate || sender) return;
  gate = new Promise((resolve) => (openGate = resolve));
}

/** Builds the sender now (and sends what was queued); resolves when it is built or failed. Never throws. */
export async function start(config: Config = getConfig()): Promise<void> {
  openGate?.();
  await senderFor(config)?.catch(() => {});
}

/** Telemetry's state for /api/status. */
export function telemetryStatus(config: Config = getConfig()): TelemetryHealth {
  const t = config.telemetry;
  if (t.connectionString)
    markConfigured(t.problem ?? (t.clientId ? undefined : 'no Entra identity for telemetry'));
  return telemetryHealth();
}

function streakFromMemory(r: ProbeResult): Streak {
  const key = `${r.path}/${r.target}`;
  // Only the outcome and its start are kept: time to green is then present only when this result turned ok.
  const { lastOkAt: _, ...streak } = nextStreak(lastSeen.get(key), r.outcome, r.at);
  lastSeen.set(key, { outcome: r.outcome, since: streak.since });
  return streak;
}

/** Sends one availability result per result, and an event per transition. Returns at once; never throws. */
export function report(results: ProbeResult[], doc?: PathDocument, config: Config = getConfig()): void {
  const s = senderFor(config);
  if (!s) return;
  const runId = randomUUID();
  const items = results.map((r) => {
    const memory = streakFromMemory(r);
    const streak = doc ? streakOf(doc, r) : memory;
    const cell = effectiveResult(doc, r);
    return {
      availability: availabilityOf(cell, streak, config.telemetry.runLocation, runId, r.at),
      transition: transitionOf(r, streak),
    };
  });
  enqueue(s, items);
}

/** Sends one availability result per identity checked, and an event when its outcome changed. Never throws. */
export function reportPrivileges(
  r: PrivilegesResult,
  record?: PrivilegesRecord,
  config: Config = getConfig(),
): void {
  const s = senderFor(config);
  if (!s) return;
  enqueue(s, [
    {
      availability: privilegesAvailabilityOf(r, record, config.telemetry.runLocation, randomUUID()),
      transition: privilegesTransitionOf(r, record),
    },
  ]);
}

type Item = { availability: object; transition?: object };
/** Reported, not yet handed to the library. */
const queue: Item[] = [];
/** The one loop that hands the queue to the library and flushes, while there is something to send. */
let pump: Promise<void> | undefined;

/**
 * One flush at a time, each covering everything queued before it: the library's flush() does not wait for a batch
 * that another flush is already exporting, so concurrent flushes (many results queued while the sender is being
 * built) could resolve with items still unsent.
 */
function enqueue(s: Promise<Sender>, items: Item[]): void {
  queue.push(...items);
  pump ??= send(s);
}

async function send(s: Promise<Sender>): Promise<void> {
  let client: Sender;
  try {
    client = await s;
  } catch (err) {
    sendFailed(err, 'connection');
    queue.length = 0;
    pump = undefined;
    return;
  }
  for (;;) {
    // Checked and cleared in the same turn as the last flush ended: a report() after this starts a new loop.
    if (queue.length === 0) {
      pump = undefined;
      return;
    }
    const batch = queue.splice(0);
    try {
      const clean = sanitizer();
      let events = 0;
      for (const i of batch) {
        client.trackAvailability(clean.deep(i.availability));
        if (i.transition) {
          client.trackEvent(clean.deep(i.transition));
          events++;
        }
      }
      countTracked(batch.length, events);
      await client.flush();
    } catch (err) {
      sendFailed(err, 'connection');
    }
  }
}

/**
 * Resolves when every report() so far has been handed to ingestion and answered (or failed). Never rejects.
 * Waiting for the sends means wanting them now: a deferred start begins.
 */
export async function drain(): Promise<void> {
  openGate?.();
  while (pump) await pump;
}
