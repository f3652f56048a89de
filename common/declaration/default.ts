// The default declaration: the canary demo (every identity path x every catalog target, all `allowed`) written as a
// declaration, generated from the catalog by `npm run catalog` into declarations/default.json and checked against
// it (test/infra/catalog.test.ts). Every value is a `%SETTING%` reference to the app settings the Bicep and the
// sandbox already set, so the same file serves every environment.
import { IDENTITIES, PATH_IDS, TARGET_IDS, identityOfPath, type PathId, type TargetId } from '../catalog.ts';
import {
  DECLARATION_SCHEMA_VERSION,
  type Declaration,
  type IdentityDeclaration,
  type ResourceDeclaration,
} from './schema.ts';

const ref = (setting: string) => `%${setting}%`;

/** The first setting that carries an identity's field. */
function settingOf(path: PathId, field: 'clientId' | 'principalId' | 'resourceId'): string {
  const names = (IDENTITIES[identityOfPath(path)].settings as Partial<Record<string, readonly string[]>>)[
    field
  ];
  if (!names?.length) throw new Error(`the catalog has no ${field} setting for ${path}'s identity`);
  return ref(names[0]);
}

/** Each path as a declared identity: how it selects, and the settings that say what it must come back as. */
const PATH_IDENTITY: Record<PathId, () => IdentityDeclaration> = {
  'system-assigned': () => ({
    kind: 'system-assigned',
    principalId: settingOf('system-assigned', 'principalId'),
  }),
  'uami-client-id': () => userAssigned('uami-client-id', 'client-id'),
  'uami-object-id': () => userAssigned('uami-object-id', 'object-id'),
  'uami-resource-id': () => userAssigned('uami-resource-id', 'resource-id'),
  // Optional fields that are only a reference to an unset setting are left out (./parse.ts), as the app treats the
  // optional settings today.
  'default-chain': () => ({
    kind: 'default-chain',
    clientId: ref('AZURE_CLIENT_ID'),
    tokenCredentials: ref('AZURE_TOKEN_CREDENTIALS'),
  }),
  federated: () => ({
    kind: 'federated',
    tenantId: ref('AZURE_TENANT_ID'),
    clientId: settingOf('federated', 'clientId'),
    principalId: settingOf('federated', 'principalId'),
    tokenFile: ref('FEDERATED_TOKEN_FILE'),
    tokenUrl: ref('FEDERATED_TOKEN_URL'),
  }),
};

function userAssigned(
  path: PathId,
  selectBy: 'client-id' | 'object-id' | 'resource-id',
): IdentityDeclaration {
  return {
    kind: 'user-assigned',
    selectBy,
    clientId: settingOf(path, 'clientId'),
    principalId: settingOf(path, 'principalId'),
    resourceId: settingOf(path, 'resourceId'),
  };
}

/** Each catalog target as a declared resource, from its own settings (common/targets-catalog.ts). */
const TARGET_RESOURCE: Record<TargetId, () => ResourceDeclaration> = {
  keyvault: () => ({
    kind: 'keyvault-secret',
    vaultUrl: ref('KEY_VAULT_URL'),
    secretName: ref('KEY_VAULT_SECRET_NAME'),
  }),
  blob: () => ({
    kind: 'blob-container',
    serviceUrl: ref('BLOB_SERVICE_URL'),
    container: ref('BLOB_CONTAINER_NAME'),
  }),
  arm: () => ({
    kind: 'arm-scope',
    scope: `/subscriptions/${ref('AZURE_SUBSCRIPTION_ID')}/resourceGroups/${ref('AZURE_RESOURCE_GROUP')}`,
    endpoint: ref('ARM_ENDPOINT'),
    audience: ref('ARM_AUDIENCE'),
  }),
};

export function defaultDeclaration(): Declaration {
  return {
    $schema: './probes.schema.json',
    schemaVersion: DECLARATION_SCHEMA_VERSION,
    name: 'canary-demo',
    version: '1',
    identities: Object.fromEntries(PATH_IDS.map((p) => [p, PATH_IDENTITY[p]()])),
    resources: Object.fromEntries(TARGET_IDS.map((t) => [t, TARGET_RESOURCE[t]()])),
    probes: PATH_IDS.flatMap((identity) => TARGET_IDS.map((resource) => ({ identity, resource }))),
  };
}
