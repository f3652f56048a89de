// App instances for the reliability tests (shared with the blackhole benchmark: scripts/lib/appHosts.ts), and the
// wait for an instance's status writes to end.
import type { StatusView } from '../../../src/status/model.ts';
import { timedGet } from '../../../scripts/lib/appHosts.ts';

export { NEVER, runTimer, startAppHosts, timedGet, type AppHosts } from '../../../scripts/lib/appHosts.ts';

/**
 * Reads `base`'s /api/status until no status write is pending there and at least `ended` have ended (recorded or
 * failed): a write that outlives its probe's answer ends by its own deadline (3 x PROBE_TIMEOUT_MS), which no clock
 * of the test can move, so the test waits for that event instead of sleeping a fixed time. Throws after `timeoutMs`.
 */
export async function writesSettled(base: string, ended = 0, timeoutMs = 90_000): Promise<StatusView> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const view = (await timedGet(base, '/api/status')).body as StatusView;
    const w = view.store.writes;
    if (w && w.pending === 0 && w.recorded + w.failed >= ended) return view;
    if (Date.now() > until) throw new Error(`writes not settled: ${JSON.stringify(w)}, expected ${ended}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
