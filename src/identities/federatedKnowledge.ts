// What only the federated path knows about its failures: its token source's errors (classify.ts reads them through
// IdentityPath.errors) and the fixes for a token Entra ID refused (remediation.ts asks IdentityPath.remediate).
import { IDENTITIES } from '../../common/catalog.ts';
import { appSettingsCommand, q, settingNames } from '../core/azCommands.ts';
import { FIC_FIELD } from '../core/entraCodes.ts';
import { NETWORK_CODES, TLS_TEXT } from '../core/networkErrors.ts';
import type { ClassifyRule, RemediationFacts, RemediationHook } from '../core/plugins.ts';
import type { Remediation } from '../core/results.ts';

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

/** A federated credential mismatch, with the field Entra named. */
export const ficFieldRule: ClassifyRule = (e) => {
  const reason = e.detail.aadsts ? FIC_FIELD[e.detail.aadsts] : undefined;
  return reason ? e.is('federation-rejected', reason) : undefined;
};

/** What the reason says differs, in words, and the value the token carries there. */
function mismatch(reason: string, fed: Readonly<Record<string, string | undefined>>): string {
  switch (reason) {
    case 'fic-issuer':
      return `no federated credential on the identity has the token's issuer '${fed.issuer ?? '?'}'`;
    case 'fic-subject':
      return `no federated credential with this issuer has the token's subject '${fed.subject ?? '?'}'`;
    case 'fic-subject-case':
      return `a federated credential has the token's subject '${fed.subject ?? '?'}' only in another letter case (matching is case-sensitive)`;
    case 'fic-audience':
      return `the federated credential with this issuer and subject does not list the token's audience '${fed.audience ?? '?'}'`;
    default:
      return `no federated credential matches the token (issuer '${fed.issuer ?? '?'}', subject '${fed.subject ?? '?'}', audience '${fed.audience ?? '?'}'); matching is exact and case-sensitive`;
  }
}

/**
 * `--identity-name … --resource-group …` of the federated identity, from FEDERATED_RESOURCE_ID. No lookup by client
 * ID: `az identity list` needs read access at subscription scope, and an empty result would make a broken command;
 * without the setting the placeholders make remediation say what is missing.
 */
function identityArgs(resourceId: string | undefined): string {
  const m =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/([^/]+)$/i.exec(
      resourceId ?? '',
    );
  if (!m)
    return '--identity-name <federated-identity-name> --resource-group <federated-identity-resource-group>';
  return `--identity-name ${m[3]} --resource-group ${m[2]} --subscription ${m[1]}`;
}

/**
 * The federated credential the template declares (infra/modules/identities.bicep names it from the catalog): the fix
 * writes that one, so the next deployment updates it rather than conflicting with a second credential that has the
 * same issuer and subject.
 */
const DECLARED_CREDENTIAL = IDENTITIES.federated.federatedCredentials[0].name;

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
    summary: `Entra ID refused the external token (AADSTS${aadsts ?? '?'}): ${mismatch(reason, fed)}. Give the federated credential '${DECLARED_CREDENTIAL}' on identity ${clientId} exactly the token's issuer, subject and audience${fed.resourceId ? '' : ' (set FEDERATED_RESOURCE_ID to have the command name the identity)'}: \`npm run deploy\` with --federated-issuer and --federated-subject set to the token's writes it, or the command below updates it under the template's name (a credential under another name with the same issuer and subject would make the next deployment fail). Deploy with those values from then on, or the next deployment puts the old ones back.`,
    command: [
      `az identity federated-credential create --name ${DECLARED_CREDENTIAL}`,
      identityArgs(fed.resourceId),
      `--issuer ${q(fed.issuer ?? '<issuer>')} --subject ${q(fed.subject ?? '<subject>')}`,
      `--audiences ${q(fed.audience ?? '<audience>')}`,
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
