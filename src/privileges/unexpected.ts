// Why a `denied` probe got in (outcome `unexpectedly-allowed`, docs/privileges.md "Denied probes that get in"): the
// role assignments of the attested identity that grant what the resource's least role grants, at or above the
// resource's scope, and the command that removes each of them. Found the way the privileges check names the grant
// behind an excess (attribute.ts findGrants): one list of the identity's role assignments, filtered by principal,
// listed at the resource's scope (ARM answers with those at, above and below it:
// https://learn.microsoft.com/rest/api/authorization/role-assignments/list-for-scope), and each role's permissions
// from the published built-in definitions, or read once from ARM for a custom role.
//
// It runs with the probed identity's own credential: the identity that got in is the one to explain, and listing its
// own assignments needs Microsoft.Authorization/roleAssignments/read there (Reader has it). Without that right the
// grant cannot be named, and the remediation says how an operator lists the identity's assignments instead.
import type { TokenCredential } from '@azure/identity';
import type { Config } from '../config.ts';
import type { PlannedIdentity, PlannedResource } from '../core/plan.ts';
import type { AccessGrant, Remediation } from '../core/results.ts';
import { TARGETS as CATALOG_TARGETS } from '../../common/catalog.ts';
import { raceDeadline } from '../core/deadline.ts';
import { BUILT_IN_ROLES } from '../../common/built-in-roles.ts';
import { countingRequests, createPrivilegesArm, type AssignmentRecord, type PrivilegesArm } from './arm.ts';
import type { RoleDefinitions } from './attribute.ts';
import type { PermissionBlock } from './catalog.ts';
import { grantsPattern } from './compare.ts';
import { resourceScope } from './declared.ts';
import { scopeCovers } from './scopes.ts';

export type { AccessGrant };

export interface AccessExplanation {
  /** The granting assignments; empty when they could not be listed (see `lookup`) or none grants it. */
  grants: AccessGrant[];
  /**
   * 'listed': the identity's assignments were read; 'not-permitted': the identity may not read role assignments
   * there; 'failed': the list failed or missed the deadline.
   */
  lookup: 'listed' | 'not-permitted' | 'failed';
  remediation: Remediation;
  /** ARM requests sent (retries included). */
  armRequests: number;
}

/** What is to be explained: who got in, where, and what the resource's least role grants. */
export interface AccessQuestion {
  /** The declared identity and resource, for sentences. */
  identity: string;
  resource: string;
  /** The attested identity's object id (the token's oid). */
  principalId: string;
  /** The exact ARM scope of the resource (Target.scope of the planned resource). */
  scope: string;
  /** The resource's least role (Target.role): the access a `denied` probe must not have is what it grants. */
  role: string;
  /**
   * The one action the probe's call performs (common/catalog.ts TARGETS[id].action), when known: then only the
   * assignments that grant it are named, not those granting some other part of the least role.
   */
  action?: { kind: 'action' | 'dataAction'; name: string };
}

/** The inputs beyond the question: the identity's credential and the settings naming Resource Manager. */
export interface ExplainContext {
  credential: TokenCredential;
  /** Reads `arm.endpoint`, `arm.audience` and `probeTimeoutMs`. */
  config: Config;
  /** Custom role definitions read before, by GUID (shared across calls: they rarely change). */
  definitions?: RoleDefinitions;
  signal?: AbortSignal;
  /** What is left of the probe's deadline (default PROBE_TIMEOUT_MS). */
  budgetMs?: number;
}

/** The function the runner is handed (orchestration/app.ts): probes/ may not import privileges/. */
export type AccessExplainer = (q: AccessQuestion, ctx: ExplainContext) => Promise<AccessExplanation>;

const GUID = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s*$/i;
const guidOf = (id: string) => GUID.exec(id)?.[1]?.toLowerCase() ?? id.toLowerCase();
const same = (a: string, b: string) =>
  a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();

type Kind = 'action' | 'dataAction';

/**
 * The permissions that make up access to the resource: the least role's data actions (what the data-plane call
 * needs), or its actions when it has none (a management-plane role such as Reader). Not-actions are left out: they
 * narrow the role, they are not access.
 */
export function accessPatterns(role: string): { kind: Kind; patterns: string[] } {
  const def = BUILT_IN_ROLES.find((r) => r.roleName.toLowerCase() === role.toLowerCase());
  if (!def) throw new Error(`common/built-in-roles.ts has no definition of '${role}'`);
  const dataActions = def.permissions.flatMap((p) => p.dataActions);
  return dataActions.length
    ? { kind: 'dataAction', patterns: dataActions }
    : { kind: 'action', patterns: def.permissions.flatMap((p) => p.actions) };
}

