// Every path the sandbox's Resource Manager serves, in one table: method, pattern, the api-versions it accepts and
// its handler. Microsoft.Authorization comes first (its `{scope*}` pattern would otherwise be read as a provider
// resource), then the typed resources, then the generic resource GET.
import { API_VERSIONS, apiVersionsForType } from './apiVersions.ts';
import * as authz from './authorization.ts';
import * as ids from './identities.ts';
import { listPermissions } from './permissions.ts';
import * as res from './resources.ts';
import type { ArmRoute } from './router.ts';
import { getSite, writeSite } from './sites.ts';
import { getSubscription, listSubscriptions, listTenants } from './subscriptions.ts';

const RG = '/subscriptions/{sub}/resourceGroups/{rg}';
const AUTHZ = '{scope*}/providers/Microsoft.Authorization';
const UAMI = `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}`;
const FIC = `${UAMI}/federatedIdentityCredentials/{fic}`;
const SITE = `${RG}/providers/Microsoft.Web/sites/{name}`;

const scopeOf = (p: Record<string, string>) => p.scope;

export const ARM_ROUTES: ArmRoute[] = [
  {
    method: 'GET',
    pattern: `${AUTHZ}/roleAssignments`,
    api: API_VERSIONS.authorization,
    handle: (r) => authz.listRoleAssignments(r, scopeOf(r.params)),
  },
  {
    method: 'GET',
    pattern: `${AUTHZ}/roleAssignments/{name}`,
    api: API_VERSIONS.authorization,
    handle: (r) => authz.getRoleAssignment(r, scopeOf(r.params)),
  },
  {
    method: 'PUT',
    pattern: `${AUTHZ}/roleAssignments/{name}`,
    api: API_VERSIONS.authorization,
    handle: (r) => authz.putRoleAssignment(r, scopeOf(r.params)),
  },
  {
    method: 'DELETE',
    pattern: `${AUTHZ}/roleAssignments/{name}`,
    api: API_VERSIONS.authorization,
    handle: (r) => authz.deleteRoleAssignment(r, scopeOf(r.params)),
  },
  {
    method: 'GET',
    pattern: `${AUTHZ}/permissions`,
    api: API_VERSIONS.authorization,
    handle: (r) => listPermissions(r, scopeOf(r.params)),
  },
  {
    method: 'GET',
    pattern: `${AUTHZ}/roleDefinitions`,
    api: API_VERSIONS.authorization,
    handle: (r) => authz.listRoleDefinitions(r, scopeOf(r.params)),
  },
  {
    method: 'GET',
    pattern: `${AUTHZ}/roleDefinitions/{name}`,
    api: API_VERSIONS.authorization,
    handle: (r) => authz.getRoleDefinition(r, scopeOf(r.params)),
  },

  { method: 'GET', pattern: '/subscriptions', api: API_VERSIONS.resources, handle: listSubscriptions },
  { method: 'GET', pattern: '/tenants', api: API_VERSIONS.resources, handle: listTenants },
  { method: 'GET', pattern: '/subscriptions/{sub}', api: API_VERSIONS.resources, handle: getSubscription },
  {
    method: 'GET',
    pattern: '/subscriptions/{sub}/resources',
    api: API_VERSIONS.resources,
    handle: res.listResources,
  },
  {
    method: 'GET',
    pattern: '/subscriptions/{sub}/resourceGroups',
    api: API_VERSIONS.resources,
    handle: res.listResourceGroups,
  },
  { method: 'GET', pattern: RG, api: API_VERSIONS.resources, handle: res.getResourceGroup },
  { method: 'GET', pattern: `${RG}/resources`, api: API_VERSIONS.resources, handle: res.listResources },

  {
    method: 'GET',
    pattern: '/subscriptions/{sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities',
    api: API_VERSIONS.userAssignedIdentities,
    handle: ids.listIdentities,
  },
  {
    method: 'GET',
    pattern: `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`,
    api: API_VERSIONS.userAssignedIdentities,
    handle: ids.listIdentities,
  },
  { method: 'GET', pattern: UAMI, api: API_VERSIONS.userAssignedIdentities, handle: ids.getIdentity },
  {
    method: 'GET',
    pattern: `${UAMI}/federatedIdentityCredentials`,
    api: API_VERSIONS.userAssignedIdentities,
    handle: ids.listFederatedCredentials,
  },
  {
    method: 'GET',
    pattern: FIC,
    api: API_VERSIONS.userAssignedIdentities,
    handle: ids.getFederatedCredential,
  },
  {
    method: 'PUT',
    pattern: FIC,
    api: API_VERSIONS.userAssignedIdentities,
    handle: ids.putFederatedCredential,
  },
  {
    method: 'DELETE',
    pattern: FIC,
    api: API_VERSIONS.userAssignedIdentities,
    handle: ids.deleteFederatedCredential,
  },

  { method: 'GET', pattern: SITE, api: API_VERSIONS.sites, handle: getSite },
  { method: 'PUT', pattern: SITE, api: API_VERSIONS.sites, handle: (r) => writeSite(r, false) },
  { method: 'PATCH', pattern: SITE, api: API_VERSIONS.sites, handle: (r) => writeSite(r, true) },

  {
    method: 'POST',
    pattern: `${RG}/providers/Microsoft.Storage/storageAccounts/{name}/listKeys`,
    api: API_VERSIONS.storageAccounts,
    handle: res.listKeys,
  },
  {
    method: 'GET',
    pattern: `${RG}/providers/{ns}/{type}/{name}`,
    api: (p) => apiVersionsForType(`${p.ns}/${p.type}`),
    handle: res.getResource,
  },
];
