// Failure classification: from the error shapes the SDKs really throw to one outcome kind of the closed set
// (ARCHITECTURE "Outcomes"; @azure/identity src/errors.ts: callers branch on the kind, not on message text).
// Pure: no I/O, no SDK imports (errors are recognised by name and shape, so this also works across copies of
// the SDK packages). Sources of each shape are cited next to the rule.
import type { OutcomeKind } from '../ids.ts';
import { sanitizer } from './sanitize.ts';
import type { ErrorDetail } from './types.ts';

/** Longest error message a result carries. */
export const MAX_MESSAGE_LENGTH = 800;

export interface ClassifyContext {
  /** The credential threw this error during the probe (as seen by the attestation wrapper). */
  tokenFailed: boolean;
  /** A getToken call was still outstanding when the probe failed (deadline during token acquisition). */
  tokenPending: boolean;
  /** msal-node's managed-identity source for this environment (config.ts managedIdentitySource). */
  managedIdentitySource: string;
  /** Whether this path uses a managed identity (false for the federated path). */
  usesManagedIdentity: boolean;
}

export interface Classification {
  kind: OutcomeKind;
  /** A finer reason inside the kind, for remediation: e.g. 'rbac', 'firewall', 'expired-token'. */
  reason: string;
  detail: ErrorDetail;
  /** The exact scope the service named in its 403 (Key Vault "Resource:", ARM "over scope"), when it did. */
  scope?: string;
}

// Recognised below by name, like every error; re-exported so callers find it next to the classifier.
export { ProbeDeadlineError } from './deadline.ts';

// Node system errors that mean "could not talk to it" (tsp retryStrategies/exponentialRetryStrategy.js list,
// plus the DNS/route ones).
const NETWORK_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
];
const NETWORK_TEXT =
  /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ESOCKETTIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE)\b|socket hang up|network_error|Network unreachable|fetch failed/i;
const TLS_TEXT =
  /unable to verify the first certificate|self[- ]signed certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|CERT_HAS_EXPIRED|ERR_TLS_CERT_ALTNAME_INVALID|certificate has expired|Hostname\/IP does not match/i;

const CREDENTIAL_ERRORS = [
  'CredentialUnavailableError',
  'AuthenticationError',
  'AuthenticationRequiredError',
  'AggregateAuthenticationError',
];

interface Shape {
  name?: string;
  message: string;
  code?: string;
  statusCode?: number;
  innerCode?: string;
  headers?: { get(name: string): string | undefined };
  requestUrl?: string;
  errorCode?: string; // MSAL
}

function shapeOf(e: unknown): Shape {
  const o = (e ?? {}) as Record<string, unknown>;
  const details = o.details as { error?: { code?: unknown; innerError?: { code?: unknown } } } | undefined;
  const response = o.response as { headers?: { get(n: string): string | undefined } } | undefined;
  const request = o.request as { url?: unknown } | undefined;
  return {
    name: typeof o.name === 'string' ? o.name : undefined,
    message: typeof o.message === 'string' ? o.message : String(e),
    code: typeof o.code === 'string' ? o.code : undefined,
    statusCode:
      typeof o.statusCode === 'number' ? o.statusCode : typeof o.status === 'number' ? o.status : undefined,
    innerCode:
      typeof details?.error?.innerError?.code === 'string' ? details.error.innerError.code : undefined,
    headers: response?.headers && typeof response.headers.get === 'function' ? response.headers : undefined,
    requestUrl: typeof request?.url === 'string' ? request.url : undefined,
    errorCode: typeof o.errorCode === 'string' ? o.errorCode : undefined,
  };
}

/** The error, its causes and (for DefaultAzureCredential) the errors of each chain member, flattened. */
function errorChain(err: unknown): unknown[] {
  const out: unknown[] = [];
  const visit = (e: unknown, depth: number) => {
    if (e === undefined || e === null || depth > 6 || out.includes(e)) return;
    out.push(e);
    const o = e as { cause?: unknown; errors?: unknown };
    if (Array.isArray(o.errors)) for (const inner of o.errors) visit(inner, depth + 1);
    visit(o.cause, depth + 1);
  };
  visit(err, 0);
  return out;
}

