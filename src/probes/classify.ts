// Failure classification: from the error shapes the SDKs really throw to one outcome kind of the closed set
// (docs/design.md "Outcomes"; @azure/identity src/errors.ts: callers branch on the kind, not on message text).
// An ordered table of rules; the first that answers wins. Generic rows read Entra, managed identity, HTTP and
// network failures; rows for one path's or one target's own errors come from that path or target
// (IdentityPath.errors, Target.errors), slotted in at fixed stages. Pure: no I/O, no SDK imports.
import { IDENTITY_PATHS } from '../identities/index.ts';
import { RESOURCE_KINDS, TARGETS } from '../targets/index.ts';
import { lastErrorAnswer, type Answer } from '../core/answerLog.ts';
import {
  CLIENT_CREDENTIAL_AADSTS,
  FEDERATION_AADSTS,
  FEDERATION_REASON,
  IDENTITY_NOT_FOUND_AADSTS,
  TENANT_AADSTS,
} from '../core/entraCodes.ts';
import { NETWORK_CODES, NETWORK_TEXT, TLS_TEXT } from '../core/networkErrors.ts';
import { readError } from './errorReading.ts';
import type { Classification, ClassifyContext, ClassifyRule, ErrorKnowledge } from '../core/plugins.ts';

export { MAX_MESSAGE_LENGTH } from './errorReading.ts';
export type { Classification, ClassifyContext } from '../core/plugins.ts';
// Recognised below by name, like every error; re-exported so callers find it next to the classifier.
export { ProbeDeadlineError } from '../core/deadline.ts';

/** Every path's and target's error knowledge, paths first, in registry order. */
const KNOWLEDGE: ErrorKnowledge[] = [
  ...Object.values(IDENTITY_PATHS).map((p) => p.errors ?? {}),
  // The catalog's targets and every declared kind's (a kind only a declaration probes, e.g. the queue), once each.
  ...[...new Set([...Object.values(TARGETS), ...RESOURCE_KINDS.map((k) => k.target)])].map(
    (t) => t.errors ?? {},
  ),
];
const stage = (name: 'typed' | 'settings' | 'forbidden'): ClassifyRule[] =>
  KNOWLEDGE.flatMap((k) => k[name] ?? []);

/** The scope a 403 names, as the targets read their services' messages (Target.errors.scope). */
export function serviceScope(text: string): string | undefined {
  for (const k of KNOWLEDGE) {
    const scope = k.scope?.(text);
    if (scope) return scope;
  }
  return undefined;
}

// Deadline: our own timer, or the AbortSignal.timeout given to the SDK call (AbortError / TimeoutError).
const deadline: ClassifyRule = (e) =>
  e.names.includes('ProbeDeadlineError') || e.names.includes('AbortError') || e.names.includes('TimeoutError')
    ? e.is('timeout', e.detail.phase === 'token' ? 'token' : 'call', { phase: e.detail.phase })
    : undefined;

/** The outcome an error answer names, in the phase that got it (the last thing the service said). */
function fromAnswer(e: Parameters<ClassifyRule>[0], a: Answer, phase: 'token' | 'call'): Classification {
  const extra = {
    phase,
    ...(a.status ? { statusCode: a.status } : {}),
    endpoint: a.endpoint,
    answeredAt: a.at,
    ...(a.retryAfterSeconds !== undefined ? { retryAfterSeconds: a.retryAfterSeconds } : {}),
    ...(a.requestId ? { requestId: a.requestId } : {}),
    ...(a.code ? { code: a.code } : {}),
  };
  const s = a.status;
  if (s === 0) {
    // With no platform variables msal-node falls back to IMDS: not reaching it means no identity endpoint here.
    if (phase === 'token' && e.ctx.usesManagedIdentity && e.ctx.managedIdentitySource === 'Imds')
      return e.is('no-identity-endpoint', 'imds-unreachable', { ...extra, code: a.network });
    return e.is('unreachable', phase === 'token' ? 'identity-endpoint' : 'network', {
      ...extra,
      code: a.network,
    });
  }
  if (s === 429) return e.is('throttled', phase === 'token' ? 'identity-endpoint' : 'service', extra);
  if (phase === 'token' && (s === 401 || s === 403)) return e.is('unauthenticated', 'token-endpoint', extra);
  if (s === 401) return e.is('unauthenticated', 'invalid-token', extra);
  if (s === 403) return e.is('forbidden', 'rbac', extra);
  if (s === 404 && phase === 'call') return e.is('not-found', a.code ?? 'not-found', extra);
  if (s === 408 || s === 504) return e.is('timeout', 'service', extra);
  return e.is('error', `http-${s}`, extra);
}

