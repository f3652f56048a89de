// The caller's effective permissions at a scope, as Resource Manager's permissions API reports them
// (`{scope}/providers/Microsoft.Authorization/permissions`, docs/privileges.md): one entry per role assignment in
// force for the principal at that scope or any scope above it (inheritance), each the assigned role's permission
// blocks as defined (`actions`, `notActions`, `dataActions`, `notDataActions`, wildcards unexpanded). Nothing is
// merged or subtracted: NotActions are not deny rules, so the caller reads the union the way RBAC evaluates it.
import { isEffective, scopeCovers } from './authorize.ts';
import type { AssignmentLike } from './authorize.ts';
import { findRole } from './roles.ts';
import type { Permission, RoleDefinition } from './roles.ts';

/** One entry of the answer's `value`, in ARM's field order. */
export type PermissionEntry = Permission;

export function effectivePermissions(
  assignments: Iterable<AssignmentLike>,
  principalId: string,
  scope: string,
  now: number = Date.now(),
  lookup: (roleDefinitionId: string) => RoleDefinition | undefined = findRole,
): PermissionEntry[] {
  const principal = principalId.toLowerCase();
  const out: PermissionEntry[] = [];
  for (const a of assignments) {
    if (a.principalId.toLowerCase() !== principal) continue;
    if (!isEffective(a, now) || !scopeCovers(a.scope, scope)) continue;
    const role = lookup(a.roleDefinitionId);
    if (!role) continue;
    for (const p of role.permissions)
      out.push({
        actions: [...p.actions],
        notActions: [...p.notActions],
        dataActions: [...p.dataActions],
        notDataActions: [...p.notDataActions],
      });
  }
  return out;
}
