// Bearer validation shared by Key Vault, ARM and the Blob gateway: the token is checked fully (signature against the
// tenant's keys, issuer, lifetime, audience) by the tenant's token service, then the audience is compared exactly
// against the service's own list, because each service has its own rule about the trailing slash: Key Vault accepts
// only `https://vault.azure.net` ("AKV10022: Invalid audience. Expected https://vault.azure.net, found:
// https://vault.azure.net/." in Azure/go-autorest#525) while ARM and Storage accept both forms
// (docs/data-plane.md §2.3, §3.4, §5). Each service maps a failure to its own 401.
import type { IncomingMessage } from 'node:http';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { SandboxContext } from '../core/context.ts';
import { bearerToken, header } from '../core/http.ts';
import { TokenValidationError } from '../core/tokens.ts';
import type { TokenRejection, VerifiedClaims, VerifyOptions } from '../core/tokens.ts';

/**
 * Key Vault's resource URI, and its first-party application id, which it names as the alternative in the same error
 * ("AKV10022: Invalid audience. Expected https://vault.azure.net or cfa8b339-82a2-471a-a3c9-0fc0be7a4093, found:
 * spn:cfa8b339-…", argoproj-labs/argocd-vault-plugin#621). Never with a trailing slash (Azure/go-autorest#666,
 * Azure/autorest-clientruntime-for-java#510: "Key Vault only accepts https://vault.azure.net").
 */
export const KEY_VAULT_RESOURCE = 'https://vault.azure.net';
export const KEY_VAULT_APP_ID = 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093';
export const KEY_VAULT_AUDIENCES = [KEY_VAULT_RESOURCE, KEY_VAULT_APP_ID];
export const ARM_AUDIENCES = [
  'https://management.azure.com/',
  'https://management.azure.com',
  'https://management.core.windows.net/',
  'https://management.core.windows.net',
];
/** Storage: the resource, its first-party app id, and the account's own service audience (§3.4). */
export function storageAudiences(account: string, service: 'blob' | 'queue' = 'blob'): string[] {
  return [
    'https://storage.azure.com',
    'https://storage.azure.com/',
    'e406a681-f3d4-42a8-90b6-c2b029497af1',
    `https://${account}.${service}.core.windows.net`,
    `https://${account}.${service}.core.windows.net/`,
  ];
}

/** What a rejected token said about itself (decoded without trusting it), for the service's error message. */
export interface UnverifiedToken {
  aud?: string;
  iss?: string;
  exp?: number;
  /** The encoded JOSE header (Key Vault's AKV10046 message quotes it; it carries no claims). */
  encodedHeader?: string;
}

export class BearerError extends Error {
  /** missing: no Authorization header; scheme: not `Bearer <token>`; invalid: the token was refused. */
  readonly kind: 'missing' | 'scheme' | 'invalid';
  readonly reason?: TokenRejection;
  readonly token: UnverifiedToken;
  constructor(
    kind: BearerError['kind'],
    message: string,
    reason?: TokenRejection,
    token: UnverifiedToken = {},
  ) {
    super(message);
    this.name = 'BearerError';
    this.kind = kind;
    this.reason = reason;
    this.token = token;
  }
}

function unverified(token: string): UnverifiedToken {
  const out: UnverifiedToken = { encodedHeader: token.split('.')[0] };
  try {
    decodeProtectedHeader(token);
    const p = decodeJwt(token);
    out.aud = Array.isArray(p.aud) ? p.aud.join(',') : p.aud;
    out.iss = p.iss;
    out.exp = p.exp;
  } catch {
    // not a JWT: nothing to quote
  }
  return out;
}

/** Validates the request's bearer token for a service whose accepted audiences are `audiences` (exact match). */
export async function authenticateBearer(
  ctx: SandboxContext,
  req: IncomingMessage,
  audiences: readonly string[],
  opts: VerifyOptions = {},
): Promise<VerifiedClaims> {
  const auth = header(req, 'authorization');
  if (auth === undefined || auth.trim() === '') throw new BearerError('missing', 'No Authorization header.');
  const token = bearerToken(req);
  if (token === undefined) throw new BearerError('scheme', 'The Authorization header is not a bearer token.');
  let claims: VerifiedClaims;
  try {
    claims = await ctx.tokens.verify(token, [...audiences], opts);
  } catch (err) {
    if (err instanceof TokenValidationError)
      throw new BearerError('invalid', err.message, err.reason, unverified(token));
    throw err;
  }
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud ?? ''];
  if (!aud.some((a) => audiences.includes(a)))
    throw new BearerError(
      'invalid',
      `The audience '${aud.join(',')}' is invalid.`,
      'audience',
      unverified(token),
    );
  return claims;
}