/**
 * The deadline ended the probe while the SDK was still retrying an error answer (its retries can outlast
 * PROBE_TIMEOUT_MS): the outcome is what the service last said (e.g. throttled, with its Retry-After), not a hang.
 */
const lastWordAtDeadline: ClassifyRule = (e) => {
  if (!e.names.some((n) => ['ProbeDeadlineError', 'AbortError', 'TimeoutError'].includes(n)))
    return undefined;
  const phase = e.detail.phase === 'token' ? 'token' : 'call';
  const a = lastErrorAnswer(e.ctx.answers ?? [], phase);
  return a ? fromAnswer(e, a, phase) : undefined;
};

/**
 * A token endpoint's error answer that the auth library reported without its status (Entra's 401, 403, 429 or
 * 5xx came out as a network failure) or without its Retry-After. AADSTS errors the table knows are read first.
 */
const tokenAnswer: ClassifyRule = (e) => {
  if (!e.credentialFailure) return undefined;
  const a = lastErrorAnswer(e.ctx.answers ?? [], 'token');
  // 400: the identity endpoint's own errors; no answer: network failures; both read by the credential rule.
  if (!a || a.status === 400 || a.status === 0) return undefined;
  return fromAnswer(e, a, 'token');
};

/** A check of a target's own that failed after the service answered (targets/shared.ts TargetCheckError). */
const targetCheck: ClassifyRule = (e) =>
  e.names.includes('TargetCheckError') ? e.is('not-found', e.codes.find(Boolean) ?? 'check') : undefined;

// Settings the SDK itself rejects (messages: docs/identity-wire.md §10.1, §10.4, §13.1).
const sdkSettings: ClassifyRule = (e) => {
  if (/authorityHost address must use the 'https' protocol|authority_uri_insecure/.test(e.text))
    return e.is('misconfigured', 'setting', { setting: 'AZURE_AUTHORITY_HOST' });
  if (/not configured to acquire tokens for tenant/.test(e.text))
    return e.is('misconfigured', 'tenant', { setting: 'AZURE_TENANT_ID' });
  if (/Bearer token authentication is not permitted for non-TLS/.test(e.text))
    return e.is('misconfigured', 'setting', { setting: e.detail.endpoint ?? 'an http:// endpoint' });
  return undefined;
};

const entra: ClassifyRule = (e) => {
  const aadsts = e.detail.aadsts;
  if (!aadsts) return undefined;
  if (FEDERATION_AADSTS.has(aadsts))
    return e.is('federation-rejected', FEDERATION_REASON[aadsts] ?? 'fic-mismatch');
  if (IDENTITY_NOT_FOUND_AADSTS.has(aadsts)) return e.is('identity-not-found', 'application-not-found');
  if (TENANT_AADSTS.has(aadsts)) return e.is('misconfigured', 'tenant', { setting: 'AZURE_TENANT_ID' });
  if (CLIENT_CREDENTIAL_AADSTS.has(aadsts)) return e.is('unauthenticated', 'client-credential');
  return undefined;
};

const isNetwork = (e: Parameters<ClassifyRule>[0]) =>
  NETWORK_TEXT.test(e.text) || e.codes.some((c) => NETWORK_CODES.includes(c));

