// Entra's validation of a federated client assertion (docs/identity-wire.md §10.6): the assertion must match a
// federated identity credential of the client exactly and case-sensitively (iss, sub, aud), be within its lifetime,
// and carry a signature that verifies with a key the issuer publishes: Entra fetches
// `<iss>/.well-known/openid-configuration`, then its `jwks_uri`, over HTTPS. The order of the checks follows what
// real bodies show: an issuer Entra cannot even reach still gets AADSTS70021 when no credential names it
// (Azure/azure-workload-identity#616), so matching comes before any fetch — which also means the sandbox only
// ever fetches issuers that a credential of the world names, and only on loopback.
import https from 'node:https';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { JSONWebKeySet } from 'jose';
import type { SandboxError } from '../core/errors.ts';
import type { FederatedCredential } from '../world.ts';
import type { EntraErrorContext } from './errors.ts';
import { entraErrors as E } from './errors.ts';

/** Algorithms Entra accepts for federated assertions; `none`, HMAC and the rest are refused. */
const ACCEPTED_ALGS = ['RS256', 'ES256'];
/** Allowance for clocks that run ahead (nbf / iat slightly in the future). */
const NBF_SKEW_SECONDS = 300;
const FETCH_TIMEOUT_MS = 5000;
const MAX_DOC_BYTES = 1024 * 1024;

export interface AssertionCheck {
  assertion: string;
  clientId: string;
  /** Credentials of the client (its identity's or app's FICs). */
  credentials: FederatedCredential[];
  /** Issuers of tokens Entra itself mints (they may not be federated). */
  entraIssuers: string[];
  /** PEM of the CA the sandbox's servers chain to (the sandbox process may not have NODE_EXTRA_CA_CERTS). */
  caPem: string;
  errorContext: EntraErrorContext;
}

/** jose's decoders (no verification yet): undefined when the part is not a JSON object. */
function decodeOrUndefined<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch {
    return undefined;
  }
}

/** Throws the Entra error a bad assertion earns; returns when the assertion is accepted. */
export async function validateFederatedAssertion(c: AssertionCheck): Promise<void> {
  const ec = c.errorContext;
  const parts = c.assertion.split('.');
  if (parts.length !== 3) throw E.malformedAssertion('The assertion is not a JWS compact serialization.', ec);
  const header = decodeOrUndefined(() => decodeProtectedHeader(c.assertion));
  const payload = decodeOrUndefined(() => decodeJwt(c.assertion));
  if (!header || !payload) throw E.malformedAssertion('The assertion header or payload is not JSON.', ec);
  const alg = header.alg;
  if (typeof alg !== 'string' || !ACCEPTED_ALGS.includes(alg) || parts[2] === '')
    throw E.malformedAssertion(`The signing algorithm '${String(alg)}' is not supported.`, ec);
  const { iss, sub, aud, exp, nbf } = payload;
  const auds =
    typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a) => typeof a === 'string') : [];
  if (typeof iss !== 'string' || typeof sub !== 'string' || auds.length === 0 || typeof exp !== 'number')
    throw E.malformedAssertion('The assertion must carry iss, sub, aud and exp.', ec);

  if (c.entraIssuers.includes(iss)) throw E.entraIssuedAssertion(ec);
  // A self-signed assertion (iss = sub = client id) is a certificate credential; no app here has one.
  if (iss === c.clientId && sub === c.clientId) throw E.certificateNotRegistered(c.clientId, ec);

  const now = Math.floor(Date.now() / 1000);
  const notBefore = typeof nbf === 'number' ? nbf : undefined;
  if (exp <= now || (notBefore !== undefined && notBefore > now + NBF_SKEW_SECONDS))
    throw E.assertionOutsideValidity(now, notBefore, exp, ec);

  // Exact, case-sensitive comparison (Entra enforces case-sensitive FIC matching since 2025, Azure/login#517).
  const match = c.credentials.find(
    (f) => f.issuer === iss && f.subject === sub && auds.some((a) => f.audiences.includes(a)),
  );
  if (!match) throw E.noMatchingFederatedIdentity(iss, sub, auds.join(','), ec);

  const jwks = await fetchIssuerKeys(iss, c.caPem, ec);
  const kid = typeof header.kid === 'string' ? header.kid : typeof header.x5t === 'string' ? header.x5t : '';
  try {
    // Lifetime was checked above with Entra's rules; jose only verifies the signature here.
    await jwtVerify(c.assertion, createLocalJWKSet(jwks), {
      algorithms: ACCEPTED_ALGS,
      currentDate: new Date(Math.min(exp - 1, Math.max(notBefore ?? now, now)) * 1000),
    });
  } catch (err) {
    if (err instanceof joseErrors.JWKSNoMatchingKey) throw E.signingKeyNotFound(kid || '(none)', iss, ec);
    if (err instanceof joseErrors.JWSSignatureVerificationFailed)
      throw E.signatureInvalid(kid || '(none)', ec);
    throw E.malformedAssertion(`The assertion could not be validated (${(err as Error).name}).`, ec);
  }
}

async function fetchIssuerKeys(issuer: string, caPem: string, ec: EntraErrorContext): Promise<JSONWebKeySet> {
  const fail = (): SandboxError => E.issuerUnreachable(issuer, ec);
  const discoveryUrl = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const discovery = await fetchJson(discoveryUrl, caPem).catch(() => undefined);
  const jwksUri = discovery?.jwks_uri;
  if (typeof jwksUri !== 'string') throw fail();
  const jwks = await fetchJson(jwksUri, caPem).catch(() => undefined);
  if (!jwks || !Array.isArray(jwks.keys)) throw fail();
  // Entra stores only the first 100 keys of an issuer (docs/identity-wire.md §10.6).
  return { keys: (jwks.keys as JSONWebKeySet['keys']).slice(0, 100) };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** GET a JSON document over HTTPS from a loopback host, trusting the sandbox CA explicitly. */
function fetchJson(url: string, caPem: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch (err) {
      return reject(err as Error);
    }
    // Entra requires https issuers; the sandbox never leaves the machine.
    if (u.protocol !== 'https:' || !LOOPBACK.has(u.hostname))
      return reject(new Error('not an https loopback URL'));
    const req = https.get(
      u,
      { ca: caPem, timeout: FETCH_TIMEOUT_MS, headers: { accept: 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size > MAX_DOC_BYTES) req.destroy(new Error('document too large'));
          else chunks.push(d);
        });
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
          try {
            const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            if (!v || typeof v !== 'object' || Array.isArray(v))
              return reject(new Error('not a JSON object'));
            resolve(v as Record<string, unknown>);
          } catch (err) {
            reject(err as Error);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}
