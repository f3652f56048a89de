// Two storage accounts, both with shared key access off (identity only):
// - host storage: AzureWebJobsStorage and the Flex deployment container, used by the host identity only;
// - probe storage: the canary container (blob target) and the status container (status store).
// Keeping them apart means the host's broad Storage Blob Data Owner never covers what the probes look at, so a
// probe that reaches the canary proves its own role assignment and nothing else.

param location string
param tags object
param hostStorageAccountName string
param probeStorageAccountName string
param deploymentContainerName string
param canaryContainerName string
param statusContainerName string
param declarationContainerName string

var accountProperties = {
  allowSharedKeyAccess: false // identity only; `func` and the host use Entra tokens (docs/pain-points.md P10)
  allowBlobPublicAccess: false
  defaultToOAuthAuthentication: true
  minimumTlsVersion: 'TLS1_2'
  supportsHttpsTrafficOnly: true
  publicNetworkAccess: 'Enabled'
  dnsEndpointType: 'Standard'
  networkAcls: {
    defaultAction: 'Allow'
    bypass: 'AzureServices'
  }
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: hostStorageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: accountProperties
}

resource hostBlobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: hostStorage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: hostBlobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource probeStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: probeStorageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: accountProperties
}

resource probeBlobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: probeStorage
  name: 'default'
}

// The blob target reads this container's properties. ARM cannot write blob content, so no canary blob is created
// here (the sandbox world has one, canary.txt).
resource canaryContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: probeBlobService
  name: canaryContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource statusContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: probeBlobService
  name: statusContainerName
  properties: {
    publicAccess: 'None'
  }
}

// Probe declarations the app may read on each timer run (PROBES_DECLARATION_URL), so what is probed changes without
// a redeploy. Always created, empty until someone uploads a declaration: the host identity may only read it.
resource declarationContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: probeBlobService
  name: declarationContainerName
  properties: {
    publicAccess: 'None'
  }
}

output hostStorageAccountName string = hostStorage.name
output probeStorageAccountName string = probeStorage.name
// Every service endpoint of the probe storage account ({ blob, queue, table, file, dfs, web }, each ending in '/'):
// the function app's settings take the blob endpoint from it, and a target whose service lives in this account
// (a queue, a table) takes its own without a new output.
output probeEndpoints object = probeStorage.properties.primaryEndpoints
