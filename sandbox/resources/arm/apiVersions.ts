// The api-versions Resource Manager accepts per resource type (docs/data-plane.md §2), declared once. Real ARM
// checks api-version on every request before the resource provider sees it:
// - absent: 400 MissingApiVersionParameter;
// - not served by Microsoft.Resources (subscriptions, tenants, groups, generic resources) or
//   Microsoft.Authorization: 400 InvalidApiVersionParameter "The api-version 'x' is invalid. The supported versions
//   are '…'." (Azure/azure-cli#27109, #28038);
// - not served by a resource provider's type: 400 NoRegisteredProviderFound "No registered resource provider found
//   for location '…' and API version '…' for type '…'. The supported api-versions are '…'. The supported locations
//   are '…'." (Azure/azure-cli#28496, #28368).
// Every list contains what the clients of this project send: @azure/arm-resources v8 (2025-04-01), Azure CLI 2.91
// (resources 2024-11-01, subscriptions 2022-12-01, authorization 2022-04-01, msi 2024-11-30/2023-01-31, web
// 2025-05-01, msi 2025-05-31-preview/2025-01-31-preview, metadata 2022-09-01) and the tests.
import type { SandboxError } from '../../core/errors.ts';
import { armErrors as E } from './errors.ts';

/** How a family of types reports a version it does not serve. */
type Style = 'resources' | 'provider';

export interface ApiVersionSet {
  /** Shown in NoRegisteredProviderFound ("for type 'sites'"). */
  typeName: string;
  style: Style;
  versions: readonly string[];
}

// Microsoft.Resources' list as the real message prints it (no spaces, the odd 2014-04 entries at the end).
const RESOURCES_VERSIONS = [
  '2025-04-01',
  '2024-11-01',
  '2024-08-01',
  '2024-07-01',
  '2024-03-01',
  '2023-07-01',
  '2023-07-01-preview',
  '2023-03-01-preview',
  '2022-12-01',
  '2022-11-01-preview',
  '2022-09-01',
  '2022-06-01',
  '2022-05-01',
  '2022-03-01-preview',
  '2022-01-01',
  '2021-04-01',
  '2021-01-01',
  '2020-10-01',
  '2020-09-01',
  '2020-08-01',
  '2020-07-01',
  '2020-06-01',
  '2020-05-01',
  '2020-01-01',
  '2019-11-01',
  '2019-10-01',
  '2019-09-01',
  '2019-08-01',
  '2019-07-01',
  '2019-06-01',
  '2019-05-10',
  '2019-05-01',
  '2019-03-01',
  '2018-11-01',
  '2018-09-01',
  '2018-08-01',
  '2018-07-01',
  '2018-06-01',
  '2018-05-01',
  '2018-02-01',
  '2018-01-01',
  '2017-12-01',
  '2017-08-01',
  '2017-06-01',
  '2017-05-10',
  '2017-05-01',
  '2017-03-01',
  '2016-09-01',
  '2016-07-01',
  '2016-06-01',
  '2016-02-01',
  '2015-11-01',
  '2015-01-01',
  '2014-04-01-preview',
  '2014-04-01',
  '2014-01-01',
  '2013-03-01',
  '2014-02-26',
  '2014-04',
];

