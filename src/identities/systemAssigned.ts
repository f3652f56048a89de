import { settingProblems } from '../config.ts';
import { answeringHttpClient } from '../lastAnswer.ts';
import { systemIdentity } from './expected.ts';
import { CREDENTIAL_RETRY, managedIdentityIssuer, type IdentityPath } from './types.ts';

export const systemAssigned: IdentityPath = {
  id: 'system-assigned',
  credential: 'ManagedIdentityCredential()',
  problems: (config) => settingProblems(config, ['SYSTEM_PRINCIPAL_ID'], ['AZURE_TENANT_ID']),
  expected: systemIdentity,
  cacheKey: () => 'mi:system',
  usesManagedIdentity: true,
  tokenIssuer: managedIdentityIssuer,
  async create() {
    const { ManagedIdentityCredential } = await import('@azure/identity');
    return new ManagedIdentityCredential({
      retryOptions: CREDENTIAL_RETRY,
      httpClient: answeringHttpClient('token'),
    });
  },
};
