// The schema of a world file (after `extends` and `set` are applied) and of the part of the wiring declaration the
// world reads, with zod: a bad world fails on load with an error that names the field. Types for the resolver come
// from the schemas, so the two cannot disagree.
import { z } from 'zod';

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const text = z.string().min(1, { error: 'must be a non-empty string' });
const guid = z
  .string()
  .regex(GUID, { error: (i) => `'${String(i.input)}' is not a GUID` })
  .transform((s) => s.toLowerCase());
const resourceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,89}$/, {
  error: (i) => `'${String(i.input)}' is not a valid resource name`,
});
const storageName = z
  .string()
  .regex(/^[a-z0-9]{3,24}$/, { error: 'storage account names are 3-24 lowercase letters and digits' });

/** A declared assignment, as `removeRoleAssignments` names one. */
const assignmentRef = z.object({ identity: text, role: text, scope: text });

export const worldSchema = z
  .object({
    name: z.string().optional(),
    description: z.string().optional(),
    /** The wiring declaration, relative to the world file. */
    wiring: text,
    tenantId: guid,
    subscriptionId: guid,
    resourceGroup: resourceName,
    location: text,
    functionApp: z.object({
      name: resourceName,
      systemAssigned: z.object({ clientId: guid, principalId: guid }),
      userAssignedIdentities: z.array(text),
    }),
    userAssignedIdentities: z.array(
      z.object({ name: resourceName, wiringKey: text.optional(), clientId: guid, principalId: guid }),
    ),
    federatedParameters: z.record(z.string(), z.string()).default({}),
    appRegistrations: z
      .array(z.object({ name: resourceName, clientId: guid, principalId: guid }).loose())
      .default([]),
    oidcWorkloads: z.array(z.object({ name: resourceName, subject: text })).default([]),
    keyVaults: z
      .array(z.object({ name: resourceName, secrets: z.array(z.object({ name: resourceName })) }))
      .default([]),
    storageAccounts: z
      .array(
        z.object({
          name: storageName,
          allowSharedKeyAccess: z.boolean().default(false),
          containers: z.array(
            z.object({ name: text, blobs: z.array(z.string()).default([]), wiringScope: text.optional() }),
          ),
        }),
      )
      .default([]),
    /** Wiring scope key -> resourceGroup, subscription, keyVault:<name>, storageAccount:<name>, container:<a>/<c>, appInsights:<name>, raw:<id>. */
    scopeBindings: z.record(z.string(), text),
    armResources: z.array(z.object({ type: text, name: resourceName })).default([]),
    /** The Application Insights component whose ingestion endpoint the sandbox serves (sandbox/monitor). */
    applicationInsights: z.object({ name: resourceName }).optional(),
    /** Federated credentials beyond the wiring's (a probe declaration's federated identities). */
    extraFederatedCredentials: z
      .array(
        z.object({
          name: text,
          principalId: guid,
          issuer: text,
          subject: text,
          audiences: z.array(text),
        }),
      )
      .default([]),
    removeRoleAssignments: z.array(assignmentRef).default([]),
    extraRoleAssignments: z
      .array(
        z
          .object({ identity: text.optional(), principalId: guid.optional(), role: text, scope: text })
          .refine((x) => x.identity !== undefined || x.principalId !== undefined, {
            error: 'needs identity (a wiring key) or principalId',
          }),
      )
      .default([]),
  })
  .loose(); // "$comment"-style keys document the file

export type RawWorld = z.infer<typeof worldSchema>;

const parameterOrValue = z.union([z.string(), z.object({ parameter: text })]);

/** What the world reads from infra/identity-wiring.json. */
export const wiringSchema = z
  .object({
    identities: z.record(
      z.string(),
      z
        .object({
          federatedCredentials: z
            .array(
              z.object({
                name: text,
                issuer: parameterOrValue,
                subject: parameterOrValue,
                audiences: z.array(text),
              }),
            )
            .optional(),
        })
        .loose(),
    ),
    roles: z.record(z.string(), guid),
    roleAssignments: z.array(
      z
        .object({
          identity: text,
          role: text,
          scope: text,
          plane: z.string().optional(),
          /** A host-plane assignment the sandbox serves too (telemetry ingestion). */
          sandbox: z.boolean().optional(),
        })
        .loose(),
    ),
  })
  .loose();

export type RawWiring = z.infer<typeof wiringSchema>;

/** `a.b[2].c` from a zod issue path. */
function fieldOf(path: readonly PropertyKey[]): string {
  return (
    path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('') ||
    '(file)'
  );
}

/** Validates `raw`; on failure returns the first problem as [field, problem]. */
export function validate<T>(
  schema: z.ZodType<T>,
  raw: unknown,
): { ok: true; value: T } | { ok: false; field: string; problem: string } {
  const r = schema.safeParse(raw, {
    error: (iss) => (iss.input === undefined ? 'is missing' : undefined),
  });
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  return { ok: false, field: fieldOf(issue.path), problem: issue.message };
}
