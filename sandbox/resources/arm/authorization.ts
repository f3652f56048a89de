// Microsoft.Authorization routes beyond the read-only listings of server.ts (docs/privileges.md):
// - GET {scope}/providers/Microsoft.Authorization/permissions: the caller's own effective permissions at the scope
//   (subscription, resource group or any resource below it), inheritance from the scopes above included. ARM asks
//   for no permission to answer it: every caller may read its own. The subscription form is served by real ARM
//   though it is not in the REST specification (Azure/azure-rest-api-specs#19473).
// - PUT / DELETE {scope}/providers/Microsoft.Authorization/roleAssignments/{name}: what `az role assignment create`
//   and `az role assignment delete --ids` send, RBAC enforced (roleAssignments/write, /delete), 409
//   RoleAssignmentExists, DELETE of an absent assignment answers 204 as ARM does. Changes take effect after the
//   sandbox's propagation delay, like the admin API's.
import { readJson } from '../../core/http.ts';
import { effectivePermissions } from '../rbac/permissions.ts';
import { findRole, roleGuidOf } from '../rbac/roles.ts';
import { AssignmentError } from '../rbac/store.ts';
import type { StoredAssignment } from '../rbac/store.ts';
import { armError, armErrors as E } from './errors.ts';
import { assignmentBody, requireAction, send } from './server.ts';
import type { Req } from './server.ts';

const WRITE = 'Microsoft.Authorization/roleAssignments/write';
const DELETE = 'Microsoft.Authorization/roleAssignments/delete';

const eq = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

/** Handles the request when it is one of these routes; false leaves it to server.ts. */
export async function authorizationRoute(
  r: Req,
  method: string,
  scope: string,
  kind: string | undefined,
  name: string | undefined,
  rest: string[],
): Promise<boolean> {
  if (eq(kind, 'permissions') && name === undefined) {
    if (method !== 'GET') throw E.methodNotAllowed(method);
    permissions(r, scope);
    return true;
  }
  if (!eq(kind, 'roleAssignments') || name === undefined || rest.length) return false;
  if (method === 'PUT') {
    await putAssignment(r, scope, name);
    return true;
  }
  if (method === 'DELETE') {
    deleteAssignment(r, scope, name);
    return true;
  }
  return false;
}

function permissions(r: Req, scope: string): void {
  const segs = scope.split('/').filter(Boolean);
  // A resource group that does not exist is a 404 (resources below it are not checked, as for role assignments).
  if (eq(segs[2], 'resourceGroups') && segs[3] !== undefined && !r.model.hasResourceGroup(segs[3]))
    throw E.resourceGroupNotFound(segs[3]);
  r.deps.ctx.counters.permissionsRead(r.claims.oid, scope);
  const value = effectivePermissions(r.deps.rbac.inForce(), r.claims.oid, scope);
  send(r, 200, { value });
}

interface PutBody {
  properties?: { roleDefinitionId?: unknown; principalId?: unknown; principalType?: unknown };
}

async function putAssignment(r: Req, scope: string, name: string): Promise<void> {
  requireAction(r, WRITE, scope);
  const body = (await readJson(r.req)) as PutBody;
  const p = body?.properties;
  if (!p || typeof p.roleDefinitionId !== 'string' || typeof p.principalId !== 'string')
    throw armError(
      400,
      'InvalidRequestContent',
      'The request content must have properties.roleDefinitionId and properties.principalId.',
    );
  const guid = roleGuidOf(p.roleDefinitionId);
  if (!guid || !findRole(guid))
    throw armError(
      400,
      'RoleDefinitionDoesNotExist',
      `The specified role definition with ID '${guid ?? p.roleDefinitionId}' does not exist.`,
    );
  let created: StoredAssignment;
  try {
    created = r.deps.rbac.add({
      id: name,
      principalId: p.principalId,
      role: guid,
      scope,
      principalType: p.principalType as StoredAssignment['principalType'] | undefined,
    });
  } catch (err) {
    if (!(err instanceof AssignmentError)) throw err;
    throw armError(err.status, err.code, err.message);
  }
  send(r, 201, assignmentBody(r, created));
}

function deleteAssignment(r: Req, scope: string, name: string): void {
  requireAction(r, DELETE, scope);
  const a = r.deps.rbac.get(name);
  if (!a || a.scope.toLowerCase() !== (scope === '/' ? '/' : scope.toLowerCase())) {
    r.res.writeHead(204, { 'cache-control': 'no-cache' }).end();
    return;
  }
  r.deps.rbac.remove(a.id);
  send(r, 200, assignmentBody(r, a));
}
