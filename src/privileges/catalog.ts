// What the catalog (common/catalog.ts) declares for the probes' identities, as the privileges check needs it: the
// identities that serve paths, their paths, the roles they hold where (each target's role at its scope, and the
// status writer's), and those roles' permissions. Derived the way scripts/catalog generates the wiring's
// app-plane role assignments, so the check compares with exactly what infra/ deploys.
//
// The declared roles' permissions ship here, pinned, instead of being read from ARM (roleDefinitions GET) on every
// run: the declaration is the contract ("what this identity may do"), so it must not move when a definition moves;
// reading it would cost requests on every run, and would need Microsoft.Authorization/roleDefinitions/read, which a
// least-privileged identity may lack. They come from common/built-in-roles.ts, the published built-in definitions the
// sandbox serves too; roles the check meets that are not declared (the excess) are read from ARM when it names the
// granting assignment, once per process.
import {
  IDENTITIES,
  identityOfPath as catalogIdentityOfPath,
  ROLES,
  STATUS_WRITER,
  TARGET_IDS,
  TARGETS,
  type IdentityKey as CatalogIdentityKey,
  type RoleName,
} from '../../common/catalog.ts';
import { BUILT_IN_ROLES } from '../../common/built-in-roles.ts';
import type { PathId } from '../ids.ts';

/** One permission block as ARM returns it (a role definition's `permissions[]` entry). */
export interface PermissionBlock {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

/** The identities that serve a path (the host plane's identity serves none and is not the probes' to check). */
export type IdentityKey = {
  [K in CatalogIdentityKey]: (typeof IDENTITIES)[K]['paths'] extends readonly [] ? never : K;
}[CatalogIdentityKey];

export const IDENTITY_KEYS = (Object.keys(IDENTITIES) as CatalogIdentityKey[]).filter(
  (k) => IDENTITIES[k].paths.length > 0,
) as IdentityKey[];

/** The scopes checked, outermost first. `subscription` and `storageAccount` hold no declared role of the probes. */
export const SCOPE_KEYS = [
  'subscription',
  'resourceGroup',
  'keyVault',
  'storageAccount',
  'canaryContainer',
  'statusContainer',
] as const;
export type ScopeKey = (typeof SCOPE_KEYS)[number];

/** Each identity and its paths; the first path's timer runs the identity's check. */
export const PATHS_OF_IDENTITY = Object.fromEntries(
  IDENTITY_KEYS.map((k) => [k, IDENTITIES[k].paths as readonly PathId[]]),
) as Readonly<Record<IdentityKey, readonly PathId[]>>;

export interface RoleDefinition {
  id: string;
  roleName: RoleName;
  permissions: PermissionBlock[];
}

/** The roles the catalog declares for the probes' identities (each target's role, and the status writer's). */
const DECLARED_ROLE_NAMES: readonly RoleName[] = [
  ...new Set<RoleName>([...TARGET_IDS.map((t) => TARGETS[t].role), STATUS_WRITER.role]),
];

export const DECLARED_ROLES: readonly RoleDefinition[] = DECLARED_ROLE_NAMES.map((roleName) => {
  const published = BUILT_IN_ROLES.find((r) => r.roleName === roleName);
  if (!published) throw new Error(`common/built-in-roles.ts has no definition of '${roleName}'`);
  return { id: ROLES[roleName], roleName, permissions: published.permissions };
});

export interface DeclaredAssignment {
  identity: IdentityKey;
  role: RoleName;
  scope: ScopeKey;
}

const checkedScope = (scope: string): ScopeKey => {
  if (!(SCOPE_KEYS as readonly string[]).includes(scope))
    throw new Error(
      `the catalog assigns a role at '${scope}', which the privileges check cannot resolve (scopes.ts)`,
    );
  return scope as ScopeKey;
};

/** The app-plane role assignments: each identity that serves a path gets each target's role, plus the status writer. */
export const DECLARED_ASSIGNMENTS: readonly DeclaredAssignment[] = IDENTITY_KEYS.flatMap((identity) => [
  ...TARGET_IDS.map((t) => ({ identity, role: TARGETS[t].role, scope: checkedScope(TARGETS[t].scope) })),
  ...(STATUS_WRITER.identity === identity
    ? [{ identity, role: STATUS_WRITER.role, scope: checkedScope(STATUS_WRITER.scope) }]
    : []),
]);

/** The identity a path must come back as (the catalog's rule), as one of the identities that serve paths. */
export const identityOfPath = (path: PathId): IdentityKey => catalogIdentityOfPath(path) as IdentityKey;

export function declaredRole(name: RoleName): RoleDefinition {
  const r = DECLARED_ROLES.find((d) => d.roleName === name);
  if (!r) throw new Error(`role '${name}' is declared but has no definition in DECLARED_ROLES`);
  return r;
}
