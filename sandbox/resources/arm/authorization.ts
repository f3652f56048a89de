// Microsoft.Authorization at any scope: role definitions (list with `$filter=roleName eq '…'`, get) and role
// assignments (list, get, PUT, DELETE), as `az role assignment create/list/delete` use them. Writes need
// `Microsoft.Authorization/roleAssignments/write` (`/delete`) at the scope, go through the role assignment store
// (so they take effect after the world's propagation delay) and answer ARM's errors: 409 RoleAssignmentExists for
// the same principal, role and scope, 400 PrincipalNotFound for an object id the directory does not hold unless
// principalType says what it is (https://aka.ms/docs-principaltype), 400 UnmatchedPrincipalType.
import { scopeCovers } from '../rbac/authorize.ts';
import { BUILT_IN_ROLES, findRole, roleGuidOf } from '../rbac/roles.ts';
import type { RoleDefinition } from '../rbac/roles.ts';
import { AssignmentError } from '../rbac/store.ts';
import type { StoredAssignment } from '../rbac/store.ts';
import { armErrors as E } from './errors.ts';
import { eq, page, readBodyObject, requireAction, send } from './request.ts';
import type { Req } from './request.ts';

const A = {
  assignmentsRead: 'Microsoft.Authorization/roleAssignments/read',
  assignmentsWrite: 'Microsoft.Authorization/roleAssignments/write',
  assignmentsDelete: 'Microsoft.Authorization/roleAssignments/delete',
  definitionsRead: 'Microsoft.Authorization/roleDefinitions/read',
};
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PRINCIPAL_TYPES = ['ServicePrincipal', 'User', 'Group', 'ForeignGroup', 'Device'] as const;

