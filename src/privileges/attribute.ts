// Which role assignment grants the excess, and the command that removes it (docs/privileges.md "Finding the
// grant"). Runs only when a check found excess that differs from the last run's: one list of the identity's role
// assignments (at, above and below the subscription), plus the definition of each role that is not declared, read
// once per process. An identity may list role assignments only with Microsoft.Authorization/roleAssignments/read
// (Reader has it); without it the finding names no assignment and tells the operator how to list them.
import type { Finding, GrantingAssignment, ScopeCheck } from './types.ts';
import type { AssignmentRecord, PrivilegesArm } from './arm.ts';
import { BUILT_IN_ROLES } from '../../common/built-in-roles.ts';
import type { PermissionBlock } from './catalog.ts';
import { grantsPattern } from './compare.ts';
import { roleAssignmentCreateCommand } from '../core/azCommands.ts';
import { scopeCovers } from './scopes.ts';

export interface LookupInput {
  principalId: string;
  /** The identity's declared roles and where (declared.ts, or the catalog's DECLARED_ASSIGNMENTS). */
  declared: ReadonlyArray<{ role: string; scope: string }>;
  /**
   * Where to list the identity's role assignments: each list holds those at, above and below its scope, so one per
   * resource group covers every checked scope in it (and the subscription above); the declared Reader there allows it.
   */
  listAt: readonly string[];
  checks: ScopeCheck[];
  signal: AbortSignal;
  /** Definitions of roles that are not declared, by GUID, read earlier (they rarely change): the checker's. */
  definitions: RoleDefinitions;
}

export type RoleDefinitions = Map<string, { roleName?: string; permissions: PermissionBlock[] }>;

export interface Lookup {
  findings: Finding[];
  lookup: 'listed' | 'not-permitted' | 'failed';
}

const GUID = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s*$/i;
const guidOf = (id: string) => GUID.exec(id)?.[1]?.toLowerCase() ?? id.toLowerCase();
const same = (a: string, b: string) =>
  a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();

interface Declared {
  role: string;
  guid: string;
  scope: string;
}

function declaredFor(declared: LookupInput['declared']): Declared[] {
  return declared.map((d) => {
    const role = BUILT_IN_ROLES.find((r) => r.roleName === d.role);
    return { role: d.role, guid: role?.id ?? d.role.toLowerCase(), scope: d.scope };
  });
}