function origin(url: string | undefined): string | undefined {
  return url ? URL.parse(url)?.origin : undefined;
}

function firstMatch(text: string, re: RegExp): string | undefined {
  return re.exec(text)?.[1];
}

/** Collects the sanitizable detail of a failure: codes, status, request ids, a bounded message. */
function detailOf(chain: Shape[], phase: ErrorDetail['phase']): ErrorDetail {
  const top = chain[0];
  const rest = chain.find((s) => s.statusCode !== undefined) ?? top;
  const text = chain.map((s) => s.message).join('\n');
  const header = (n: string) => chain.map((s) => s.headers?.get(n)).find((v) => v);
  const retryAfter = header('retry-after');
  const retryAfterMs = header('retry-after-ms') ?? header('x-ms-retry-after-ms');
  const detail: ErrorDetail = {
    phase,
    errorName: top.name,
    statusCode:
      rest.statusCode ?? numberOrUndefined(firstMatch(text, /(?:status code|Status code)[:\s]+(\d{3})/)),
    code: chain.map((s) => s.code ?? s.errorCode).find((c) => c && c !== 'REQUEST_SEND_ERROR') ?? rest.code,
    innerCode: chain.map((s) => s.innerCode).find(Boolean),
    aadsts: firstMatch(text, /AADSTS(\d+)/),
    requestId: header('x-ms-request-id'),
    clientRequestId: header('x-ms-client-request-id'),
    correlationId:
      header('x-ms-correlation-request-id') ?? firstMatch(text, /Correlation ID:\s*([0-9a-f-]{36})/i),
    retryAfterSeconds: retryAfter
      ? retryAfterSeconds(retryAfter)
      : retryAfterMs
        ? Math.ceil(Number(retryAfterMs) / 1000)
        : undefined,
    endpoint: chain.map((s) => origin(s.requestUrl)).find(Boolean),
    // Redact before cutting: a token cut in half no longer has the shape the sanitizer recognises.
    message: bounded(sanitizer().text(relevantMessage(chain))),
  };
  for (const k of Object.keys(detail) as (keyof ErrorDetail)[]) if (detail[k] === undefined) delete detail[k];
  return detail;
}

/**
 * DefaultAzureCredential's aggregate lists every chain member, most of them irrelevant ("Azure CLI could not be
 * found"); the managed identity's (or Entra's) own failure is the one that explains the outcome.
 */
function relevantMessage(chain: Shape[]): string {
  const top = chain[0];
  if (top.name !== 'AggregateAuthenticationError') return top.message;
  const inner = chain.find(
    (s) => s !== top && /ManagedIdentityCredential|AADSTS|WorkloadIdentityCredential/.test(s.message),
  );
  return inner ? `${top.message.split('\n')[0]} ${inner.message}` : top.message;
}

