// Every setting, in one list: who reads it, where its value comes from in Azure and in the sandbox, what it means,
// and its placeholder in local.settings.sample.json. Part of the catalog (catalog.ts); docs/settings.md's tables and
// the sample file are generated from it (scripts/catalog.ts).

export interface SettingFacts {
  /**
   * app: read by src/config.ts; host: read by the Functions platform in Azure only; local: a local-only switch the
   * sandbox sets, never set in Azure; file: only in local.settings.json, for Core Tools.
   */
  group: 'app' | 'host' | 'local' | 'file';
  /** Which path or part reads it (app settings). */
  usedBy?: string;
  /** Where the value comes from in Azure. */
  inAzure?: string;
  /** Where it comes from in the sandbox (app settings, host settings it serves), or where it may be set (local). */
  inSandbox?: string;
  meaning: string;
  /** The value in local.settings.sample.json; absent: not in the sample. */
  sample?: string;
}

export const SETTINGS = {
  KEY_VAULT_URL: {
    group: 'app',
    usedBy: 'keyvault target',
    inAzure: "the vault's URI (`https://kv-<token>.vault.azure.net/`)",
    inSandbox: "the sandbox vault's https URL",
    meaning: 'Vault that holds the canary secret',
    sample: 'https://<key-vault-name>.vault.azure.net/',
  },
  KEY_VAULT_SECRET_NAME: {
    group: 'app',
    usedBy: 'keyvault target',
    inAzure: '`canary`',
    inSandbox: '`canary`',
    meaning: 'Name of the canary secret; its value is never returned or logged',
    sample: 'canary',
  },
  KEY_VAULT_RESOURCE_ID: {
    group: 'app',
    usedBy: 'privileges (optional)',
    inAzure: "the vault's `id`",
    inSandbox: "the world vault's ARM id",
    meaning: "Optional vault ARM id for the privileges check (default: from `KEY_VAULT_URL`'s host)",
    sample:
      '/subscriptions/<subscription-id>/resourceGroups/<resource-group>/providers/Microsoft.KeyVault/vaults/<key-vault-name>',
  },
  BLOB_SERVICE_URL: {
    group: 'app',
    usedBy: 'blob target',
    inAzure: 'blob endpoint of the probe storage account',
    inSandbox: 'the RBAC gateway over Azurite',
    meaning: 'Blob service the blob target calls',
    sample: 'https://<probe-storage-account>.blob.core.windows.net/',
  },
  BLOB_CONTAINER_NAME: {
    group: 'app',
    usedBy: 'blob target',
    inAzure: '`canary`',
    inSandbox: '`canary`',
    meaning: 'Container whose properties the blob target reads',
    sample: 'canary',
  },
  ARM_ENDPOINT: {
    group: 'app',
    usedBy: 'arm target',
    inAzure: '`environment().resourceManager` (`https://management.azure.com/`)',
    inSandbox: 'the sandbox ARM origin',
    meaning: 'Resource Manager endpoint; default `https://management.azure.com`',
    sample: 'https://management.azure.com',
  },
  ARM_AUDIENCE: {
    group: 'app',
    usedBy: 'arm target',
    inAzure: '`environment().resourceManager`',
    inSandbox: '`https://management.azure.com`',
    meaning:
      'Optional token audience for Resource Manager (default `ARM_ENDPOINT`); differs on Azure Stack Hub and for the sandbox',
    sample: 'https://management.azure.com',
  },
  AZURE_SUBSCRIPTION_ID: {
    group: 'app',
    usedBy: 'arm target, remediation commands',
    inAzure: '`subscription().subscriptionId`',
    inSandbox: "the world's subscription",
    meaning: 'Subscription of the resource group',
    sample: '<subscription-id>',
  },
  AZURE_RESOURCE_GROUP: {
    group: 'app',
    usedBy: 'arm target, remediation commands',
    inAzure: '`resourceGroup().name`',
    inSandbox: '`rg-identity-probes`',
    meaning: 'Resource group the arm target lists',
    sample: '<resource-group>',
  },
  SYSTEM_PRINCIPAL_ID: {
    group: 'app',
    usedBy: '`system-assigned`',
    inAzure: "the site's `identity.principalId`",
    inSandbox: "the world's system identity",
    meaning: 'The oid a system-assigned token must carry (attestation)',
    sample: '<function-app-system-identity-principal-id>',
  },
  UAMI_CLIENT_ID: {
    group: 'app',
    usedBy: '`uami-client-id`',
    inAzure: '`app` identity client ID',
    inSandbox: '`id-probes-app` client ID',
    meaning: 'Selects the user-assigned identity by client ID',
    sample: '<app-identity-client-id>',
  },
  UAMI_OBJECT_ID: {
    group: 'app',
    usedBy: '`uami-object-id`',
    inAzure: '`app` identity principal ID',
    inSandbox: '`id-probes-app` principal ID',
    meaning: 'Selects the same identity by object (principal) ID',
    sample: '<app-identity-principal-id>',
  },
  UAMI_RESOURCE_ID: {
    group: 'app',
    usedBy: '`uami-resource-id`',
    inAzure: '`app` identity ARM resource ID',
    inSandbox: '`id-probes-app` resource ID',
    meaning: 'Selects the same identity by resource ID',
    sample:
      '/subscriptions/<subscription-id>/resourceGroups/<resource-group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<app-identity-name>',
  },
  AZURE_CLIENT_ID: {
    group: 'app',
    usedBy: '`default-chain`',
    inAzure: '`app` identity client ID',
    inSandbox: '`id-probes-app` client ID',
    meaning:
      "The managed identity DefaultAzureCredential uses; the host's bindings use `AzureWebJobsStorage__clientId` instead (P3)",
    sample: '<app-identity-client-id>',
  },
  AZURE_TOKEN_CREDENTIALS: {
    group: 'app',
    usedBy: '`default-chain` (optional)',
    inAzure: '`prod` (parameter `tokenCredentials`)',
    inSandbox: 'not set',
    meaning: 'Restricts the DefaultAzureCredential chain: `prod`, `dev` or one credential name (P4)',
    sample: '',
  },
  AZURE_TENANT_ID: {
    group: 'app',
    usedBy: '`federated`, attestation',
    inAzure: '`tenant().tenantId`',
    inSandbox: "the world's tenant",
    meaning: 'Tenant the federated exchange happens in',
    sample: '<tenant-id>',
  },
  FEDERATED_CLIENT_ID: {
    group: 'app',
    usedBy: '`federated`',
    inAzure: '`federated` identity client ID',
    inSandbox: '`id-probes-federated` client ID',
    meaning: 'The identity the external token is exchanged for',
    sample: '<federated-identity-client-id>',
  },
  FEDERATED_PRINCIPAL_ID: {
    group: 'app',
    usedBy: '`federated`',
    inAzure: '`federated` identity principal ID',
    inSandbox: '`id-probes-federated` principal ID',
    meaning: 'The oid the exchanged token must carry',
    sample: '<federated-identity-principal-id>',
  },
  FEDERATED_RESOURCE_ID: {
    group: 'app',
    usedBy: '`federated` (optional)',
    inAzure: '`federated` identity resource ID',
    inSandbox: '`id-probes-federated` resource ID',
    meaning:
      'Only for the fix of a federated credential mismatch: names the identity and its resource group in the `az` command',
    sample:
      '/subscriptions/<subscription-id>/resourceGroups/<resource-group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<federated-identity-name>',
  },
  FEDERATED_TOKEN_FILE: {
    group: 'app',
    usedBy: '`federated` (one of FILE/URL)',
    inAzure: 'parameter `federatedTokenFile`, set only if given',
    inSandbox: "the sandbox's refreshed token file",
    meaning: 'Absolute path of a file holding the external OIDC token',
    sample: '/absolute/path/to/external-oidc-token',
  },
  FEDERATED_TOKEN_URL: {
    group: 'app',
    usedBy: '`federated` (one of FILE/URL)',
    inAzure: 'parameter `federatedTokenUrl`, set only if given',
    inSandbox: 'not set',
    meaning:
      'URL returning the external OIDC token: `https://`, or `http://` only to 127.0.0.1, ::1 or localhost; no redirects',
    sample: '',
  },
  AZURE_AUTHORITY_HOST: {
    group: 'app',
    usedBy: '`federated` (optional)',
    inAzure: '`environment().authentication.loginEndpoint`',
    inSandbox: 'the sandbox Entra origin',
    meaning: 'Entra authority; default `https://login.microsoftonline.com`',
    sample: 'https://login.microsoftonline.com',
  },
  PROBE_TIMEOUT_MS: {
    group: 'app',
    usedBy: 'probes',
    inAzure: 'parameter `probeTimeoutMs` (10000)',
    inSandbox: '`10000`',
    meaning:
      'Budget in ms of every answer: a probe with its status write, a status read (longer writes go on in background)',
    sample: '10000',
  },
  PROBE_SCHEDULE: {
    group: 'app',
    usedBy: 'timer probes',
    inAzure: 'parameter `probeSchedule` (`0 */5 * * * *`)',
    inSandbox: '`0 */5 * * * *`',
    meaning: 'Six-field NCRONTAB schedule',
    sample: '0 */5 * * * *',
  },
  STATUS_BLOB_SERVICE_URL: {
    group: 'app',
    usedBy: 'status store',
    inAzure: 'blob endpoint of the probe storage account',
    inSandbox: "the gateway's blob URL",
    meaning: 'Blob service of the status container',
    sample: 'https://<probe-storage-account>.blob.core.windows.net/',
  },
  STATUS_CONTAINER_NAME: {
    group: 'app',
    usedBy: 'status store',
    inAzure: '`probe-status`',
    inSandbox: '`probe-status`',
    meaning: 'Container the status is written to',
    sample: 'probe-status',
  },
  STATUS_CLIENT_ID: {
    group: 'app',
    usedBy: 'status store (optional)',
    inAzure: 'not set: the declaration makes the system identity the status writer',
    inSandbox: 'not set',
    meaning: 'Client ID of the identity that writes status; unset means the system-assigned identity',
    sample: '',
  },
  STATUS_CACHE_MS: {
    group: 'app',
    usedBy: 'status endpoint (optional)',
    inAzure: 'parameter `statusCacheMs` (5000)',
    inSandbox: 'default',
    meaning:
      'How long the status endpoint caches its answer, so it cannot be used to hammer Key Vault or IMDS',
    sample: '5000',
  },
  AzureWebJobsStorage__credential: {
    group: 'host',
    inAzure: '`managedidentity`',
    meaning: 'Host storage through an identity, no connection string',
  },
  AzureWebJobsStorage__clientId: {
    group: 'host',
    inAzure: '`host` identity client ID',
    meaning: 'Which identity; without it the host would use the system identity (functions-host#10904)',
  },
  AzureWebJobsStorage__blobServiceUri: {
    group: 'host',
    inAzure: 'blob endpoint of the host storage account',
    meaning: 'HTTP and timer triggers need blob only (keys, timer locks)',
  },
  APPLICATIONINSIGHTS_CONNECTION_STRING: {
    group: 'host',
    inAzure: 'from the Application Insights component',
    inSandbox: "the sandbox's ingestion endpoint (sandbox/monitor)",
    meaning:
      "Where telemetry goes (the host's, and the app's availability results); no usable key, local auth is disabled",
  },
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: {
    group: 'host',
    inAzure: '`ClientId=<host client ID>;Authorization=AAD`',
    inSandbox: '`ClientId=<host client ID>;Authorization=AAD`',
    meaning: 'Telemetry with an Entra token of the host identity (the app reads it too)',
  },
  KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: {
    group: 'local',
    inSandbox: 'sandbox only, never in Azure (`true` in the sandbox, `false` in the sample)',
    meaning:
      'Lets the Key Vault client accept a challenge from a loopback host (docs/identity-wire.md \u00a713.2)',
    sample: 'false',
  },
  AZURE_DISABLE_INSTANCE_DISCOVERY: {
    group: 'local',
    inSandbox: 'sandbox only, never in Azure (`true` in the sandbox, `false` in the sample)',
    meaning:
      'Stops MSAL from asking the public cloud for authority metadata (docs/identity-wire.md \u00a710.2)',
    sample: 'false',
  },
  FUNCTIONS_WORKER_RUNTIME: {
    group: 'file',
    inSandbox: '`local.settings.json` only',
    meaning: '`node`, for Core Tools',
    sample: 'node',
  },
  AzureWebJobsStorage: {
    group: 'file',
    inSandbox: '`local.settings.json` only',
    meaning: '`UseDevelopmentStorage=true` (Azurite) for `func start`',
    sample: 'UseDevelopmentStorage=true',
  },
} as const satisfies Record<string, SettingFacts>;
export type SettingName = keyof typeof SETTINGS;

/** Settings of one group, in catalog order. */
export function settingsOf(group: SettingFacts['group']): SettingName[] {
  return (Object.keys(SETTINGS) as SettingName[]).filter((n) => SETTINGS[n].group === group);
}
