// What the Storage targets (blob.ts, queue.ts) share: how Azure Storage says why it refused a call, its bounded
// retry options, and the answer log on a Storage client's pipeline. One service family, one front end: Blob and
// Queue answer authentication and authorization failures alike
// (https://learn.microsoft.com/rest/api/storageservices/common-rest-api-error-codes).
import { lastAnswerPolicy, lastErrorAnswer } from '../core/answerLog.ts';
import type { ClassifyRule, ErrorKnowledge } from '../core/plugins.ts';
import { RESOURCE_RETRY } from './shared.ts';

/**
 * Storage says why it refused a token only in the error body's AuthenticationErrorDetail ("Lifetime validation
 * failed. The token is expired."; https://learn.microsoft.com/rest/api/storageservices/status-and-error-codes2),
 * which the SDK's error does not carry: it is read from the answer itself (core/answerLog.ts).
 */
const authenticationDetail: ClassifyRule = (e) => {
  if (e.detail.statusCode !== 401 && e.detail.statusCode !== 403) return undefined;
  const body = lastErrorAnswer(e.ctx.answers ?? [], 'call')?.body ?? '';
  const detail = /<AuthenticationErrorDetail>([^<]*)<\/AuthenticationErrorDetail>/.exec(body)?.[1];
  if (!detail) return undefined;
  const message = `${e.detail.message ?? ''} AuthenticationErrorDetail: ${detail}`.trim();
  if (/expired|Lifetime validation failed/i.test(detail))
    return e.is('unauthenticated', 'expired-token', { message });
  if (/audience/i.test(detail)) return e.is('unauthenticated', 'wrong-audience', { message });
  if (/issuer|tenant|signature/i.test(detail)) return e.is('unauthenticated', 'invalid-token', { message });
  return undefined;
};

/**
 * Storage's two 403s for a valid token: AuthorizationFailure when the account's network rules refused the caller
 * (docs/data-plane.md §3.6), AuthorizationPermissionMismatch when no role assignment grants the data action.
 */
const forbiddenReason: ClassifyRule = (e) => {
  if (e.detail.code === 'AuthorizationFailure') return e.is('forbidden', 'firewall');
  if (e.detail.code === 'AuthorizationPermissionMismatch') return e.is('forbidden', 'rbac');
  return undefined;
};

/** How to read Azure Storage's errors (Target.errors), for every Storage target. */
export const STORAGE_ERRORS: ErrorKnowledge = { typed: [authenticationDetail], forbidden: [forbiddenReason] };

/**
 * Storage clients' retry options (they have their own retry policy, docs/data-plane.md §0), bounded alike. A new
 * object for each client: @azure/storage-queue writes its default per-try timeout into the options it is given
 * (StorageClient.js getStorageClientContext), which must not reach the blob client through a shared object.
 */
export function storageRetryOptions(): {
  maxTries: number;
  retryDelayInMs: number;
  maxRetryDelayInMs: number;
} {
  return {
    maxTries: RESOURCE_RETRY.maxRetries + 1,
    retryDelayInMs: RESOURCE_RETRY.retryDelayInMs,
    maxRetryDelayInMs: RESOURCE_RETRY.maxRetryDelayInMs,
  };
}

interface StorageInternals {
  storageClientContext?: {
    pipeline?: { addPolicy(policy: typeof lastAnswerPolicy, options: { afterPhase: 'Retry' }): void };
  };
}

/**
 * Adds the answer log (core/answerLog.ts) to a Storage client. Storage's client options take no additional policies
 * (StoragePipelineOptions), but the core pipeline the client builds does; the policy goes after the retry phase, so
 * it sees every attempt's answer.
 */
export function addAnswerLog<T extends object>(client: T): T {
  (client as StorageInternals).storageClientContext?.pipeline?.addPolicy(lastAnswerPolicy, {
    afterPhase: 'Retry',
  });
  return client;
}

/**
 * Account name from `https://<account>.<service>.core.windows.net` (or a sovereign cloud's suffix), or a
 * path-style `https://host:port/.../<account>` (the emulator's and the sandbox's form: the last path segment).
 */
export function storageAccountName(url: string | undefined, service: 'blob' | 'queue'): string | undefined {
  if (!url) return undefined;
  const u = URL.parse(url);
  if (!u) return undefined;
  if (new RegExp(`\\.${service}\\.`, 'i').test(u.hostname)) return u.hostname.split('.')[0];
  return u.pathname.split('/').filter(Boolean).at(-1);
}
