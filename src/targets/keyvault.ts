import { CALL_ANSWER_POLICIES } from '../core/answerLog.ts';
import { TARGETS as CATALOG } from '../../common/catalog.ts';
import { settingProblems } from '../config.ts';
import { endpointProblems } from '../core/endpoints.ts';
import { appSettingsCommand, settingNames } from '../core/azCommands.ts';
import type { ErrorKnowledge, RemediationHook } from '../core/plugins.ts';
import type { Target } from '../core/plugins.ts';
import { RESOURCE_RETRY, resourceGroupScope } from './shared.ts';

/** The vault name from a `https://<name>.vault.azure.net` URL (any sovereign-cloud suffix); undefined otherwise. */
export function vaultName(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const host = new URL(url).hostname;
  return /\.vault(core)?\./i.test(host) ? host.split('.')[0] : undefined;
}

// Key Vault's own errors (docs/data-plane.md §1.7; docs/identity-wire.md §13.2).
const errors: ErrorKnowledge = {
  settings: [
    (e) =>
      /The challenge resource .* does not match the requested domain/.test(e.text)
        ? e.is('misconfigured', 'challenge-resource', { setting: 'KEY_VAULT_URL' })
        : undefined,
  ],
  // Why a 403 beyond RBAC: a disabled secret, the vault's access-policy model, its network rules.
  forbidden: [
    (e) => (e.detail.innerCode === 'SecretDisabled' ? e.is('forbidden', 'secret-disabled') : undefined),
    (e) => (e.detail.innerCode === 'AccessDenied' ? e.is('forbidden', 'access-policy') : undefined),
    (e) =>
      e.detail.innerCode === 'ForbiddenByFirewall' || /Client address .* is not authorized/.test(e.text)
        ? e.is('forbidden', 'firewall')
        : undefined,
  ],
  // RBAC's "Resource: '<...>/vaults/<v>/secrets/<s>'": the assignment goes on the vault, as infra/ does.
  scope: (text) => /Resource:\s*'([^']+)'/.exec(text)?.[1]?.replace(/\/secrets\/[^/]+$/i, ''),
};

const remediate: RemediationHook = (c, f) => {
  const vault = f.targetFacts.vaultName ?? '<vault-name>';
  const secret = f.targetFacts.secretName;
  if (c.kind === 'misconfigured' && c.reason === 'challenge-resource')
    return {
      summary: `The Key Vault challenge names a resource that KEY_VAULT_URL's host does not end with: use the vault's real URL (https://<name>.vault.azure.net/); only a local sandbox sets KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION=true.`,
      command: appSettingsCommand(f, settingNames(f, c.detail.setting)),
    };
  if (c.kind === 'forbidden' && c.reason === 'access-policy') {
    const oid = f.principalId ?? '<principal-id>';
    return {
      summary: `The vault uses access policies, not RBAC, and principal ${oid} has no 'get' secret permission: grant it (or switch the vault to RBAC and assign ${f.role}).`,
      command: `az keyvault set-policy --name ${vault} --object-id ${oid} --secret-permissions get`,
    };
  }
  if (c.kind === 'forbidden' && c.reason === 'secret-disabled')
    return {
      summary: `The canary secret '${secret}' is disabled; enable it.`,
      command: `az keyvault secret set-attributes --vault-name ${vault} --name ${secret ?? '<secret>'} --enabled true`,
    };
  if (c.kind === 'not-found' && c.reason === 'SecretNotFound')
    return {
      summary: `The canary secret '${secret}' does not exist in the vault: create it or fix KEY_VAULT_SECRET_NAME.`,
      command: `az keyvault secret set --vault-name ${vault} --name ${secret} --value "$(openssl rand -hex 16)"`,
    };
  return undefined;
};

export const keyvault: Target = {
  id: 'keyvault',
  role: CATALOG.keyvault.role,
  service: 'Key Vault',
  endpointSetting: CATALOG.keyvault.endpointSetting,
  facts: (config) => ({ vaultName: vaultName(config.keyVault.url), secretName: config.keyVault.secretName }),
  errors,
  remediate,
  audience: () => CATALOG.keyvault.audience,
  problems: (config) => [
    ...settingProblems(
      config,
      ['KEY_VAULT_URL', 'KEY_VAULT_SECRET_NAME'],
      ['KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION'],
    ),
    ...endpointProblems(config, 'KEY_VAULT_URL', 'keyvault'),
  ],
  // The vault's name is in a real vault URL's host (https://<name>.vault.azure.net/); any other host (a private
  // endpoint's custom name, the local sandbox) does not say it. No lookup finds it by URI: `az keyvault list` shows
  // no properties. Then the scope keeps a <vault-name> placeholder and remediation says it is missing, unless Key
  // Vault's own 403 named the vault (Classification.scope).
  scope(config) {
    const name = vaultName(config.keyVault.url) ?? '<vault-name>';
    return `${resourceGroupScope(config)}/providers/Microsoft.KeyVault/vaults/${name}`;
  },
  async createCall(credential, config) {
    const { SecretClient } = await import('@azure/keyvault-secrets');
    const name = config.keyVault.secretName!;
    const client = new SecretClient(config.keyVault.url!, credential, {
      // Sandbox-only switch (logged by config.ts when on): a loopback vault host can never end with the
      // challenge resource's host (docs/identity-wire.md §13.2).
      disableChallengeResourceVerification: config.keyVault.disableChallengeResourceVerification,
      retryOptions: RESOURCE_RETRY,
      additionalPolicies: CALL_ANSWER_POLICIES,
    });
    return async (abortSignal) => {
      // Keep only properties: the value is dropped here and never returned, logged or stored.
      const { properties } = await client.getSecret(name, { abortSignal });
      return {
        secret: name,
        version: properties.version ?? null,
        updatedOn: properties.updatedOn?.toISOString() ?? null,
      };
    };
  },
};
