import { settingProblems } from '../config.ts';
import { answeringHttpClient } from '../core/answerLog.ts';
import { uamiIdentity } from './expected.ts';
import type { IdentityPath } from '../core/plugins.ts';
import { CREDENTIAL_RETRY, managedIdentityIssuer } from './shared.ts';

export const uamiObjectId: IdentityPath = {
  id: 'uami-object-id',
  credential: 'ManagedIdentityCredential({ objectId: UAMI_OBJECT_ID })',
  problems: (config) =>
    settingProblems(config, ['UAMI_OBJECT_ID'], ['UAMI_CLIENT_ID', 'UAMI_RESOURCE_ID', 'AZURE_TENANT_ID']),
  expected: (config) =>
    uamiIdentity(config, { kind: 'objectId', value: config.uami.objectId, setting: 'UAMI_OBJECT_ID' }),
  cacheKey: (config) => `mi:object_id:${config.uami.objectId?.toLowerCase()}`,
  usesManagedIdentity: true,
  tokenIssuer: managedIdentityIssuer,
  async create(config) {
    const { ManagedIdentityCredential } = await import('@azure/identity');
    return new ManagedIdentityCredential({
      objectId: config.uami.objectId!,
      retryOptions: CREDENTIAL_RETRY,
      httpClient: answeringHttpClient('token'),
    });
  },
};
