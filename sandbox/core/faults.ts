// Faults on demand, per endpoint, through the admin API. Deterministic: a fault applies to the next `count`
// requests of its endpoint (or until cleared), in the order faults were added.

export const ENDPOINT_NAMES = [
  'appService',
  'imds',
  'arc',
  'cloudShell',
  'serviceFabric',
  'azureMl',
  'entra',
  'oidc',
  'keyVault',
  'arm',
  'blob',
  'monitor',
] as const;
export type EndpointName = (typeof ENDPOINT_NAMES)[number];

export const FAULT_KINDS = ['latency', 'status', 'reset', 'hang', 'expired-token', 'wrong-audience'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Kinds applied when a request arrives; the token kinds are applied by whoever issues a token. */
export const REQUEST_FAULT_KINDS: readonly FaultKind[] = ['latency', 'status', 'reset', 'hang'];
export const TOKEN_FAULT_KINDS: readonly FaultKind[] = ['expired-token', 'wrong-audience'];

export interface FaultSpec {
  endpoint: EndpointName;
  kind: FaultKind;
  /** latency: delay in ms. */
  ms?: number;
  /** status: HTTP status to answer with, in the service's real error format. */
  status?: number;
  /** status 429/503: Retry-After seconds. */
  retryAfterSeconds?: number;
  /** Number of requests it applies to; absent = until cleared. */
  count?: number;
}

export interface Fault extends FaultSpec {
  id: string;
  remaining: number | null;
  applied: number;
}

export class FaultValidationError extends Error {}

export class FaultRegistry {
  #faults: Fault[] = [];
  #seq = 0;
  #clearWaiters = new Map<string, Array<() => void>>();

  add(spec: unknown): Fault {
    const s = validateFault(spec);
    const fault: Fault = { ...s, id: `fault-${++this.#seq}`, remaining: s.count ?? null, applied: 0 };
    this.#faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.#faults.map((f) => ({ ...f }));
  }

  clear(id?: string): number {
    const removed = id ? this.#faults.filter((f) => f.id === id) : this.#faults;
    this.#faults = id ? this.#faults.filter((f) => f.id !== id) : [];
    for (const f of removed) {
      for (const wake of this.#clearWaiters.get(f.id) ?? []) wake();
      this.#clearWaiters.delete(f.id);
    }
    return removed.length;
  }

  /** Takes (consumes one use of) the first active fault of one of `kinds` for `endpoint`. */
  take(endpoint: EndpointName, kinds: readonly FaultKind[]): Fault | undefined {
    const f = this.#faults.find((x) => x.endpoint === endpoint && kinds.includes(x.kind));
    if (!f) return undefined;
    f.applied++;
    if (f.remaining !== null) {
      f.remaining--;
      if (f.remaining <= 0) {
        // A used-up fault is removed, but a hang taken by this request still waits for an explicit clear.
        this.#faults = this.#faults.filter((x) => x !== f);
      }
    }
    return { ...f };
  }

  /** Resolves when the fault with this id is cleared (used by `hang`), or when `signal` aborts. */
  waitForClear(id: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const list = this.#clearWaiters.get(id) ?? [];
      list.push(resolve);
      this.#clearWaiters.set(id, list);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  /** Releases every hanging request (on sandbox close). */
  releaseAll(): void {
    for (const list of this.#clearWaiters.values()) for (const wake of list) wake();
    this.#clearWaiters.clear();
  }
}

function validateFault(spec: unknown): FaultSpec {
  if (!spec || typeof spec !== 'object') throw new FaultValidationError('fault must be a JSON object');
  const s = spec as Record<string, unknown>;
  if (!ENDPOINT_NAMES.includes(s.endpoint as EndpointName)) {
    throw new FaultValidationError(`fault.endpoint must be one of ${ENDPOINT_NAMES.join(', ')}`);
  }
  if (!FAULT_KINDS.includes(s.kind as FaultKind)) {
    throw new FaultValidationError(`fault.kind must be one of ${FAULT_KINDS.join(', ')}`);
  }
  const out: FaultSpec = { endpoint: s.endpoint as EndpointName, kind: s.kind as FaultKind };
  if (s.count !== undefined) {
    if (!Number.isInteger(s.count) || (s.count as number) < 1) {
      throw new FaultValidationError('fault.count must be a positive integer');
    }
    out.count = s.count as number;
  }
  if (out.kind === 'latency') {
    if (typeof s.ms !== 'number' || s.ms < 0 || s.ms > 600_000) {
      throw new FaultValidationError('fault.ms must be a number of milliseconds between 0 and 600000');
    }
    out.ms = s.ms;
  }
  if (out.kind === 'status') {
    if (!Number.isInteger(s.status) || (s.status as number) < 400 || (s.status as number) > 599) {
      throw new FaultValidationError('fault.status must be an HTTP error status (400-599)');
    }
    out.status = s.status as number;
    if (s.retryAfterSeconds !== undefined) {
      if (typeof s.retryAfterSeconds !== 'number' || s.retryAfterSeconds < 0) {
        throw new FaultValidationError('fault.retryAfterSeconds must be a non-negative number');
      }
      out.retryAfterSeconds = s.retryAfterSeconds;
    }
  }
  return out;
}
