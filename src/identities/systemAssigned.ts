import { settingProblems } from '../config.ts';
import { answeringHttpClient } from '../core/answerLog.ts';
import { systemIdentity } from './expected.ts';
import type { IdentityPath } from '../core/plugins.ts';
import { CREDENTIAL_RETRY, managedIdentityIssuer } from './shared.ts';

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
