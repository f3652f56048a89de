// A sandbox world built from a probe declaration (common/declaration/schema.ts; docs/declaration.md "Trying a
// declaration locally"): `startSandbox({ declaration })` and `npm run sandbox -- --declaration FILE`.
//
// Three steps. planDeclaration() reads the file and decides what the world needs: an identity for each declared one,
// a vault, container or queue for each declared resource, and the least role of the resource's kind at its scope for
// every `allowed` probe (none for a `denied` one). amendWorld() adds that plan to the scenario's world before it is
// validated, so every plane serves it as it serves the canary world, and a scenario's own removals and extras still
// apply to the canary part. declarationSettings() then gives each `%SETTING%` the declaration refers to the value this
// sandbox serves (an identity's ids, a vault URL, a service URL, a name), for the connection file's appSettings.
//
// A value the sandbox cannot serve (a literal vault or service URL, a token file it does not write, a subscription
// it does not have) is refused with a DeclarationError that names the entry and the field: write it as a
// `%SETTING%` reference and the sandbox fills it in (and Azure's app settings do there).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDeclaration } from '../common/declaration/parse.ts';
import {
  declarationSchema,
  type IdentityDeclaration,
  type ResourceDeclaration,
} from '../common/declaration/schema.ts';
import { ROLES, type RoleName } from '../common/built-in-roles.ts';
import { authorize } from './resources/rbac/authorize.ts';
import { deterministicGuid } from './world/model.ts';
import type { World } from './world.ts';
import type { DeclarationInfo } from './connection.ts';

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
const ARM_AUDIENCES = [
  'https://management.azure.com',
  'https://management.azure.com/',
  'https://management.core.windows.net/',
];

type Json = Record<string, unknown>;

/**
 * The first path segment under which the stub data plane (sandbox/resources/stub.ts) serves the declared Storage
 * queues: a queue service URL is `<stub>/queue/<account>`.
 */
export const QUEUE_STUB_PREFIX = 'queue';

/** Where a reference's value comes from, once the sandbox runs. */
type Source =
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
const WIRING_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'infra', 'identity-wiring.json');
const CANARY = '@canary';
const CANARY_RESOURCE_SETTINGS = {
  vaultUrl: 'KEY_VAULT_URL',
  secretName: 'KEY_VAULT_SECRET_NAME',
  container: 'BLOB_CONTAINER_NAME',
  subscription: 'AZURE_SUBSCRIPTION_ID',
  resourceGroup: 'AZURE_RESOURCE_GROUP',
} as const;

