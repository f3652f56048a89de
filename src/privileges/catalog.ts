// What the wiring declares for the probes' identities (infra/identity-wiring.json, app plane): which identity each
// path uses, which role it holds at which scope, and those roles' permissions. A copy kept in step with the wiring
// by test/app/unit/privileges-catalog.test.ts until the typed catalog owns these facts; then read them from there.
//
// The declared roles' permissions ship here, pinned, instead of being read from ARM (roleDefinitions GET) on every
// run: the declaration is the contract ("what this identity may do"), so it must not move when a definition moves;
// reading it would cost requests on every run, and would need Microsoft.Authorization/roleDefinitions/read, which a
// least-privileged identity may lack. Copied from the published built-in definitions
// (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles); roles the check meets that are not
// declared (the excess) are read from ARM when it names the granting assignment, once per process.
import type { PathId } from '../ids.ts';
import type { PermissionBlock } from './types.ts';

export const IDENTITY_KEYS = ['system', 'app', 'federated'] as const;
export type IdentityKey = (typeof IDENTITY_KEYS)[number];

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

/** Each identity and its paths (wiring `identities.*.paths`); the first path's timer runs the identity's check. */
export const PATHS_OF_IDENTITY: Readonly<Record<IdentityKey, readonly PathId[]>> = {
  system: ['system-assigned'],
  app: ['uami-client-id', 'uami-object-id', 'uami-resource-id', 'default-chain'],
  federated: ['federated'],
};

export interface RoleDefinition {
  id: string;
  roleName: string;
  permissions: PermissionBlock[];
}

const BLOB = 'Microsoft.Storage/storageAccounts/blobServices';
const block = (p: Partial<PermissionBlock>): PermissionBlock => ({
  actions: p.actions ?? [],
  notActions: p.notActions ?? [],
  dataActions: p.dataActions ?? [],
  notDataActions: p.notDataActions ?? [],
});

export const DECLARED_ROLES: readonly RoleDefinition[] = [
  {
    id: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
    roleName: 'Reader',
    permissions: [block({ actions: ['*/read'] })],
  },
  {
    id: '4633458b-17de-408a-b874-0445c86b69e6',
    roleName: 'Key Vault Secrets User',
    permissions: [
      block({
        dataActions: [
          'Microsoft.KeyVault/vaults/secrets/getSecret/action',
          'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
        ],
      }),
    ],
  },
  {
    id: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
    roleName: 'Storage Blob Data Reader',
    permissions: [
      block({
        actions: [`${BLOB}/containers/read`, `${BLOB}/generateUserDelegationKey/action`],
        dataActions: [`${BLOB}/containers/blobs/read`],
      }),
    ],
  },
  {
    id: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
    roleName: 'Storage Blob Data Contributor',
    permissions: [
      block({
        actions: [
          `${BLOB}/containers/delete`,
          `${BLOB}/containers/read`,
          `${BLOB}/containers/write`,
          `${BLOB}/generateUserDelegationKey/action`,
        ],
        dataActions: [
          `${BLOB}/containers/blobs/delete`,
          `${BLOB}/containers/blobs/read`,
          `${BLOB}/containers/blobs/write`,
          `${BLOB}/containers/blobs/move/action`,
          `${BLOB}/containers/blobs/add/action`,
        ],
      }),
    ],
  },
];

export interface DeclaredAssignment {
  identity: IdentityKey;
  role: string;
  scope: ScopeKey;
}

/** The wiring's app-plane role assignments. */
export const DECLARED_ASSIGNMENTS: readonly DeclaredAssignment[] = [
  { identity: 'system', role: 'Key Vault Secrets User', scope: 'keyVault' },
  { identity: 'system', role: 'Storage Blob Data Reader', scope: 'canaryContainer' },
  { identity: 'system', role: 'Reader', scope: 'resourceGroup' },
  { identity: 'system', role: 'Storage Blob Data Contributor', scope: 'statusContainer' },
  { identity: 'app', role: 'Key Vault Secrets User', scope: 'keyVault' },
  { identity: 'app', role: 'Storage Blob Data Reader', scope: 'canaryContainer' },
  { identity: 'app', role: 'Reader', scope: 'resourceGroup' },
  { identity: 'federated', role: 'Key Vault Secrets User', scope: 'keyVault' },
  { identity: 'federated', role: 'Storage Blob Data Reader', scope: 'canaryContainer' },
  { identity: 'federated', role: 'Reader', scope: 'resourceGroup' },
];

export function identityOfPath(path: PathId): IdentityKey {
  return IDENTITY_KEYS.find((k) => PATHS_OF_IDENTITY[k].includes(path))!;
}

export function declaredRole(name: string): RoleDefinition {
  const r = DECLARED_ROLES.find((d) => d.roleName === name);
  if (!r) throw new Error(`role '${name}' is declared but has no definition in DECLARED_ROLES`);
  return r;
}