/**
 * The assignments (at the scope or above it) whose role grants any of the access patterns. Pure: `roles` holds each
 * assignment's permission blocks by assignment id; one without a known definition counts as granting only when it
 * is the only assignment in scope (as findGrants does: it is then the only candidate).
 */
export function grantsLettingIn(
  assignments: readonly AssignmentRecord[],
  roles: ReadonlyMap<string, { roleName?: string; permissions: PermissionBlock[] }>,
  scope: string,
  access: { kind: Kind; patterns: string[] },
): AccessGrant[] {
  const inScope = assignments.filter((a) => scopeCovers(a.scope, scope));
  return inScope
    .filter((a) => {
      const def = roles.get(a.id);
      if (!def) return inScope.length === 1;
      return access.patterns.some((p) => grantsPattern(def.permissions, p, access.kind));
    })
    .map((a) => ({
      assignmentId: a.id,
      roleDefinitionId: a.roleDefinitionId,
      ...(roles.get(a.id)?.roleName ? { roleName: roles.get(a.id)!.roleName } : {}),
      scope: a.scope,
      inherited: !same(a.scope, scope),
    }));
}

/** The remediation of a denied probe that got in, from the grants found. */
export function unexpectedRemediation(
  q: AccessQuestion,
  found: Pick<AccessExplanation, 'grants' | 'lookup'>,
  /** Why no grant is named, when the lookup did not run. */
  reason?: string,
): Remediation {
  const head = `${q.identity} got into ${q.resource}, which the declaration says it must not reach.`;
  if (found.grants.length) {
    const named = found.grants
      .map(
        (g) =>
          `${g.roleName ? `'${g.roleName}'` : `role ${guidOf(g.roleDefinitionId)}`} at ${g.scope}${g.inherited ? ' (inherited from a wider scope)' : ''}`,
      )
      .join('; ');
    const wider = found.grants.some((g) => g.inherited)
      ? ' Removing an inherited assignment takes its access away everywhere beneath that scope: grant back what else needs it at the narrower scope first.'
      : '';
    return {
      summary: `${head} ${found.grants.length > 1 ? 'These role assignments let it in' : 'This role assignment lets it in'}: ${named}. Delete ${found.grants.length > 1 ? 'them' : 'it'}, or change the expectation if the access is intended.${wider}`,
      command: found.grants.map((g) => `az role assignment delete --ids ${g.assignmentId}`).join(' && '),
    };
  }
  const why = reason
    ? `${reason}, so the grant is not named.`
    : found.lookup === 'not-permitted'
      ? 'The identity may not read role assignments (Microsoft.Authorization/roleAssignments/read), so the grant is not named.'
      : found.lookup === 'failed'
        ? 'Listing its role assignments failed, so the grant is not named.'
        : `None of its role assignments at or above ${q.scope} grants '${q.role}' access: it may come from a group membership, a classic administrator or the service's own access policy.`;
  return {
    summary: `${head} ${why} As an operator, list the identity's assignments and delete the one(s) that reach ${q.scope}.`,
    command: `az role assignment list --assignee ${q.principalId} --all --include-inherited -o table`,
  };
}

const statusOf = (err: unknown) => (err as { statusCode?: number })?.statusCode;

