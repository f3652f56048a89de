// The probe declaration's format (issue 23, "Probe what you declare"): which identities to probe, against which
// resources, and whether each must get in (`allowed`) or be refused (`denied`). One schema, with zod: the loader
// (./parse.ts) checks every entry with it, and the JSON Schema that editors read (declarations/probes.schema.json)
// is generated from it (scripts/catalog.ts), so the two cannot disagree.
//
// A declaration names its identities and resources once and probes refer to them by name, so 25 identities x 20
// resources is 45 definitions and 500 one-line probes, and the status groups cells by identity and resource.
// Every string value may hold `%SETTING%` references, resolved from the app settings as Functions binding
// expressions are (https://learn.microsoft.com/azure/azure-functions/functions-bindings-expressions-patterns#binding-expressions---app-settings),
// so one declaration serves every environment.
import { z } from 'zod';
import type { SettingFormat } from '../setting-facts.ts';

/** Declaration format version this code reads. */
export const DECLARATION_SCHEMA_VERSION = 1;

import { NAME, PROBE_ID } from './names.ts';

export { NAME, PROBE_ID } from './names.ts';
const name = z
  .string()
  .regex(
    NAME,
    'lowercase letters, digits and single hyphens, 1 to 64 characters, no leading or trailing hyphen',
  );

/** A string value: literal, or with `%SETTING%` references. Its format is checked after resolution. */
const value = (format: SettingFormat, description: string) =>
  z
    .string()
    .min(1)
    .meta({ description: `${description} (format: ${format}; may use %SETTING% references)` });

/**
 * Each field's format, checked after `%SETTING%` references are resolved (by the caller's checker: the app uses
 * its setting formats, src/settingFormats.ts). Keyed by `<kind>.<field>`.
 */
export const FIELD_FORMATS: Readonly<Record<string, SettingFormat>> = {
  'system-assigned.principalId': 'guid',
  'user-assigned.clientId': 'guid',
  'user-assigned.principalId': 'guid',
  'user-assigned.resourceId': 'uami-resource-id',
  'default-chain.clientId': 'guid',
  'default-chain.principalId': 'guid',
  'default-chain.tokenCredentials': 'token-credentials',
  'federated.tenantId': 'guid',
  'federated.clientId': 'guid',
  'federated.principalId': 'guid',
  'federated.tokenFile': 'absolute-path',
  'federated.tokenUrl': 'https-or-loopback-url',
  'keyvault-secret.vaultUrl': 'https-url',
  'keyvault-secret.secretName': 'secret-name',
  'blob-container.serviceUrl': 'https-url',
  'blob-container.container': 'container-name',
  'storage-queue.serviceUrl': 'https-url',
  'storage-queue.queue': 'queue-name',
  'arm-scope.endpoint': 'https-url',
  'arm-scope.audience': 'https-url',
  'arm-scope.scope': 'arm-scope',
};

const f = (kind: string, field: string, description: string) =>
  value(FIELD_FORMATS[`${kind}.${field}`], description);

export const IDENTITY_KINDS = ['system-assigned', 'user-assigned', 'default-chain', 'federated'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

const systemAssigned = z
  .strictObject({
    kind: z.literal('system-assigned'),
    principalId: f('system-assigned', 'principalId', 'the oid its tokens must carry'),
  })
  .meta({ description: "The app's own system-assigned managed identity: ManagedIdentityCredential()." });

const userAssigned = z
  .strictObject({
    kind: z.literal('user-assigned'),
    selectBy: z.enum(['client-id', 'object-id', 'resource-id']).meta({
      description:
        'Which of its ids the credential is given: ManagedIdentityCredential({ clientId | objectId | resourceId })',
    }),
    clientId: f('user-assigned', 'clientId', 'its client ID').optional(),
    principalId: f('user-assigned', 'principalId', 'its object (principal) ID').optional(),
    resourceId: f('user-assigned', 'resourceId', 'its ARM resource ID').optional(),
  })
  .meta({ description: 'A user-assigned managed identity attached to the app, selected by one of its ids.' });

const defaultChain = z
  .strictObject({
    kind: z.literal('default-chain'),
    clientId: f(
      'default-chain',
      'clientId',
      'the managed identity the chain uses (AZURE_CLIENT_ID)',
    ).optional(),
    principalId: f('default-chain', 'principalId', 'the oid its tokens must carry, when known').optional(),
    tokenCredentials: f(
      'default-chain',
      'tokenCredentials',
      'restricts the chain (AZURE_TOKEN_CREDENTIALS)',
    ).optional(),
  })
  .meta({ description: 'DefaultAzureCredential, as an app that uses it would.' });

const federated = z
  .strictObject({
    kind: z.literal('federated'),
    tenantId: f('federated', 'tenantId', 'the tenant of the exchange'),
    clientId: f('federated', 'clientId', 'the user-assigned identity the external token is exchanged for'),
    principalId: f('federated', 'principalId', 'the oid the exchanged token must carry'),
    tokenFile: f(
      'federated',
      'tokenFile',
      'absolute path of a file holding the external OIDC token',
    ).optional(),
    tokenUrl: f('federated', 'tokenUrl', 'URL that returns the external OIDC token').optional(),
  })
  .meta({
    description:
      'Workload identity federation: an external OIDC token exchanged at Entra ID (ClientAssertionCredential). Exactly one of tokenFile and tokenUrl.',
  });

/** Fields a kind may leave out: one that is only a reference to an unset setting is left out too (./parse.ts). */
export function optionalFields(union: {
  options: ReadonlyArray<{ shape: Record<string, { safeParse(v: unknown): { success: boolean } }> }>;
}): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const option of union.options) {
    const kind = (option.shape.kind as unknown as { value: string }).value;
    out.set(
      kind,
      new Set(Object.keys(option.shape).filter((k) => option.shape[k].safeParse(undefined).success)),
    );
  }
  return out;
}

