// Azure's built-in role definitions that this project uses, with their real permissions (Microsoft Learn "Azure
// built-in roles": https://learn.microsoft.com/azure/role-based-access-control/built-in-roles, general, security,
// storage and monitor sections; docs/data-plane.md §1.8, §2.4, §3.7, §4.4). Every entry is copied from the
// published definition, not trimmed, so that notActions and wildcards behave as they do in Azure. One copy for the
// sandbox's RBAC (sandbox/resources/rbac/roles.ts) and the app's privileges check (src/privileges/catalog.ts). Part of
// the catalog (common/catalog.ts re-exports ROLES): a role's GUID and its permissions sit side by side, so a new role
// is one edit here.

/** Built-in role definition GUIDs (Azure built-in roles reference; docs/data-plane.md §4.4). */
export const ROLES = {
  Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  'User Access Administrator': '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  'Key Vault Administrator': '00482a5a-887f-4fb3-b363-3b7fe8e74483',
  'Key Vault Reader': '21090545-7ca7-4776-b22c-e363652d74d2',
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Queue Data Reader': '19e7f393-937e-4f77-808e-94535e297925',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
} as const;
export type RoleName = keyof typeof ROLES;

export interface Permission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export interface RoleDefinition {
  /** GUID (the `name` of the ARM role definition resource). */
  id: string;
  roleName: string;
  description: string;
  roleType: 'BuiltInRole';
  assignableScopes: string[];
  permissions: Permission[];
}

const perm = (p: Partial<Permission>): Permission => ({
  actions: p.actions ?? [],
  notActions: p.notActions ?? [],
  dataActions: p.dataActions ?? [],
  notDataActions: p.notDataActions ?? [],
});

const role = (roleName: RoleName, description: string, p: Partial<Permission>): RoleDefinition => ({
  id: ROLES[roleName],
  roleName,
  description,
  roleType: 'BuiltInRole',
  assignableScopes: ['/'],
  permissions: [perm(p)],
});

// The management-plane actions shared by the Key Vault data roles that also read the vault (the Security category of
// the built-in roles: https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security).
const KEY_VAULT_MANAGEMENT_READS = [
  'Microsoft.Authorization/*/read',
  'Microsoft.Insights/alertRules/*',
  'Microsoft.Resources/deployments/*',
  'Microsoft.Resources/subscriptions/resourceGroups/read',
  'Microsoft.Support/*',
  'Microsoft.KeyVault/checkNameAvailability/read',
  'Microsoft.KeyVault/deletedVaults/read',
  'Microsoft.KeyVault/locations/*/read',
  'Microsoft.KeyVault/vaults/*/read',
  'Microsoft.KeyVault/operations/read',
];

const BLOB = 'Microsoft.Storage/storageAccounts/blobServices';

export const BUILT_IN_ROLES: readonly RoleDefinition[] = Object.freeze([
  role(
    'Owner',
    'Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.',
    {
      actions: ['*'],
    },
  ),
  role(
    'Contributor',
    'Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.',
    {
      actions: ['*'],
      notActions: [
        'Microsoft.Authorization/*/Delete',
        'Microsoft.Authorization/*/Write',
        'Microsoft.Authorization/elevateAccess/Action',
        'Microsoft.Blueprint/blueprintAssignments/write',
        'Microsoft.Blueprint/blueprintAssignments/delete',
        'Microsoft.Compute/galleries/share/action',
        'Microsoft.Purview/consents/write',
        'Microsoft.Purview/consents/delete',
        'Microsoft.Resources/deploymentStacks/manageDenySetting/action',
        'Microsoft.Subscription/cancel/action',
        'Microsoft.Subscription/enable/action',
      ],
    },
  ),
  role('Reader', 'View all resources, but does not allow you to make any changes.', {
    actions: ['*/read'],
  }),
  role('User Access Administrator', 'Lets you manage user access to Azure resources.', {
    actions: ['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*'],
  }),
  role(
    'Key Vault Administrator',
    "Perform all data plane operations on a key vault and all objects in it, including certificates, keys, and secrets. Cannot manage key vault resources or manage role assignments. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    { actions: KEY_VAULT_MANAGEMENT_READS, dataActions: ['Microsoft.KeyVault/vaults/*'] },
  ),
  role(
    'Key Vault Reader',
    "Read metadata of key vaults and its certificates, keys, and secrets. Cannot read sensitive values such as secret contents or key material. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    {
      actions: KEY_VAULT_MANAGEMENT_READS,
      dataActions: [
        'Microsoft.KeyVault/vaults/*/read',
        'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
      ],
    },
  ),
  role(
    'Key Vault Secrets Officer',
    "Perform any action on the secrets of a key vault, except manage permissions. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    { actions: KEY_VAULT_MANAGEMENT_READS, dataActions: ['Microsoft.KeyVault/vaults/secrets/*'] },
  ),
  role(
    'Key Vault Secrets User',
    "Read secret contents. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    {
      dataActions: [
        'Microsoft.KeyVault/vaults/secrets/getSecret/action',
        'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
      ],
    },
  ),
  role('Storage Blob Data Reader', 'Read and list Azure Storage containers and blobs.', {
    actions: [`${BLOB}/containers/read`, `${BLOB}/generateUserDelegationKey/action`],
    dataActions: [`${BLOB}/containers/blobs/read`],
  }),
  role('Storage Blob Data Contributor', 'Read, write, and delete Azure Storage containers and blobs.', {
    actions: [
      `${BLOB}/containers/delete`,
      `${BLOB}/containers/read`,
      `${BLOB}/containers/write`,
      `${BLOB}/generateUserDelegationKey/action`,
    ],
    dataActions: [
      `${BLOB}/containers/blobs/delete`,
      `${BLOB}/containers/blobs/read`,
      `${BLOB}/containers/blobs/write`,
      `${BLOB}/containers/blobs/move/action`,
      `${BLOB}/containers/blobs/add/action`,
    ],
  }),
  role(
    'Storage Blob Data Owner',
    'Provides full access to Azure Storage blob containers and data, including assigning POSIX access control.',
    {
      actions: [`${BLOB}/containers/*`, `${BLOB}/generateUserDelegationKey/action`],
      dataActions: [`${BLOB}/containers/blobs/*`],
    },
  ),
  role('Storage Queue Data Reader', 'Read and list Azure Storage queues and queue messages.', {
    actions: ['Microsoft.Storage/storageAccounts/queueServices/queues/read'],
    dataActions: ['Microsoft.Storage/storageAccounts/queueServices/queues/messages/read'],
  }),
  role('Monitoring Metrics Publisher', 'Enables publishing metrics against Azure resources.', {
    actions: [
      'Microsoft.Insights/Register/Action',
      'Microsoft.Support/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
    ],
    dataActions: ['Microsoft.Insights/Metrics/Write', 'Microsoft.Insights/Telemetry/Write'],
  }),
]);
