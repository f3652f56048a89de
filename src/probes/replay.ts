// Cached errors replayed by the auth library. After a 429 or 5xx from Entra, MSAL keeps the error and, until its
// Retry-After (60 s by default) has passed, throws that same error again without sending a request (msal-common
// ThrottlingUtils). A probe that failed on the token with an HTTP error but received no answer from the token
// endpoint itself is such a replay; the error keeps its trace id, so the first time this process saw it tells
// when it really happened.
import type { Answer } from '../core/answerLog.ts';
import type { ErrorDetail } from '../core/results.ts';

const MAX_REMEMBERED = 200;

function fingerprint(d: ErrorDetail, text: string): string | undefined {
  const trace = /Trace ID:\s*([0-9a-f-]{36})/i.exec(text)?.[1];
  return trace ?? d.correlationId ?? d.requestId;
}

/** When this runner first saw each failure (by trace id), the last MAX_REMEMBERED of them. */
export class ReplayMemory {
  readonly #firstSeen = new Map<string, string>();

  /** Marks `detail` as a replay (with when it was first seen) when this probe got no token answer for it. */
  note(detail: ErrorDetail, text: string, answers: readonly Answer[], now = new Date()): ErrorDetail {
    if (detail.phase !== 'token') return detail;
    const firstSeen = this.#firstSeen;
    const key = fingerprint(detail, text);
    const asked = answers.some((a) => a.source === 'token');
    if (key && !firstSeen.has(key)) {
      firstSeen.set(key, now.toISOString());
      if (firstSeen.size > MAX_REMEMBERED) firstSeen.delete(firstSeen.keys().next().value!);
    }
    const httpError = detail.statusCode !== undefined && detail.statusCode >= 400;
    if (asked || !(httpError || detail.aadsts)) return detail;
    return { ...detail, replayed: true, ...(key ? { firstSeenAt: firstSeen.get(key) } : {}) };
  }
}
