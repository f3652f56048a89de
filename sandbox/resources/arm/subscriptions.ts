// Subscriptions and tenants (Microsoft.Resources), the first calls of every Azure CLI and PowerShell login: a
// subscription is visible to a caller who holds any role assignment in force at it, above it or anywhere below it
// (none: an empty list; GET of one it cannot see: 404 SubscriptionNotFound, as for one that does not exist); the
// tenant list holds the caller's own tenant. And /metadata/endpoints, which ARM serves without authentication:
// `az cloud register --endpoint-resource-manager` reads it (azure-cli src/azure-cli/azure/cli/command_modules/cloud/
// custom.py `_populate_from_metadata_endpoint`, api-version 2022-09-01, mapped by core/cloud.py `_arm_to_cli_mapper`).
import type { ServerResponse } from 'node:http';
import { sendJson } from '../../core/http.ts';
import { scopeCovers } from '../rbac/authorize.ts';
import { armErrors as E } from './errors.ts';
import { page, send } from './request.ts';
import type { ArmDeps, Req } from './request.ts';

/** Names the sandbox gives its subscription and tenant (the world file names neither). */
export const SUBSCRIPTION_DISPLAY_NAME = 'identity-probes sandbox';
export const TENANT_DISPLAY_NAME = 'identity-probes sandbox tenant';
export const TENANT_DEFAULT_DOMAIN = 'identityprobessandbox.onmicrosoft.com';

function subscriptionVisible(r: Req): boolean {
  const sub = `/subscriptions/${r.model.world.subscriptionId}`;
  return r.deps.rbac
    .inForce(r.claims.oid)
    .some((a) => scopeCovers(a.scope, sub) || scopeCovers(sub, a.scope));
}

function subscriptionBody(r: Req): Record<string, unknown> {
  const w = r.model.world;
  return {
    id: `/subscriptions/${w.subscriptionId}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId: w.subscriptionId,
    tenantId: w.tenantId,
    displayName: SUBSCRIPTION_DISPLAY_NAME,
    state: 'Enabled',
    subscriptionPolicies: {
      locationPlacementId: 'Public_2014-09-01',
      quotaId: 'PayAsYouGo_2014-09-01',
      spendingLimit: 'Off',
    },
  };
}

export function listSubscriptions(r: Req): void {
  page(r, subscriptionVisible(r) ? [r] : [], () => true, subscriptionBody);
}

export function getSubscription(r: Req): void {
  if (!subscriptionVisible(r)) throw E.subscriptionNotFound(r.params.sub);
  send(r, 200, subscriptionBody(r));
}

/** The tenants the caller belongs to: the world's, for a token it issued. */
export function listTenants(r: Req): void {
  const w = r.model.world;
  const mine = r.claims.tid === undefined || r.claims.tid === w.tenantId;
  const body = {
    id: `/tenants/${w.tenantId}`,
    tenantId: w.tenantId,
    countryCode: 'NL',
    displayName: TENANT_DISPLAY_NAME,
    domains: [TENANT_DEFAULT_DOMAIN],
    tenantCategory: 'Home',
    defaultDomain: TENANT_DEFAULT_DOMAIN,
    tenantType: 'AAD',
  };
  page(
    r,
    mine ? [body] : [],
    () => true,
    (x) => x,
  );
}

/**
 * The cloud's endpoints as ARM publishes them (api-version 2022-09-01 shape): the login endpoint and token
 * audiences the CLI and SDKs use, the DNS suffixes, and the other service endpoints. The Resource Manager, login and
 * Microsoft Graph endpoints are the sandbox's own; the rest are the public cloud's, which no client of the sandbox
 * calls (it serves a vault as an origin of its own and storage path-style, by URL, not by DNS suffix).
 */
export function metadataEndpoints(deps: ArmDeps, origin: string, res: ServerResponse): void {
  sendJson(
    res,
    200,
    {
      portal: 'https://portal.azure.com',
      authentication: {
        loginEndpoint: `${deps.entraOrigin()}/`,
        audiences: ['https://management.core.windows.net/', 'https://management.azure.com/'],
        tenant: 'common',
        identityProvider: 'AAD',
      },
      media: 'https://rest.media.azure.net',
      graphAudience: 'https://graph.windows.net/',
      graph: 'https://graph.windows.net/',
      name: 'AzureCloud',
      suffixes: {
        azureDataLakeStoreFileSystem: 'azuredatalakestore.net',
        acrLoginServer: 'azurecr.io',
        sqlServerHostname: 'database.windows.net',
        azureDataLakeAnalyticsCatalogAndJob: 'azuredatalakeanalytics.net',
        keyVaultDns: 'vault.azure.net',
        storage: 'core.windows.net',
        azureFrontDoorEndpointSuffix: 'azurefd.net',
        storageSyncEndpointSuffix: 'afs.azure.net',
        mhsmDns: 'managedhsm.azure.net',
        mysqlServerEndpoint: 'mysql.database.azure.com',
        postgresqlServerEndpoint: 'postgres.database.azure.com',
        mariadbServerEndpoint: 'mariadb.database.azure.com',
        synapseAnalytics: 'dev.azuresynapse.net',
        attestationEndpoint: 'attest.azure.net',
      },
      batch: 'https://batch.core.windows.net/',
      resourceManager: `${origin}/`,
      vmImageAliasDoc:
        'https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json',
      activeDirectoryDataLake: 'https://datalake.azure.net/',
      sqlManagement: 'https://management.core.windows.net:8443/',
      microsoftGraphResourceId: `${deps.graphOrigin()}/`,
      appInsightsResourceId: 'https://api.applicationinsights.io',
      appInsightsTelemetryChannelResourceId: 'https://dc.applicationinsights.azure.com/v2/track',
      attestationResourceId: 'https://attest.azure.net',
      synapseAnalyticsResourceId: 'https://dev.azuresynapse.net',
      logAnalyticsResourceId: 'https://api.loganalytics.io',
      ossrDbmsResourceId: 'https://ossrdbms-aad.database.windows.net',
    },
    { 'cache-control': 'no-cache' },
  );
}
