// The scopes role assignments are made at, part of the catalog (catalog.ts). Imports nothing.

/** Scopes role assignments are made at: what each is, and its ARM resource type. */
export const SCOPES = {
  resourceGroup: {
    description: 'The resource group that holds everything (ARM target: list resources).',
    resourceType: 'Microsoft.Resources/resourceGroups',
  },
  storageAccount: {
    description:
      'The probe storage account (canary and status containers); a target whose service lives in it may be assigned its role here.',
    resourceType: 'Microsoft.Storage/storageAccounts',
  },
  keyVault: {
    description: 'The Key Vault (RBAC mode) that holds the canary secret.',
    resourceType: 'Microsoft.KeyVault/vaults',
  },
  canaryContainer: {
    description: 'The canary container in the probe storage account (Blob target).',
    resourceType: 'Microsoft.Storage/storageAccounts/blobServices/containers',
  },
  statusContainer: {
    description: 'The status container in the probe storage account (where probe results are stored).',
    resourceType: 'Microsoft.Storage/storageAccounts/blobServices/containers',
  },
  declarationContainer: {
    description:
      'The declarations container in the probe storage account: a probe declaration the app reads on each timer run (PROBES_DECLARATION_URL).',
    resourceType: 'Microsoft.Storage/storageAccounts/blobServices/containers',
  },
  hostStorage: {
    description: 'The host storage account (AzureWebJobsStorage), separate from the probe storage account.',
    resourceType: 'Microsoft.Storage/storageAccounts',
  },
  deploymentContainer: {
    description: 'The Flex Consumption deployment container in the host storage account.',
    resourceType: 'Microsoft.Storage/storageAccounts/blobServices/containers',
  },
  appInsights: {
    description: 'The Application Insights component (Entra ID authentication only).',
    resourceType: 'Microsoft.Insights/components',
  },
} as const;
export type ScopeKey = keyof typeof SCOPES;
