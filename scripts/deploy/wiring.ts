// The shape of infra/identity-wiring.json, the one declaration of identities, role assignments, federated
// credentials and settings names that the Bicep (loadJsonContent) and the sandbox's healthy world both read.
import { readFileSync } from 'node:fs';

export interface WiringIdentity {
  kind: 'system-assigned' | 'user-assigned';
  /** 'host' for Azure-only host-plane identities; absent for the app plane (the probes). */
  plane?: 'host';
  description: string;
  attachedToApp?: boolean;
  /** Identity paths (ARCHITECTURE "Identity paths") this identity serves. */
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

/** Identity paths and the one setting each target needs, as ARCHITECTURE's tables name them. */
export const TARGET_ROLES: ReadonlyArray<{ target: string; role: string; scope: string }> = [
  { target: 'keyvault', role: 'Key Vault Secrets User', scope: 'keyVault' },
  { target: 'blob', role: 'Storage Blob Data Reader', scope: 'canaryContainer' },
  { target: 'arm', role: 'Reader', scope: 'resourceGroup' },
];

/** The status writer's role (ARCHITECTURE: "system identity unless STATUS_CLIENT_ID"). */
export const STATUS_ROLE = { role: 'Storage Blob Data Contributor', scope: 'statusContainer' } as const;

/**
 * Built-in role definition GUIDs, as published in Azure's built-in roles reference
 * (learn.microsoft.com/azure/role-based-access-control/built-in-roles). The declaration's GUIDs must match.
 */
export const BUILT_IN_ROLES: Readonly<Record<string, string>> = {
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
};

/** The audience Entra ID requires on federated identity credentials for token exchange. */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

/** What the sandbox's healthy world must grant: the app plane and the host-plane entries marked "sandbox". */
export const servedBySandbox = (a: WiringRoleAssignment): boolean =>
  planeOf(a) === 'app' || a.sandbox === true;
export const planeOf = (x: { plane?: string }): 'app' | 'host' => (x.plane === 'host' ? 'host' : 'app');
