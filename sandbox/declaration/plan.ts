// Step 1: planDeclaration() reads a declaration and decides what the world needs (sandbox/declaration/index.ts).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  declarationSchema,
  type IdentityDeclaration,
  type ResourceDeclaration,
} from '../../common/declaration/schema.ts';
import { deterministicGuid } from '../world/model.ts';
import {
  DeclarationError,
  ARM_AUDIENCES,
  type Source,
  CANARY,
  CANARY_RESOURCE_SETTINGS,
  canaryIdentitySettings,
  type PlannedIdentity,
  type PlannedResource,
  type DeclarationPlan,
  REFERENCE_ONLY,
  HAS_REFERENCE,
} from './model.ts';

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
export function containerName(key: string): string {
  return key.length >= 3 ? key : `${key}-q`.padEnd(3, '0');
}

export function planArmScope(
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
