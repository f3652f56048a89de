// One sentence per failure, and where it applies the exact `az` command with the real principal id, role and
// scope filled in (user-pain-points.md P2, P6, P7, P9: say what is wrong and the fix, not just the symptom).
// Pure: the runner gathers the facts from settings, the attested token and the error.
import type { ExpectedIdentity } from '../identities/index.ts';
import type { PathId, TargetId } from '../ids.ts';
import type { Classification } from './classify.ts';
import type { Remediation } from './types.ts';

export interface RemediationFacts {
  path: PathId;
  target: TargetId;
  expected: ExpectedIdentity;
  /** The oid that called the service: attested from the token, else the expected one. */
  principalId?: string;
  attested?: { oid?: string; appid?: string; aud?: string; expiresOn?: string };
  mismatches?: string[];
  role: string;
  scope: string;
  audience: string;
  app: { name?: string; resourceGroup?: string };
  timeoutMs: number;
  managedIdentitySource: string;
  identityEnvironment: Readonly<Record<string, boolean>>;
  /** The setting problems when the outcome is `misconfigured` before anything ran. */
  settingProblems?: { setting: string; problem: string }[];
  keyVault: { name?: string; secretName?: string };
  blob: { account?: string; container?: string };
  arm: { subscriptionId?: string; resourceGroup?: string };
  federated?: {
    clientId?: string;
    tenantId?: string;
    issuer?: string;
    subject?: string;
    audience?: string;
    expiresOn?: string;
    source?: string;
  };
}

const SERVICE: Record<TargetId, string> = {
  keyvault: 'Key Vault',
  blob: 'Blob Storage',
  arm: 'Azure Resource Manager',
};

const TARGET_SETTING: Record<TargetId, string> = {
  keyvault: 'KEY_VAULT_URL',
  blob: 'BLOB_SERVICE_URL',
  arm: 'ARM_ENDPOINT',
};

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function appArgs(f: RemediationFacts): string {
  return `--name ${f.app.name ?? '<function-app-name>'} --resource-group ${f.app.resourceGroup ?? f.arm.resourceGroup ?? '<resource-group>'}`;
}

/** A shell expression that yields the user-assigned identity's resource id from whatever selects it. */
function uamiIdExpression(f: RemediationFacts): string {
  if (f.expected.resourceId) return f.expected.resourceId;
  const s = f.expected.selector;
  if (s.kind === 'resourceId' && s.value) return s.value;
  const field = s.kind === 'objectId' ? 'principalId' : 'clientId';
  return `"$(az identity list --query "[?${field}=='${s.value ?? '<id>'}'].id | [0]" -o tsv)"`;
}

function describeSelector(f: RemediationFacts): string {
  const s = f.expected.selector;
  if (s.kind === 'system') return 'the system-assigned identity';
  return `the identity selected by ${s.setting ?? s.kind} ${s.value ?? ''}`.trim();
}

function identityEndpointName(f: RemediationFacts): string {
  if (f.path === 'federated') return 'Entra ID (AZURE_AUTHORITY_HOST)';
  return `the managed identity endpoint (${f.managedIdentitySource})`;
}

function federatedIdentityLookup(clientId: string, field: 'name' | 'resourceGroup'): string {
  return `"$(az identity list --query "[?clientId=='${clientId}'].${field} | [0]" -o tsv)"`;
}

export function wrongIdentityRemediation(f: RemediationFacts): Remediation {
  const got = [f.attested?.oid && `oid ${f.attested.oid}`, f.attested?.appid && `appid ${f.attested.appid}`]
    .filter(Boolean)
    .join(', ');
  const summary = `The ${f.path} token is for ${got || 'an unidentified principal'}, not ${f.expected.description} (${(f.mismatches ?? []).join('; ')}): fix the setting if it names the wrong identity, otherwise the credential selected another identity.`;
  let command: string | undefined;
  if (f.expected.selector.kind === 'system')
    command = `az functionapp identity show ${appArgs(f)} --query principalId -o tsv`;
  else if (f.path === 'federated' || (f.path === 'default-chain' && !f.expected.oid))
    command = `az identity list --query "[?clientId=='${f.expected.appid?.value ?? '<client-id>'}'].{name:name, clientId:clientId, principalId:principalId}" -o table`;
  else
    command = `az identity show --ids ${uamiIdExpression(f)} --query "{clientId:clientId, principalId:principalId}"`;
  return { summary, command };
}