/** Setting name -> the wiring identity and field it carries (host-plane identities aside). */
function canaryIdentitySettings(): Map<string, { key: string; field: string; attached: boolean }> {
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
interface PlannedIdentity {
  /** The canary wiring's identity key it is ('system' for the app's own), when it is the canary's. */
  wiring?: string;
  /** 'system', or the user-assigned identity's resource name. */
  name: string;
  clientId: string;
  principalId: string;
  attached: boolean;
  federated: boolean;
}

interface PlannedResource {
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

const REFERENCE_ONLY = /^%([A-Za-z_][A-Za-z0-9_.:-]*)%$/;
const HAS_REFERENCE = /%[A-Za-z_][A-Za-z0-9_.:-]*%/;

/** Reads and plans a declaration file. Throws DeclarationError (bad JSON, bad shape, a value the sandbox cannot serve). */
export function planDeclarationFile(path: string): DeclarationPlan {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DeclarationError(file, 'declaration', undefined, `cannot read: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new DeclarationError(file, 'declaration', undefined, `not valid JSON: ${(err as Error).message}`);
  }
  return planDeclaration(raw, file);
}

/** `identities.api.clientId` from a zod path. */
function entryAndField(path: readonly PropertyKey[]): [string, string | undefined] {
  const p = path.map(String);
  if ((p[0] === 'identities' || p[0] === 'resources') && p.length >= 2)
    return [`${p[0]}.${p[1]}`, p.slice(2).join('.') || undefined];
  if (p[0] === 'probes' && p.length >= 2) return [`probes[${p[1]}]`, p.slice(2).join('.') || undefined];
  return ['declaration', p.join('.') || undefined];
}

export function planDeclaration(raw: unknown, file = '(inline)'): DeclarationPlan {
  // The sandbox needs the whole declaration to build a world: unlike the app, it refuses rather than skips.
  const parsed = declarationSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const [entry, field] = entryAndField(issue.path);
    throw new DeclarationError(file, entry, field, issue.message);
  }
  const d = parsed.data;
  const references: Record<string, Source> = {};
  const identitySettings = canaryIdentitySettings();
  const canarySettings = new Set<string>([
    ...identitySettings.keys(),
    ...Object.values(CANARY_RESOURCE_SETTINGS),
  ]);
  const isRef = (value: string | undefined, setting: string) => value === `%${setting}%`;
  const refuse = (entry: string, field: string | undefined, message: string): never => {
    throw new DeclarationError(file, entry, field, message);
  };
  /** Records that `value` (a whole-value reference or a literal) comes from `source`. */
  const bind = (entry: string, field: string, value: string | undefined, source: Source): void => {
    if (value === undefined) return;
    const ref = REFERENCE_ONLY.exec(value)?.[1];
    if (!ref || canarySettings.has(ref)) return;
    const had = references[ref];
    if (had && JSON.stringify(had) !== JSON.stringify(source))
      refuse(entry, field, `%${ref}% is used for two different values; give each its own setting`);
    references[ref] = source;
  };
  /** A field the sandbox must serve itself: only a whole-value reference will do. */
  const servedOnly = (
    entry: string,
    field: string,
    value: string | undefined,
    source: Source,
    what: string,
  ) => {
    if (value === undefined) return;
    if (!REFERENCE_ONLY.test(value))
      refuse(
        entry,
        field,
        `'${value}' is ${what} the sandbox cannot serve locally; write a %SETTING% reference (e.g. "%${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}%") and the sandbox sets it to its own`,
      );
    bind(entry, field, value, source);
  };
  /** A name: literal as given, or the fallback for a reference. */
  const nameOf = (entry: string, field: string, value: string, fallback: string): string => {
    const ref = REFERENCE_ONLY.exec(value)?.[1];
    if (ref) {
      bind(entry, field, value, { from: 'literal', value: fallback });
      return fallback;
    }
    if (HAS_REFERENCE.test(value))
      refuse(entry, field, 'write a literal name or a single %SETTING% reference');
    return value;
  };
  const guidOrNew = (entry: string, field: string, value: string | undefined, seed: string): string => {
    if (value !== undefined && !HAS_REFERENCE.test(value)) {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
        refuse(entry, field, `'${value}' is not a GUID`);
      return value.toLowerCase();
    }
    if (value !== undefined && !REFERENCE_ONLY.test(value))
      refuse(entry, field, 'write a literal GUID or a single %SETTING% reference');
    return deterministicGuid(`declaration|${d.name}|${seed}`);
  };

  // Identities. User-assigned and federated ones become user-assigned identities of their own (attached to the app,
  // or not attached with a federated credential); the default chain is the identity its clientId names.
  const identities: Record<string, PlannedIdentity> = {};
  // A user-assigned identity is known by its ids' values: two declared identities with the same clientId, object
  // ID or resource ID (literal or the same reference) are one identity, selected two ways (as the default
  // declaration selects the app's identity by each of its ids).
  const byId = new Map<string, string>();
  const idsOf = (id: { clientId?: string; principalId?: string; resourceId?: string }) =>
    [id.clientId, id.principalId, id.resourceId]
      .filter((v): v is string => v !== undefined)
      .map((v) => v.toLowerCase());
  const own = (
    key: string,
    id: { clientId?: string; principalId?: string; resourceId?: string },
    federated: boolean,
  ): PlannedIdentity => {
    const entry = `identities.${key}`;
    const fields = { clientId: id.clientId, principalId: id.principalId, resourceId: id.resourceId };
    for (const [field, value] of Object.entries(fields)) {
      const setting = value !== undefined ? REFERENCE_ONLY.exec(value)?.[1] : undefined;
      const canary = setting !== undefined ? identitySettings.get(setting) : undefined;
      if (canary && canary.field === field)
        return canary.key === 'system'
          ? system()
          : {
              wiring: canary.key,
              name: `wiring:${canary.key}`,
              clientId: '',
              principalId: '',
              attached: canary.attached,
              federated,
            };
    }
    const same = federated
      ? undefined
      : idsOf(id)
          .map((v) => byId.get(v))
          .find((k) => k !== undefined);
    if (same) return identities[same];
    if (!federated) for (const v of idsOf(id)) byId.set(v, key);
    return {
      name: `id-decl-${key}`,
      clientId: guidOrNew(entry, 'clientId', id.clientId, `${key}|client`),
      principalId: guidOrNew(entry, 'principalId', id.principalId, `${key}|principal`),
      attached: !federated,
      federated,
    };
  };
  /** The declared identity whose planned identity `p` is (the first), for references. */
  const ownerOf = (p: PlannedIdentity, fallback: string) =>
    Object.entries(identities).find(([, x]) => x === p)?.[0] ?? fallback;
  const system = (): PlannedIdentity => ({
    wiring: 'system',
    name: 'system',
    clientId: '',
    principalId: '',
    attached: true,
    federated: false,
  });
  const entriesOf = Object.entries(d.identities) as Array<[string, IdentityDeclaration]>;
  // The default chain last, so it can name a user-assigned identity declared anywhere by the same clientId.
  entriesOf.sort(([, a], [, b]) => Number(a.kind === 'default-chain') - Number(b.kind === 'default-chain'));
  for (const [key, id] of entriesOf) {
    const entry = `identities.${key}`;
    const refTo = (field: 'clientId' | 'principalId' | 'resourceId'): Source => ({
      from: 'identity',
      identity: ownerOf(identities[key], key),
      field,
    });
    if (id.kind === 'system-assigned') {
      identities[key] = system();
      servedOnly(entry, 'principalId', id.principalId, refTo('principalId'), 'an object ID');
    } else if (id.kind === 'user-assigned') {
      identities[key] = own(key, id, false);
      bind(entry, 'clientId', id.clientId, refTo('clientId'));
      bind(entry, 'principalId', id.principalId, refTo('principalId'));
      servedOnly(entry, 'resourceId', id.resourceId, refTo('resourceId'), 'a resource ID');
    } else if (id.kind === 'federated') {
      identities[key] = own(key, id, true);
      servedOnly(entry, 'tenantId', id.tenantId, { from: 'tenant' }, 'a tenant');
      bind(entry, 'clientId', id.clientId, refTo('clientId'));
      bind(entry, 'principalId', id.principalId, refTo('principalId'));
      servedOnly(entry, 'tokenFile', id.tokenFile, { from: 'tokenFile' }, 'a token file');
      // Both given as references (as the default declaration does, for either environment): the sandbox sets the
      // file only, since exactly one of them may be set.
      if (id.tokenFile === undefined)
        servedOnly(entry, 'tokenUrl', id.tokenUrl, { from: 'tokenUrl' }, 'a token URL');
      else if (id.tokenUrl !== undefined && !REFERENCE_ONLY.test(id.tokenUrl))
        refuse(entry, 'tokenUrl', 'exactly one of tokenFile and tokenUrl');
    } else {
      // The default chain is the identity its clientId names; without one, the app's system-assigned identity.
      identities[key] = id.clientId === undefined ? system() : own(key, id, false);
      bind(entry, 'clientId', id.clientId, refTo('clientId'));
      bind(entry, 'principalId', id.principalId, refTo('principalId'));
      if (
        id.tokenCredentials !== undefined &&
        HAS_REFERENCE.test(id.tokenCredentials) &&
        !REFERENCE_ONLY.test(id.tokenCredentials)
      )
        refuse(entry, 'tokenCredentials', 'write a literal value or a single %SETTING% reference');
    }
  }

  // Resources.
  const resources: Record<string, PlannedResource> = {};
  const vaultByUrl = new Map<string, string>();
  for (const [key, r] of Object.entries(d.resources) as Array<[string, ResourceDeclaration]>) {
    const entry = `resources.${key}`;
    if (r.kind === 'keyvault-secret') {
      const canary = isRef(r.vaultUrl, CANARY_RESOURCE_SETTINGS.vaultUrl);
      const vault = canary
        ? CANARY
        : (vaultByUrl.get(r.vaultUrl) ?? `kv-${key}`.slice(0, 24).replace(/-+$/, ''));
      vaultByUrl.set(r.vaultUrl, vault);
      servedOnly(entry, 'vaultUrl', r.vaultUrl, { from: 'vault', vault }, 'a vault URL');
      const secret = isRef(r.secretName, CANARY_RESOURCE_SETTINGS.secretName)
        ? CANARY
        : nameOf(entry, 'secretName', r.secretName, key);
      resources[key] = { kind: r.kind, vault, secret, ...(canary ? { canary } : {}) };
    } else if (r.kind === 'blob-container') {
      servedOnly(entry, 'serviceUrl', r.serviceUrl, { from: 'blob' }, 'a Blob service URL');
      const canary = isRef(r.container, CANARY_RESOURCE_SETTINGS.container);
      resources[key] = {
        kind: r.kind,
        container: canary ? CANARY : nameOf(entry, 'container', r.container, containerName(key)),
        ...(canary ? { canary } : {}),
      };
    } else if (r.kind === 'storage-queue') {
      servedOnly(entry, 'serviceUrl', r.serviceUrl, { from: 'queueService' }, 'a Queue service URL');
      resources[key] = { kind: r.kind, queue: nameOf(entry, 'queue', r.queue, containerName(key)) };
    } else {
      if (r.endpoint === undefined)
        refuse(
          entry,
          'endpoint',
          'is needed locally (the default is the public Resource Manager): write "%ARM_ENDPOINT%", which Azure leaves out when the setting is not set',
        );
      servedOnly(entry, 'endpoint', r.endpoint, { from: 'arm' }, 'a Resource Manager endpoint');
      if (r.audience !== undefined) {
        if (REFERENCE_ONLY.test(r.audience)) bind(entry, 'audience', r.audience, { from: 'armAudience' });
        else if (!ARM_AUDIENCES.includes(r.audience))
          refuse(
            entry,
            'audience',
            `'${r.audience}' is not an audience the sandbox's Resource Manager accepts (${ARM_AUDIENCES.join(', ')})`,
          );
      }
      const armScope = planArmScope(entry, r.scope, bind, refuse);
      const canary =
        r.scope ===
        `/subscriptions/%${CANARY_RESOURCE_SETTINGS.subscription}%/resourceGroups/%${CANARY_RESOURCE_SETTINGS.resourceGroup}%`;
      resources[key] = { kind: r.kind, armScope, ...(canary ? { canary } : {}) };
    }
  }

  const grants: DeclarationPlan['grants'] = [];
  const denials: DeclarationPlan['denials'] = [];
  const expected = new Map<string, { expect: string; probe: string }>();
  d.probes.forEach((p, i) => {
    const entry = `probes[${i}]`;
    if (!identities[p.identity]) refuse(entry, 'identity', `no identity named '${p.identity}' in identities`);
    if (!resources[p.resource]) refuse(entry, 'resource', `no resource named '${p.resource}' in resources`);
    // Two declared identities can be one world identity (the default chain naming a user-assigned one): both must
    // expect the same of a resource, or no world satisfies the declaration.
    const cell = `${identities[p.identity].name}|${identities[p.identity].clientId}|${p.resource}`;
    const had = expected.get(cell);
    const expect = p.expect ?? 'allowed';
    if (had && had.expect !== expect)
      refuse(
        entry,
        'expect',
        `'${expect}' contradicts ${had.probe} ('${had.expect}'): both are the same identity in the sandbox`,
      );
    expected.set(cell, { expect, probe: entry });
    // A canary identity on a canary resource has the wiring's access (which a scenario may have changed).
    const wired = identities[p.identity].wiring !== undefined && resources[p.resource].canary === true;
    if (expect === 'denied') denials.push({ identity: p.identity, resource: p.resource, entry });
    else if (!wired) grants.push({ identity: p.identity, resource: p.resource });
  });

  return { file, name: d.name, version: d.version, raw, identities, resources, grants, denials, references };
}

