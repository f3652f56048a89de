// Azure RBAC evaluation, pure (docs/data-plane.md §4): an assignment at scope S applies to S and everything
// beneath it; a role allows an action when one of its permission blocks matches it in `actions` (or `dataActions`)
// and none of that block's `notActions` (`notDataActions`) does. NotActions are not deny rules: they subtract only
// within their own role, so another role that grants the action still wins. Control plane and data plane are
// separate lists: `actions` never grant a data action, and the reverse.
import { findRole } from './roles.ts';
import type { RoleDefinition } from './roles.ts';
import { actionMatches } from '../../../common/rbac-pattern.ts';

export type PermissionKind = 'action' | 'dataAction';

export interface AssignmentLike {
  id: string;
  principalId: string;
  /** Role GUID or any roleDefinitionId form. */
  roleDefinitionId: string;
  scope: string;
  /** Epoch ms from which the assignment takes effect (propagation delay). */
  effectiveFrom: number;
  /** Epoch ms until which a removed assignment still takes effect (propagation delay of a removal). */
  effectiveUntil?: number;
}

export interface AuthorizationRequest {
  /** The token's `oid` (role assignments are keyed on the object id, never on appid: §4.1). */
  principalId: string;
  action: string;
  kind: PermissionKind;
  /** ARM id of the resource the action is performed on. */
  scope: string;
  /** Epoch ms; default Date.now(). */
  now?: number;
}

export interface Decision {
  allowed: boolean;
  /** The assignment that granted it. */
  assignment?: AssignmentLike;
  role?: RoleDefinition;
}

export { actionMatches };

const normScope = (s: string) => {
  const t = s.trim().replace(/\/+$/, '').toLowerCase();
  return t === '' ? '/' : t;
};

/** Whether an assignment at `assignmentScope` applies to `resourceScope`: case-insensitive prefix on segment boundaries. */
export function scopeCovers(assignmentScope: string, resourceScope: string): boolean {
  const a = normScope(assignmentScope);
  const r = normScope(resourceScope);
  if (a === '/') return true;
  return r === a || r.startsWith(`${a}/`);
}

/** Whether a role allows `action` (per permission block: matched by the allow list and not by its not-list). */
export function roleAllows(role: RoleDefinition, action: string, kind: PermissionKind): boolean {
  return role.permissions.some((p) => {
    const allow = kind === 'action' ? p.actions : p.dataActions;
    const deny = kind === 'action' ? p.notActions : p.notDataActions;
    return allow.some((x) => actionMatches(x, action)) && !deny.some((x) => actionMatches(x, action));
  });
}

export function isEffective(a: AssignmentLike, now: number): boolean {
  return now >= a.effectiveFrom && (a.effectiveUntil === undefined || now < a.effectiveUntil);
}

/** Decides one request against a set of assignments (the union across every role the principal holds in scope). */
export function authorize(
  assignments: Iterable<AssignmentLike>,
  req: AuthorizationRequest,
  lookup: (roleDefinitionId: string) => RoleDefinition | undefined = findRole,
): Decision {
  const now = req.now ?? Date.now();
  const principal = req.principalId.toLowerCase();
  for (const a of assignments) {
    if (a.principalId.toLowerCase() !== principal) continue;
    if (!isEffective(a, now)) continue;
    if (!scopeCovers(a.scope, req.scope)) continue;
    const role = lookup(a.roleDefinitionId);
    if (role && roleAllows(role, req.action, req.kind)) return { allowed: true, assignment: a, role };
  }
  return { allowed: false };
}