export const identitySchema = z.discriminatedUnion('kind', [
  systemAssigned,
  userAssigned,
  defaultChain,
  federated,
]);
export type IdentityDeclaration = z.infer<typeof identitySchema>;

export const RESOURCE_KINDS = ['keyvault-secret', 'blob-container', 'arm-scope', 'storage-queue'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

const keyvaultSecret = z
  .strictObject({
    kind: z.literal('keyvault-secret'),
    vaultUrl: f('keyvault-secret', 'vaultUrl', 'the vault URI'),
    secretName: f('keyvault-secret', 'secretName', 'the secret read (its value is never returned or logged)'),
  })
  .meta({ description: 'Get a Key Vault secret (least role: Key Vault Secrets User).' });

const blobContainer = z
  .strictObject({
    kind: z.literal('blob-container'),
    serviceUrl: f('blob-container', 'serviceUrl', 'the Blob service endpoint'),
    container: f('blob-container', 'container', 'the container'),
  })
  .meta({ description: "Read a Blob container's properties (least role: Storage Blob Data Reader)." });

const storageQueue = z
  .strictObject({
    kind: z.literal('storage-queue'),
    serviceUrl: f('storage-queue', 'serviceUrl', 'the Queue service endpoint'),
    queue: f('storage-queue', 'queue', 'the queue'),
  })
  .meta({ description: 'Peek a Storage queue (least role: Storage Queue Data Reader).' });

const armScope = z
  .strictObject({
    kind: z.literal('arm-scope'),
    scope: f('arm-scope', 'scope', 'a subscription or resource group ARM id'),
    endpoint: f(
      'arm-scope',
      'endpoint',
      'the Resource Manager endpoint (default https://management.azure.com)',
    ).optional(),
    audience: f('arm-scope', 'audience', 'the token audience (default: the endpoint)').optional(),
  })
  .meta({ description: 'List the first page of resources at an ARM scope (least role: Reader).' });

export const resourceSchema = z.discriminatedUnion('kind', [
  keyvaultSecret,
  blobContainer,
  armScope,
  storageQueue,
]);
export type ResourceDeclaration = z.infer<typeof resourceSchema>;

export const EXPECTATIONS = ['allowed', 'denied'] as const;
export type Expectation = (typeof EXPECTATIONS)[number];

export const probeSchema = z
  .strictObject({
    id: z
      .string()
      .regex(PROBE_ID, 'a name, or two names joined by /')
      .optional()
      .meta({ description: 'Stable id; default `<identity>/<resource>`' }),
    identity: name.meta({ description: 'A key of `identities`' }),
    resource: name.meta({ description: 'A key of `resources`' }),
    expect: z
      .enum(EXPECTATIONS)
      .default('allowed')
      .meta({ description: '`allowed`: the identity must get in; `denied`: the service must refuse it' }),
  })
  .meta({ description: 'One identity against one resource, with what must happen.' });
export type ProbeDeclaration = z.input<typeof probeSchema>;

/** The whole file, strictly: what editors validate against (the loader checks entry by entry, ./parse.ts). */
export const declarationSchema = z
  .strictObject({
    $schema: z.string().optional(),
    schemaVersion: z.literal(DECLARATION_SCHEMA_VERSION),
    name: name.meta({ description: "The declaration's name, shown on the status page" }),
    version: z
      .string()
      .min(1)
      .meta({ description: 'Your version of it (a date, a commit), shown on the status page' }),
    identities: z.record(name, identitySchema),
    resources: z.record(name, resourceSchema),
    probes: z.array(probeSchema).min(1),
  })
  .meta({
    title: 'identity-probes declaration',
    description:
      'The identities and resources identity-probes probes, and what each identity may and must not reach.',
  });
export type Declaration = z.input<typeof declarationSchema>;

/** The JSON Schema editors read (draft 2020-12), generated from the zod schema above. */
export function declarationJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(declarationSchema, { target: 'draft-2020-12', io: 'input' }) as Record<
    string,
    unknown
  >;
}