/** A container or queue name (3-63 lowercase letters, digits, hyphens) from a declaration name. */
function containerName(key: string): string {
  return key.length >= 3 ? key : `${key}-q`.padEnd(3, '0');
}

function planArmScope(
  entry: string,
  scope: string,
  bind: (entry: string, field: string, value: string | undefined, source: Source) => void,
  refuse: (entry: string, field: string | undefined, message: string) => never,
): 'subscription' | 'resourceGroup' {
  if (REFERENCE_ONLY.test(scope)) {
    bind(entry, 'scope', scope, { from: 'resourceGroupId' });
    return 'resourceGroup';
  }
  const m = /^\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+))?\/?$/i.exec(scope);
  if (!m)
    refuse(
      entry,
      'scope',
      `'${scope}' is not a subscription or resource group id the sandbox can serve (/subscriptions/%SUBSCRIPTION%/resourceGroups/%GROUP%)`,
    );
  const [, sub, rg] = m!;
  const part = (value: string, source: Source, what: string) => {
    if (REFERENCE_ONLY.test(value)) return bind(entry, 'scope', value, source);
    refuse(
      entry,
      'scope',
      `${what} '${value}' is not the sandbox's: write a %SETTING% reference for it and the sandbox sets its own`,
    );
  };
  part(sub, { from: 'subscription' }, 'subscription');
  if (rg === undefined) return 'subscription';
  part(rg, { from: 'resourceGroup' }, 'resource group');
  return 'resourceGroup';
}

