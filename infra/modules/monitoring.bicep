// Log Analytics + workspace-based Application Insights with local (instrumentation key) authentication disabled:
// telemetry is accepted only with an Entra token, which the host gets with the host identity
// (APPLICATIONINSIGHTS_AUTHENTICATION_STRING in function-app.bicep; Monitoring Metrics Publisher in the wiring).

param location string
param tags object
param logAnalyticsName string
param appInsightsName string

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

output appInsightsName string = appInsights.name
