// The sandbox's clock: the wall clock plus an offset that only moves forward. Role-assignment propagation
// (resources/rbac/store.ts) and the token files' refresh (identity/oidc.ts) run on it. Tests advance it through the
// admin API instead of sleeping, so a real-sized delay (minutes, hours) costs no time and a busy machine cannot make
// the test flaky. Tokens still carry wall-clock times: clients and the token service check them against the wall.
import type { AdminRouter } from './admin.ts';
import { SandboxError } from './errors.ts';
import { readJson, sendJson } from './http.ts';

export class AdjustableClock {
  #offsetMs = 0;
  #listeners = new Set<() => void | Promise<void>>();
  /** Epoch ms on this clock. */
  readonly now = (): number => Date.now() + this.#offsetMs;
  get offsetMs(): number {
    return this.#offsetMs;
  }
  /** Calls `cb` after each advance; returns its removal. */
  onAdvance(cb: () => void | Promise<void>): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }
  /** Moves the clock forward; resolves once every onAdvance callback has finished. */
  async advance(ms: number): Promise<void> {
    this.#offsetMs += ms;
    await Promise.all([...this.#listeners].map((cb) => cb()));
  }
}

const describe = (clock: AdjustableClock) => ({
  now: new Date(clock.now()).toISOString(),
  offsetMs: clock.offsetMs,
});

/** GET /_sandbox/clock; POST /_sandbox/clock {"advanceSeconds": n} moves it forward and answers once what falls due has run. */
export function registerClockRoutes(admin: AdminRouter, clock: AdjustableClock): void {
  admin.add('GET', '/_sandbox/clock', (_q, res) => sendJson(res, 200, describe(clock)));
  admin.add('POST', '/_sandbox/clock', async (req, res) => {
    const body = (await readJson(req)) as { advanceSeconds?: unknown } | null;
    const s = body?.advanceSeconds;
    if (typeof s !== 'number' || !Number.isFinite(s) || s < 0 || s > 366 * 86_400)
      throw SandboxError.json(400, {
        error: 'InvalidAdvance',
        message:
          'advanceSeconds must be a number of seconds from 0 to 31622400 (the clock only moves forward).',
      });
    await clock.advance(s * 1000);
    sendJson(res, 200, describe(clock));
  });
}
