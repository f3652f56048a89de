// What only the federated path knows about its failures: its token source's errors (classify.ts reads them through
// IdentityPath.errors) and the fixes for a token Entra ID refused (remediation.ts asks IdentityPath.remediate).
import { appSettingsCommand, q, settingNames } from '../probes/az.ts';
import { NETWORK_CODES, TLS_TEXT } from '../probes/errorReading.ts';
import type { ClassifyRule, RemediationFacts, RemediationHook } from '../probes/seams.ts';
import type { Remediation } from '../probes/types.ts';

/** FederatedTokenSourceError: the external token could not be had from FEDERATED_TOKEN_FILE / _URL. */
export const tokenSourceRule: ClassifyRule = (e) => {
  const sourceError = e.errors.find((x) => (x as Error)?.name === 'FederatedTokenSourceError') as
    { setting: string; cause?: unknown } | undefined;
  if (!sourceError) return undefined;
  const causeCode = (sourceError.cause as { code?: string })?.code ?? '';
  return NETWORK_CODES.includes(causeCode) || TLS_TEXT.test(e.text)
    ? e.is('unreachable', 'token-source', { setting: sourceError.setting })
    : e.is('misconfigured', 'token-source', { setting: sourceError.setting });
};

function identityLookup(clientId: string, field: 'name' | 'resourceGroup'): string {
  return `"$(az identity list --query "[?clientId=='${clientId}'].${field} | [0]" -o tsv)"`;
}

function federationRejected(reason: string, aadsts: string | undefined, f: RemediationFacts): Remediation {
  const fed = f.pathFacts ?? {};
  const sourceSetting = fed.source === 'url' ? 'FEDERATED_TOKEN_URL' : 'FEDERATED_TOKEN_FILE';
  if (reason === 'assertion-expired')
    return {
      summary: `Entra ID rejected the external token as expired (AADSTS${aadsts}; it expired ${fed.expiresOn ?? 'earlier'}): whatever writes ${sourceSetting} stopped refreshing it.`,
    };
  if (reason === 'issuer-keys' || reason === 'issuer-unreachable')
    return {
      summary: `Entra ID could not ${reason === 'issuer-keys' ? "find the external token's signing key in the issuer's published keys" : "reach the issuer's OpenID discovery document or keys"} (AADSTS${aadsts}; issuer '${fed.issuer ?? '?'}'): the issuer must serve <issuer>/.well-known/openid-configuration and its jwks_uri publicly over HTTPS, with the key that signed the token.`,
      command: `curl -fsS ${q(`${(fed.issuer ?? '<issuer>').replace(/\/$/, '')}/.well-known/openid-configuration`)}`,
    };
  if (reason === 'entra-assertion')
    return {
      summary: `Entra ID refused the external token because Entra itself issued it (AADSTS${aadsts}): ${sourceSetting} must yield a token from the external identity provider, not an Entra access token.`,
    };
  const clientId = fed.clientId ?? '<client-id>';
  return {
    summary: `Entra ID found no federated credential on identity ${clientId} matching the external token (AADSTS${aadsts ?? '?'}; issuer '${fed.issuer ?? '?'}', subject '${fed.subject ?? '?'}', audience '${fed.audience ?? '?'}'); matching is exact and case-sensitive, so add one for this issuer and subject.`,
    command: [
      'az identity federated-credential create --name identity-probes-federation',
      `--identity-name ${identityLookup(clientId, 'name')}`,
      `--resource-group ${identityLookup(clientId, 'resourceGroup')}`,
      `--issuer ${q(fed.issuer ?? '<issuer>')} --subject ${q(fed.subject ?? '<subject>')}`,
      '--audiences api://AzureADTokenExchange',
    ].join(' '),
  };
}

export const federatedRemediation: RemediationHook = (c, f) => {
  const d = c.detail;
  if (c.kind === 'federation-rejected') return federationRejected(c.reason, d.aadsts, f);
  if (c.reason !== 'token-source') return undefined;
  if (c.kind === 'unreachable')
    return {
      summary: `${d.setting} did not answer (${d.message ?? ''}): check that the token endpoint is up and reachable.`,
    };
  if (c.kind === 'misconfigured')
    return {
      summary: `${d.setting} does not yield the external OIDC token (${d.message ?? 'unreadable'}): point it at the file or URL that holds the workload's token.`,
      command: appSettingsCommand(f, settingNames(f, d.setting)),
    };
  return undefined;
};
