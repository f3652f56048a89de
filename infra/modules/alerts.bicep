// Alerts on the probes' availability results (src/telemetry): one metric alert rule that fires for each path x
// target whose availability result fails, and resolves by itself when that cell's results are successful again
// (autoMitigate). Each cell is its own alert instance, because the rule splits by the test name dimension
// (availabilityResult/name = "<identity>/<resource>", and "privileges/<identity>"). The dimension selects every value
// ('*'), current and future, so the alert follows the probe declaration (docs/declaration.md), including one read from
// a blob that changes without a redeploy: a cell the declaration adds is alerted on from its first result
// (https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-metric-multiple-time-series-single-rule). Notifications
// go to one action group, with an e-mail receiver when an address is given. How to test it: infra/README.md "Alerts".

param tags object

@description('Resource name of the Application Insights component the app sends availability results to.')
param appInsightsName string

@description('Address that receives the alert e-mails; empty: the action group has no receiver (add one later).')
param alertEmail string = ''

@description('Names of the action group and the alert rule.')
param actionGroupName string
param alertRuleName string

// No @allowed here: main.bicep restricts alertWindowSize and computes the value (alertWindow) from that list; an
// @allowed on this parameter would make the computed string a type mismatch for the compiler (BCP036).
@description('Window the failure rate is computed over: at least one timer period, so every window holds a result per cell (main.bicep alertWindow, one of the windows a metric alert evaluated every minute accepts).')
param windowSize string = 'PT5M'

@description('Whether the alert rule is enabled (main.bicep alertsEnabled: off on a fresh `npm run deploy` until the first all-green sweep).')
param enabled bool = true

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'idprobes'
    enabled: true
    emailReceivers: empty(alertEmail)
      ? []
      : [
          {
            name: 'operator'
            emailAddress: alertEmail
            useCommonAlertSchema: true
          }
        ]
  }
}

resource availabilityAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: alertRuleName
  location: 'global'
  tags: tags
  properties: {
    description: 'An identity path x target of identity-probes failed its health check (availability result success = false). The alert names the test "<identity>/<resource>"; its message carries the outcome kind and the remediation. Resolves when that cell is ok again.'
    severity: 1
    enabled: enabled
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT1M'
    windowSize: windowSize
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'ProbeCellFailing'
          metricNamespace: 'microsoft.insights/components'
          metricName: 'availabilityResults/availabilityPercentage'
          dimensions: [
            {
              name: 'availabilityResult/name'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'LessThan'
          threshold: 100
          timeAggregation: 'Average'
        }
      ]
    }
    actions: [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
}

output actionGroupId string = actionGroup.id
output alertRuleId string = availabilityAlert.id
output alertRuleName string = availabilityAlert.name
