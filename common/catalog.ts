// The catalog: one typed list of the project's facts (docs/design.md "Patterns followed" 6). Identity paths,
// targets, the identities that serve them, the roles and scopes they need, and every setting. From it
// scripts/catalog.ts generates infra/identity-wiring.json (which the Bicep and the sandbox's worlds read),
// local.settings.sample.json and the settings tables of docs/settings.md and README.md, and checks them (`npm run catalog --
// --check`, test/infra/catalog.test.ts). The app (src/ids.ts, src/targets/*, src/config.ts), the sandbox's role table
// and the deploy scripts take their names and GUIDs from here, so a name the catalog does not have does not compile.
// Imports nothing outside common/: the app, the sandbox, the dev host and the scripts may all read it.
import type { RoleName } from './built-in-roles.ts';
import type { ScopeKey } from './scopes-catalog.ts';
import type { SettingName } from './settings-catalog.ts';
import type { TARGETS } from './targets-catalog.ts';

export { ROLES, type RoleName } from './built-in-roles.ts';
export { SCOPES, type ScopeKey } from './scopes-catalog.ts';
export type { SettingFacts, SettingFormat } from './setting-facts.ts';
export { SETTINGS, settingsOf, type SettingName } from './settings-catalog.ts';
export { TARGET_IDS, TARGETS, type TargetFacts, type TargetId } from './targets-catalog.ts';

/** Every target's endpoint setting is a setting of the catalog (a compile-time check). */
export const ENDPOINTS_ARE_SETTINGS: (typeof TARGETS)[keyof typeof TARGETS]['endpointSetting'] extends SettingName
  ? true
  : never = true;

/** Identity paths: stable ids shared by routes, settings, status blobs and docs. */
export const PATH_IDS = [
  'system-assigned',
  'uami-client-id',
  'uami-object-id',
  'uami-resource-id',
  'default-chain',
  'federated',
] as const;
export type PathId = (typeof PATH_IDS)[number];

/** The status writer: the system identity unless STATUS_CLIENT_ID names another. */
export const STATUS_WRITER = {
  identity: 'system',
  role: 'Storage Blob Data Contributor',
  scope: 'statusContainer',
  why: 'status store: write probe results (STATUS_CLIENT_ID unset means the system identity writes)',
} as const satisfies { identity: IdentityKey; role: RoleName; scope: ScopeKey; why: string };

/** The audience Entra ID requires on federated identity credentials for token exchange. */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

export interface IdentityFacts {
  kind: 'system-assigned' | 'user-assigned';
  /** 'host': Azure-only wiring the Functions platform needs; the sandbox does not emulate it. */
  plane?: 'host';
  description: string;
  attachedToApp?: boolean;
  paths: readonly PathId[];
  /** Identity field -> the settings that carry it. */
  settings: Partial<Record<'clientId' | 'principalId' | 'resourceId', readonly SettingName[]>>;
  federatedCredentials?: ReadonlyArray<{
    name: string;
    issuer: { parameter: string };
    subject: { parameter: string };
    audiences: readonly string[];
  }>;
}

export const IDENTITIES = {
  system: {
    kind: 'system-assigned',
    description: "The function app's own system-assigned identity.",
    paths: ['system-assigned'],
    settings: { principalId: ['SYSTEM_PRINCIPAL_ID'] },
  },
  app: {
    kind: 'user-assigned',
    description:
      'User-assigned identity attached to the function app, selected by client ID, object ID and resource ID, and named by AZURE_CLIENT_ID for the DefaultAzureCredential chain.',
    attachedToApp: true,
    paths: ['uami-client-id', 'uami-object-id', 'uami-resource-id', 'default-chain'],
    settings: {
      clientId: ['UAMI_CLIENT_ID', 'AZURE_CLIENT_ID'],
      principalId: ['UAMI_OBJECT_ID'],
      resourceId: ['UAMI_RESOURCE_ID'],
    },
  },
  federated: {
    kind: 'user-assigned',
    description:
      'User-assigned identity NOT attached to the app; reached only through workload identity federation (an external OIDC token exchanged at Entra ID).',
    attachedToApp: false,
    paths: ['federated'],
    settings: {
      clientId: ['FEDERATED_CLIENT_ID'],
      principalId: ['FEDERATED_PRINCIPAL_ID'],
      resourceId: ['FEDERATED_RESOURCE_ID'],
    },
    federatedCredentials: [
      {
        name: 'external-workload',
        issuer: { parameter: 'federatedIssuer' },
        subject: { parameter: 'federatedSubject' },
        audiences: [TOKEN_EXCHANGE_AUDIENCE],
      },
    ],
  },
  host: {
    kind: 'user-assigned',
    plane: 'host',
    description:
      'User-assigned identity the Functions platform uses for host storage (AzureWebJobsStorage), the Flex deployment package and Application Insights. Kept apart from the probed identities so they stay exactly least-privileged and a broken probe identity never takes the host down.',
    attachedToApp: true,
    paths: [],
    settings: { clientId: ['AzureWebJobsStorage__clientId'] },
  },
} as const satisfies Record<string, IdentityFacts>;
export type IdentityKey = keyof typeof IDENTITIES;

/** The identity each path must come back as. */
export function identityOfPath(path: PathId): IdentityKey {
  const key = (Object.keys(IDENTITIES) as IdentityKey[]).find((k) =>
    (IDENTITIES[k].paths as readonly string[]).includes(path),
  );
  if (!key) throw new Error(`no identity serves path ${path}`);
  return key;
}

/**
 * Role assignments of the host plane (Azure only), except those marked `sandbox`: the sandbox serves them too (the
 * telemetry role, which its ingestion endpoint enforces; sandbox/monitor).
 */
export const HOST_ASSIGNMENTS: ReadonlyArray<{
  identity: IdentityKey;
  role: RoleName;
  scope: ScopeKey;
  sandbox?: true;
  why: string;
}> = [
  {
    identity: 'host',
    role: 'Storage Blob Data Owner',
    scope: 'hostStorage',
    why: 'host storage: the Functions host keeps keys, timer locks and coordination blobs here (host only + timer trigger need exactly this role)',
  },
  {
    identity: 'host',
    role: 'Storage Blob Data Contributor',
    scope: 'deploymentContainer',
    why: 'Flex deployment storage: the platform writes and reads the app package with this identity (functionAppConfig.deployment.storage.authentication); kept explicit so the container keeps working if it moves to another account (core-tools#4346)',
  },
  {
    identity: 'host',
    role: 'Storage Blob Data Reader',
    scope: 'declarationContainer',
    why: 'declaration: the app reads its probe declaration from a blob in this container on each timer run (PROBES_DECLARATION_URL, when the deployment names one) with the host identity (PROBES_DECLARATION_CLIENT_ID); read only, this container only',
  },
  {
    identity: 'host',
    role: 'Monitoring Metrics Publisher',
    scope: 'appInsights',
    sandbox: true,
    why: "telemetry: Application Insights has local (key) auth disabled, so the host, and the app's availability results and transition events (src/telemetry), are sent with an Entra token of this identity; the sandbox emulates this one (its ingestion endpoint enforces the role)",
  },
];
