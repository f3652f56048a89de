// Whether telemetry reaches Application Insights, as /api/status shows it: what was handed to the library, and what
// the ingestion endpoint (or the token request before it) answered last. Failures never reach a probe's result.
import { sanitizer } from '../core/sanitize.ts';

export interface TelemetryHealth {
  /** 'off': no APPLICATIONINSIGHTS_CONNECTION_STRING; 'misconfigured': set but unusable; 'failing': the last send failed. */
  state: 'off' | 'misconfigured' | 'unknown' | 'ok' | 'failing';
  problem?: string;
  tracked: { availability: number; events: number };
  batches: { sent: number; accepted: number; failed: number };
  lastSuccessAt?: string;
  lastFailure?: { at: string; status?: number; message: string };
}

const health: TelemetryHealth = {
  state: 'off',
  tracked: { availability: 0, events: 0 },
  batches: { sent: 0, accepted: 0, failed: 0 },
};

export function telemetryHealth(): TelemetryHealth {
  return structuredClone(health);
}

export function markConfigured(problem?: string): void {
  if (problem) {
    health.state = 'misconfigured';
    health.problem = problem;
  } else if (health.state === 'off') health.state = 'unknown';
}

export function countTracked(availability: number, events: number): void {
  health.tracked.availability += availability;
  health.tracked.events += events;
}

/** Breeze answers 200 (all accepted), 206 (some refused) or an error with the same body shape. */
export function sendAnswered(status: number, body: string | undefined): void {
  health.batches.sent++;
  if (status === 200) {
    health.batches.accepted++;
    health.state = 'ok';
    health.lastSuccessAt = new Date().toISOString();
    return;
  }
  health.batches.failed++;
  health.state = 'failing';
  let message = `HTTP ${status}`;
  try {
    const b = JSON.parse(body ?? '') as { errors?: Array<{ message?: string }>; itemsAccepted?: number };
    const first = b.errors?.[0]?.message;
    if (first) message += `: ${first}`;
    if (status === 206) message += ` (${b.itemsAccepted ?? 0} items accepted)`;
  } catch {
    // not a Breeze body: the status says enough
  }
  health.lastFailure = {
    at: new Date().toISOString(),
    status,
    message: sanitizer().text(message).slice(0, 300),
  };
}

/** The send failed before an answer: the token request, or the connection. */
export function sendFailed(err: unknown, phase: 'token' | 'connection'): void {
  health.batches.failed++;
  health.state = 'failing';
  const e = err as { name?: string; message?: string };
  const message = `${phase === 'token' ? 'token request failed' : 'no answer'}: ${e?.name ?? 'Error'} ${e?.message?.split('\n')[0] ?? ''}`;
  health.lastFailure = { at: new Date().toISOString(), message: sanitizer().text(message).slice(0, 300) };
}
