// The Entra ID error codes (AADSTS numbers) the app reads, in one table: the generic classifier's
// (probes/classify.ts) and the federated path's (identities/federatedKnowledge.ts).

// AADSTS codes (Entra error bodies: docs/identity-wire.md §10.5; docs/pain-points.md P9).
export const FEDERATION_AADSTS = new Set([
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
export const FEDERATION_REASON: Record<string, string> = {
  '700024': 'assertion-expired',
  '7000272': 'issuer-keys',
  '50166': 'issuer-unreachable',
  '700222': 'entra-assertion',
};
export const IDENTITY_NOT_FOUND_AADSTS = new Set(['700016']); // application not found in the directory
export const TENANT_AADSTS = new Set(['90002', '900023']); // tenant not found / invalid tenant identifier
export const CLIENT_CREDENTIAL_AADSTS = new Set(['7000215', '7000222', '7000218']); // invalid / expired client secret

/**
 * Entra's current answers name the field of the assertion that no federated credential matches (Azure/login#482,
 * #515, #517; Azure/azure-workload-identity#1200): 700211 issuer, 700212 audience, 700213 and 7002137 subject,
 * 7002138 a subject that matches only when case is ignored. The 2022 AADSTS70021 does not say which.
 */
export const FIC_FIELD: Record<string, string> = {
  '700211': 'fic-issuer',
  '700212': 'fic-audience',
  '700213': 'fic-subject',
  '7002137': 'fic-subject',
  '7002138': 'fic-subject-case',
};
