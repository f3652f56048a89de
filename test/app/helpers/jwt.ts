// Real signed JWTs for unit tests (jose), shaped like v1 managed-identity access tokens
// (docs/identity-wire.md §11) or external OIDC tokens.
import { generateKeyPair, SignJWT, type JWTPayload } from 'jose';

const keys = generateKeyPair('RS256');

export async function signJwt(claims: JWTPayload, lifetimeSeconds = 3600): Promise<string> {
  const { privateKey } = await keys;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iat: now, nbf: now, exp: now + lifetimeSeconds, ...claims })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .sign(privateKey);
}
