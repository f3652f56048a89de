// The clock role-assignment propagation runs on (store.ts takes it): the wall clock plus an offset that only moves
// forward. Tests advance it through the admin API instead of sleeping through a propagation delay, so a real-sized
// delay (minutes) costs no time and a busy machine cannot make the test flaky.
import type { AdminRouter } from '../../core/admin.ts';
import { SandboxError } from '../../core/errors.ts';
import { readJson, sendJson } from '../../core/http.ts';

export class AdjustableClock {
  #offsetMs = 0;
  /** Epoch ms on this clock. */
  readonly now = (): number => Date.now() + this.#offsetMs;
  get offsetMs(): number {
    return this.#offsetMs;
  }
  advance(ms: number): void {
    this.#offsetMs += ms;
  }
}

const describe = (clock: AdjustableClock) => ({
  now: new Date(clock.now()).toISOString(),
  offsetMs: clock.offsetMs,
});

/** GET /_sandbox/clock; POST /_sandbox/clock {"advanceSeconds": n} moves it forward. */
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
    clock.advance(s * 1000);
    sendJson(res, 200, describe(clock));
  });
}
