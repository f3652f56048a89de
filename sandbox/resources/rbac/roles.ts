// The sandbox's built-in role definitions (common/built-in-roles.ts, shared with the app's privileges check) and how
// a role definition id is read.

import { BUILT_IN_ROLES, type RoleDefinition } from '../../../common/built-in-roles.ts';

export { BUILT_IN_ROLES, type Permission, type RoleDefinition } from '../../../common/built-in-roles.ts';

const GUID_IN = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s*$/i;

/**
 * The role GUID of a role definition id in any of its forms: bare GUID, `/providers/Microsoft.Authorization/
 * roleDefinitions/{guid}` or the subscription-prefixed form (docs/data-plane.md §4.1: compare on the GUID).
 */
export function roleGuidOf(roleDefinitionId: string): string | undefined {
  return GUID_IN.exec(roleDefinitionId)?.[1]?.toLowerCase();
}

export function findRole(idOrName: string): RoleDefinition | undefined {
  const guid = roleGuidOf(idOrName);
  if (guid) return BUILT_IN_ROLES.find((r) => r.id === guid);
  return BUILT_IN_ROLES.find((r) => r.roleName.toLowerCase() === idOrName.trim().toLowerCase());
}