/** The user-assigned identities of a plan (not the system one), once each. */
function ownIdentities(plan: DeclarationPlan): PlannedIdentity[] {
  const seen = new Set<string>();
  return Object.values(plan.identities).filter(
    (i) => i.wiring === undefined && !seen.has(i.name) && seen.add(i.name) !== undefined,
  );
}

/** A planned resource with the canary's names filled in from the world (raw or resolved). */
function concrete(
  r: PlannedResource,
  w: {
    keyVaults?: Array<{ name: string; secrets: Array<{ name: string }> }>;
    storageAccounts?: Array<{ containers: Array<{ name: string; wiringScope?: string }> }>;
  },
): PlannedResource {
  const kv = w.keyVaults?.[0];
  const canaryContainer = w.storageAccounts?.[0]?.containers.find((c) => c.wiringScope === 'canaryContainer');
  const name = (v: string | undefined, canary: string | undefined) => (v === CANARY ? (canary ?? '') : v);
  return {
    ...r,
    ...(r.vault ? { vault: name(r.vault, kv?.name) } : {}),
    ...(r.secret ? { secret: name(r.secret, kv?.secrets[0]?.name) } : {}),
    ...(r.container ? { container: name(r.container, canaryContainer?.name) } : {}),
  };
}

/** The ARM scope of a planned resource in a world. */
function scopeOf(
  r: PlannedResource,
  w: Pick<World, 'subscriptionId' | 'resourceGroupId'>,
  vaultIdOf: (name: string) => string,
  accountId: string,
): string {
  switch (r.kind) {
    case 'keyvault-secret':
      return vaultIdOf(r.vault!);
    case 'blob-container':
      return `${accountId}/blobServices/default/containers/${r.container}`;
    case 'storage-queue':
      return `${accountId}/queueServices/default/queues/${r.queue}`;
    case 'arm-scope':
      return r.armScope === 'subscription' ? `/subscriptions/${w.subscriptionId}` : w.resourceGroupId;
  }
}