function bounded(message: string): string {
  return message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}…` : message;
}

function numberOrUndefined(s: string | undefined): number | undefined {
  return s === undefined ? undefined : Number(s);
}

function retryAfterSeconds(v: string): number | undefined {
  if (/^\d+$/.test(v.trim())) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

// AADSTS codes (Entra error bodies: identity-protocols.md §10.5; user-pain-points.md P9).
const FEDERATION_AADSTS = new Set([
  '70021', // no matching federated identity record
  '700211', // issuer mismatch
  '700212', // audience mismatch
  '700213', // subject mismatch
  '7002137', // subject mismatch (newer)
  '7002138',
  '700024', // client assertion is not within its valid time range (expired external token)
  '50027', // invalid JWT
  '50013', // assertion failed signature validation
  '700027', // client assertion failed signature validation
  '7000272', // the issuer's JWKS has no key with the token's kid
  '50166', // Entra could not reach the issuer's OIDC discovery / JWKS endpoint
  '700222', // an Entra-issued token was sent as the external assertion
]);
const FEDERATION_REASON: Record<string, string> = {
  '700024': 'assertion-expired',
  '7000272': 'issuer-keys',
  '50166': 'issuer-unreachable',
  '700222': 'entra-assertion',
};
const IDENTITY_NOT_FOUND_AADSTS = new Set(['700016']); // application not found in the directory
const TENANT_AADSTS = new Set(['90002', '900023']); // tenant not found / invalid tenant identifier
const CLIENT_CREDENTIAL_AADSTS = new Set(['7000215', '7000222', '7000218']); // invalid / expired client secret

/**
 * The scope a 403 names: Key Vault RBAC's "Resource: '<...>/vaults/<v>/secrets/<s>'" (assignment goes on the
 * vault, as infra/ does) or ARM's "over scope '<scope>'" (dataplane-protocols.md §1.7, §2.3).
 */
export function serviceScope(text: string): string | undefined {
  const kv = /Resource:\s*'([^']+)'/.exec(text)?.[1];
  if (kv) return kv.replace(/\/secrets\/[^/]+$/i, '');
  return /over scope '([^']+)'/.exec(text)?.[1];
}

/** Why a 403: data-plane RBAC, the vault's access-policy model, network rules, or a disabled secret (§1.7, §3.6). */
function forbiddenReason(inner: string, code: string, text: string): string {
  if (inner === 'SecretDisabled') return 'secret-disabled';
  if (inner === 'AccessDenied') return 'access-policy';
  if (
    inner === 'ForbiddenByFirewall' ||
    code === 'AuthorizationFailure' ||
    /Client address .* is not authorized/.test(text)
  )
    return 'firewall';
  return 'rbac';
}

/** Classifies one probe failure. `err` is what the SDK call (or the deadline) rejected with. */
export function classify(err: unknown, ctx: ClassifyContext): Classification {
  const errors = errorChain(err);
  const chain = errors.map(shapeOf);
  const names = chain.map((s) => s.name ?? '');
  const text = chain.map((s) => s.message).join('\n');
  const codes = chain.map((s) => s.code ?? '');
  const credentialFailure = ctx.tokenFailed || names.some((n) => CREDENTIAL_ERRORS.includes(n));
  const phase: ErrorDetail['phase'] = credentialFailure || ctx.tokenPending ? 'token' : 'call';
  const detail = detailOf(chain, phase);
  const is = (kind: OutcomeKind, reason: string, extra: Partial<ErrorDetail> = {}): Classification => ({
    kind,
    reason,
    detail: { ...detail, ...extra },
  });

  // Deadline: our own timer, or the AbortSignal.timeout given to the SDK call (AbortError / TimeoutError).
  if (names.includes('ProbeDeadlineError') || names.includes('AbortError') || names.includes('TimeoutError'))
    return is('timeout', phase === 'token' ? 'token' : 'call', { phase });

  // Our own typed failures.
  const sourceError = errors.find((e) => (e as Error)?.name === 'FederatedTokenSourceError') as
    { setting: string; cause?: unknown } | undefined;
  if (sourceError) {
    const causeCode = (sourceError.cause as { code?: string })?.code ?? '';
    return NETWORK_CODES.includes(causeCode) || TLS_TEXT.test(text)
      ? is('unreachable', 'token-source', { setting: sourceError.setting })
      : is('misconfigured', 'token-source', { setting: sourceError.setting });
  }
  if (names.includes('TargetCheckError')) return is('not-found', codes.find(Boolean) ?? 'check');

  // Settings the SDK itself rejects (messages: identity-protocols.md §10.1, §10.4, §12.2, §13.1, §13.2).
  if (/Invalid value for AZURE_TOKEN_CREDENTIALS/.test(text))
    return is('misconfigured', 'setting', { setting: 'AZURE_TOKEN_CREDENTIALS' });
  if (/authorityHost address must use the 'https' protocol|authority_uri_insecure/.test(text))
    return is('misconfigured', 'setting', { setting: 'AZURE_AUTHORITY_HOST' });
  if (/not configured to acquire tokens for tenant/.test(text))
    return is('misconfigured', 'tenant', { setting: 'AZURE_TENANT_ID' });
  if (/The challenge resource .* does not match the requested domain/.test(text))
    return is('misconfigured', 'challenge-resource', { setting: 'KEY_VAULT_URL' });
  if (/Bearer token authentication is not permitted for non-TLS/.test(text))
    return is('misconfigured', 'setting', { setting: detail.endpoint ?? 'an http:// endpoint' });

  const aadsts = detail.aadsts;
  if (aadsts) {
    if (FEDERATION_AADSTS.has(aadsts))
      return is('federation-rejected', FEDERATION_REASON[aadsts] ?? 'fic-mismatch');
    if (IDENTITY_NOT_FOUND_AADSTS.has(aadsts)) return is('identity-not-found', 'application-not-found');
    if (TENANT_AADSTS.has(aadsts)) return is('misconfigured', 'tenant', { setting: 'AZURE_TENANT_ID' });
    if (CLIENT_CREDENTIAL_AADSTS.has(aadsts)) return is('unauthenticated', 'client-credential');
  }

  if (credentialFailure) {
    // An identity not assigned to the resource: IMDS answers 400 "Identity not found" (identity-protocols.md
    // §3.3), App Service 400 "Unable to load the proper Managed Identity."; Arc fails closed when it cannot
    // confirm the user-assigned identity (§5). MSAL's messages always say "Error(s): Not Available": no hint.
    if (
      /Identity not found|Unable to load the proper Managed Identity|user_assigned_managed_identity_not_confirmed/i.test(
        text,
      )
    )
      return is('identity-not-found', 'not-assigned');
    if (/No managed identity endpoint found|IMDS endpoint, but it is not available/i.test(text))
      return is('no-identity-endpoint', 'no-endpoint');
    if (detail.statusCode === 429 || /\b(?:HTTP|status code:?)\s*429\b|Too Many Requests|throttl/i.test(text))
      return is('throttled', 'identity-endpoint');
    if (NETWORK_TEXT.test(text) || TLS_TEXT.test(text) || codes.some((c) => NETWORK_CODES.includes(c))) {
      // With no platform variables msal-node falls back to IMDS (identity-protocols.md §2): a managed identity
      // that cannot reach it means there is no identity endpoint here at all (user-pain-points.md P1).
      if (
        ctx.usesManagedIdentity &&
        ctx.managedIdentitySource === 'Imds' &&
        /ManagedIdentityCredential|network_error|Network unreachable/i.test(text)
      )
        return is('no-identity-endpoint', 'imds-unreachable');
      return is('unreachable', TLS_TEXT.test(text) ? 'tls' : 'identity-endpoint');
    }
    if (/endpoints_resolution_error/.test(text)) return is('unreachable', 'authority');
    if (/expired/i.test(text)) return is('unauthenticated', 'expired-token');
    return is('error', 'credential');
  }

  // Resource calls: RestError (statusCode + code), Key Vault innererror, Storage x-ms-error-code
  // (dataplane-protocols.md §1.7, §2.3, §3.6).
  const status = detail.statusCode;
  const code = detail.code ?? '';
  const inner = detail.innerCode ?? '';
  if (
    status === 401 ||
    /^(InvalidAuthenticationToken|ExpiredAuthenticationToken|InvalidAuthenticationTokenAudience|AuthenticationFailed|InvalidAuthenticationInfo|NoAuthenticationInformation|Unauthorized)/.test(
      code,
    )
  ) {
    if (/Expired|expired|Lifetime validation failed/.test(code + text))
      return is('unauthenticated', 'expired-token');
    if (/Audience|audience/.test(code + text)) return is('unauthenticated', 'wrong-audience');
    return is('unauthenticated', 'invalid-token');
  }
  if (status === 403) {
    const scope = serviceScope(text);
    return { ...is('forbidden', forbiddenReason(inner, code, text)), ...(scope ? { scope } : {}) };
  }
  if (status === 404) return is('not-found', code || 'not-found');
  if (status === 429) return is('throttled', 'service');
  if (status === 408 || status === 504) return is('timeout', 'service');
  if (TLS_TEXT.test(text)) return is('unreachable', 'tls');
  if (codes.some((c) => NETWORK_CODES.includes(c)) || NETWORK_TEXT.test(text))
    return is('unreachable', 'network');
  return is('error', status ? `http-${status}` : 'unexpected');
}
