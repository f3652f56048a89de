import { settingProblems } from '../config.ts';
import { answeringHttpClient } from '../core/answerLog.ts';
import { defaultChainIdentity, defaultChainNamesUami } from './expected.ts';
import type { IdentityPath } from '../core/plugins.ts';
import { CREDENTIAL_RETRY, managedIdentityIssuer } from './shared.ts';

export const defaultChain: IdentityPath = {
  id: 'default-chain',
  credential: 'DefaultAzureCredential({ managedIdentityClientId: AZURE_CLIENT_ID })',
  problems(config) {
    const optional = ['AZURE_CLIENT_ID', 'AZURE_TOKEN_CREDENTIALS', 'AZURE_TENANT_ID'];
    // The oid to attest comes from the identity AZURE_CLIENT_ID names (expected.ts defaultChainIdentity).
    if (!config.present.includes('AZURE_CLIENT_ID'))
      return settingProblems(config, ['SYSTEM_PRINCIPAL_ID'], optional);
    if (defaultChainNamesUami(config))
      return settingProblems(config, ['UAMI_OBJECT_ID'], [...optional, 'UAMI_RESOURCE_ID']);
    return settingProblems(config, [], optional);
  },
  expected: defaultChainIdentity,
  // The chain's managed identity asks for client_id=AZURE_CLIENT_ID, the same cache entry as uami-client-id.
  cacheKey: (config) =>
    config.defaultChain.clientId ? `mi:client_id:${config.defaultChain.clientId.toLowerCase()}` : 'mi:system',
  usesManagedIdentity: true,
  errors: {
    // DefaultAzureCredential's constructor rejects a bad AZURE_TOKEN_CREDENTIALS (docs/identity-wire.md §12.2).
    settings: [
      (e) =>
        /Invalid value for AZURE_TOKEN_CREDENTIALS/.test(e.text)
          ? e.is('misconfigured', 'setting', { setting: 'AZURE_TOKEN_CREDENTIALS' })
          : undefined,
    ],
  },
  tokenIssuer: managedIdentityIssuer,
  async create(config) {
    const { DefaultAzureCredential } = await import('@azure/identity');
    // AZURE_TOKEN_CREDENTIALS is read by the SDK itself from the environment (docs/identity-wire.md §12.2);
    // config.ts validates it first so a bad value is a `misconfigured` result, not a constructor throw.
    return new DefaultAzureCredential({
      ...(config.defaultChain.clientId ? { managedIdentityClientId: config.defaultChain.clientId } : {}),
      retryOptions: CREDENTIAL_RETRY,
      httpClient: answeringHttpClient('token'),
    });
  },
};
