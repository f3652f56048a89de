// Token attestation (docs/design.md "Attestation"): a TokenCredential wrapper sees each access token its SDK
// client receives, decodes the claims (jose decodeJwt: no verification, nothing printed), records them for the
// probe in progress, and returns the token to the SDK without keeping it.
//
// The SDK clients cache the token in their bearer policy's token cycler and call getToken again only near expiry
// (core-rest-pipeline util/tokenCycler.js), so a probe may see no getToken at all. One wrapper is made per
// (path, target) client, so the claims it saw last are the claims of the token that client is still sending.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { decodeJwt } from 'jose';
import type { ExpectedIdentity } from './plugins.ts';
import type { Attestation, Claims } from './results.ts';

/** What one probe learns from the credential while it runs. */
export interface TokenRecord {
  /** Claims of the token(s) obtained during this probe, last one last. */
  claims: Claims[];
  tokenMs: number;
  /** Set while a getToken is outstanding (a deadline hit then is a token-phase timeout). */
  pending: number;
  /** performance.now() when the outstanding getToken started. */
  pendingSince?: number;
  error?: unknown;
  /** Set when the probe has finished (e.g. at its deadline): late events are ignored. */
  closed: boolean;
}

const current = new AsyncLocalStorage<TokenRecord>();

export function newTokenRecord(): TokenRecord {
  return { claims: [], tokenMs: 0, pending: 0, closed: false };
}

/** Runs `fn` with `record` as the probe's token record (AsyncLocalStorage, so concurrent probes stay apart). */
export function withTokenRecord<T>(record: TokenRecord, fn: () => Promise<T>): Promise<T> {
  return current.run(record, fn);
}

const CLAIM_STRINGS = ['oid', 'appid', 'tid', 'aud', 'xms_mirid', 'iss', 'idtyp'] as const;

/** The attested claims of an access token; an opaque (non-JWT) token yields no claims. */
export function decodeClaims(token: string): Claims {
  let payload: Record<string, unknown>;
  try {
    payload = decodeJwt(token);
  } catch {
    return {};
  }
  const claims: Claims = {};
  for (const k of CLAIM_STRINGS) {
    const v = payload[k];
    if (typeof v === 'string') claims[k] = v;
    else if (k === 'aud' && Array.isArray(v)) claims.aud = v.join(' ');
  }
  if (typeof payload.iat === 'number') claims.iat = payload.iat;
  if (typeof payload.exp === 'number') claims.exp = payload.exp;
  return claims;
}

/** Compares claims with the identity the settings name; returns one line per mismatch (empty = attested). */
export function compareIdentity(expected: ExpectedIdentity, claims: Claims): string[] {
  const out: string[] = [];
  const eq = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  if (expected.oid) {
    if (!claims.oid) out.push(`token has no oid claim; ${expected.oid.setting} is ${expected.oid.value}`);
    else if (!eq(claims.oid, expected.oid.value))
      out.push(`oid is ${claims.oid} but ${expected.oid.setting} is ${expected.oid.value}`);
  }
  if (expected.appid) {
    if (!claims.appid)
      out.push(`token has no appid claim; ${expected.appid.setting} is ${expected.appid.value}`);
    else if (!eq(claims.appid, expected.appid.value))
      out.push(`appid is ${claims.appid} but ${expected.appid.setting} is ${expected.appid.value}`);
  }
  // xms_mirid is only emitted for some audiences (docs/identity-wire.md §11): compare it when present.
  if (expected.xmsMirid && claims.xms_mirid && !eq(claims.xms_mirid, expected.xmsMirid.value))
    out.push(
      `xms_mirid is ${claims.xms_mirid} but ${expected.xmsMirid.setting} is ${expected.xmsMirid.value}`,
    );
  if (expected.tid && claims.tid && !eq(claims.tid, expected.tid.value))
    out.push(`tid is ${claims.tid} but ${expected.tid.setting} is ${expected.tid.value}`);
  if (!expected.oid && !expected.appid) out.push('no expected oid or appid is configured for this path');
  return out;
}

/** Builds the result's attestation from claims (undefined when there are none to judge). */
export function attest(
  expected: ExpectedIdentity,
  claims: Claims | undefined,
  tokenFrom: Attestation['tokenFrom'],
): Attestation | undefined {
  if (!claims) return undefined;
  const iso = (s: number | undefined) => (s === undefined ? undefined : new Date(s * 1000).toISOString());
  const mismatches = compareIdentity(expected, claims);
  return {
    oid: claims.oid,
    appid: claims.appid,
    tid: claims.tid,
    aud: claims.aud,
    xmsMirid: claims.xms_mirid,
    issuedAt: iso(claims.iat),
    expiresOn: iso(claims.exp),
    tokenFrom,
    expected: {
      oid: expected.oid?.value,
      appid: expected.appid?.value,
      xmsMirid: expected.xmsMirid?.value,
      tid: expected.tid?.value,
    },
    matches: mismatches.length === 0,
    mismatches,
  };
}

/** Wraps one path's credential for one SDK client (see the file comment for why one per client). */
export class AttestingCredential implements TokenCredential {
  readonly #inner: TokenCredential;
  #last: Claims | undefined;
  #pending = 0;

  constructor(inner: TokenCredential) {
    this.#inner = inner;
  }

  /** Claims of the last token this client received: the one its token cycler is still using. */
  get lastClaims(): Claims | undefined {
    return this.#last;
  }

  /**
   * Token requests of this client still outstanding, whichever call started them (a call that waits on another's
   * token request through the client's token cycler is not in its own record, but it is here).
   */
  get pending(): number {
    return this.#pending;
  }

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    const record = current.getStore();
    const started = performance.now();
    if (record && record.pending++ === 0) record.pendingSince = started;
    this.#pending++;
    try {
      const token = await this.#inner.getToken(scopes, options);
      if (token) {
        const claims = decodeClaims(token.token);
        this.#last = claims;
        if (record && !record.closed) record.claims.push(claims);
      }
      return token;
    } catch (err) {
      if (record && !record.closed) record.error = err;
      throw err;
    } finally {
      this.#pending--;
      if (record) {
        record.pending--;
        if (!record.closed) record.tokenMs += performance.now() - started;
      }
    }
  }
}
