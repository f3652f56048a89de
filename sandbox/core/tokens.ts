// The tenant's token service: mints RS256 JWTs with the claim set of a real v1 managed identity / app token
// (docs/identity-wire.md §11, docs/data-plane.md §5) and validates them for the resource servers
// (signature against the tenant's keys, issuer, audience, lifetime).
import {
  SignJWT,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  createLocalJWKSet,
  errors as joseErrors,
} from 'jose';
import type { JWK, JWTPayload, CryptoKey } from 'jose';
import { randomBytes, randomUUID } from 'node:crypto';

export interface TokenSubject {
  /** Object (principal) id: becomes `oid` and `sub`. */
  principalId: string;
  /** Client (application) id: becomes `appid`. */
  clientId: string;
  /** ARM resource id of the managed identity (or of the compute resource for a system identity). */
  miResourceId?: string;
}

export interface IssueOptions {
  subject: TokenSubject;
  /** The resource the token is for, echoed exactly as requested (`aud`). */
  audience: string;
  lifetimeSeconds?: number;
  /** Issue a token that is already expired (fault `expired-token`). */
  expired?: boolean;
  /** `appidacr`: "2" certificate/managed identity (default), "1" client secret. */
  appidacr?: '0' | '1' | '2';
  /**
   * `iss` (and `idp`) other than the tenant's, still signed with the tenant's key: the one way to show that every
   * resource server checks the issuer itself and not only the signature. Only tests set it; nothing the sandbox
   * serves does.
   */
  issuer?: string;
}

export interface VerifyOptions {
  /**
   * Seconds of clock skew allowed on `exp` and `nbf` (default 300, Entra-protected services' usual allowance).
   * The Blob gateway allows none: Azurite behind it refuses a token the moment it expires.
   */
  clockToleranceSeconds?: number;
}

export interface IssuedToken {
  token: string;
  /** Unix seconds. */
  expiresOn: number;
  notBefore: number;
  lifetimeSeconds: number;
}

export type TokenRejection =
  'malformed' | 'alg' | 'signature' | 'unknown-key' | 'expired' | 'not-yet-valid' | 'issuer' | 'audience';

export class TokenValidationError extends Error {
  readonly reason: TokenRejection;
  constructor(reason: TokenRejection, message: string) {
    super(message);
    this.name = 'TokenValidationError';
    this.reason = reason;
  }
}

export interface VerifiedClaims extends JWTPayload {
  oid: string;
  tid: string;
  appid?: string;
  xms_mirid?: string;
}

/** Azure's default managed identity token lifetime is 24 hours (IMDS and App Service report ~86399 s). */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 24 * 3600;

export class TokenService {
  readonly tenantId: string;
  readonly issuer: string;
  readonly kid: string;
  readonly defaultLifetimeSeconds: number;
  #privateKey: CryptoKey;
  #publicJwk: JWK;
  #jwks: ReturnType<typeof createLocalJWKSet>;
  /** Every token issued, so leak tests can search outputs for them (admin /_sandbox/issued). */
  readonly issued = new Set<string>();

  private constructor(
    tenantId: string,
    kid: string,
    privateKey: CryptoKey,
    publicJwk: JWK,
    lifetime: number,
  ) {
    this.tenantId = tenantId;
    this.issuer = `https://sts.windows.net/${tenantId}/`;
    this.kid = kid;
    this.#privateKey = privateKey;
    this.#publicJwk = { ...publicJwk, kid, use: 'sig', alg: 'RS256' };
    this.#jwks = createLocalJWKSet({ keys: [this.#publicJwk] });
    this.defaultLifetimeSeconds = lifetime;
  }

