// The shape of infra/identity-wiring.json (generated from common/catalog.ts), the declaration of identities, role assignments, federated
// credentials and settings names that the Bicep (loadJsonContent) and the sandbox's healthy world both read.
import { readFileSync } from 'node:fs';
import { ROLES, STATUS_WRITER, TARGET_IDS, TARGETS, TOKEN_EXCHANGE_AUDIENCE } from '../../common/catalog.ts';

export interface WiringIdentity {
  kind: 'system-assigned' | 'user-assigned';
  /** 'host' for Azure-only host-plane identities; absent for the app plane (the probes). */
  plane?: 'host';
  description: string;
  attachedToApp?: boolean;
  /** Identity paths (docs/design.md "Identity paths") this identity serves. */
  paths: string[];
  /** Identity field (clientId, principalId, resourceId) -> the settings that carry it. */
  settings?: Record<string, string[]>;
  federatedCredentials?: WiringFederatedCredential[];
}

export interface WiringFederatedCredential {
  name: string;
  issuer: { parameter: string } | string;
  subject: { parameter: string } | string;
  audiences: string[];
}

export interface WiringRoleAssignment {
  identity: string;
  role: string;
  scope: string;
  plane?: 'host';
  /** A host-plane assignment the sandbox serves too (telemetry ingestion: sandbox/monitor). */
  sandbox?: boolean;
  why: string;
}

export interface Wiring {
  identities: Record<string, WiringIdentity>;
  roles: Record<string, string>;
  scopes: Record<string, string>;
  scopeResourceTypes: Record<string, string>;
  roleAssignments: WiringRoleAssignment[];
  /** The app's settings contract: name -> description. */
  settings: Record<string, string>;
  /** Settings only Azure's Functions platform reads (host storage, telemetry): name -> description. */
  hostSettings: Record<string, string>;
  /** Sandbox-only switches, never set in Azure: name -> description. */
  localOnlySettings: Record<string, string>;
}

export function readWiring(file: string): Wiring {
  return JSON.parse(readFileSync(file, 'utf8')) as Wiring;
}

/** Each target's role and scope, from the catalog (common/catalog.ts TARGETS). */
export const TARGET_ROLES: ReadonlyArray<{ target: string; role: string; scope: string }> = TARGET_IDS.map(
  (target) => ({ target, role: TARGETS[target].role, scope: TARGETS[target].scope }),
);

/** The status writer's role (the system identity unless STATUS_CLIENT_ID names another, docs/settings.md). */
export const STATUS_ROLE = { role: STATUS_WRITER.role, scope: STATUS_WRITER.scope } as const;

/** Built-in role definition GUIDs: the catalog's one list (common/catalog.ts ROLES). */
export const BUILT_IN_ROLES: Readonly<Record<string, string>> = ROLES;

export { TOKEN_EXCHANGE_AUDIENCE };

/** What the sandbox's healthy world must grant: the app plane and the host-plane entries marked "sandbox". */
export const servedBySandbox = (a: WiringRoleAssignment): boolean =>
  planeOf(a) === 'app' || a.sandbox === true;
export const planeOf = (x: { plane?: string }): 'app' | 'host' => (x.plane === 'host' ? 'host' : 'app');
