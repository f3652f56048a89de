import { settingProblems } from '../config.ts';
import { answeringHttpClient } from '../core/answerLog.ts';
import { uamiIdentity } from './expected.ts';
import type { IdentityPath } from '../core/plugins.ts';
import { CREDENTIAL_RETRY, managedIdentityIssuer } from './shared.ts';

export const uamiResourceId: IdentityPath = {
  id: 'uami-resource-id',
  credential: 'ManagedIdentityCredential({ resourceId: UAMI_RESOURCE_ID })',
  problems: (config) =>
    settingProblems(config, ['UAMI_RESOURCE_ID', 'UAMI_OBJECT_ID'], ['UAMI_CLIENT_ID', 'AZURE_TENANT_ID']),
  expected: (config) =>
    uamiIdentity(config, { kind: 'resourceId', value: config.uami.resourceId, setting: 'UAMI_RESOURCE_ID' }),
  cacheKey: (config) => `mi:resource_id:${config.uami.resourceId?.toLowerCase()}`,
  usesManagedIdentity: true,
  tokenIssuer: managedIdentityIssuer,
  async create(config) {
    const { ManagedIdentityCredential } = await import('@azure/identity');
    return new ManagedIdentityCredential({
      resourceId: config.uami.resourceId!,
      retryOptions: CREDENTIAL_RETRY,
      httpClient: answeringHttpClient('token'),
    });
  },
};
