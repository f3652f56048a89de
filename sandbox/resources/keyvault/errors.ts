// Every error the sandbox's Key Vault returns, in the real wire format (docs/data-plane.md §1.7):
// `{"error":{"code","message","innererror"?:{"code"}}}`, JSON, with Key Vault's headers. Every 401 carries the
// challenge, because the SDK answers a 401 with WWW-Authenticate by getting a token and retrying once (§1.6.7).
import { randomUUID } from 'node:crypto';
import { SandboxError } from '../../core/errors.ts';
import { KEY_VAULT_APP_ID, KEY_VAULT_RESOURCE } from '../auth.ts';
import type { BearerError } from '../auth.ts';

/**
 * The challenge names the real authority host. The SDK takes only the tenant from it (the path of `authorization`,
 * keyvault-common parseWWWAuthenticate.js) and asks its own credential for the token, which in the sandbox goes
 * to the sandbox's identity plane anyway; naming the real host keeps the header byte-for-byte what Key Vault sends
 * (issue Azure/azure-sdk-for-js#31094 capture) and keeps this plane independent of where Entra listens.
 */
export function challengeHeader(tenantId: string): string {
  return `Bearer authorization="https://login.microsoftonline.com/${tenantId}", resource="${KEY_VAULT_RESOURCE}"`;
}

function kvHeaders(location: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'cache-control': 'no-cache',
    pragma: 'no-cache',
    expires: '-1',
    'x-ms-keyvault-region': location,
    'x-ms-request-id': randomUUID(),
    'x-ms-keyvault-service-version': '1.9.2795.1',
    'x-content-type-options': 'nosniff',
    ...extra,
  };
}

function kvError(
  status: number,
  code: string,
  message: string,
  location: string,
  opts: { inner?: string; headers?: Record<string, string> } = {},
): SandboxError {
  const error: Record<string, unknown> = { code, message };
  if (opts.inner) error.innererror = { code: opts.inner };
  return SandboxError.json(status, { error }, kvHeaders(location, opts.headers));
}

export interface ForbiddenDetails {
  appid?: string;
  oid: string;
  tenantId: string;
  action: string;
  /** ARM id of the vault or secret the action is on. */
  resource: string;
  vault: string;
  location: string;
}

