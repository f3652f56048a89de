// Targets: one least-privilege call each. Part of the catalog (common/catalog.ts re-exports it): per target, the
// least role that allows its call and where it is assigned, the token audience and the one data action the call
// needs, and the settings it reads (declared here, once; common/settings-catalog.ts adds them to SETTINGS, so the
// generated docs, sample and wiring list them and src/config.ts reads and validates them by their format). A target's
// behaviour (its SDK call, its error reading, its remediation) lives in src/targets/<id>.ts.
// The sandbox serves a target it has no emulator for with a stub data plane that checks this role's data action at this
// scope (sandbox/resources/stub.ts), and sets its settings (sandbox/index.ts).
import type { RoleName } from './built-in-roles.ts';
import type { ScopeKey } from './scopes-catalog.ts';
import type { SettingFacts } from './setting-facts.ts';

export interface TargetFacts {
  /** The least built-in role that allows the call (common/built-in-roles.ts). */
  role: RoleName;
  /** Where that role is assigned (common/catalog.ts SCOPES). */
  scope: ScopeKey;
  /** The token audience (resource) the call asks a token for. */
  audience: string;
  /** The RBAC action the call performs (a data action, or an action for the control plane). */
  action: { kind: 'action' | 'dataAction'; name: string };
  /** The setting that points at the service. */
  endpointSetting: string;
  /** Why the role, for the wiring's role assignments. */
  why: string;
  /** The settings the target reads, in the order the docs list them. */
  settings: Readonly<Record<string, SettingFacts>>;
}

export const TARGETS = {
  keyvault: {
    role: 'Key Vault Secrets User',
    scope: 'keyVault',
    audience: 'https://vault.azure.net',
    action: { kind: 'dataAction', name: 'Microsoft.KeyVault/vaults/secrets/getSecret/action' },
    endpointSetting: 'KEY_VAULT_URL',
    why: 'get the canary secret',
    settings: {
      KEY_VAULT_URL: {
        format: 'https-url',
        group: 'app',
        usedBy: 'keyvault target',
        inAzure: "the vault's URI (`https://kv-<token>.vault.azure.net/`)",
        inSandbox: "the sandbox vault's https URL",
        meaning: 'Vault that holds the canary secret',
        sample: 'https://<key-vault-name>.vault.azure.net/',
      },
      KEY_VAULT_SECRET_NAME: {
        format: 'secret-name',
        group: 'app',
        usedBy: 'keyvault target',
        inAzure: '`canary`',
        inSandbox: '`canary`',
        meaning: 'Name of the canary secret; its value is never returned or logged',
        sample: 'canary',
      },
      KEY_VAULT_RESOURCE_ID: {
        format: 'vault-resource-id',
        group: 'app',
        usedBy: 'privileges (optional)',
        inAzure: "the vault's `id`",
        inSandbox: "the world vault's ARM id",
        meaning: "Optional vault ARM id for the privileges check (default: from `KEY_VAULT_URL`'s host)",
        sample:
          '/subscriptions/<subscription-id>/resourceGroups/<resource-group>/providers/Microsoft.KeyVault/vaults/<key-vault-name>',
      },
    },
  },
  blob: {
    role: 'Storage Blob Data Reader',
    scope: 'canaryContainer',
    audience: 'https://storage.azure.com',
    action: {
      kind: 'dataAction',
      name: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
    },
    endpointSetting: 'BLOB_SERVICE_URL',
    why: 'read the canary container',
    settings: {
      BLOB_SERVICE_URL: {
        format: 'https-url',
        group: 'app',
        usedBy: 'blob target',
        inAzure: 'blob endpoint of the probe storage account',
        inSandbox: 'the RBAC gateway over Azurite',
        meaning: 'Blob service the blob target calls',
        sample: 'https://<probe-storage-account>.blob.core.windows.net/',
      },
      BLOB_CONTAINER_NAME: {
        format: 'container-name',
        group: 'app',
        usedBy: 'blob target',
        inAzure: '`canary`',
        inSandbox: '`canary`',
        meaning: 'Container whose properties the blob target reads',
        sample: 'canary',
      },
    },
  },
  arm: {
    role: 'Reader',
    scope: 'resourceGroup',
    audience: 'https://management.azure.com',
    action: { kind: 'action', name: 'Microsoft.Resources/subscriptions/resourceGroups/resources/read' },
    endpointSetting: 'ARM_ENDPOINT',
    why: 'list resources in the group',
    settings: {
      ARM_ENDPOINT: {
        format: 'https-url',
        group: 'app',
        usedBy: 'arm target',
        inAzure: '`environment().resourceManager` (`https://management.azure.com/`)',
        inSandbox: 'the sandbox ARM origin',
        meaning: 'Resource Manager endpoint; default `https://management.azure.com`',
        sample: 'https://management.azure.com',
      },
      ARM_AUDIENCE: {
        format: 'https-url',
        group: 'app',
        usedBy: 'arm target',
        inAzure: '`environment().resourceManager`',
        inSandbox: '`https://management.azure.com`',
        meaning:
          'Optional token audience for Resource Manager (default `ARM_ENDPOINT`); differs on Azure Stack Hub and for the sandbox',
        sample: 'https://management.azure.com',
      },
      AZURE_SUBSCRIPTION_ID: {
        format: 'guid',
        group: 'app',
        usedBy: 'arm target, remediation commands',
        inAzure: '`subscription().subscriptionId`',
        inSandbox: "the world's subscription",
        meaning: 'Subscription of the resource group',
        sample: '<subscription-id>',
      },
      AZURE_RESOURCE_GROUP: {
        format: 'resource-group',
        group: 'app',
        usedBy: 'arm target, remediation commands',
        inAzure: '`resourceGroup().name`',
        inSandbox: '`rg-identity-probes`',
        meaning: 'Resource group the arm target lists',
        sample: '<resource-group>',
      },
    },
  },
} as const satisfies Record<string, TargetFacts>;
export type TargetId = keyof typeof TARGETS;

/** Target ids, in catalog order. */
export const TARGET_IDS = Object.keys(TARGETS) as readonly TargetId[];
