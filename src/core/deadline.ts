// The one deadline helper: probes (probes/runner.ts) and the status store (status/store.ts) both bound their work with it,
// because an abort signal does not reach everything: managed identity token requests have no timeout and ignore
// abort signals (docs/identity-wire.md §1.7).

/** Thrown (or used as the rejection) when the probe's own deadline passes. */
export class ProbeDeadlineError extends Error {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`No answer within ${timeoutMs} ms`);
    this.name = 'ProbeDeadlineError';
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Rejects at the deadline (with `onDeadline()`, by default a ProbeDeadlineError) even if `work` ignores its abort
 * signal; otherwise settles as `work` does.
 */
export function raceDeadline<T>(
  work: Promise<T>,
  ms: number,
  onDeadline: () => Error = () => new ProbeDeadlineError(ms),
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onDeadline()), ms);
  });
  work.catch(() => {}); // a late failure after the deadline has nobody left to report to
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** The part of an HTTP answer's PROBE_TIMEOUT_MS kept for answering after the work: 5 %, at most 250 ms. */
export const answerMarginMs = (timeoutMs: number): number => Math.min(250, Math.round(timeoutMs * 0.05));
