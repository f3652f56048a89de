// The Flex Consumption plan, the function app (Node 22) with its identities, and every app setting.

param location string
param tags object
param name string
param planName string
param maximumInstanceCount int
param instanceMemoryMB int

@description('clientId, principalId and resourceId of each user-assigned identity by declaration key (identities.bicep).')
param identities object

param hostStorageAccountName string
param deploymentContainerName string
param appInsightsName string
param keyVaultUri string
param keyVaultId string
param canarySecretName string
@description('Service endpoints of the probe storage account (primaryEndpoints: blob, queue, table, ...).')
param probeEndpoints object
param canaryContainerName string
param statusContainerName string

@description('Declaration key of the identity that writes status; \'system\' leaves STATUS_CLIENT_ID unset.')
param statusWriter string

@description('PROBES_DECLARATION: the declaration file in the package, relative to the app root.')
param declarationFile string
@description('PROBES_DECLARATION_URL: the declaration blob\'s URL; empty: not set (the app reads declarationFile).')
param declarationBlobUrl string
@description('Declaration key of the identity that reads the declaration blob; \'system\' leaves PROBES_DECLARATION_CLIENT_ID unset.')
param declarationReader string

param federatedTokenUrl string
param federatedTokenFile string
param tokenCredentials string
param probeTimeoutMs int
param probeSchedule string
param statusCacheMs int

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  // The system-assigned identity (system-assigned path, status writer) plus the user-assigned identities the
  // declaration marks attachedToApp: app (uami-* and default-chain paths) and host (host plane). The federated
  // identity is deliberately not attached.
  identity: {
    type: 'SystemAssigned, UserAssigned'
    userAssignedIdentities: {
      '${identities.app.resourceId}': {}
      '${identities.host.resourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // No ftpsState, alwaysOn, linuxFxVersion, functionAppScaleLimit, ...: Flex Consumption rejects or ignores them
    // (ARM error 51021 for ftpsState; FTP is not offered on Flex at all). The list and its source:
    // docs/flex-consumption.md; test/infra/flex.test.ts fails when a site property or app setting on it comes back.
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          // `func azure functionapp publish` hands the package to the platform, which writes it here with this
          // identity; the identity needs a data role on the container (core-tools#4346, docs/pain-points.md P10).
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identities.host.resourceId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
}

// Host plane (identity-wiring.json "hostSettings"): storage and telemetry through the host identity. A
// user-assigned identity needs __credential AND __clientId, or the host falls back to the system identity
// (functions-host#10904). Only the blob endpoint: HTTP and timer triggers need blob storage only. __accountName
// too: on Flex Consumption a host given only service URIs has been seen to fail "Could not create
// BlobServiceClient" at start, intermittently (https://github.com/Azure/azure-functions-host/issues/11787), and
// deployment tools' preflight checks look for it; with both set, the host takes the blob endpoint from the URI.
var hostSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identities.host.clientId
  AzureWebJobsStorage__accountName: hostStorage.name
  AzureWebJobsStorage__blobServiceUri: hostStorage.properties.primaryEndpoints.blob
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identities.host.clientId};Authorization=AAD'
}

// App plane: the settings contract (identity-wiring.json "settings"), grouped by who reads them.
var probeSettings = {
  // targets
  KEY_VAULT_URL: keyVaultUri
  // The vault's ARM id: the privileges check reads the identities' permissions at this scope.
  KEY_VAULT_RESOURCE_ID: keyVaultId
  KEY_VAULT_SECRET_NAME: canarySecretName
  BLOB_SERVICE_URL: probeEndpoints.blob
  BLOB_CONTAINER_NAME: canaryContainerName
  ARM_ENDPOINT: environment().resourceManager
  // The token audience the arm target asks for; on public Azure the same as the endpoint.
  ARM_AUDIENCE: environment().resourceManager
  AZURE_SUBSCRIPTION_ID: subscription().subscriptionId
  AZURE_RESOURCE_GROUP: resourceGroup().name
  AZURE_TENANT_ID: tenant().tenantId
  // system-assigned path: the expected oid. It exists only once the site does, which is why every setting lives
  // in the appsettings resource below and none in siteConfig.appSettings (that would be a self-reference).
  SYSTEM_PRINCIPAL_ID: functionApp.identity.principalId
  // uami-client-id, uami-object-id, uami-resource-id paths: three selectors of the same identity
  UAMI_CLIENT_ID: identities.app.clientId
  UAMI_OBJECT_ID: identities.app.principalId
  UAMI_RESOURCE_ID: identities.app.resourceId
  // default-chain path: DefaultAzureCredential picks the managed identity AZURE_CLIENT_ID names
  AZURE_CLIENT_ID: identities.app.clientId
  AZURE_TOKEN_CREDENTIALS: tokenCredentials
  // federated path: the identity to exchange for, and the authority that does the exchange
  FEDERATED_CLIENT_ID: identities.federated.clientId
  FEDERATED_PRINCIPAL_ID: identities.federated.principalId
  // its resource ID: the federated credential fix names the identity and its resource group exactly
  FEDERATED_RESOURCE_ID: identities.federated.resourceId
  AZURE_AUTHORITY_HOST: environment().authentication.loginEndpoint
  // probes and status
  PROBE_TIMEOUT_MS: string(probeTimeoutMs)
  PROBE_SCHEDULE: probeSchedule
  STATUS_BLOB_SERVICE_URL: probeEndpoints.blob
  STATUS_CONTAINER_NAME: statusContainerName
  STATUS_CACHE_MS: string(statusCacheMs)
  // the probe declaration shipped in the package (src/declaration/source.ts)
  PROBES_DECLARATION: declarationFile
}

// Where the federated path gets its external OIDC token: one of a URL or a file (src/config.ts rejects both).
var federatedTokenSettings = union(
  empty(federatedTokenUrl) ? {} : { FEDERATED_TOKEN_URL: federatedTokenUrl },
  empty(federatedTokenFile) ? {} : { FEDERATED_TOKEN_FILE: federatedTokenFile }
)

// The status writer is the system identity unless the declaration gives the status role to another identity.
var statusWriterSettings = statusWriter == 'system' ? {} : { STATUS_CLIENT_ID: identities[statusWriter].clientId }

// The declaration blob, when the deployment names one: read on each timer run by the identity holding Storage Blob
// Data Reader on the declarations container (identity-wiring.json), named explicitly so nothing depends on fallbacks.
var declarationUrlSettings = empty(declarationBlobUrl) ? {} : { PROBES_DECLARATION_URL: declarationBlobUrl }
var declarationReaderSettings = empty(declarationBlobUrl) || declarationReader == 'system' ? {} : { PROBES_DECLARATION_CLIENT_ID: identities[declarationReader].clientId }

// SYSTEM_PRINCIPAL_ID needs the site's own principal ID, known only after the site exists. A child
// `sites/config` resource named 'appsettings' is deployed after the site and may read it; it REPLACES the whole
// app-settings collection, so it carries every setting (a second writer would silently drop the first's).
// Not here on purpose: FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE and
// WEBSITE_CONTENT*: Flex Consumption takes runtime and package from functionAppConfig and rejects those settings.
// Never here: the sandbox-only switches (identity-wiring.json "localOnlySettings").
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(hostSettings, probeSettings, federatedTokenSettings, statusWriterSettings, declarationUrlSettings, declarationReaderSettings)
}

output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
output systemPrincipalId string = functionApp.identity.principalId
