// Reads one probe failure once: the error, its causes and aggregated inner errors flattened into shapes (the
// SDKs' error classes are recognised by name and shape, so this also works across copies of the SDK packages),
// and the sanitized detail a result may carry: codes, status, request ids, a bounded message. Pure: no I/O.
import type { OutcomeKind } from '../ids.ts';
import { sanitizer } from '../core/sanitize.ts';
import type { Classification, ClassifyContext, ErrorReading } from '../core/plugins.ts';
import type { ErrorDetail } from '../core/results.ts';

/** Longest error message a result carries. */
export const MAX_MESSAGE_LENGTH = 800;

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

/** Reads `err` for the classification rules (core/plugins.ts ErrorReading). */
export function readError(err: unknown, ctx: ClassifyContext): ErrorReading {
  const errors = errorChain(err);
  const chain = errors.map(shapeOf);
  const names = chain.map((s) => s.name ?? '');
  const credentialFailure = ctx.tokenFailed || names.some((n) => CREDENTIAL_ERRORS.includes(n));
  const phase: ErrorDetail['phase'] = credentialFailure || ctx.tokenPending ? 'token' : 'call';
  const detail = detailOf(chain, phase);
  return {
    errors,
    names,
    codes: chain.map((s) => s.code ?? ''),
    text: chain.map((s) => s.message).join('\n'),
    detail,
    ctx,
    credentialFailure,
    is: (kind: OutcomeKind, reason: string, extra: Partial<ErrorDetail> = {}): Classification => ({
      kind,
      reason,
      detail: { ...detail, ...extra },
    }),
  };
}