/** The remediation for a classified failure. */
export function remediate(c: Classification, f: RemediationFacts): Remediation {
  const d = c.detail;
  const service = SERVICE[f.target];
  switch (c.kind) {
    case 'ok':
      return { summary: 'Nothing to do.' };
    case 'wrong-identity':
      return wrongIdentityRemediation(f);
    case 'over-privileged': // the privileges check's own kind (src/privileges), never a probe's
      return { summary: 'See the privileges check of this identity (GET /api/privileges/{path}).' };
    case 'misconfigured': {
      const problems = f.settingProblems?.length
        ? f.settingProblems
        : [{ setting: d.setting ?? 'a setting', problem: 'is rejected by the SDK' }];
      const names = problems.map((p) => p.setting);
      let summary = `Fix ${problems.map((p) => `${p.setting} (${p.problem})`).join(', ')}; only the paths and targets that use ${names.length > 1 ? 'these settings' : 'it'} are affected.`;
      if (c.reason === 'challenge-resource')
        summary = `The Key Vault challenge names a resource that KEY_VAULT_URL's host does not end with: use the vault's real URL (https://<name>.vault.azure.net/); only a local sandbox sets KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION=true.`;
      else if (c.reason === 'tenant')
        summary = `AZURE_TENANT_ID does not name the tenant that owns the identity or the resource (${d.aadsts ? `AADSTS${d.aadsts}` : (d.message ?? '')}): set it to the tenant ID shown by \`az account show\`.`;
      else if (c.reason === 'token-source')
        summary = `${d.setting} does not yield the external OIDC token (${d.message ?? 'unreadable'}): point it at the file or URL that holds the workload's token.`;
      return {
        summary,
        command: `az functionapp config appsettings set ${appArgs(f)} --settings ${names.map((n) => `${n}=<value>`).join(' ')}`,
      };
    }
    case 'no-identity-endpoint': {
      const present = Object.entries(f.identityEnvironment)
        .filter(([, v]) => v)
        .map(([k]) => k);
      const uami = f.expected.selector.kind !== 'system' ? ` --identities ${uamiIdExpression(f)}` : '';
      return {
        summary: `No managed identity endpoint answered: IDENTITY_ENDPOINT/IDENTITY_HEADER are not both set (present: ${present.join(', ') || 'none'}), so the SDK used ${f.managedIdentitySource}, which is not available here; enable the identity on the app so the platform injects them.`,
        command: `az functionapp identity assign ${appArgs(f)}${uami}`,
      };
    }
    case 'identity-not-found': {
      if (c.reason === 'application-not-found') {
        const id = f.federated?.clientId ?? f.expected.appid?.value ?? '<client-id>';
        return {
          summary: `Entra ID has no application with client ID ${id} in tenant ${f.federated?.tenantId ?? '<tenant>'} (AADSTS${d.aadsts}): fix ${f.expected.selector.setting ?? 'the client ID setting'} or create the identity.`,
          command: `az identity list --query "[?clientId=='${id}'].{name:name, resourceGroup:resourceGroup, tenantId:tenantId}" -o table`,
        };
      }
      const ids = f.expected.selector.kind === 'system' ? '[system]' : uamiIdExpression(f);
      return {
        summary: `The managed identity endpoint does not have ${describeSelector(f)} for this app (it is not assigned): assign that identity to the function app${f.expected.selector.setting ? `, or fix ${f.expected.selector.setting}` : ''}.`,
        command: `az functionapp identity assign ${appArgs(f)} --identities ${ids}`,
      };
    }
    case 'federation-rejected': {
      const fed = f.federated ?? {};
      const sourceSetting = fed.source === 'url' ? 'FEDERATED_TOKEN_URL' : 'FEDERATED_TOKEN_FILE';
      if (c.reason === 'assertion-expired')
        return {
          summary: `Entra ID rejected the external token as expired (AADSTS${d.aadsts}; it expired ${fed.expiresOn ?? 'earlier'}): whatever writes ${sourceSetting} stopped refreshing it.`,
        };
      if (c.reason === 'issuer-keys' || c.reason === 'issuer-unreachable')
        return {
          summary: `Entra ID could not ${c.reason === 'issuer-keys' ? "find the external token's signing key in the issuer's published keys" : "reach the issuer's OpenID discovery document or keys"} (AADSTS${d.aadsts}; issuer '${fed.issuer ?? '?'}'): the issuer must serve <issuer>/.well-known/openid-configuration and its jwks_uri publicly over HTTPS, with the key that signed the token.`,
          command: `curl -fsS ${q(`${(fed.issuer ?? '<issuer>').replace(/\/$/, '')}/.well-known/openid-configuration`)}`,
        };
      if (c.reason === 'entra-assertion')
        return {
          summary: `Entra ID refused the external token because Entra itself issued it (AADSTS${d.aadsts}): ${sourceSetting} must yield a token from the external identity provider, not an Entra access token.`,
        };
      const clientId = fed.clientId ?? '<client-id>';
      return {
        summary: `Entra ID found no federated credential on identity ${clientId} matching the external token (AADSTS${d.aadsts ?? '?'}; issuer '${fed.issuer ?? '?'}', subject '${fed.subject ?? '?'}', audience '${fed.audience ?? '?'}'); matching is exact and case-sensitive, so add one for this issuer and subject.`,
        command: [
          'az identity federated-credential create --name identity-probes-federation',
          `--identity-name ${federatedIdentityLookup(clientId, 'name')}`,
          `--resource-group ${federatedIdentityLookup(clientId, 'resourceGroup')}`,
          `--issuer ${q(fed.issuer ?? '<issuer>')} --subject ${q(fed.subject ?? '<subject>')}`,
          '--audiences api://AzureADTokenExchange',
        ].join(' '),
      };
    }
    case 'unauthenticated': {
      if (c.reason === 'expired-token')
        return {
          summary: `${service} rejected the access token as expired${f.attested?.expiresOn ? ` (it expired ${f.attested.expiresOn})` : ''}: ${identityEndpointName(f)} issued a token that was already expired, or this host's clock is wrong.`,
        };
      if (c.reason === 'wrong-audience')
        return {
          summary: `${service} rejected the token's audience${f.attested?.aud ? ` '${f.attested.aud}'` : ''}; it expects ${f.audience}: check ${TARGET_SETTING[f.target]} and that ${identityEndpointName(f)} honours the requested resource.`,
        };
      if (c.reason === 'client-credential')
        return {
          summary: `Entra ID rejected the client credential (AADSTS${d.aadsts}): rotate it and update the setting that holds it.`,
        };
      return {
        summary: `${service} did not accept the token (HTTP ${d.statusCode ?? 401}${d.code ? ` ${d.code}` : ''}): it was issued for another tenant, issuer or audience than ${service} trusts; compare the token's tid${f.attested?.aud ? ` and aud '${f.attested.aud}'` : ''} with AZURE_TENANT_ID and ${TARGET_SETTING[f.target]}.`,
      };
    }
    case 'forbidden': {
      const oid = f.principalId ?? '<principal-id>';
      if (c.reason === 'firewall')
        return {
          summary: `${service} network rules refuse this app's address (HTTP 403${d.code ? ` ${d.code}` : ''}${d.innerCode ? `/${d.innerCode}` : ''}): allow the app's outbound addresses or use a private endpoint.`,
          command: `az functionapp show ${appArgs(f)} --query outboundIpAddresses -o tsv`,
        };
      if (c.reason === 'access-policy')
        return {
          summary: `The vault uses access policies, not RBAC, and principal ${oid} has no 'get' secret permission: grant it (or switch the vault to RBAC and assign ${f.role}).`,
          command: `az keyvault set-policy --name ${f.keyVault.name ?? '<vault-name>'} --object-id ${oid} --secret-permissions get`,
        };
      if (c.reason === 'secret-disabled')
        return {
          summary: `The canary secret '${f.keyVault.secretName}' is disabled; enable it.`,
          command: `az keyvault secret set-attributes --vault-name ${f.keyVault.name ?? '<vault-name>'} --name ${f.keyVault.secretName ?? '<secret>'} --enabled true`,
        };
      return {
        summary: `Principal ${oid} (${f.path}) got a token but lacks '${f.role}' on ${f.scope} (HTTP 403${d.code ? ` ${d.code}` : ''}${d.innerCode ? `/${d.innerCode}` : ''}); assign it, then allow up to 10 minutes for the assignment to apply.`,
        command: `az role assignment create --assignee-object-id ${oid} --assignee-principal-type ServicePrincipal --role "${f.role}" --scope ${f.scope}`,
      };
    }
    case 'not-found': {
      switch (c.reason) {
        case 'SecretNotFound':
          return {
            summary: `The canary secret '${f.keyVault.secretName}' does not exist in the vault: create it or fix KEY_VAULT_SECRET_NAME.`,
            command: `az keyvault secret set --vault-name ${f.keyVault.name ?? '<vault-name>'} --name ${f.keyVault.secretName} --value "$(openssl rand -hex 16)"`,
          };
        case 'ResourceGroupNotFound':
          return {
            summary: `Resource group '${f.arm.resourceGroup}' does not exist in subscription ${f.arm.subscriptionId}: fix AZURE_RESOURCE_GROUP or AZURE_SUBSCRIPTION_ID.`,
            command: `az group show --name ${f.arm.resourceGroup} --subscription ${f.arm.subscriptionId}`,
          };
        case 'SubscriptionNotFound':
          return {
            summary: `Subscription ${f.arm.subscriptionId} is not visible to this identity: fix AZURE_SUBSCRIPTION_ID.`,
            command: 'az account list --query "[].{name:name, id:id}" -o table',
          };
        case 'ContainerNotFound':
          return {
            summary: `The container '${f.blob.container}' does not exist in storage account '${f.blob.account}': create it or fix BLOB_CONTAINER_NAME.`,
            command: `az storage container create --account-name ${f.blob.account ?? '<account>'} --name ${f.blob.container} --auth-mode login`,
          };
        case 'CanaryBlobNotFound':
          return {
            summary: `The container '${f.blob.container}' holds no canary blob to read: upload one.`,
            command: `az storage blob upload --account-name ${f.blob.account ?? '<account>'} --container-name ${f.blob.container} --name canary.txt --data canary --auth-mode login`,
          };
        default:
          return {
            summary: `${service} says the resource does not exist (HTTP 404${d.code ? ` ${d.code}` : ''}): check ${TARGET_SETTING[f.target]} and the names next to it.`,
          };
      }
    }
    case 'throttled':
      return {
        summary: `${c.reason === 'identity-endpoint' ? identityEndpointName(f) : service} throttled the probe (HTTP 429${d.retryAfterSeconds !== undefined ? `, Retry-After ${d.retryAfterSeconds} s` : ''}): probe less often (PROBE_SCHEDULE) and make sure credentials and clients are reused, not built per request.`,
      };
    case 'timeout':
      return {
        summary:
          c.reason === 'token'
            ? `No token from ${identityEndpointName(f)} within PROBE_TIMEOUT_MS=${f.timeoutMs} ms: token requests have no client-side timeout, so a hung endpoint would hang every caller; check the endpoint's health.`
            : `${service} did not answer within PROBE_TIMEOUT_MS=${f.timeoutMs} ms${d.endpoint ? ` (${d.endpoint})` : ''}: check its health, network path and private endpoints.`,
      };
    case 'unreachable': {
      const where = d.endpoint ?? (d.phase === 'token' ? identityEndpointName(f) : TARGET_SETTING[f.target]);
      if (c.reason === 'tls')
        return {
          summary: `TLS to ${where} failed: its certificate is not trusted (${d.message ?? ''}); a local sandbox's CA must be in NODE_EXTRA_CA_CERTS before Node starts.`,
        };
      if (c.reason === 'token-source')
        return {
          summary: `${d.setting} did not answer (${d.message ?? ''}): check that the token endpoint is up and reachable.`,
        };
      return {
        summary: `Could not reach ${where}${d.code ? ` (${d.code})` : ''}: check ${d.phase === 'token' ? 'the identity endpoint' : TARGET_SETTING[f.target]}, DNS, firewall and private endpoints.`,
      };
    }
    case 'error':
      return {
        summary: `Unexpected failure${d.statusCode ? ` (HTTP ${d.statusCode}${d.code ? ` ${d.code}` : ''})` : d.errorName ? ` (${d.errorName})` : ''} from ${d.phase === 'token' ? identityEndpointName(f) : service}: usually transient; if it persists, quote ${d.requestId ? `request id ${d.requestId}` : d.correlationId ? `correlation id ${d.correlationId}` : 'the time of failure'} to support.`,
      };
  }
}
