// How long `npm run deploy` waits, and how it says so. The defaults are the real ones; DEPLOY_WAIT_SCALE (a factor
// between 0 and 1) shortens every wait, for tests that run the script against stand-in az and func executables.

export interface WaitPolicy {
  /** Polling for the deployment identity's role assignment. */
  role: { intervalMs: number; timeoutMs: number };
  /** `func azure functionapp publish`: attempts, and the backoff between them (doubling, capped). */
  publish: { attempts: number; firstDelayMs: number; maxDelayMs: number };
  /** A new environment: polling health for the first all-green sweep before the alert is enabled. */
  green: { intervalMs: number; timeoutMs: number };
}

/**
 * RBAC changes usually reach Storage within a minute or two and can take up to about ten (Azure RBAC
 * troubleshooting docs); the role poll gives the listing 5 minutes, the publish retries another 4.5.
 */
export const DEFAULT_WAITS: WaitPolicy = {
  role: { intervalMs: 10_000, timeoutMs: 300_000 },
  publish: { attempts: 6, firstDelayMs: 10_000, maxDelayMs: 120_000 },
  // The first timer sweep runs within one period (5 min by default) of the start; roles may take ~10 min more.
  green: { intervalMs: 30_000, timeoutMs: 1_200_000 },
};

/** The policy in force: the defaults, scaled by DEPLOY_WAIT_SCALE when it is a number in (0, 1]. */
export function waitPolicy(env: NodeJS.ProcessEnv = process.env): WaitPolicy {
  const raw = env.DEPLOY_WAIT_SCALE;
  if (raw === undefined || raw === '') return DEFAULT_WAITS;
  const scale = Number(raw);
  if (!(scale > 0 && scale <= 1))
    throw new Error(
      `DEPLOY_WAIT_SCALE must be a number in (0, 1] (it shortens the waits, for tests); got '${raw}'`,
    );
  const s = (ms: number) => Math.max(1, Math.round(ms * scale));
  const d = DEFAULT_WAITS;
  return {
    role: { intervalMs: s(d.role.intervalMs), timeoutMs: s(d.role.timeoutMs) },
    publish: {
      attempts: d.publish.attempts,
      firstDelayMs: s(d.publish.firstDelayMs),
      maxDelayMs: s(d.publish.maxDelayMs),
    },
    green: { intervalMs: s(d.green.intervalMs), timeoutMs: s(d.green.timeoutMs) },
  };
}

/** The waits before attempts 2..n: first, doubled each time, capped. */
export function publishDelays(p: WaitPolicy['publish']): number[] {
  return Array.from({ length: p.attempts - 1 }, (_, i) => Math.min(p.firstDelayMs * 2 ** i, p.maxDelayMs));
}

/** '250 ms', '1.2 s', '10 s', '4 min 30 s'. */
export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 10_000 && ms % 1000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  return s % 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s / 60} min`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