const credential: ClassifyRule = (e) => {
  if (!e.credentialFailure) return undefined;
  const text = e.text;
  // An identity not assigned to the resource: IMDS answers 400 "Identity not found" (docs/identity-wire.md
  // §3.3), App Service 400 "Unable to load the proper Managed Identity."; Arc fails closed when it cannot
  // confirm the user-assigned identity (§5). MSAL's messages always say "Error(s): Not Available": no hint.
  if (
    /Identity not found|Unable to load the proper Managed Identity|user_assigned_managed_identity_not_confirmed/i.test(
      text,
    )
  )
    return e.is('identity-not-found', 'not-assigned');
  if (/No managed identity endpoint found|IMDS endpoint, but it is not available/i.test(text))
    return e.is('no-identity-endpoint', 'no-endpoint');
  if (e.detail.statusCode === 429 || /\b(?:HTTP|status code:?)\s*429\b|Too Many Requests|throttl/i.test(text))
    return e.is('throttled', 'identity-endpoint');
  if (isNetwork(e) || TLS_TEXT.test(text)) {
    // With no platform variables msal-node falls back to IMDS (docs/identity-wire.md §2): a managed identity
    // that cannot reach it means there is no identity endpoint here at all (docs/pain-points.md P1).
    if (
      e.ctx.usesManagedIdentity &&
      e.ctx.managedIdentitySource === 'Imds' &&
      /ManagedIdentityCredential|network_error|Network unreachable/i.test(text)
    )
      return e.is('no-identity-endpoint', 'imds-unreachable');
    return e.is('unreachable', TLS_TEXT.test(text) ? 'tls' : 'identity-endpoint');
  }
  if (/endpoints_resolution_error/.test(text)) return e.is('unreachable', 'authority');
  if (/expired/i.test(text)) return e.is('unauthenticated', 'expired-token');
  return e.is('error', 'credential');
};

// Resource calls: RestError (statusCode + code), service error codes (docs/data-plane.md §1.7, §2.3, §3.6).
const unauthenticated: ClassifyRule = (e) => {
  const code = e.detail.code ?? '';
  if (
    e.detail.statusCode !== 401 &&
    !/^(InvalidAuthenticationToken|ExpiredAuthenticationToken|InvalidAuthenticationTokenAudience|AuthenticationFailed|InvalidAuthenticationInfo|NoAuthenticationInformation|Unauthorized)/.test(
      code,
    )
  )
    return undefined;
  if (/Expired|expired|Lifetime validation failed/.test(code + e.text))
    return e.is('unauthenticated', 'expired-token');
  if (/Audience|audience/.test(code + e.text)) return e.is('unauthenticated', 'wrong-audience');
  return e.is('unauthenticated', 'invalid-token');
};

/** 403: a target's own reason (firewall, access policy...), else a missing role assignment; with the scope. */
const forbidden: ClassifyRule = (e) => {
  if (e.detail.statusCode !== 403) return undefined;
  const c = first(stage('forbidden'), e) ?? e.is('forbidden', 'rbac');
  const scope = serviceScope(e.text);
  return scope ? { ...c, scope } : c;
};

const httpStatus: ClassifyRule = (e) => {
  const status = e.detail.statusCode;
  if (status === 404) return e.is('not-found', e.detail.code || 'not-found');
  if (status === 429) return e.is('throttled', 'service');
  if (status === 408 || status === 504) return e.is('timeout', 'service');
  return undefined;
};

const network: ClassifyRule = (e) => {
  if (TLS_TEXT.test(e.text)) return e.is('unreachable', 'tls');
  return isNetwork(e) ? e.is('unreachable', 'network') : undefined;
};

const fallback: ClassifyRule = (e) =>
  e.is('error', e.detail.statusCode ? `http-${e.detail.statusCode}` : 'unexpected');

/** The classification table, in order. */
const RULES: readonly ClassifyRule[] = [
  lastWordAtDeadline,
  deadline,
  ...stage('typed'),
  targetCheck,
  ...stage('settings'),
  sdkSettings,
  entra,
  tokenAnswer,
  credential,
  unauthenticated,
  forbidden,
  httpStatus,
  network,
  fallback,
];

function first(rules: readonly ClassifyRule[], e: Parameters<ClassifyRule>[0]): Classification | undefined {
  for (const rule of rules) {
    const c = rule(e);
    if (c) return c;
  }
  return undefined;
}

/** Classifies one probe failure. `err` is what the SDK call (or the deadline) rejected with. */
export function classify(err: unknown, ctx: ClassifyContext): Classification {
  return first(RULES, readError(err, ctx))!;
}
