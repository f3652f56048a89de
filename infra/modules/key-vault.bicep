// Key Vault in RBAC mode (no access policies) with the canary secret. The keyvault probe gets this secret with
// Key Vault Secrets User on the vault and never returns or logs its value.

param location string
param tags object
param keyVaultName string
param canarySecretName string

@secure()
param canarySecretValue string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true // RBAC mode: the role assignments in the wiring are the only access path
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

// Written through ARM (control plane), so the deployer needs no data-plane role on the vault.
resource canarySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: canarySecretName
  properties: {
    value: canarySecretValue
    contentType: 'text/plain'
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
output id string = vault.id
