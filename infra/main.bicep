// identity-probes: everything the function app needs, on a Flex Consumption plan, wired by identity only.
//
// Read infra/README.md first: it has, per identity path, the identity, its role assignments and scopes, and the
// settings that point the app at it. Those facts are not written here but in ONE declaration,
// infra/identity-wiring.json, which this template loads below and which the sandbox's healthy world reads too.
// test/infra/drift.test.ts fails when this template, the sandbox or the settings files drift from it.
//
// Deploy with `npm run deploy` (az deployment group create + func azure functionapp publish); see docs/deploy.md.
// Conventions follow the Azure-Samples Flex Consumption quickstarts (functions-quickstart-typescript-azd):
// FC1 plan, functionAppConfig (deployment storage with a user-assigned identity, runtime, scaleAndConcurrency),
// AzureWebJobsStorage__* identity settings, Application Insights with local auth disabled.

targetScope = 'resourceGroup'

@description('Short environment name (lowercase letters, digits, hyphens); seeds every resource name.')
@minLength(2)
@maxLength(20)
param environmentName string

@description('Region of every resource. Flex Consumption is not offered in every region.')
param location string = resourceGroup().location

@description('Function app name (globally unique host name). Empty: func-<environmentName>-<unique token>.')
param functionAppName string = ''

@description('Issuer (iss) of the external OIDC token the federated path exchanges, e.g. an AKS OIDC issuer URL or https://token.actions.githubusercontent.com. Matched case-sensitively by Entra ID.')
param federatedIssuer string

@description('Subject (sub) of that external token, e.g. system:serviceaccount:probes:identity-probes. Matched case-sensitively.')
param federatedSubject string

@description('URL the app fetches the external OIDC token from (FEDERATED_TOKEN_URL). Set this or federatedTokenFile.')
param federatedTokenUrl string = ''

@description('Absolute path of a file holding the external OIDC token (FEDERATED_TOKEN_FILE), e.g. on a mounted share.')
param federatedTokenFile string = ''

@description('AZURE_TOKEN_CREDENTIALS for the default-chain path: prod keeps the DefaultAzureCredential chain to the deployed-service credentials (environment, workload identity, managed identity).')
@allowed(['prod', 'ManagedIdentityCredential', 'WorkloadIdentityCredential', 'EnvironmentCredential'])
param tokenCredentials string = 'prod'

@description('Deadline per probe in milliseconds (PROBE_TIMEOUT_MS).')
@minValue(100)
@maxValue(300000)
param probeTimeoutMs int = 10000

@description('Six-field NCRONTAB schedule of the timer probes (PROBE_SCHEDULE).')
param probeSchedule string = '0 */5 * * * *'

@description('How long the status endpoint caches its answer, in milliseconds (STATUS_CACHE_MS).')
@minValue(0)
@maxValue(600000)
param statusCacheMs int = 5000

@description('Flex Consumption scale-out limit.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Flex Consumption instance memory size.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Value of the canary secret. Nobody reads it back: the keyvault probe only proves it may get it. A new value on every deployment is fine.')
@secure()
param canarySecretValue string = newGuid()

@description('E-mail address alerted when a path x target health check fails (and when it recovers). Empty: the action group has no receiver.')
param alertEmail string = ''

@description('Window of the availability alert; at least one period of probeSchedule (default every 5 minutes).')
param alertWindowSize string = 'PT5M'

@description('Route of the status function (see src/functions) and of the anonymous health function, under host.json routePrefix "api".')
param statusRoute string = 'status'
param healthRoute string = 'health'

// The shared declaration: identities, role GUIDs, role assignments (identity + role + scope key), federated
// credentials and the settings contract. Compiled into the template, so a deployment always matches the file.
var wiring = loadJsonContent('identity-wiring.json')

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = { 'identity-probes-env': environmentName }
var appName = empty(functionAppName) ? 'func-${environmentName}-${resourceToken}' : functionAppName

// Names of the resources the probes look at; the sandbox's healthy world uses the same container and secret names.
var keyVaultName = 'kv-${take(resourceToken, 13)}'
var canarySecretName = 'canary'
var hostStorageAccountName = 'sthost${take(resourceToken, 13)}'
var probeStorageAccountName = 'stprobe${take(resourceToken, 13)}'
var deploymentContainerName = 'app-package'
var canaryContainerName = 'canary'
var statusContainerName = 'probe-status'

// The availability tests the app reports (src/telemetry: "<path>/<target>"): every path the wiring's identities
// serve, against each of the wiring's targets (the catalog's TARGET_IDS).
var probeTargets = wiring.targets
var probePaths = flatten(map(items(wiring.identities), i => i.value.paths))
var cellTests = flatten(map(probePaths, p => map(probeTargets, t => '${p}/${t}')))
// The privileges check of every identity the probes use (src/telemetry/privilegeItems.ts: "privileges/<identity>").
var privilegesTests = map(filter(items(wiring.identities), i => length(i.value.paths) > 0), i => 'privileges/${i.key}')
var availabilityTests = concat(cellTests, privilegesTests)

// The status writer is whichever identity the declaration gives Storage Blob Data Contributor on the status
// container: 'system' means STATUS_CLIENT_ID stays unset (src/status uses the system identity then).
// first() is typed `null | T` (BCP318); `!` says it is never null here: the drift check requires the declaration to
// hold exactly this assignment, and without it the deployment stops at this line rather than deploying a half app.
var statusWriter = first(filter(wiring.roleAssignments, a => a.scope == 'statusContainer'))!.identity

