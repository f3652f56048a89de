// The user-assigned identities and the federated identity credential(s). The system-assigned identity belongs to
// the site (function-app.bicep). Which identity serves which path: infra/identity-wiring.json "identities".

param location string
param tags object
param appIdentityName string
param federatedIdentityName string
param hostIdentityName string

@description('The declaration\'s federated credentials of the federated identity (identity-wiring.json).')
param federatedCredentials array

@description('Deployment parameter values by name; a credential names the parameter that feeds its issuer/subject.')
param federatedParameters object

// identities.app: the uami-client-id, uami-object-id, uami-resource-id and default-chain paths. Attached to the app.
resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: appIdentityName
  location: location
  tags: tags
}

// identities.federated: the federated path. NOT attached to the app: the only way to it is a token exchange at
// Entra ID with an external OIDC token that matches one of its federated credentials.
resource federatedIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: federatedIdentityName
  location: location
  tags: tags
}

// identities.host (plane: host): host storage, deployment package, telemetry. Attached to the app.
resource hostIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: hostIdentityName
  location: location
  tags: tags
}

// Entra ID rejects concurrent writes of federated credentials on one identity ("Too many Federated Identity
// Credentials are written concurrently"), hence batchSize(1). Issuer, subject and audience are compared
// case-sensitively with the external token's iss, sub and aud (docs/pain-points.md P9).
@batchSize(1)
resource federatedIdentityCredentials 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = [
  for credential in federatedCredentials: {
    parent: federatedIdentity
    name: credential.name
    properties: {
      issuer: federatedParameters[credential.issuer.parameter]
      subject: federatedParameters[credential.subject.parameter]
      audiences: credential.audiences
    }
  }
]

output appPrincipalId string = appIdentity.properties.principalId
output federatedPrincipalId string = federatedIdentity.properties.principalId
output hostPrincipalId string = hostIdentity.properties.principalId

@description('clientId, principalId and resourceId of each user-assigned identity, by the declaration\'s key.')
output identities object = {
  app: {
    clientId: appIdentity.properties.clientId
    principalId: appIdentity.properties.principalId
    resourceId: appIdentity.id
  }
  federated: {
    clientId: federatedIdentity.properties.clientId
    principalId: federatedIdentity.properties.principalId
    resourceId: federatedIdentity.id
  }
  host: {
    clientId: hostIdentity.properties.clientId
    principalId: hostIdentity.properties.principalId
    resourceId: hostIdentity.id
  }
}