  static async create(
    tenantId: string,
    lifetimeSeconds = DEFAULT_TOKEN_LIFETIME_SECONDS,
  ): Promise<TokenService> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
    const jwk = await exportJWK(publicKey);
    const kid = randomBytes(12).toString('base64url');
    return new TokenService(tenantId, kid, privateKey, jwk, lifetimeSeconds);
  }

  /** The tenant's public signing keys, as Entra's jwks_uri serves them. */
  jwks(): { keys: JWK[] } {
    return { keys: [{ ...this.#publicJwk, x5t: this.kid }] };
  }

  async issue(o: IssueOptions): Promise<IssuedToken> {
    const now = Math.floor(Date.now() / 1000);
    const lifetime = o.lifetimeSeconds ?? this.defaultLifetimeSeconds;
    // An expired token is back-dated beyond any clock-skew allowance (services allow ~5 minutes).
    const iat = o.expired ? now - lifetime - 3600 : now;
    const nbf = iat - 300;
    const exp = iat + lifetime;
    const claims: JWTPayload & Record<string, unknown> = {
      aud: o.audience,
      iss: o.issuer ?? this.issuer,
      iat,
      nbf,
      exp,
      aio: randomBytes(24).toString('base64url'),
      appid: o.subject.clientId,
      appidacr: o.appidacr ?? '2',
      idp: o.issuer ?? this.issuer,
      idtyp: 'app',
      oid: o.subject.principalId,
      rh: `0.${randomBytes(32).toString('base64url')}.`,
      sub: o.subject.principalId,
      tid: this.tenantId,
      uti: randomBytes(16).toString('base64url'),
      ver: '1.0',
    };
    if (o.subject.miResourceId) claims.xms_mirid = o.subject.miResourceId;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid: this.kid, x5t: this.kid })
      .sign(this.#privateKey);
    this.issued.add(token);
    return { token, expiresOn: exp, notBefore: nbf, lifetimeSeconds: lifetime };
  }

  /**
   * Validates a bearer token as a resource server does. `audiences` are compared exactly, except that a trailing
   * slash is ignored (ARM accepts https://management.azure.com and .../ alike, docs/data-plane.md §5).
   */
  async verify(token: string, audiences: string[], opts: VerifyOptions = {}): Promise<VerifiedClaims> {
    const parts = token.split('.');
    if (parts.length !== 3)
      throw new TokenValidationError('malformed', 'The token is not a JWS compact serialization.');
    let header: { alg?: string; kid?: string };
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as {
        alg?: string;
        kid?: string;
      };
    } catch {
      throw new TokenValidationError('malformed', 'The token header is not valid JSON.');
    }
    if (header.alg !== 'RS256')
      throw new TokenValidationError('alg', `The token algorithm '${header.alg}' is not accepted.`);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#jwks, {
        algorithms: ['RS256'],
        clockTolerance: opts.clockToleranceSeconds ?? 300,
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired)
        throw new TokenValidationError('expired', 'The token is expired.');
      if (err instanceof joseErrors.JWKSNoMatchingKey) {
        throw new TokenValidationError(
          'unknown-key',
          'The token is signed by a key the tenant does not know.',
        );
      }
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
        throw new TokenValidationError('signature', 'The token signature is invalid.');
      }
      if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'nbf') {
        throw new TokenValidationError('not-yet-valid', 'The token is not yet valid.');
      }
      throw new TokenValidationError(
        'malformed',
        `The token could not be validated: ${(err as Error).message}`,
      );
    }
    if (payload.iss !== this.issuer) {
      throw new TokenValidationError('issuer', `The token issuer '${payload.iss}' is not accepted.`);
    }
    const norm = (s: string) => s.replace(/\/+$/, '');
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud ?? ''];
    if (!aud.some((a) => audiences.some((x) => norm(x) === norm(a)))) {
      throw new TokenValidationError('audience', `The audience '${aud.join(',')}' is invalid.`);
    }
    if (typeof payload.oid !== 'string' || typeof payload.tid !== 'string') {
      throw new TokenValidationError('malformed', 'The token has no oid or tid claim.');
    }
    return payload as VerifiedClaims;
  }
}

/** A correlation/trace id in the form Entra and the resource providers use. */
export function newRequestId(): string {
  return randomUUID();
}