export const API_VERSIONS = {
  resources: { typeName: 'resources', style: 'resources', versions: RESOURCES_VERSIONS },
  metadata: {
    typeName: 'metadata',
    style: 'resources',
    versions: ['2022-09-01', '2020-06-01', '2019-05-01', '2018-01-01', '2017-12-01', '2015-01-01'],
  },
  authorization: {
    typeName: 'roleAssignments',
    style: 'resources',
    versions: [
      '2022-05-01-preview',
      '2022-04-01',
      '2022-01-01-preview',
      '2021-04-01-preview',
      '2020-10-01-preview',
      '2020-08-01-preview',
      '2020-04-01-preview',
      '2020-03-01-preview',
      '2019-04-01-preview',
      '2018-09-01-preview',
      '2018-07-01',
      '2018-01-01-preview',
      '2017-10-01-preview',
      '2017-09-01',
      '2017-05-01',
      '2016-07-01',
      '2015-07-01',
      '2015-06-01',
      '2015-05-01-preview',
      '2014-10-01-preview',
      '2014-07-01-preview',
      '2014-04-01-preview',
    ],
  },
  userAssignedIdentities: {
    typeName: 'userAssignedIdentities',
    style: 'provider',
    versions: [
      '2025-05-31-preview',
      '2025-01-31-preview',
      '2024-11-30',
      '2023-07-31-preview',
      '2023-01-31',
      '2022-01-31-preview',
      '2021-09-30-preview',
      '2018-11-30',
      '2015-08-31-preview',
    ],
  },
  sites: {
    typeName: 'sites',
    style: 'provider',
    versions: [
      '2025-05-01',
      '2025-03-01',
      '2024-11-01',
      '2024-04-01',
      '2023-12-01',
      '2023-01-01',
      '2022-09-01',
      '2022-03-01',
      '2021-03-01',
      '2021-02-01',
      '2021-01-15',
      '2021-01-01',
      '2020-12-01',
      '2020-10-01',
      '2020-09-01',
      '2020-06-01',
      '2019-08-01',
      '2018-11-01',
      '2018-02-01',
      '2016-08-01',
      '2016-03-01',
      '2015-08-01',
    ],
  },
  storageAccounts: {
    typeName: 'storageAccounts',
    style: 'provider',
    versions: [
      '2025-06-01',
      '2025-01-01',
      '2024-01-01',
      '2023-05-01',
      '2023-04-01',
      '2023-01-01',
      '2022-09-01',
      '2022-05-01',
      '2021-09-01',
      '2021-08-01',
      '2021-06-01',
      '2021-04-01',
      '2021-02-01',
      '2021-01-01',
      '2019-06-01',
      '2019-04-01',
      '2018-11-01',
      '2018-07-01',
      '2018-02-01',
      '2017-10-01',
      '2017-06-01',
      '2016-12-01',
      '2016-05-01',
      '2016-01-01',
      '2015-06-15',
      '2015-05-01-preview',
    ],
  },
  vaults: {
    typeName: 'vaults',
    style: 'provider',
    versions: [
      '2025-05-01',
      '2024-12-01-preview',
      '2024-11-01',
      '2024-04-01-preview',
      '2023-07-01',
      '2023-02-01',
      '2022-11-01',
      '2022-07-01',
      '2021-10-01',
      '2021-06-01-preview',
      '2021-04-01-preview',
      '2019-09-01',
      '2018-02-14',
      '2018-02-14-preview',
      '2016-10-01',
      '2015-06-01',
    ],
  },
} as const satisfies Record<string, ApiVersionSet>;

/** The version set of a provider resource type (`Microsoft.Web/sites`), or the generic resources set. */
export function apiVersionsForType(type: string): ApiVersionSet {
  switch (type.toLowerCase()) {
    case 'microsoft.web/sites':
      return API_VERSIONS.sites;
    case 'microsoft.storage/storageaccounts':
      return API_VERSIONS.storageAccounts;
    case 'microsoft.keyvault/vaults':
      return API_VERSIONS.vaults;
    case 'microsoft.managedidentity/userassignedidentities':
      return API_VERSIONS.userAssignedIdentities;
    default:
      return API_VERSIONS.resources;
  }
}

/** Throws the error real ARM answers when `value` (the api-version query value) is absent or not served. */
export function checkApiVersion(
  set: ApiVersionSet,
  value: string | null,
  location: string,
): SandboxError | undefined {
  if (value === null || value === '') return E.missingApiVersion();
  if (set.versions.includes(value)) return undefined;
  return set.style === 'resources'
    ? E.invalidApiVersion(value, set.versions)
    : E.noRegisteredProvider(value, set.typeName, set.versions, location);
}
