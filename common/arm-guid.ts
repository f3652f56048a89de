// ARM's template function guid(), so that a role assignment created outside a deployment (a printed remediation,
// the sandbox's world) gets the very name infra/ gives it, and the next deployment PUTs the same resource instead of
// failing with 409 RoleAssignmentExists (ARM refuses a second assignment of one principal, role and scope under
// another name).
//
// guid() is a name-based UUID, version 5 (SHA-1), of its arguments joined by '-', in ARM's own namespace
// (https://learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-functions-string#guid: "RFC 4122 §4.3").
// The namespace is the one community re-implementations use (e.g. Terraform's uuidv5 with it, to match Bicep);
// test/app/unit/arm-guid.test.ts checks the result against values ARM's own expression evaluator computed
// (Azure/bicep's test baselines). node:crypto's SHA-1 is all it takes: the whole algorithm is RFC 4122 §4.3, a few
// lines, and the uuid package's v5() would add a dependency for the same lines.
// Imports nothing outside node: and common/, so the app, the sandbox and the scripts may all use it.
import { createHash } from 'node:crypto';

/** ARM's namespace for guid(). */
export const ARM_GUID_NAMESPACE = '11fb06fb-712d-4ddd-98c7-e71bbd588830';

/** RFC 4122 §4.3 name-based UUID, version 5, of `name` (UTF-8) in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`not a UUID: ${namespace}`);
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50; // version 5
  b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** ARM's guid(a, b, ...): case-sensitive in every argument, as ARM's is. */
export function armGuid(...args: string[]): string {
  if (args.length === 0) throw new Error('guid() takes at least one argument');
  return uuidV5(ARM_GUID_NAMESPACE, args.join('-'));
}

/**
 * The name infra/modules/role-assignments.bicep gives an assignment: guid(<scope resource>.id, principalId, role
 * GUID). `scope` must be spelled as ARM spells the resource's id in the template (see templateScope); the principal
 * and role GUIDs as ARM returns them (lowercase).
 */
export function roleAssignmentName(scope: string, principalId: string, roleGuid: string): string {
  return armGuid(scope, principalId.toLowerCase(), roleGuid.toLowerCase());
}

/** Provider namespaces and resource types as the template's resource declarations spell them (case matters). */
const CANONICAL_SEGMENTS = [
  'subscriptions',
  'resourceGroups',
  'providers',
  'Microsoft.KeyVault',
  'vaults',
  'Microsoft.Storage',
  'storageAccounts',
  'blobServices',
  'containers',
  'Microsoft.Insights',
  'components',
  'Microsoft.ManagedIdentity',
  'userAssignedIdentities',
  'Microsoft.Web',
  'sites',
];
const CANONICAL = new Map(CANONICAL_SEGMENTS.map((s) => [s.toLowerCase(), s]));

/**
 * A scope as the template's `<resource>.id` spells it: the subscription and resource group as the settings name them
 * (AZURE_SUBSCRIPTION_ID is subscription().subscriptionId and AZURE_RESOURCE_GROUP resourceGroup().name, both
 * written by the template), provider namespaces and types in their canonical case, names as given. A service's 403
 * may name the scope in lowercase (Key Vault does), which ARM accepts as a scope but which guid() would hash to
 * another name.
 */
export function templateScope(
  scope: string,
  ids: { subscriptionId?: string; resourceGroup?: string } = {},
): string {
  const parts = scope.replace(/\/+$/, '').split('/');
  const canon = (p: string) => CANONICAL.get(p.toLowerCase()) ?? p;
  const same = (a: string, b?: string) => b !== undefined && a.toLowerCase() === b.toLowerCase();
  const out = [...parts];
  // '' / subscriptions / {sub} / resourceGroups / {rg} / providers / {ns} / {type} / {name} [/ {type} / {name}]...
  if (same(parts[1] ?? '', 'subscriptions')) {
    out[1] = 'subscriptions';
    if (parts[2] !== undefined && same(parts[2], ids.subscriptionId)) out[2] = ids.subscriptionId!;
    // subscription().subscriptionId is a lowercase GUID.
    else if (parts[2] !== undefined && /^[0-9a-f-]{36}$/i.test(parts[2])) out[2] = parts[2].toLowerCase();
  }
  if (same(parts[3] ?? '', 'resourceGroups')) {
    out[3] = 'resourceGroups';
    if (parts[4] !== undefined && same(parts[4], ids.resourceGroup)) out[4] = ids.resourceGroup!;
  }
  if (same(parts[5] ?? '', 'providers')) {
    out[5] = 'providers';
    if (parts[6] !== undefined) out[6] = canon(parts[6]);
    for (let i = 7; i < parts.length; i += 2) out[i] = canon(parts[i]);
  }
  return out.join('/');
}