async function definitionOf(
  arm: PrivilegesArm,
  declared: readonly Declared[],
  definitions: RoleDefinitions,
  a: AssignmentRecord,
  at: string,
  signal: AbortSignal,
) {
  const guid = guidOf(a.roleDefinitionId);
  // A declared role's definition ships with the app (catalog.ts says why); any other is read from ARM once.
  const isDeclared = declared.some((d) => d.guid === guid);
  const known = (isDeclared && BUILT_IN_ROLES.find((r) => r.id === guid)) || definitions.get(guid);
  if (known) return known;
  // Read at the scope the assignments were listed at, where the identity's Reader allows it (the subscription
  // form of the id that assignments carry would need a read right on the whole subscription).
  const read = await arm.roleDefinition(
    `${at}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
    signal,
  );
  definitions.set(guid, read);
  return read;
}

const statusOf = (err: unknown) => (err as { statusCode?: number })?.statusCode;

/** The `az` commands: grant what the excess stood in for (declared, missing, beneath it), then delete it. */
function remediation(
  principalId: string,
  grant: GrantingAssignment,
  missing: Declared[],
): Finding['remediation'] {
  const restore = missing.filter((m) => scopeCovers(grant.scope, m.scope));
  // Named as the template names them, so the next deployment updates them rather than failing with 409
  // RoleAssignmentExists.
  const creates = restore.map((m) => roleAssignmentCreateCommand(principalId, m.role, m.scope));
  const role = grant.roleName ? `'${grant.roleName}'` : `role ${guidOf(grant.roleDefinitionId)}`;
  const first = restore.length
    ? ` First grant the declared ${restore.map((m) => `'${m.role}'`).join(', ')} it stands in for, so nothing the probes need is lost: \`npm run deploy\` restores every declared role assignment, or the command below creates ${restore.length > 1 ? 'them' : 'it'} under the template's ${restore.length > 1 ? 'names' : 'name'} before the delete.`
    : '';
  return {
    summary: `Remove the assignment of ${role} at ${grant.scope}: it grants more than the wiring declares.${first}`,
    command: [...creates, `az role assignment delete --ids ${grant.id}`].join(' && '),
  };
}

function unattributed(principalId: string, why: string): Finding['remediation'] {
  return {
    summary: `${why} As an operator, list the identity's assignments and delete the one(s) beyond the wiring.`,
    command: `az role assignment list --assignee ${principalId} --all --include-inherited -o table`,
  };
}

/** Attributes each scope's excess to the undeclared assignments whose roles grant it. */
export async function findGrants(arm: PrivilegesArm, input: LookupInput): Promise<Lookup> {
  const { principalId, checks, signal, definitions } = input;
  let assignments: AssignmentRecord[];
  const at = input.listAt[0];
  try {
    const seen = new Set<string>();
    assignments = [];
    for (const scope of input.listAt)
      for (const a of await arm.assignments(scope, principalId, signal))
        if (!seen.has(a.id.toLowerCase())) {
          seen.add(a.id.toLowerCase());
          assignments.push(a);
        }
  } catch (err) {
    if (statusOf(err) !== 403) return failedLookup(checks, principalId);
    const why =
      'The identity may not read role assignments (Microsoft.Authorization/roleAssignments/read), so the grant is not named.';
    return { findings: [wholeExcess(checks, unattributed(principalId, why))], lookup: 'not-permitted' };
  }
  const declared = declaredFor(input.declared);
  const isDeclared = (a: AssignmentRecord) =>
    declared.some((d) => d.guid === guidOf(a.roleDefinitionId) && same(d.scope, a.scope));
  const missing = declared.filter(
    (d) => !assignments.some((a) => d.guid === guidOf(a.roleDefinitionId) && same(d.scope, a.scope)),
  );
  const extra = assignments.filter((a) => !isDeclared(a));
  const roles = new Map<string, { roleName?: string; permissions: PermissionBlock[] }>();
  try {
    for (const a of extra) roles.set(a.id, await definitionOf(arm, declared, definitions, a, at, signal));
  } catch {
    // Without a definition the assignment can still be named when it is the only undeclared one in scope.
  }
  const byAssignment = new Map<string, Finding>();
  let orphan: Finding | undefined;
  for (const c of checks) {
    if (!c.excess || !c.id) continue;
    const inScope = extra.filter((a) => scopeCovers(a.scope, c.id!));
    const grantsIt = (a: AssignmentRecord, p: string, k: 'action' | 'dataAction') => {
      const def = roles.get(a.id);
      return def ? grantsPattern(def.permissions, p, k) : inScope.length === 1;
    };
    for (const [k, patterns] of [
      ['action', c.excess.actions],
      ['dataAction', c.excess.dataActions],
    ] as const) {
      for (const p of patterns) {
        const granting = inScope.filter((a) => grantsIt(a, p, k));
        if (!granting.length) {
          orphan ??= emptyFinding(
            unattributed(principalId, 'No undeclared role assignment of this identity explains this excess.'),
          );
          addTo(orphan, c.scope, p, k);
        }
        for (const a of granting) {
          let f = byAssignment.get(a.id);
          if (!f) {
            const grant = {
              id: a.id,
              roleDefinitionId: a.roleDefinitionId,
              roleName: roles.get(a.id)?.roleName,
              scope: a.scope,
            };
            f = { ...emptyFinding(remediation(principalId, grant, missing)), assignment: grant };
            byAssignment.set(a.id, f);
          }
          addTo(f, c.scope, p, k);
        }
      }
    }
  }
  return { findings: [...byAssignment.values(), ...(orphan ? [orphan] : [])], lookup: 'listed' };
}

/** The answer when the lookup itself failed: the excess, unattributed, and how an operator finds the grant. */
export function failedLookup(checks: ScopeCheck[], principalId: string): Lookup {
  const why = 'Listing the role assignments failed, so the grant is not named.';
  return { findings: [wholeExcess(checks, unattributed(principalId, why))], lookup: 'failed' };
}

function emptyFinding(r: Finding['remediation']): Finding {
  return { scopes: [], actions: [], dataActions: [], remediation: r };
}

function addTo(f: Finding, scope: string, pattern: string, k: 'action' | 'dataAction'): void {
  if (!f.scopes.includes(scope)) f.scopes.push(scope);
  const list = k === 'action' ? f.actions : f.dataActions;
  if (!list.includes(pattern)) list.push(pattern);
}

function wholeExcess(checks: ScopeCheck[], r: Finding['remediation']): Finding {
  const f = emptyFinding(r);
  for (const c of checks) {
    for (const p of c.excess?.actions ?? []) addTo(f, c.scope, p, 'action');
    for (const p of c.excess?.dataActions ?? []) addTo(f, c.scope, p, 'dataAction');
  }
  return f;
}