/**
 * Adds the plan to a scenario's raw world (after `extends` and `set`): its identities, vaults, secrets, containers,
 * federated credentials and the role assignments of its `allowed` probes, as extraRoleAssignments (so a scenario's
 * removals, which name wiring assignments, still apply to the canary world and never to declared cells).
 */
export function amendWorld(plan: DeclarationPlan, raw: Json): void {
  const fa = raw.functionApp as {
    systemAssigned: { principalId: string; clientId: string };
    userAssignedIdentities: string[];
  };
  const uamis = raw.userAssignedIdentities as Array<Json>;
  const sub = raw.subscriptionId as string;
  const rgId = `/subscriptions/${sub}/resourceGroups/${raw.resourceGroup as string}`;
  const accounts = (raw.storageAccounts ?? []) as Array<{ name: string; containers: Array<Json> }>;
  if (!accounts.length)
    throw new DeclarationError(
      plan.file,
      'declaration',
      undefined,
      'the scenario has no storage account for containers and queues',
    );
  const account = accounts[0];
  const accountId = `${rgId}/providers/Microsoft.Storage/storageAccounts/${account.name}`;
  const workload = ((raw.oidcWorkloads ?? []) as Array<{ subject: string }>)[0];
  const fics = (raw.extraFederatedCredentials ??= []) as Array<Json>;
  for (const id of ownIdentities(plan)) {
    uamis.push({ name: id.name, clientId: id.clientId, principalId: id.principalId });
    if (id.attached) fa.userAssignedIdentities.push(id.name);
    if (id.federated) {
      if (!workload)
        throw new DeclarationError(
          plan.file,
          'declaration',
          undefined,
          'the scenario has no OIDC workload for federated identities',
        );
      fics.push({
        name: `decl-${id.name}`,
        principalId: id.principalId,
        issuer:
          ((raw.federatedParameters as Json | undefined)?.federatedIssuer as string | undefined) ??
          '${OIDC_ISSUER}',
        subject: workload.subject,
        audiences: ['api://AzureADTokenExchange'],
      });
    }
  }
  const vaults = (raw.keyVaults ??= []) as Array<{ name: string; secrets: Array<{ name: string }> }>;
  const canaryWorld = { keyVaults: vaults, storageAccounts: accounts as never };
  for (const planned of Object.values(plan.resources)) {
    const r = concrete(planned, canaryWorld);
    if (r.kind === 'keyvault-secret') {
      let v = vaults.find((x) => x.name === r.vault);
      if (!v) vaults.push((v = { name: r.vault!, secrets: [] }));
      if (!v.secrets.some((s) => s.name === r.secret)) v.secrets.push({ name: r.secret! });
    }
    if (r.kind === 'blob-container' && !account.containers.some((c) => c.name === r.container))
      account.containers.push({ name: r.container, blobs: [] });
  }
  const principalOf = (key: string) => {
    const id = plan.identities[key];
    if (id.name === 'system') return fa.systemAssigned.principalId;
    if (id.wiring) return uamis.find((u) => u.wiringKey === id.wiring)?.principalId as string;
    return id.principalId;
  };
  const extras = (raw.extraRoleAssignments ??= []) as Array<Json>;
  const vaultId = (name: string) => `${rgId}/providers/Microsoft.KeyVault/vaults/${name}`;
  const seen = new Set<string>();
  for (const g of plan.grants) {
    const r = concrete(plan.resources[g.resource], canaryWorld);
    const a = {
      principalId: principalOf(g.identity),
      role: ROLES[LEAST_ROLE[r.kind]],
      scope: scopeOf(r, { subscriptionId: sub, resourceGroupId: rgId }, vaultId, accountId),
    };
    const k = JSON.stringify(a);
    if (!seen.has(k)) extras.push(a);
    seen.add(k);
  }
}