export const keyVaultErrors = {
  /** 401 before anything else when there is no bearer token: the SDK's first request is sent without one (§1.6.1). */
  missingToken(tenantId: string, location: string): SandboxError {
    return kvError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', location, {
      headers: { 'www-authenticate': challengeHeader(tenantId) },
    });
  },

  /** 401 for a token Key Vault refuses, with the challenge so the SDK gets a fresh token once. */
  invalidToken(tenantId: string, location: string, err: BearerError): SandboxError {
    const t = err.token;
    let message: string;
    switch (err.reason) {
      case 'expired':
        // Seen from real vaults for an expired token (CDCgov/prime-reportstream#2566, azure-sdk-for-python#27266).
        message = "[TokenExpired] Error validating token: 'S2S12086'.";
        break;
      case 'audience':
        // argoproj-labs/argocd-vault-plugin#621 quotes both accepted forms.
        message = `AKV10022: Invalid audience. Expected ${KEY_VAULT_RESOURCE} or ${KEY_VAULT_APP_ID}, found: ${t.aud ?? ''}.`;
        break;
      case 'issuer':
        message = `AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${tenantId}/, found ${t.iss ?? ''}.`;
        break;
      case 'unknown-key':
        // Azure-Samples/azuresandbox#362; the real message goes on to quote the encoded JWT header (no claims in it).
        message = `AKV10046: Unable to resolve the key used for signature validation. EncodedJwtHeader: '${t.encodedHeader ?? ''}'`;
        break;
      case 'not-yet-valid':
        message = "[TokenNotYetValid] Error validating token: 'S2S12085'."; // wording not collected (sandbox)
        break;
      case 'signature':
        message = "[InvalidSignature] Error validating token: 'S2S12005'."; // wording not collected (sandbox)
        break;
      default:
        message = 'AKV10001: Request is not a valid Bearer or PoP token.'; // wording not collected (sandbox)
    }
    if (err.kind !== 'invalid') message = 'AKV10000: Request is missing a Bearer or PoP token.';
    return kvError(401, 'Unauthorized', message, location, {
      headers: { 'www-authenticate': challengeHeader(tenantId) },
    });
  },

  /**
   * 403 ForbiddenByRbac, lines separated by CRLF; the resource path is lowercased except the secret name
   * (§1.7, issues piyushsachdeva/Terraform_AKS#2, hashicorp/terraform-provider-azurerm#27817).
   */
  forbiddenByRbac(d: ForbiddenDetails): SandboxError {
    const m = /^(.*?)(\/secrets\/.*)?$/.exec(d.resource)!;
    const resource = `${m[1].toLowerCase()}${m[2] ?? ''}`;
    const caller = `${d.appid ? `appid=${d.appid};` : ''}oid=${d.oid};iss=https://sts.windows.net/${d.tenantId}/`;
    const message = [
      'Caller is not authorized to perform action on resource.',
      'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
      `Caller: ${caller}`,
      `Action: '${d.action}'`,
      `Resource: '${resource}'`,
      'Assignment: (not found)',
      'DenyAssignmentId: null',
      "DecisionReason: 'DeniedWithNoValidRBAC'",
      `Vault: ${d.vault};location=${d.location}`,
    ].join('\r\n');
    return kvError(403, 'Forbidden', message, d.location, { inner: 'ForbiddenByRbac' });
  },

  secretNotFound(name: string, version: string | undefined, location: string): SandboxError {
    const id = version ? `${name}/${version}` : name;
    return kvError(
      404,
      'SecretNotFound',
      `A secret with (name/id) ${id} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
      location,
    );
  },

  deletedSecretNotFound(name: string, location: string): SandboxError {
    return kvError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`, location); // wording not collected
  },

  /** §1.5: GET on a disabled secret (issue Azure/azure-sdk-for-js#24756). */
  secretDisabled(location: string): SandboxError {
    return kvError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', location, {
      inner: 'SecretDisabled',
    });
  },

  /** §1.5: PUT of a name that is deleted but not purged (MicrosoftDocs/azure-docs#77545; key wording, secret substituted). */
  deletedConflict(name: string, location: string): SandboxError {
    return kvError(
      409,
      'Conflict',
      `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
      location,
    );
  },

  /** A request the server's HTTP parser refused (core/server.ts renderRejection). */
  requestRejected(status: number, code: string, message: string, location: string): SandboxError {
    return kvError(status, code, message, location);
  },

  badParameter(message: string, location: string): SandboxError {
    return kvError(400, 'BadParameter', message, location);
  },

  invalidName(name: string, location: string): SandboxError {
    return kvError(400, 'BadParameter', `The request URI contains an invalid name: ${name}`, location);
  },

  notFound(path: string, location: string): SandboxError {
    return kvError(
      404,
      'NotFound',
      `The requested path '${path}' is not a Key Vault secrets operation.`,
      location,
    );
  },

  methodNotAllowed(method: string, location: string): SandboxError {
    return kvError(
      405,
      'MethodNotAllowed',
      `The HTTP method '${method}' is not allowed on this resource.`,
      location,
    );
  },

  /** A `status` fault in Key Vault's format; 429 as the real throttle (vcsjones/AzureSignTool#219). */
  fault(status: number, location: string, retryAfterSeconds?: number): SandboxError {
    const headers: Record<string, string> = {};
    if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
    const catalog: Record<number, [string, string]> = {
      429: [
        'Throttled',
        'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached',
      ],
      500: ['InternalServerError', 'An internal server error occurred. Please retry the request.'],
      502: ['BadGateway', 'The service received an invalid response from an upstream server.'],
      503: ['ServiceUnavailable', 'The service is temporarily unavailable. Please retry the request.'],
      504: ['GatewayTimeout', 'The service did not respond in time. Please retry the request.'],
    };
    const [code, message] = catalog[status] ?? [
      `Http${status}`,
      `The request failed with HTTP status ${status}.`,
    ];
    return kvError(status, code, message, location, { headers });
  },
};
