// GET {scope}/providers/Microsoft.Authorization/permissions: the caller's own effective permissions at the scope
// (subscription, resource group or any resource below it), inheritance from the scopes above included
// (docs/privileges.md). ARM asks for no permission to answer it: every caller may read its own. The subscription
// form is served by real ARM though it is not in the REST specification (Azure/azure-rest-api-specs#19473).
import { effectivePermissions } from '../rbac/permissions.ts';
import { armErrors as E } from './errors.ts';
import { eq, send } from './request.ts';
import type { Req } from './request.ts';

export function listPermissions(r: Req, scope: string): void {
  const segs = scope.split('/').filter(Boolean);
  // A resource group that does not exist is a 404 (resources below it are not checked, as for role assignments).
  if (eq(segs[2], 'resourceGroups') && segs[3] !== undefined && !r.model.hasResourceGroup(segs[3]))
    throw E.resourceGroupNotFound(segs[3]);
  r.deps.ctx.counters.permissionsRead(r.claims.oid, scope);
  send(r, 200, { value: effectivePermissions(r.deps.rbac.inForce(), r.claims.oid, scope) });
}
