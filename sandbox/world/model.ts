// What a loaded world is: its types, its error and the stable ids it derives. Imports only the connection file's
// identity shape, so that the loader (../world.ts) and the resolver (resolve.ts) can both read it.
import type { IdentityInfo } from '../connection.ts';

export class WorldError extends Error {
  constructor(file: string, field: string, problem: string) {
    super(`${file}: ${field}: ${problem}`);
    this.name = 'WorldError';
  }
}

/** An identity as the connection file shows it, plus what only the sandbox needs. */
export interface ResolvedIdentity extends IdentityInfo {
  /** What goes into `xms_mirid`: the UAMI's resource id, or the compute resource's id for a system identity. */
  miResourceId?: string;
}

export interface FederatedCredential {
  name: string;
  /** Identity (principal) this credential belongs to. */
  principalId: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export interface RoleAssignment {
  id: string;
  principalId: string;
  principalType: 'ServicePrincipal' | 'User' | 'Group' | 'ForeignGroup' | 'Device';
  /** Role definition GUID. */
  roleDefinitionId: string;
  roleName?: string;
  scope: string;
  /** Where it came from (wiring, scenario, admin). */
  origin: 'wiring' | 'scenario' | 'admin';
  createdOn: string;
  /** Epoch ms from which it takes effect (propagation delay). */
  effectiveFrom: number;
}

export interface ComputeResource {
  /** Managed identity source names that reach this compute resource. */
  name: string;
  resourceId: string;
  systemAssigned?: ResolvedIdentity;
  /** Principal ids of user-assigned identities attached. */
  attached: string[];
}

export interface World {
  name: string;
  description: string;
  file: string;
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  resourceGroupId: string;
  functionApp: ComputeResource;
  identities: ResolvedIdentity[];
  federatedCredentials: FederatedCredential[];
  appRegistrations: Array<ResolvedIdentity & { secret?: string }>;
  oidcWorkloads: Array<{ name: string; subject: string }>;
  keyVaults: Array<{ name: string; resourceId: string; secrets: Array<{ name: string }> }>;
  storageAccounts: Array<{
    name: string;
    resourceId: string;
    allowSharedKeyAccess: boolean;
    /** wiringScope: the wiring scope key the container plays (canaryContainer, statusContainer), when declared. */
    containers: Array<{ name: string; resourceId: string; blobs: string[]; wiringScope?: string }>;
  }>;
  armResources: Array<{ id: string; name: string; type: string; location: string }>;
  /** The Application Insights component whose ingestion endpoint the sandbox serves (sandbox/monitor). */
  applicationInsights?: { name: string; resourceId: string };
  roleAssignments: RoleAssignment[];
  /** Every scope key the world binds (scopeBindings) -> the ARM scope it stands for (the stub data plane's scopes). */
  scopes: Record<string, string>;
  /** Values substituted for ${...} placeholders (e.g. OIDC_ISSUER). */
  placeholders: Record<string, string>;
}

/** A stable GUID derived from a string (so ids are the same on every run). */
export function deterministicGuid(seed: string): string {
  // sha1-based name UUID (RFC 4122 v5 layout) without a namespace; good enough for stable local ids.
  const { createHash } = process.getBuiltinModule('node:crypto');
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
