// Every error the Blob gateway itself returns (and the stub's Storage queues, ../queue.ts), in Azure Storage's wire format (docs/data-plane.md §3.6;
// learn.microsoft.com "Status and error codes"): XML `<Error><Code/><Message>…\nRequestId:…\nTime:…</Message>`,
// the code again in `x-ms-error-code`, and Storage's headers. 401s carry Storage's challenge, unquoted and
// space-separated, because the SDK's tenant-challenge parser splits on single spaces (core-client
// authorizeRequestOnTenantChallenge.js). Errors Azurite produces (404 ContainerNotFound, 412 ConditionNotMet, …)
// are forwarded as Azurite wrote them.
import escapeHtml from 'escape-html';
import { randomUUID } from 'node:crypto';
import { SandboxError } from '../../core/errors.ts';
import type { BearerError } from '../auth.ts';

const SERVER = 'Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0';
/** The Queue service's Server header: its errors are Blob's in every other respect (one Storage front end). */
export const QUEUE_SERVER = 'Windows-Azure-Queue/1.0 Microsoft-HTTPAPI/2.0';

/** Storage prints times with seven fractional digits: 2026-11-22T10:00:00.1234567Z. */
export function storageTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

// escape-html escapes & < > " ' (the last as &#39;), which is also all XML text and attributes need.
const escapeXml = (s: string) => escapeHtml(s);

export function challengeHeader(tenantId: string): string {
  return `Bearer authorization_uri=https://login.microsoftonline.com/${tenantId}/oauth2/authorize resource_id=https://storage.azure.com`;
}

export function renderStorageError(
  status: number,
  code: string,
  message: string,
  opts: {
    /** The service's Server header (default: Blob's). */
    server?: string;
    version?: string;
    headers?: Record<string, string>;
    detail?: string;
    /** Extra elements after the message, in order (e.g. HeaderName, HeaderValue). */
    elements?: Array<[string, string]>;
  } = {},
): SandboxError {
  const requestId = randomUUID();
  const detail =
    (opts.detail ? `<AuthenticationErrorDetail>${escapeXml(opts.detail)}</AuthenticationErrorDetail>` : '') +
    (opts.elements ?? []).map(([n, v]) => `<${n}>${escapeXml(v)}</${n}>`).join('');
  const xml = `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${escapeXml(message)}\nRequestId:${requestId}\nTime:${storageTime()}</Message>${detail}</Error>`;
  return SandboxError.xml(status, xml, {
    server: opts.server ?? SERVER,
    'x-ms-request-id': requestId,
    'x-ms-error-code': code,
    ...(opts.version ? { 'x-ms-version': opts.version } : {}),
    ...opts.headers,
  });
}

const AUTH_MESSAGE =
  'Server failed to authenticate the request. Please refer to the information in the www-authenticate header.';

