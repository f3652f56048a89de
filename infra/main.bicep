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

@description('Function app name (globally unique host name): 2-60 letters, digits and hyphens, starting and ending with a letter or digit. Empty: func-<environmentName>-<unique token>.')
@maxLength(60)
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

@description('Six-field NCRONTAB schedule of the timer probes (PROBE_SCHEDULE): every N minutes (0 */N * * * *), hourly (0 M * * * *) or every H hours (0 M */H * * *); at most every 6 hours, the longest window the alert evaluates.')
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

@description('Window of the availability alert, one of the windows a metric alert evaluated every minute accepts. A window shorter than the probe period (probeSchedule) would hold no result at times; the alert then uses the shortest accepted window that covers one period.')
@allowed(['PT5M', 'PT15M', 'PT30M', 'PT1H', 'PT6H'])
param alertWindowSize string = 'PT5M'

@description('Whether the availability alert is enabled. `npm run deploy` deploys a new environment with it off and turns it on after the first all-green sweep, so the minutes of `forbidden` while a fresh deployment\'s role assignments propagate send no e-mail (docs/deploy.md). A direct deployment keeps it on.')
param alertsEnabled bool = true

@description('Path of the probe declaration in the app package (PROBES_DECLARATION), relative to the app root: the shipped default is the canary demo, generated from the catalog.')
param declarationFile string = 'declarations/default.json'

@description('Name of a blob in the probe storage account\'s `declarations` container holding the probe declaration (PROBES_DECLARATION_URL): the app reads it on each timer run with the host identity, so what is probed changes by uploading a new version, without a redeploy. Empty: the app reads declarationFile from its package.')
param declarationBlobName string = ''

@description('Route of the status function (see src/functions) and of the anonymous health function, under host.json routePrefix "api".')
param statusRoute string = 'status'
param healthRoute string = 'health'

// The shared declaration: identities, role GUIDs, role assignments (identity + role + scope key), federated
// credentials and the settings contract. Compiled into the template, so a deployment always matches the file.
var wiring = loadJsonContent('identity-wiring.json')

// Name rules, where a direct `az deployment group create` meets them too (scripts/deploy/args.ts checks the same
// before anything runs). Bicep has no @pattern decorator, so the characters are checked here and fail() stops the
// deployment with the rule, before any name is built from a bad value (fail() needs Bicep 0.33 or later).
var nameCharacters = 'abcdefghijklmnopqrstuvwxyz0123456789-'
var envNameValid = length(filter(range(0, length(environmentName)), i => !contains(nameCharacters, substring(environmentName, i, 1)))) == 0 && !startsWith(environmentName, '-') && !endsWith(environmentName, '-') && !contains('0123456789', substring(environmentName, 0, 1))
var envName = envNameValid ? environmentName : fail('environmentName must be 2-20 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen.')
var appNameValid = length(filter(range(0, length(functionAppName)), i => !contains(nameCharacters, toLower(substring(functionAppName, i, 1))))) == 0 && !startsWith(functionAppName, '-') && !endsWith(functionAppName, '-')
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, envName))
var tags = { 'identity-probes-env': envName }
var appName = empty(functionAppName) ? 'func-${envName}-${resourceToken}' : (length(functionAppName) >= 2 && appNameValid ? functionAppName : fail('functionAppName must be 2-60 letters, digits and hyphens, starting and ending with a letter or digit.'))

// The external token comes from a URL or a file, never both: the app reports `misconfigured` when both are set
// (src/config.ts), so the deployment refuses them together.
var federatedTokenSource = !empty(federatedTokenUrl) && !empty(federatedTokenFile) ? fail('Give federatedTokenUrl or federatedTokenFile, not both: the app reads the external token from one of them.') : {
  url: federatedTokenUrl
  file: federatedTokenFile
}

// The probe period in minutes, read from probeSchedule's minute and hour fields (six-field NCRONTAB: second minute
// hour day month weekday): '*' every minute, '*/N' every N minutes, else hourly ('*' hour) or every H hours ('*/H').
var scheduleFields = split(trim(probeSchedule), ' ')
var probePeriodMinutes = scheduleFields[1] == '*' ? 1 : (startsWith(scheduleFields[1], '*/') ? int(substring(scheduleFields[1], 2)) : (scheduleFields[2] == '*' ? 60 : (startsWith(scheduleFields[2], '*/') ? 60 * int(substring(scheduleFields[2], 2)) : 1440)))
// The windows a metric alert evaluated every minute accepts, in minutes. The alert's window must hold at least one
// result of every cell, so it is the requested window when that covers one probe period, else the shortest accepted
// window that does (a schedule longer than 6 hours gets the longest, PT6H: see probeSchedule).
var alertWindowMinutes = {
  PT5M: 5
  PT15M: 15
  PT30M: 30
  PT1H: 60
  PT6H: 360
}
var alertWindow = alertWindowMinutes[alertWindowSize] >= probePeriodMinutes ? alertWindowSize : (first(filter(['PT5M', 'PT15M', 'PT30M', 'PT1H', 'PT6H'], w => alertWindowMinutes[w] >= probePeriodMinutes)) ?? 'PT6H')

