// Role assignments in force: the world's (they exist "since deploy", so they are effective at once) plus the ones
// added or removed at run time through the admin API. A change takes effect after the propagation delay
// (docs/data-plane.md §4.5: "it can take up to 10 minutes for changes to take effect"), which reproduces the
// "403 right after deploy" trap: a new assignment starts to count, and a removed one stops counting, only then.
// A scenario switch replaces everything with the new world's assignments (a different deployment).
import { randomUUID } from 'node:crypto';
import type { RoleAssignment, World } from '../../world.ts';
import { authorize } from './authorize.ts';
import type { AssignmentLike, AuthorizationRequest, Decision } from './authorize.ts';
import { findRole } from './roles.ts';

export interface StoredAssignment extends AssignmentLike {
  principalType: RoleAssignment['principalType'];
  /** Role GUID. */
  roleDefinitionId: string;
  roleName: string;
  origin: RoleAssignment['origin'];
  createdOn: string;
  /** Epoch ms of the removal, when removed (it may still be effective until effectiveUntil). */
  removedAt?: number;
}

export interface NewAssignment {
  principalId: string;
  /** Role GUID, full role definition id, or role name. */
  role: string;
  scope: string;
  principalType?: RoleAssignment['principalType'];
  /** Overrides the sandbox's propagation delay for this change. */
  propagationDelaySeconds?: number;
}

export class AssignmentError extends Error {
  readonly status: number;
  readonly code: string;
  readonly existingId?: string;
  constructor(status: number, code: string, message: string, existingId?: string) {
    super(message);
    this.name = 'AssignmentError';
    this.status = status;
    this.code = code;
    this.existingId = existingId;
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PRINCIPAL_TYPES = ['ServicePrincipal', 'User', 'Group', 'ForeignGroup', 'Device'] as const;
// §4.1: management group, subscription, resource group, resource and child scopes ('/' is the root scope).
const SCOPE =
  /^(\/|\/providers\/Microsoft\.Management\/managementGroups\/[^/]+(\/.*)?|\/subscriptions\/[^/]+(\/.*)?)$/i;

export class RoleAssignmentStore {
  #items: StoredAssignment[] = [];
  readonly #delayMs: number;
  readonly #now: () => number;

  constructor(world: World, propagationDelaySeconds: number, now: () => number = Date.now) {
    this.#delayMs = Math.max(0, propagationDelaySeconds) * 1000;
    this.#now = now;
    this.resetFromWorld(world);
  }

  resetFromWorld(world: World): void {
    this.#items = world.roleAssignments.map((a) => ({
      id: a.id,
      principalId: a.principalId.toLowerCase(),
      principalType: a.principalType,
      roleDefinitionId: a.roleDefinitionId.toLowerCase(),
      roleName: a.roleName ?? findRole(a.roleDefinitionId)?.roleName ?? a.roleDefinitionId,
      scope: a.scope,
      origin: a.origin,
      createdOn: a.createdOn,
      effectiveFrom: a.effectiveFrom,
    }));
  }

  add(n: NewAssignment): StoredAssignment {
    if (typeof n.principalId !== 'string' || !GUID.test(n.principalId))
      throw new AssignmentError(400, 'InvalidPrincipalId', 'principalId must be an object id (GUID).');
    if (typeof n.role !== 'string' || !n.role)
      throw new AssignmentError(
        400,
        'InvalidRoleDefinitionId',
        'roleDefinitionId (or roleName) is required.',
      );
    const role = findRole(n.role);
    if (!role)
      throw new AssignmentError(
        400,
        'RoleDefinitionDoesNotExist',
        `The specified role definition '${n.role}' does not exist in the sandbox's built-in roles.`,
      );
    if (typeof n.scope !== 'string' || !SCOPE.test(n.scope))
      throw new AssignmentError(
        400,
        'InvalidScope',
        "scope must be an ARM scope: '/', '/subscriptions/{id}[/resourceGroups/{rg}[/providers/...]]' or a management group.",
      );
    if (n.principalType !== undefined && !PRINCIPAL_TYPES.includes(n.principalType))
      throw new AssignmentError(
        400,
        'InvalidPrincipalType',
        `principalType must be one of ${PRINCIPAL_TYPES.join(', ')}.`,
      );
    const scope = n.scope.replace(/\/+$/, '') || '/';
    const principalId = n.principalId.toLowerCase();
    // Real ARM: 409 RoleAssignmentExists for the same principal, role and scope.
    const existing = this.list().find(
      (a) =>
        a.principalId === principalId &&
        a.roleDefinitionId === role.id &&
        a.scope.toLowerCase() === scope.toLowerCase(),
    );
    if (existing)
      throw new AssignmentError(
        409,
        'RoleAssignmentExists',
        'The role assignment already exists.',
        existing.id,
      );
    const now = this.#now();
    const delay =
      n.propagationDelaySeconds !== undefined ? Math.max(0, n.propagationDelaySeconds) * 1000 : this.#delayMs;
    const a: StoredAssignment = {
      id: randomUUID(),
      principalId,
      principalType: n.principalType ?? 'ServicePrincipal',
      roleDefinitionId: role.id,
      roleName: role.roleName,
      scope,
      origin: 'admin',
      createdOn: new Date(now).toISOString(),
      effectiveFrom: now + delay,
    };
    this.#items.push(a);
    return a;
  }

  /** Removes an assignment; it stops counting after the propagation delay. Undefined when there is none. */
  remove(id: string, propagationDelaySeconds?: number): StoredAssignment | undefined {
    const a = this.#items.find((x) => x.id.toLowerCase() === id.toLowerCase() && x.removedAt === undefined);
    if (!a) return undefined;
    const now = this.#now();
    const delay =
      propagationDelaySeconds !== undefined ? Math.max(0, propagationDelaySeconds) * 1000 : this.#delayMs;
    a.removedAt = now;
    a.effectiveUntil = now + delay;
    // Forget assignments that are gone and no longer effective.
    this.#items = this.#items.filter(
      (x) => x.effectiveUntil === undefined || x.effectiveUntil > now || x === a,
    );
    return a;
  }

  /** Assignments as ARM lists them (a removal shows at once; only enforcement lags). */
  list(filter: { principalId?: string } = {}): StoredAssignment[] {
    const p = filter.principalId?.toLowerCase();
    return this.#items.filter((a) => a.removedAt === undefined && (p === undefined || a.principalId === p));
  }

  get(id: string): StoredAssignment | undefined {
    return this.list().find((a) => a.id.toLowerCase() === id.toLowerCase());
  }

  authorize(req: Omit<AuthorizationRequest, 'now'>): Decision {
    return authorize(this.#items, { ...req, now: this.#now() });
  }
}
