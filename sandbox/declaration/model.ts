// The declaration plan's types, errors and constants (sandbox/declaration/index.ts says how the parts fit).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResourceDeclaration } from '../../common/declaration/schema.ts';
import type { RoleName } from '../../common/built-in-roles.ts';

export class DeclarationError extends Error {
  constructor(file: string, entry: string, field: string | undefined, message: string) {
    super(`declaration ${file}: ${entry}${field ? `.${field}` : ''}: ${message}`);
    this.name = 'DeclarationError';
  }
}

/** The least role of each resource kind (docs/declaration.md): what an `allowed` probe is granted. */
export const LEAST_ROLE: Readonly<Record<ResourceDeclaration['kind'], RoleName>> = {
  'keyvault-secret': 'Key Vault Secrets User',
  'blob-container': 'Storage Blob Data Reader',
  'arm-scope': 'Reader',
  'storage-queue': 'Storage Queue Data Reader',
};

/** Audiences Resource Manager accepts (the ARM emulator too); any other literal audience is refused. */
export const ARM_AUDIENCES = [
  'https://management.azure.com',
  'https://management.azure.com/',
  'https://management.core.windows.net/',
];

export type Json = Record<string, unknown>;

/**
 * The first path segment under which the stub data plane (sandbox/resources/stub.ts) serves the declared Storage
 * queues: a queue service URL is `<stub>/queue/<account>`.
 */
export const QUEUE_STUB_PREFIX = 'queue';

/** Where a reference's value comes from, once the sandbox runs. */
export type Source =
  | { from: 'identity'; identity: string; field: 'clientId' | 'principalId' | 'resourceId' }
  | { from: 'tenant' | 'subscription' | 'resourceGroup' | 'resourceGroupId' | 'arm' | 'blob' | 'tokenFile' }
  | { from: 'tokenUrl' }
  | { from: 'armAudience' }
  | { from: 'vault'; vault: string }
  | { from: 'queueService' }
  | { from: 'literal'; value: string };

/**
 * The canary world's own settings that name an identity or a resource (infra/identity-wiring.json and
 * sandbox/index.ts): a reference to one keeps the sandbox's value, so the declared identity or resource IS the canary's
 * and a probe of a canary identity on a canary resource gets its access from the wiring, where scenarios change it.
 * So the default declaration (declarations/default.json) builds exactly the canary world, under every scenario.
 */
export const WIRING_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'infra',
  'identity-wiring.json',
);
export const CANARY = '@canary';
export const CANARY_RESOURCE_SETTINGS = {
  vaultUrl: 'KEY_VAULT_URL',
  secretName: 'KEY_VAULT_SECRET_NAME',
  container: 'BLOB_CONTAINER_NAME',
  subscription: 'AZURE_SUBSCRIPTION_ID',
  resourceGroup: 'AZURE_RESOURCE_GROUP',
} as const;

/** Setting name -> the wiring identity and field it carries (host-plane identities aside). */
export function canaryIdentitySettings(): Map<string, { key: string; field: string; attached: boolean }> {
  const wiring = JSON.parse(readFileSync(WIRING_FILE, 'utf8')) as {
    identities: Record<
      string,
      { plane?: string; attachedToApp?: boolean; kind?: string; settings?: Record<string, string[]> }
    >;
  };
  const out = new Map<string, { key: string; field: string; attached: boolean }>();
  for (const [key, id] of Object.entries(wiring.identities)) {
    if (id.plane === 'host') continue;
    for (const [field, names] of Object.entries(id.settings ?? {}))
      for (const n of names)
        out.set(n, { key, field, attached: id.kind === 'system-assigned' || id.attachedToApp === true });
  }
  return out;
}

/** An identity the world gets for the declaration ('system' is the function app's own). */
export interface PlannedIdentity {
  /** The canary wiring's identity key it is ('system' for the app's own), when it is the canary's. */
  wiring?: string;
  /** 'system', or the user-assigned identity's resource name. */
  name: string;
  clientId: string;
  principalId: string;
  attached: boolean;
  federated: boolean;
}

export interface PlannedResource {
  kind: ResourceDeclaration['kind'];
  /** Its scope is the canary world's (the canary vault, container or resource group). */
  canary?: boolean;
  /** Vault name, container name, queue name; unused for arm-scope. */
  vault?: string;
  secret?: string;
  container?: string;
  queue?: string;
  /** arm-scope: 'subscription' or 'resourceGroup'. */
  armScope?: 'subscription' | 'resourceGroup';
}

export interface DeclarationPlan {
  file: string;
  name: string;
  version: string;
  /** The raw declaration, for the final check with the settings (loadDeclaration). */
  raw: unknown;
  /** Declared identity name -> the world identity it is. */
  identities: Record<string, PlannedIdentity>;
  resources: Record<string, PlannedResource>;
  /** Allowed probes: identity name, resource name. */
  grants: Array<{ identity: string; resource: string }>;
  /** Denied probes, with their entry (`probes[3]`). */
  denials: Array<{ identity: string; resource: string; entry: string }>;
  /** Setting name -> where its value comes from. */
  references: Record<string, Source>;
}

export const REFERENCE_ONLY = /^%([A-Za-z_][A-Za-z0-9_.:-]*)%$/;
export const HAS_REFERENCE = /%[A-Za-z_][A-Za-z0-9_.:-]*%/;