/** Built-in role definition ids: under the subscription when asked at or below one, else at the root. */
function definitionId(r: Req, scope: string, guid: string): string {
  const sub = r.model.world.subscriptionId;
  const prefix = scopeCovers(`/subscriptions/${sub}`, scope) ? `/subscriptions/${sub}` : '';
  return `${prefix}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
}

function assignmentBody(r: Req, a: StoredAssignment): Record<string, unknown> {
  const prefix = a.scope === '/' ? '' : a.scope;
  return {
    id: `${prefix}/providers/Microsoft.Authorization/roleAssignments/${a.id}`,
    name: a.id,
    type: 'Microsoft.Authorization/roleAssignments',
    properties: {
      roleDefinitionId: definitionId(r, a.scope, a.roleDefinitionId),
      principalId: a.principalId,
      principalType: a.principalType,
      scope: a.scope,
      condition: null,
      conditionVersion: null,
      createdOn: a.createdOn,
      updatedOn: a.createdOn,
      createdBy: null,
      updatedBy: null,
      delegatedManagedIdentityResourceId: null,
      description: null,
    },
  };
}

/** `$filter` of a list: `principalId eq '…'`, `atScope()`, `assignedTo('…')`, or both of the last. */
function parseAssignmentFilter(filter: string | null): { principal?: string; atOrAbove: boolean } {
  if (!filter) return { atOrAbove: false };
  const p = /^\s*principalId\s+eq\s+'([0-9a-f-]{36})'\s*$/i.exec(filter);
  if (p) return { principal: p[1], atOrAbove: false };
  if (/^\s*atScope\(\)\s*$/i.test(filter)) return { atOrAbove: true };
  const to = /^\s*(?:atScope\(\)\s+and\s+)?assignedTo\('([0-9a-f-]{36})'\)\s*$/i.exec(filter);
  if (to) return { principal: to[1], atOrAbove: true };
  throw E.invalidFilter(filter);
}

/**
 * List at a scope (Role Assignments - List For Scope): no filter or `principalId eq '…'` returns assignments at,
 * above and below the scope; `atScope()` and `assignedTo('…')` only at and above it.
 */
export function listRoleAssignments(r: Req, scope: string): void {
  requireAction(r, A.assignmentsRead, scope);
  const { principal, atOrAbove } = parseAssignmentFilter(r.url.searchParams.get('$filter'));
  const all = r.deps.rbac
    .list(principal ? { principalId: principal } : {})
    .filter((a) => scopeCovers(a.scope, scope) || (!atOrAbove && scopeCovers(scope, a.scope)));
  page(
    r,
    all,
    () => true,
    (a) => assignmentBody(r, a),
  );
}

function assignmentAt(r: Req, scope: string, id: string): StoredAssignment | undefined {
  const a = r.deps.rbac.get(id);
  return a && a.scope.toLowerCase() === (scope === '/' ? '/' : scope.toLowerCase()) ? a : undefined;
}

export function getRoleAssignment(r: Req, scope: string): void {
  requireAction(r, A.assignmentsRead, scope);
  const a = assignmentAt(r, scope, r.params.name);
  if (!a) throw E.roleAssignmentNotFound();
  send(r, 200, assignmentBody(r, a));
}

interface AssignmentInput {
  role: RoleDefinition;
  principalId: string;
  principalType?: StoredAssignment['principalType'];
}

/** What a PUT body asks for, validated as ARM validates it. */
async function assignmentInput(r: Req): Promise<AssignmentInput> {
  const p = (await readBodyObject(r)).properties as Record<string, unknown> | undefined;
  const roleDefinitionId = p?.roleDefinitionId;
  const principalId = p?.principalId;
  const principalType = p?.principalType;
  if (typeof roleDefinitionId !== 'string' || typeof principalId !== 'string')
    throw E.badRequest(
      'InvalidRoleAssignmentRequest',
      'properties.roleDefinitionId and properties.principalId are required.',
    );
  const role = findRole(roleGuidOf(roleDefinitionId) ?? '');
  if (!role)
    throw E.badRequest(
      'RoleDefinitionDoesNotExist',
      `The specified role definition with ID '${roleGuidOf(roleDefinitionId) ?? roleDefinitionId}' does not exist.`,
    );
  if (!GUID.test(principalId))
    throw E.badRequest(
      'InvalidPrincipalId',
      `The principal ID '${principalId}' is not a valid object ID (GUID).`,
    );
  if (principalType !== undefined && !PRINCIPAL_TYPES.includes(principalType as never))
    throw E.badRequest(
      'InvalidPrincipalType',
      `The principal type '${String(principalType)}' is not valid; use one of ${PRINCIPAL_TYPES.join(', ')}.`,
    );
  return { role, principalId, principalType: principalType as AssignmentInput['principalType'] };
}

/** The directory's view of a principal: every identity and app registration of the world is a service principal. */
function checkPrincipal(r: Req, input: AssignmentInput): void {
  const w = r.model.world;
  const known = [...w.identities, ...w.appRegistrations].some((i) => eq(i.principalId, input.principalId));
  if (!known && input.principalType === undefined) throw E.principalNotFound(input.principalId, w.tenantId);
  if (known && input.principalType !== undefined && input.principalType !== 'ServicePrincipal')
    throw E.badRequest(
      'UnmatchedPrincipalType',
      `The PrincipalId '${input.principalId.replace(/-/g, '')}' has type 'ServicePrincipal' , which is different from specified PrincipalType '${input.principalType}'.`,
    );
}

export async function putRoleAssignment(r: Req, scope: string): Promise<void> {
  const name = r.params.name;
  requireAction(r, A.assignmentsWrite, scope);
  if (!GUID.test(name))
    throw E.badRequest(
      'InvalidRoleAssignmentId',
      `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`,
    );
  const input = await assignmentInput(r);
  checkPrincipal(r, input);
  const same = r.deps.rbac.get(name);
  if (same) {
    const unchanged =
      eq(same.principalId, input.principalId) &&
      same.roleDefinitionId === input.role.id &&
      eq(same.scope, scope);
    if (!unchanged) throw E.roleAssignmentUpdateNotPermitted();
    return send(r, 201, assignmentBody(r, same));
  }
  try {
    const a = r.deps.rbac.add({
      id: name,
      principalId: input.principalId,
      role: input.role.id,
      scope,
      principalType: input.principalType ?? 'ServicePrincipal',
    });
    send(r, 201, assignmentBody(r, a));
  } catch (err) {
    if (err instanceof AssignmentError && err.code === 'RoleAssignmentExists') throw E.roleAssignmentExists();
    if (err instanceof AssignmentError) throw E.badRequest(err.code, err.message);
    throw err;
  }
}

export function deleteRoleAssignment(r: Req, scope: string): void {
  requireAction(r, A.assignmentsDelete, scope);
  const a = assignmentAt(r, scope, r.params.name);
  if (!a) return send(r, 204);
  const body = assignmentBody(r, a);
  r.deps.rbac.remove(a.id);
  send(r, 200, body);
}

function roleDefinitionBody(r: Req, scope: string, d: RoleDefinition): Record<string, unknown> {
  return {
    id: definitionId(r, scope, d.id),
    name: d.id,
    type: 'Microsoft.Authorization/roleDefinitions',
    properties: {
      roleName: d.roleName,
      type: d.roleType,
      description: d.description,
      assignableScopes: d.assignableScopes,
      permissions: d.permissions,
    },
  };
}

export function listRoleDefinitions(r: Req, scope: string): void {
  requireAction(r, A.definitionsRead, scope);
  const filter = r.url.searchParams.get('$filter');
  let all = [...BUILT_IN_ROLES];
  if (filter) {
    const m = /^\s*roleName\s+eq\s+'([^']+)'\s*$/i.exec(filter);
    const t = /^\s*type\s+eq\s+'(BuiltInRole|CustomRole)'\s*$/i.exec(filter);
    if (m) all = all.filter((d) => eq(d.roleName, m[1]));
    else if (t) all = all.filter((d) => eq(d.roleType, t[1]));
    else throw E.invalidFilter(filter);
  }
  page(
    r,
    all,
    () => true,
    (d) => roleDefinitionBody(r, scope, d),
  );
}

export function getRoleDefinition(r: Req, scope: string): void {
  requireAction(r, A.definitionsRead, scope);
  const guid = roleGuidOf(r.params.name);
  const d = guid && BUILT_IN_ROLES.find((x) => x.id === guid);
  if (!d) throw E.roleDefinitionNotFound();
  send(r, 200, roleDefinitionBody(r, scope, d));
}
