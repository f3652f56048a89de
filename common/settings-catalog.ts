// Every setting, in one list: who reads it, how it is validated, where its value comes from in Azure and in the
// sandbox, what it means, and its placeholder in local.settings.sample.json. Part of the catalog (catalog.ts);
// docs/settings.md's tables and the sample file are generated from it (scripts/catalog.ts). The targets' own settings
// are declared with their target (targets-catalog.ts) and come first; the rest are here.
import type { SettingFacts } from './setting-facts.ts';
import { TARGETS } from './targets-catalog.ts';

const OTHER_SETTINGS = {
  SYSTEM_PRINCIPAL_ID: {
    format: 'guid',
    group: 'app',
    usedBy: '`system-assigned`',
    inAzure: "the site's `identity.principalId`",
    inSandbox: "the world's system identity",
    meaning: 'The oid a system-assigned token must carry (attestation)',
    sample: '<function-app-system-identity-principal-id>',
  },
  UAMI_CLIENT_ID: {
    format: 'guid',
    group: 'app',
    usedBy: '`uami-client-id`',
    inAzure: '`app` identity client ID',
    inSandbox: '`id-probes-app` client ID',
    meaning: 'Selects the user-assigned identity by client ID',
    sample: '<app-identity-client-id>',
  },
  UAMI_OBJECT_ID: {
    format: 'guid',
    group: 'app',
    usedBy: '`uami-object-id`',
    inAzure: '`app` identity principal ID',
    inSandbox: '`id-probes-app` principal ID',
    meaning: 'Selects the same identity by object (principal) ID',
    sample: '<app-identity-principal-id>',
  },
  UAMI_RESOURCE_ID: {
    format: 'uami-resource-id',
    group: 'app',
    usedBy: '`uami-resource-id`',
    inAzure: '`app` identity ARM resource ID',
    inSandbox: '`id-probes-app` resource ID',
    meaning: 'Selects the same identity by resource ID',
    sample:
      '/subscriptions/<subscription-id>/resourceGroups/<resource-group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<app-identity-name>',
  },
  AZURE_CLIENT_ID: {
    format: 'guid',
    group: 'app',
    usedBy: '`default-chain`',
    inAzure: '`app` identity client ID',
    inSandbox: '`id-probes-app` client ID',
    meaning:
      "The managed identity DefaultAzureCredential uses; the host's bindings use `AzureWebJobsStorage__clientId` instead (P3)",
    sample: '<app-identity-client-id>',
  },
  AZURE_TOKEN_CREDENTIALS: {
    format: 'token-credentials',
    group: 'app',
    usedBy: '`default-chain` (optional)',
    inAzure: '`prod` (parameter `tokenCredentials`)',
    inSandbox: 'not set',
    meaning: 'Restricts the DefaultAzureCredential chain: `prod`, `dev` or one credential name (P4)',
    sample: '',
  },
  AZURE_TENANT_ID: {
    format: 'guid',
    group: 'app',
    usedBy: '`federated`, attestation',
    inAzure: '`tenant().tenantId`',
    inSandbox: "the world's tenant",
    meaning: 'Tenant the federated exchange happens in',
    sample: '<tenant-id>',
  },
  FEDERATED_CLIENT_ID: {
    format: 'guid',
    group: 'app',
    usedBy: '`federated`',
    inAzure: '`federated` identity client ID',
    inSandbox: '`id-probes-federated` client ID',
    meaning: 'The identity the external token is exchanged for',
    sample: '<federated-identity-client-id>',
  },
  FEDERATED_PRINCIPAL_ID: {
    format: 'guid',
    group: 'app',
    usedBy: '`federated`',
    inAzure: '`federated` identity principal ID',
    inSandbox: '`id-probes-federated` principal ID',
    meaning: 'The oid the exchanged token must carry',
    sample: '<federated-identity-principal-id>',
  },
  FEDERATED_RESOURCE_ID: {
    format: 'uami-resource-id',
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
    format: 'absolute-path',
    group: 'app',
    usedBy: '`federated` (one of FILE/URL)',
    inAzure: 'parameter `federatedTokenFile`, set only if given',
    inSandbox: "the sandbox's refreshed token file",
    meaning: 'Absolute path of a file holding the external OIDC token',
    sample: '/absolute/path/to/external-oidc-token',
  },
  FEDERATED_TOKEN_URL: {
    format: 'https-or-loopback-url',
    group: 'app',
    usedBy: '`federated` (one of FILE/URL)',
    inAzure: 'parameter `federatedTokenUrl`, set only if given',
    inSandbox: 'not set',
    meaning:
      'URL returning the external OIDC token: `https://`, or `http://` only to 127.0.0.1, ::1 or localhost; no redirects',
    sample: '',
  },
  AZURE_AUTHORITY_HOST: {
    format: 'https-url',
    group: 'app',
    usedBy: '`federated` (optional)',
    inAzure: '`environment().authentication.loginEndpoint`',
    inSandbox: 'the sandbox Entra origin',
    meaning: 'Entra authority; default `https://login.microsoftonline.com`',
    sample: 'https://login.microsoftonline.com',
  },
  // The queue target's settings: no canary queue exists (the default declaration stays 6 x 3), so infra/ sets
  // neither; a declaration's storage-queue resource fills them (src/targets/queue.ts queueKind).
  QUEUE_SERVICE_URL: {
    format: 'https-url',
    group: 'app',
    setBy: 'declaration',
    usedBy: 'queue target (a declared `storage-queue`)',
    inAzure: "not set: a declaration's `storage-queue` resource gives it (`serviceUrl`)",
    inSandbox: 'not set',
    meaning: 'Queue service the queue target peeks',
    sample: '',
  },
  QUEUE_NAME: {
    format: 'queue-name',
    group: 'app',
    setBy: 'declaration',
    usedBy: 'queue target (a declared `storage-queue`)',
    inAzure: "not set: a declaration's `storage-queue` resource gives it (`queue`)",
    inSandbox: 'not set',
    meaning: 'Queue whose first message the queue target peeks (an empty queue is fine)',
    sample: '',
  },
  PROBE_TIMEOUT_MS: {
    format: 'probe-timeout-ms',
    group: 'app',
    usedBy: 'probes',
    inAzure: 'parameter `probeTimeoutMs` (10000)',
    inSandbox: '`10000`',
    meaning:
      'Budget in ms of every answer: a probe with its status write, a status read (longer writes go on in background)',
    sample: '10000',
  },
  PROBE_SCHEDULE: {
    format: 'ncrontab',
    group: 'app',
    usedBy: 'timer probes',
    inAzure: 'parameter `probeSchedule` (`0 */5 * * * *`)',
    inSandbox: '`0 */5 * * * *`',
    meaning: 'Six-field NCRONTAB schedule',
    sample: '0 */5 * * * *',
  },
  STATUS_BLOB_SERVICE_URL: {
    format: 'https-url',
    group: 'app',
    usedBy: 'status store',
    inAzure: 'blob endpoint of the probe storage account',
    inSandbox: "the gateway's blob URL",
    meaning: 'Blob service of the status container',
    sample: 'https://<probe-storage-account>.blob.core.windows.net/',
  },
  STATUS_CONTAINER_NAME: {
    format: 'container-name',
    group: 'app',
    usedBy: 'status store',
    inAzure: '`probe-status`',
    inSandbox: '`probe-status`',
    meaning: 'Container the status is written to',
    sample: 'probe-status',
  },
  STATUS_CLIENT_ID: {
    format: 'guid',
    group: 'app',
    usedBy: 'status store (optional)',
    inAzure: 'not set: the declaration makes the system identity the status writer',
    inSandbox: 'not set',
    meaning: 'Client ID of the identity that writes status; unset means the system-assigned identity',
    sample: '',
  },
  STATUS_CACHE_MS: {
    format: 'cache-ms',
    group: 'app',
    usedBy: 'status endpoint (optional)',
    inAzure: 'parameter `statusCacheMs` (5000)',
    inSandbox: 'default',
    meaning:
      'How long the status endpoint caches its answer, so it cannot be used to hammer Key Vault or IMDS',
    sample: '5000',
  },
  PROBES_DECLARATION: {
    format: 'json-path',
    group: 'app',
    usedBy: 'declaration (optional)',
    inAzure: '`declarations/default.json` (in the deployment package)',
    inSandbox: 'default',
    meaning:
      'The probe declaration in the package: a path relative to the app root (the folder holding host.json) or absolute; read once per process. Default `declarations/default.json`',
    sample: 'declarations/default.json',
  },
  PROBES_DECLARATION_URL: {
    format: 'https-url',
    group: 'app',
    usedBy: 'declaration (optional)',
    inAzure:
      'parameter `declarationBlobName`, set only if given: that blob in the `declarations` container of the probe storage account',
    inSandbox: 'not set',
    meaning:
      "A blob holding the declaration, read again on each timer run (conditional GET), so it changes without a redeploy; wins over `PROBES_DECLARATION`. Only a Storage blob endpoint of an Azure cloud, or the status or Blob service URL's own account, is sent a token",
    sample: '',
  },
  PROBES_DECLARATION_CLIENT_ID: {
    format: 'guid',
    group: 'app',
    usedBy: 'declaration blob (optional)',
    inAzure:
      "with `declarationBlobName`: the host identity's client ID (its Storage Blob Data Reader on the `declarations` container); else not set",
    inSandbox: 'not set',
    meaning:
      "Client ID of the identity that reads `PROBES_DECLARATION_URL`; unset: the host identity's `AzureWebJobsStorage__clientId`, else the system-assigned identity",
    sample: '',
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
  AzureWebJobsStorage__accountName: {
    group: 'host',
    inAzure: 'name of the host storage account',
    meaning:
      'Set with the blob URI: on Flex a host with service URIs only has failed to start intermittently (functions-host#11787)',
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
    format: 'bool',
    group: 'local',
    inSandbox: 'sandbox only, never in Azure (`true` in the sandbox, `false` in the sample)',
    meaning:
      'Lets the Key Vault client accept a challenge from a loopback host (docs/identity-wire.md \u00a713.2)',
    sample: 'false',
  },
  LOCAL_ENDPOINT_HOSTS: {
    format: 'host-list',
    group: 'local',
    inSandbox: 'sandbox only, never in Azure (`127.0.0.1,localhost` in the sandbox and the sample)',
    meaning:
      "Hosts besides the Azure clouds' service domains that may receive a token (src/core/endpoints.ts): the sandbox's loopback host",
    sample: '127.0.0.1,localhost',
  },
  AZURE_DISABLE_INSTANCE_DISCOVERY: {
    format: 'bool',
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

/** One union of object types -> their intersection (the targets' settings maps -> one map). */
type Merged<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type TargetSettings = Merged<(typeof TARGETS)[keyof typeof TARGETS]['settings']>;

function targetSettings(): TargetSettings {
  const out: Record<string, SettingFacts> = {};
  for (const [id, t] of Object.entries(TARGETS))
    for (const [name, facts] of Object.entries(t.settings)) {
      if (name in out || name in OTHER_SETTINGS)
        throw new Error(`setting ${name} (target ${id}) is declared twice`);
      out[name] = facts;
    }
  return out as TargetSettings;
}

export const SETTINGS: TargetSettings & typeof OTHER_SETTINGS = { ...targetSettings(), ...OTHER_SETTINGS };
export type SettingName = keyof typeof SETTINGS;

/** Settings of one group, in catalog order. */
export function settingsOf(group: SettingFacts['group']): SettingName[] {
  return (Object.keys(SETTINGS) as SettingName[]).filter((n) => SETTINGS[n].group === group);
}