// Names of the resources the probes look at; the sandbox's healthy world uses the same container and secret names.
var keyVaultName = 'kv-${take(resourceToken, 13)}'
var canarySecretName = 'canary'
var hostStorageAccountName = 'sthost${take(resourceToken, 13)}'
var probeStorageAccountName = 'stprobe${take(resourceToken, 13)}'
var deploymentContainerName = 'app-package'
var canaryContainerName = 'canary'
var statusContainerName = 'probe-status'
var declarationContainerName = 'declarations'

// The status writer is whichever identity the declaration gives Storage Blob Data Contributor on the status
// container: 'system' means STATUS_CLIENT_ID stays unset (src/status uses the system identity then).
// first() is typed `null | T` (BCP318); `!` says it is never null here: the drift check requires the declaration to
// hold exactly this assignment, and without it the deployment stops at this line rather than deploying a half app.
var statusWriter = first(filter(wiring.roleAssignments, a => a.scope == 'statusContainer'))!.identity

// The identity the platform writes the app package with (functionAppConfig.deployment.storage) and its role on the
// deployment container. `npm run deploy` reads the deploymentStorage output and waits until that role assignment
// is visible before it publishes (docs/deploy.md).
// The identity that reads the declaration blob: whichever the declaration gives its role on the declarations container
// (the host identity; 'system' would leave PROBES_DECLARATION_CLIENT_ID unset).
var declarationReader = first(filter(wiring.roleAssignments, a => a.scope == 'declarationContainer'))!.identity

var deploymentStorageAssignment = first(filter(wiring.roleAssignments, a => a.scope == 'deploymentContainer'))!

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring-${envName}'
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-${envName}-${resourceToken}'
    appInsightsName: 'appi-${envName}-${resourceToken}'
  }
}

// Alerts: an action group and a metric alert that fires per failing path x target and resolves on recovery.
module alerts 'modules/alerts.bicep' = {
  name: 'alerts-${envName}'
  params: {
    tags: tags
    appInsightsName: monitoring.outputs.appInsightsName
    alertEmail: alertEmail
    actionGroupName: 'ag-${envName}-${resourceToken}'
    alertRuleName: 'alert-probes-${envName}-${resourceToken}'
    windowSize: alertWindow
    enabled: alertsEnabled
  }
}

// The three user-assigned identities (app, federated, host) and the federated identity credential(s).
module identities 'modules/identities.bicep' = {
  name: 'identities-${envName}'
  params: {
    location: location
    tags: tags
    appIdentityName: 'id-app-${envName}-${resourceToken}'
    federatedIdentityName: 'id-federated-${envName}-${resourceToken}'
    hostIdentityName: 'id-host-${envName}-${resourceToken}'
    federatedCredentials: wiring.identities.federated.federatedCredentials
    // Issuer and subject are deployment parameters; the declaration names which parameter feeds which field.
    federatedParameters: {
      federatedIssuer: federatedIssuer
      federatedSubject: federatedSubject
    }
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage-${envName}'
  params: {
    location: location
    tags: tags
    hostStorageAccountName: hostStorageAccountName
    probeStorageAccountName: probeStorageAccountName
    deploymentContainerName: deploymentContainerName
    canaryContainerName: canaryContainerName
    statusContainerName: statusContainerName
    declarationContainerName: declarationContainerName
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault-${envName}'
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
  name: 'role-assignments-host-plane-${envName}'
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
    declarationContainerName: declarationContainerName
    hostStorageAccountName: storage.outputs.hostStorageAccountName
    deploymentContainerName: deploymentContainerName
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app-${envName}'
  params: {
    location: location
    tags: tags
    name: appName
    planName: 'plan-${envName}-${resourceToken}'
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
    declarationFile: declarationFile
    declarationBlobUrl: empty(declarationBlobName) ? '' : '${storage.outputs.probeEndpoints.blob}${declarationContainerName}/${declarationBlobName}'
    declarationReader: declarationReader
    federatedTokenUrl: federatedTokenSource.url
    federatedTokenFile: federatedTokenSource.file
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
  name: 'role-assignments-app-plane-${envName}'
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
    declarationContainerName: declarationContainerName
    hostStorageAccountName: storage.outputs.hostStorageAccountName
    deploymentContainerName: deploymentContainerName
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

var deploymentStoragePrincipalId = deploymentStorageAssignment.identity == 'system' ? functionApp.outputs.systemPrincipalId : identities.outputs.identities[deploymentStorageAssignment.identity].principalId

output functionAppName string = functionApp.outputs.name
output alertRuleName string = alerts.outputs.alertRuleName
output statusUrl string = 'https://${functionApp.outputs.defaultHostName}/api/${statusRoute}'
output healthUrl string = 'https://${functionApp.outputs.defaultHostName}/api/${healthRoute}'
output deploymentStorage object = {
  principalId: deploymentStoragePrincipalId
  scope: resourceId('Microsoft.Storage/storageAccounts/blobServices/containers', hostStorageAccountName, 'default', deploymentContainerName)
  roleDefinitionId: wiring.roles[deploymentStorageAssignment.role]
}