/** Storage's errors as one service (Blob, Queue) sends them: the same codes and bodies, its own Server header. */
export function storageErrors(server: string) {
  const storageError = (
    status: number,
    code: string,
    message: string,
    opts: Omit<Parameters<typeof renderStorageError>[3], 'server'> = {},
  ) => renderStorageError(status, code, message, { ...opts, server });
  return {
    /** No credentials on a private resource (x-ms-version >= 2019-12-12). */
    noAuthenticationInformation(tenantId: string, version?: string): SandboxError {
      return storageError(401, 'NoAuthenticationInformation', AUTH_MESSAGE, {
        version,
        headers: { 'www-authenticate': challengeHeader(tenantId) },
      });
    },

    /** A bearer token Storage refuses, with the reason in AuthenticationErrorDetail (§3.6). */
    invalidToken(tenantId: string, err: BearerError, version?: string): SandboxError {
      const details: Record<string, string> = {
        expired: 'Lifetime validation failed. The token is expired.',
        'not-yet-valid': 'Lifetime validation failed. The token is not yet valid.',
        audience: 'Audience validation failed. Audience did not match.',
        issuer: 'Issuer validation failed. Issuer did not match.',
        signature: 'Signature validation failed. Signature is invalid.',
        'unknown-key': 'Signature validation failed. Unable to match key.',
        alg: 'Signature validation failed. The token algorithm is not supported.',
        malformed: 'The token is malformed.',
      };
      return storageError(401, 'InvalidAuthenticationInfo', AUTH_MESSAGE, {
        version,
        headers: { 'www-authenticate': challengeHeader(tenantId) },
        detail: details[err.reason ?? 'malformed'] ?? details.malformed,
      });
    },

    /** An Authorization header in no scheme Storage knows. */
    invalidAuthenticationFormat(version?: string): SandboxError {
      return storageError(
        400,
        'InvalidAuthenticationInfo',
        'Authentication information is not given in the correct format. Check the value of Authorization header.',
        { version },
      );
    },

    /** Bearer tokens need x-ms-version >= 2017-11-09 (§3.6). */
    bearerNotSupportedInVersion(version?: string): SandboxError {
      return storageError(
        403,
        'AuthenticationFailed',
        'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.',
        { version, detail: 'Authentication scheme Bearer is not supported in this version.' },
      );
    },

    /** Valid token, no role that grants the operation (§3.6; microsoft/AzureStorageExplorer#3767). */
    authorizationPermissionMismatch(version?: string): SandboxError {
      return storageError(
        403,
        'AuthorizationPermissionMismatch',
        'This request is not authorized to perform this operation using this permission.',
        { version },
      );
    },

    /** Shared key or a key-signed SAS on an account with allowSharedKeyAccess=false. */
    keyBasedAuthenticationNotPermitted(version?: string): SandboxError {
      return storageError(
        403,
        'KeyBasedAuthenticationNotPermitted',
        'Key based authentication is not permitted on this storage account.',
        {
          version,
        },
      );
    },

    /**
     * A header value Storage cannot use, e.g. an `x-ms-version` it does not serve: 400 InvalidHeaderValue naming the
     * header and the value (the body @azure/storage-blob's storageRequestFailureDetailsParserPolicy recognizes;
     * https://learn.microsoft.com/rest/api/storageservices/versioning-for-the-azure-storage-services). The answer
     * carries no x-ms-version of its own.
     */
    invalidHeaderValue(name: string, value: string): SandboxError {
      return storageError(
        400,
        'InvalidHeaderValue',
        'The value for one of the HTTP headers is not in the correct format.',
        {
          elements: [
            ['HeaderName', name],
            ['HeaderValue', value],
          ],
        },
      );
    },

    /** A request the server's HTTP parser refused (core/server.ts renderRejection). */
    requestRejected(status: number, code: string, message: string): SandboxError {
      return storageError(status, code, message);
    },

    invalidUri(version?: string): SandboxError {
      return storageError(
        400,
        'InvalidUri',
        'The requested URI does not represent any resource on the server.',
        { version },
      );
    },

    /**
     * A query parameter given more than once: refused, so that the gateway (which maps `comp`/`restype` to an RBAC
     * permission) and Azurite (which may read another of the values) can never act on different operations.
     */
    repeatedQueryParameter(name: string, value: string, version?: string): SandboxError {
      return storageError(
        400,
        'InvalidQueryParameterValue',
        'Value for one of the query parameters specified in the request URI is invalid.',
        {
          version,
          elements: [
            ['QueryParameterName', name],
            ['QueryParameterValue', value],
            ['Reason', 'The parameter is specified more than once.'],
          ],
        },
      );
    },

    unsupportedOperation(version?: string): SandboxError {
      return storageError(
        400,
        'InvalidQueryParameterValue',
        "Value for one of the query parameters specified in the request URI is invalid (the sandbox's gateway does not map this operation to an RBAC permission).",
        { version },
      );
    },

    /** The backend (Azurite) could not be reached. */
    internalError(version?: string): SandboxError {
      return storageError(
        500,
        'InternalError',
        'The server encountered an internal error. Please retry the request.',
        { version },
      );
    },

    /**
     * A `status` fault in Storage's format. Storage throttles with 503 ServerBusy ("Operations per second is over the
     * account limit."); a 429 fault is rendered with the same code and message, since Blob has no other throttle code.
     */
    fault(status: number, retryAfterSeconds?: number, version?: string): SandboxError {
      const headers: Record<string, string> = {};
      if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
      const catalog: Record<number, [string, string]> = {
        429: ['ServerBusy', 'Operations per second is over the account limit.'],
        500: ['InternalError', 'The server encountered an internal error. Please retry the request.'],
        503: ['ServerBusy', 'The server is currently unable to receive requests. Please retry your request.'],
        504: ['OperationTimedOut', 'The operation could not be completed within the permitted time.'],
      };
      const [code, message] = catalog[status] ?? [
        `Http${status}`,
        `The request failed with HTTP status ${status}.`,
      ];
      return storageError(status, code, message, { version, headers });
    },
  };
}

export const blobErrors = storageErrors(SERVER);
