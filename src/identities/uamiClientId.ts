import { settingProblems } from '../config.ts';
import { answeringHttpClient } from '../core/answerLog.ts';
import { uamiIdentity } from './expected.ts';
import type { IdentityPath } from '../core/plugins.ts';
import { CREDENTIAL_RETRY, managedIdentityIssuer } from './shared.ts';

export const uamiClientId: IdentityPath = {
  id: 'uami-client-id',
  credential: 'ManagedIdentityCredential({ clientId: UAMI_CLIENT_ID })',
  problems: (config) =>
    settingProblems(config, ['UAMI_CLIENT_ID', 'UAMI_OBJECT_ID'], ['UAMI_RESOURCE_ID', 'AZURE_TENANT_ID']),
  expected: (config) =>
    uamiIdentity(config, { kind: 'clientId', value: config.uami.clientId, setting: 'UAMI_CLIENT_ID' }),
  cacheKey: (config) => `mi:client_id:${config.uami.clientId?.toLowerCase()}`,
  usesManagedIdentity: true,
  tokenIssuer: managedIdentityIssuer,
  async create(config) {
    const { ManagedIdentityCredential } = await import('@azure/identity');
    return new ManagedIdentityCredential({
      clientId: config.uami.clientId!,
      retryOptions: CREDENTIAL_RETRY,
      httpClient: answeringHttpClient('token'),
    });
  },
};