async function definitionsOf(
  arm: PrivilegesArm,
  assignments: readonly AssignmentRecord[],
  at: string,
  definitions: RoleDefinitions,
  signal: AbortSignal,
) {
  const roles = new Map<string, { roleName?: string; permissions: PermissionBlock[] }>();
  for (const a of assignments) {
    const guid = guidOf(a.roleDefinitionId);
    let def = BUILT_IN_ROLES.find((r) => r.id === guid) ?? definitions.get(guid);
    if (!def) {
      try {
        // Read at the scope listed, where the identity's read right allows it.
        def = await arm.roleDefinition(
          `${at}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
          signal,
        );
        definitions.set(guid, def);
      } catch {
        continue; // unknown definition: grantsLettingIn names it only when it is the only candidate
      }
    }
    roles.set(a.id, def);
  }
  return roles;
}

/** Lists with `arm` and attributes; never throws. */
export async function explainWith(
  arm: PrivilegesArm,
  q: AccessQuestion,
  definitions: RoleDefinitions,
  signal: AbortSignal,
): Promise<Pick<AccessExplanation, 'grants' | 'lookup'>> {
  let assignments: AssignmentRecord[];
  try {
    assignments = await arm.assignments(q.scope, q.principalId, signal);
  } catch (err) {
    return { grants: [], lookup: statusOf(err) === 403 ? 'not-permitted' : 'failed' };
  }
  // ARM's principalId filter also returns group assignments the principal is a member of; only its own are its.
  const own = assignments.filter(
    (a) => !a.principalId || a.principalId.toLowerCase() === q.principalId.toLowerCase(),
  );
  const roles = await definitionsOf(arm, own, q.scope, definitions, signal);
  const access = q.action ? { kind: q.action.kind, patterns: [q.action.name] } : accessPatterns(q.role);
  return { grants: grantsLettingIn(own, roles, q.scope, access), lookup: 'listed' };
}

/**
 * Why the identity got in: the granting assignments and the command that deletes them. Never throws; bounded by
 * PROBE_TIMEOUT_MS (a lookup that misses it is 'failed').
 */
export const explainAccess: AccessExplainer = async (q, ctx) => {
  const definitions = ctx.definitions ?? new Map();
  const budget = Math.max(0, Math.min(ctx.config.probeTimeoutMs, ctx.budgetMs ?? Infinity));
  const signal = ctx.signal ?? AbortSignal.timeout(budget);
  const failed = { grants: [], lookup: 'failed' as const };
  const { value, requests } = await countingRequests(async () => {
    try {
      const arm = await createPrivilegesArm(ctx.credential, ctx.config);
      return await raceDeadline(explainWith(arm, q, definitions, signal), budget);
    } catch {
      return failed;
    }
  });
  return { ...value, remediation: unexpectedRemediation(q, value), armRequests: requests };
};

/** What the runner knows of a `denied` probe that got in. */
export interface UnexpectedAccess {
  identity: PlannedIdentity;
  resource: PlannedResource;
  /** The attested oid of the identity that got in. */
  principalId: string;
  /** The identity's credential (the probes' own: identities/index.ts Credentials). */
  credential: TokenCredential;
  /** The app's settings (for the canary's vault scope, which KEY_VAULT_RESOURCE_ID names: declared.ts). */
  app: Config;
  /** What is left of the probe's deadline. */
  budgetMs?: number;
}

/** The hook the composition root hands the runner (orchestration/app.ts): probes/ may not import privileges/. */
export type UnexpectedAccessHook = (x: UnexpectedAccess) => Promise<AccessExplanation>;

/** A hook with its own cache of custom role definitions (one per app). */
export function unexpectedAccessHook(definitions: RoleDefinitions = new Map()): UnexpectedAccessHook {
  return async ({ identity, resource, principalId, credential, app, budgetMs }) => {
    const target = resource.target;
    const { id: scope, problem } = resourceScope(resource, app);
    const action = (CATALOG_TARGETS as Record<string, { action?: AccessQuestion['action'] } | undefined>)[
      target.id
    ]?.action;
    const q: AccessQuestion = {
      identity: identity.name,
      resource: resource.name,
      principalId,
      scope: scope ?? target.scope(resource.config),
      role: target.role,
      ...(action ? { action } : {}),
    };
    let lookups = 0;
    const started = Date.now();
    if (!scope) {
      // A vault URL that does not name its vault (a private endpoint's host, the local sandbox): find the vault by
      // its URI in the resource group the settings name, with the identity's own read right there.
      const { value: found, requests } = await countingRequests(() =>
        vaultScope(resource, credential, identity.config, budgetMs),
      );
      lookups = requests;
      if (found) q.scope = found;
      else {
        const none = { grants: [], lookup: 'failed' as const };
        return { ...none, armRequests: lookups, remediation: unexpectedRemediation(q, none, problem) };
      }
    }
    const left = budgetMs === undefined ? undefined : budgetMs - (Date.now() - started);
    const x = await explainAccess(q, { credential, config: identity.config, definitions, budgetMs: left });
    return { ...x, armRequests: x.armRequests + lookups };
  };
}

/** The ARM id of a Key Vault resource's vault, looked up by its URI; undefined when it cannot be found. */
async function vaultScope(
  resource: PlannedResource,
  credential: TokenCredential,
  config: Config,
  budgetMs?: number,
): Promise<string | undefined> {
  const url = resource.config.keyVault.url;
  const { subscriptionId, resourceGroup } = resource.config.arm;
  if (!/Microsoft\.KeyVault\/vaults\//i.test(resource.target.scope(resource.config))) return undefined;
  if (!url || !subscriptionId || !resourceGroup) return undefined;
  const budget = Math.max(0, Math.min(config.probeTimeoutMs, budgetMs ?? Infinity));
  try {
    const arm = await createPrivilegesArm(credential, config);
    const rg = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
    return await raceDeadline(arm.vaultIdByUri(rg, url, AbortSignal.timeout(budget)), budget);
  } catch {
    return undefined;
  }
}
