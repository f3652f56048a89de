// The one deadline helper: probes (runner.ts) and the status store (status/store.ts) both bound their work with it,
// because an abort signal does not reach everything: managed identity token requests have no timeout and ignore
// abort signals (identity-protocols.md §1.7).
import { ProbeDeadlineError } from './classify.ts';

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