// The identity the platform writes the app package with (functionAppConfig.deployment.storage) and its role on the
// deployment container. `npm run deploy` reads the deploymentStorage output and waits until that role assignment
// is visible before it publishes (docs/deploy.md).
var deploymentStorageAssignment = first(filter(wiring.roleAssignments, a => a.scope == 'deploymentContainer'))!

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-${environmentName}-${resourceToken}'
    appInsightsName: 'appi-${environmentName}-${resourceToken}'
  }
}

// Alerts: an action group and a metric alert that fires per failing path x target and resolves on recovery.
module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    tags: tags
    appInsightsName: monitoring.outputs.appInsightsName
    testNames: availabilityTests
    alertEmail: alertEmail
    actionGroupName: 'ag-${environmentName}-${resourceToken}'
    alertRuleName: 'alert-probes-${environmentName}-${resourceToken}'
    windowSize: alertWindowSize
  }
}

// The three user-assigned identities (app, federated, host) and the federated identity credential(s).
module identities 'modules/identities.bicep' = {
  name: 'identities'
  params: {
    location: location
    tags: tags
    appIdentityName: 'id-app-${environmentName}-${resourceToken}'
    federatedIdentityName: 'id-federated-${environmentName}-${resourceToken}'
    hostIdentityName: 'id-host-${environmentName}-${resourceToken}'
    federatedCredentials: wiring.identities.federated.federatedCredentials
    // Issuer and subject are deployment parameters; the declaration names which parameter feeds which field.
    federatedParameters: {
      federatedIssuer: federatedIssuer
      federatedSubject: federatedSubject
    }
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    hostStorageAccountName: hostStorageAccountName
    probeStorageAccountName: probeStorageAccountName
    deploymentContainerName: deploymentContainerName
    canaryContainerName: canaryContainerName
    statusContainerName: statusContainerName
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  params: {
    location: location
    tags: tags
    keyVaultName: keyVaultName
    canarySecretName: canarySecretName
    canarySecretValue: canarySecretValue
  }
}

// Host plane first: the host identity must be able to read its storage, deployment package and telemetry before
// the site starts (docs/pain-points.md P10), so the function app waits for these assignments.
module hostPlaneRoleAssignments 'modules/role-assignments.bicep' = {
  name: 'role-assignments-host-plane'
  params: {
    assignments: filter(wiring.roleAssignments, a => a.?plane == 'host')
    roles: wiring.roles
    principalIds: {
      host: identities.outputs.hostPrincipalId
    }
    keyVaultName: keyVault.outputs.name
    probeStorageAccountName: storage.outputs.probeStorageAccountName
    canaryContainerName: canaryContainerName
    statusContainerName: statusContainerName
    hostStorageAccountName: storage.outputs.hostStorageAccountName
    deploymentContainerName: deploymentContainerName
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  params: {
    location: location
    tags: tags
    name: appName
    planName: 'plan-${environmentName}-${resourceToken}'
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    identities: identities.outputs.identities
    hostStorageAccountName: storage.outputs.hostStorageAccountName
    deploymentContainerName: deploymentContainerName
    appInsightsName: monitoring.outputs.appInsightsName
    keyVaultUri: keyVault.outputs.uri
    keyVaultId: keyVault.outputs.id
    canarySecretName: canarySecretName
    probeEndpoints: storage.outputs.probeEndpoints
    canaryContainerName: canaryContainerName
    statusContainerName: statusContainerName
    statusWriter: statusWriter
    federatedTokenUrl: federatedTokenUrl
    federatedTokenFile: federatedTokenFile
    tokenCredentials: tokenCredentials
    probeTimeoutMs: probeTimeoutMs
    probeSchedule: probeSchedule
    statusCacheMs: statusCacheMs
  }
  dependsOn: [
    hostPlaneRoleAssignments
  ]
}

// App plane: every identity the probes use gets exactly the roles the least privilege of docs/design.md "Targets" names.
// The system identity exists only once the site does, so this runs after the function app. Expect a few minutes
// of `forbidden` right after the first deployment while RBAC propagates (docs/pain-points.md P6); the status page
// records the time to green.
module appPlaneRoleAssignments 'modules/role-assignments.bicep' = {
  name: 'role-assignments-app-plane'
  params: {
    assignments: filter(wiring.roleAssignments, a => a.?plane == null)
    roles: wiring.roles
    principalIds: {
      system: functionApp.outputs.systemPrincipalId
      app: identities.outputs.appPrincipalId
      federated: identities.outputs.federatedPrincipalId
    }
    keyVaultName: keyVault.outputs.name
    probeStorageAccountName: storage.outputs.probeStorageAccountName
    canaryContainerName: canaryContainerName
    statusContainerName: statusContainerName
    hostStorageAccountName: storage.outputs.hostStorageAccountName
    deploymentContainerName: deploymentContainerName
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

var deploymentStoragePrincipalId = deploymentStorageAssignment.identity == 'system' ? functionApp.outputs.systemPrincipalId : identities.outputs.identities[deploymentStorageAssignment.identity].principalId

output functionAppName string = functionApp.outputs.name
output statusUrl string = 'https://${functionApp.outputs.defaultHostName}/api/${statusRoute}'
output healthUrl string = 'https://${functionApp.outputs.defaultHostName}/api/${healthRoute}'
output deploymentStorage object = {
  principalId: deploymentStoragePrincipalId
  scope: resourceId('Microsoft.Storage/storageAccounts/blobServices/containers', hostStorageAccountName, 'default', deploymentContainerName)
  roleDefinitionId: wiring.roles[deploymentStorageAssignment.role]
}
