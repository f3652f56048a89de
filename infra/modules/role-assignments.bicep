// Role assignments, driven entirely by the declaration (infra/identity-wiring.json "roleAssignments").
//
// Each declared assignment names an identity key, a role name and a scope key. There is one loop per scope key
// below; each loop takes the declared assignments for its scope and resolves
//   role name  -> role definition GUID   through `roles` (the declaration's "roles"),
//   identity   -> principal ID           through `principalIds` (built in main.bicep from the identities),
//   scope key  -> resource               through the `existing` resource the loop is scoped to.
// No role, principal or scope is written here by hand. test/infra/drift.test.ts checks that every scope key the
// declaration uses has exactly one loop, that each loop is scoped to a resource of the declared type, and that
// no other role assignment exists in infra/.
//
// principalType is always 'ServicePrincipal' (every principal here is a managed identity): without it ARM may
// look the principal up before Entra ID has replicated it and fail with PrincipalNotFound (bicep#3695,
// docs/pain-points.md P6).

@description('Declared role assignments to create: [{ identity, role, scope, why }].')
param assignments array

@description('Role name -> role definition GUID (the declaration\'s "roles").')
param roles object

@description('Identity key -> principal (object) ID.')
param principalIds object

param keyVaultName string
param probeStorageAccountName string
param canaryContainerName string
param statusContainerName string
param declarationContainerName string
param hostStorageAccountName string
param deploymentContainerName string
param appInsightsName string

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// The probe storage account (scope key 'storageAccount').
resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: probeStorageAccountName
}

resource probeBlobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storageAccount
  name: 'default'
}

resource canaryContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: probeBlobService
  name: canaryContainerName
}

resource statusContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: probeBlobService
  name: statusContainerName
}

resource declarationContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: probeBlobService
  name: declarationContainerName
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageAccountName
}

resource hostBlobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: hostStorage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: hostBlobService
  name: deploymentContainerName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// Scope key 'resourceGroup': no scope property means the resource group this module deploys to.
resource resourceGroupAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in filter(assignments, a => a.scope == 'resourceGroup'): {
    name: guid(resourceGroup().id, principalIds[assignment.identity], roles[assignment.role])
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles[assignment.role])
      principalId: principalIds[assignment.identity]
      principalType: 'ServicePrincipal'
      description: assignment.why
    }
  }
]

// Scope key 'storageAccount': the probe storage account. No declared assignment uses it today; it is here so that
// a target whose service lives in that account (a queue, a table) needs no new loop, only its catalog entry.
resource storageAccountAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in filter(assignments, a => a.scope == 'storageAccount'): {
    name: guid(storageAccount.id, principalIds[assignment.identity], roles[assignment.role])
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles[assignment.role])
      principalId: principalIds[assignment.identity]
      principalType: 'ServicePrincipal'
      description: assignment.why
    }
  }
]

resource keyVaultAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in filter(assignments, a => a.scope == 'keyVault'): {
    name: guid(keyVault.id, principalIds[assignment.identity], roles[assignment.role])
    scope: keyVault
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles[assignment.role])
      principalId: principalIds[assignment.identity]
      principalType: 'ServicePrincipal'
      description: assignment.why
    }
  }
]

resource canaryContainerAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in filter(assignments, a => a.scope == 'canaryContainer'): {
    name: guid(canaryContainer.id, principalIds[assignment.identity], roles[assignment.role])
    scope: canaryContainer
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles[assignment.role])
      principalId: principalIds[assignment.identity]
      principalType: 'ServicePrincipal'
      description: assignment.why
    }
  }
]

resource statusContainerAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in filter(assignments, a => a.scope == 'statusContainer'): {
    name: guid(statusContainer.id, principalIds[assignment.identity], roles[assignment.role])
    scope: statusContainer
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles[assignment.role])
      principalId: principalIds[assignment.identity]
      principalType: 'ServicePrincipal'
      description: assignment.why
    }
  }
]

// Scope key 'declarationContainer': the reader of the probe declaration blob (read only, this container only).
resource declarationContainerAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in filter(assignments, a => a.scope == 'declarationContainer'): {
    name: guid(declarationContainer.id, principalIds[assignment.identity], roles[assignment.role])
    scope: declarationContainer
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles[assignment.role])
      principalId: principalIds[assignment.identity]
      principalType: 'ServicePrincipal'
      description: assignment.why
    }
  }
]

resource hostStorageAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in filter(assignments, a => a.scope == 'hostStorage'): {
    name: guid(hostStorage.id, principalIds[assignment.identity], roles[assignment.role])
    scope: hostStorage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles[assignment.role])
      principalId: principalIds[assignment.identity]
      principalType: 'ServicePrincipal'
      description: assignment.why
    }
  }
]

resource deploymentContainerAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in filter(assignments, a => a.scope == 'deploymentContainer'): {
    name: guid(deploymentContainer.id, principalIds[assignment.identity], roles[assignment.role])
    scope: deploymentContainer
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles[assignment.role])
      principalId: principalIds[assignment.identity]
      principalType: 'ServicePrincipal'
      description: assignment.why
    }
  }
]

resource appInsightsAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in filter(assignments, a => a.scope == 'appInsights'): {
    name: guid(appInsights.id, principalIds[assignment.identity], roles[assignment.role])
    scope: appInsights
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles[assignment.role])
      principalId: principalIds[assignment.identity]
      principalType: 'ServicePrincipal'
      description: assignment.why
    }
  }
]
