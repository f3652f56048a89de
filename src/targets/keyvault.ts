import { settingProblems } from '../config.ts';
import { RESOURCE_RETRY, resourceGroupScope, type Target } from './types.ts';

/** The vault name from a `https://<name>.vault.azure.net` URL (any sovereign-cloud suffix); undefined otherwise. */
export function vaultName(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const host = new URL(url).hostname;
  return /\.vault(core)?\./i.test(host) ? host.split('.')[0] : undefined;
}

export const keyvault: Target = {
  id: 'keyvault',
  role: 'Key Vault Secrets User',
  audience: () => 'https://vault.azure.net',
  problems: (config) =>
    settingProblems(
      config,
      ['KEY_VAULT_URL', 'KEY_VAULT_SECRET_NAME'],
      ['KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION'],
    ),
  scope(config) {
    const name = vaultName(config.keyVault.url);
    return name
      ? `${resourceGroupScope(config)}/providers/Microsoft.KeyVault/vaults/${name}`
      : `$(az keyvault list --query "[?properties.vaultUri=='${config.keyVault.url}/'].id | [0]" -o tsv)`;
  },
  async createCall(credential, config) {
    const { SecretClient } = await import('@azure/keyvault-secrets');
    const name = config.keyVault.secretName!;
    const client = new SecretClient(config.keyVault.url!, credential, {
      // Sandbox-only switch (logged by config.ts when on): a loopback vault host can never end with the
      // challenge resource's host (identity-protocols.md §13.2).
      disableChallengeResourceVerification: config.keyVault.disableChallengeResourceVerification,
      retryOptions: RESOURCE_RETRY,
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