/** The call each kind's probe makes, as RBAC sees it (docs/data-plane.md): what a `denied` probe must not hold. */
const PROBE_ACTION: Readonly<
  Record<ResourceDeclaration['kind'], { action: string; kind: 'action' | 'dataAction' }>
> = {
  'keyvault-secret': { action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action', kind: 'dataAction' },
  // Get Container Properties as the Blob gateway authorizes it (blob/actions.ts): an action, which Reader's */read
  // covers too.
  'blob-container': {
    action: 'Microsoft.Storage/storageAccounts/blobServices/containers/read',
    kind: 'action',
  },
  'arm-scope': { action: 'Microsoft.Resources/subscriptions/resourceGroups/resources/read', kind: 'action' },
  'storage-queue': {
    action: 'Microsoft.Storage/storageAccounts/queueServices/queues/messages/read',
    kind: 'dataAction',
  },
};

/**
 * `denied` probes the world lets in anyway: a role of the scenario (the canary wiring) or of an `allowed` probe at an
 * enclosing scope covers the call. The sandbox serves the world as declared, so these cells will get in; each warning
 * names the probe and the role that lets it in.
 */
function deniedButAllowed(
  plan: DeclarationPlan,
  w: World,
  info: Omit<DeclarationInfo, 'warnings'>,
): string[] {
  const out: string[] = [];
  for (const d of plan.denials) {
    const r = info.resources[d.resource];
    const call = PROBE_ACTION[r.kind as ResourceDeclaration['kind']];
    const decision = authorize(w.roleAssignments, {
      principalId: info.identities[d.identity].principalId,
      action: call.action,
      kind: call.kind,
      scope: r.scope,
    });
    if (decision.allowed)
      out.push(
        `${d.entry} (${d.identity} -> ${d.resource}) is declared denied, but ${decision.role?.roleName ?? 'a role'} at ${decision.assignment?.scope} lets it in: this world will show it getting in`,
      );
  }
  return out;
}

/** What the connection file shows: each declared identity's ids, each resource's scope, the derived grants. */
export function declarationInfo(plan: DeclarationPlan, w: World): DeclarationInfo {
  const identityOf = (key: string) => {
    const p = plan.identities[key];
    const id =
      p.name === 'system'
        ? w.functionApp.systemAssigned!
        : w.identities.find((i) => (p.wiring ? i.key === p.wiring : i.name === p.name))!;
    return {
      principalId: id.principalId,
      clientId: id.clientId,
      ...(id.resourceId ? { resourceId: id.resourceId } : {}),
      attached: p.attached,
    };
  };
  const account = w.storageAccounts[0];
  const vaultId = (name: string) => w.keyVaults.find((k) => k.name === name)?.resourceId ?? '';
  const resources = Object.fromEntries(
    Object.entries(plan.resources).map(([k, r]) => [
      k,
      {
        kind: r.kind,
        scope: scopeOf(concrete(r, w), w, vaultId, account.resourceId),
        role: LEAST_ROLE[r.kind],
      },
    ]),
  );
  const info = {
    file: plan.file,
    name: plan.name,
    version: plan.version,
    identities: Object.fromEntries(Object.keys(plan.identities).map((k) => [k, identityOf(k)])),
    resources,
    grants: plan.grants.map((g) => ({
      identity: g.identity,
      resource: g.resource,
      principalId: identityOf(g.identity).principalId,
      role: resources[g.resource].role,
      scope: resources[g.resource].scope,
    })),
  };
  return { ...info, warnings: deniedButAllowed(plan, w, info) };
}

/** Where the sandbox serves things, for the settings. */
export interface ServedEndpoints {
  arm: string;
  blob: string;
  stub: string;
  oidcIssuer: string;
  federatedTokenFile: string;
  vaultUri(name: string): string | undefined;
  workload: string;
}

/** The value of every `%SETTING%` the declaration refers to, as this sandbox serves it. */
export function declarationSettings(
  plan: DeclarationPlan,
  w: World,
  e: ServedEndpoints,
): Record<string, string> {
  const info = declarationInfo(plan, w);
  const out: Record<string, string> = {};
  for (const [name, s] of Object.entries(plan.references)) {
    switch (s.from) {
      case 'identity': {
        const v = info.identities[s.identity][s.field];
        if (v) out[name] = v;
        break;
      }
      case 'tenant':
        out[name] = w.tenantId;
        break;
      case 'subscription':
        out[name] = w.subscriptionId;
        break;
      case 'resourceGroup':
        out[name] = w.resourceGroup;
        break;
      case 'resourceGroupId':
        out[name] = w.resourceGroupId;
        break;
      case 'arm':
        out[name] = e.arm;
        break;
      case 'armAudience':
        out[name] = 'https://management.azure.com';
        break;
      case 'blob':
        out[name] = e.blob;
        break;
      case 'queueService':
        out[name] = `${e.stub}/${QUEUE_STUB_PREFIX}/${w.storageAccounts[0].name}`;
        break;
      case 'tokenFile':
        out[name] = e.federatedTokenFile;
        break;
      case 'tokenUrl':
        out[name] = `${e.oidcIssuer}/workloads/${e.workload}/token`;
        break;
      case 'vault':
        out[name] = e.vaultUri(s.vault) ?? '';
        break;
      case 'literal':
        out[name] = s.value;
        break;
    }
  }
  return out;
}

/**
 * The last check: the declaration, resolved against these settings by the same loader the app uses, loads every
 * probe. A problem here is a bug in the planning above or a reference the sandbox cannot give a value (named).
 */
export function checkResolves(plan: DeclarationPlan, settings: Record<string, string>): void {
  const loaded = loadDeclaration(plan.raw, { settings });
  const p = loaded.problems[0];
  if (p) throw new DeclarationError(plan.file, p.entry, p.field, p.message);
}

/** The declared queues the stub serves: `<account>/<queue>` -> the queue's ARM scope. */
export function declaredQueues(plan: DeclarationPlan | undefined, w: World): Map<string, string> {
  const out = new Map<string, string>();
  const account = w.storageAccounts[0];
  if (!plan || !account) return out;
  for (const r of Object.values(plan.resources))
    if (r.kind === 'storage-queue')
      out.set(`${account.name}/${r.queue}`, `${account.resourceId}/queueServices/default/queues/${r.queue}`);
  return out;
}
