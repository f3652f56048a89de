// The declarative world: one JSON file per scenario under sandbox/worlds/, validated on load with an error that
// names the bad field, and resolved into concrete ids. The healthy world takes its identities' role assignments and
// federated credentials from infra/identity-wiring.json (the one source of truth shared with the Bicep).
// A broken scenario `extends` another and changes it with `set` (dotted paths), `removeRoleAssignments` and
// `extraRoleAssignments`.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORLDS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'worlds');

export class WorldError extends Error {
  constructor(file: string, field: string, problem: string) {
    super(`${file}: ${field}: ${problem}`);
    this.name = 'WorldError';
  }
}

export interface ResolvedIdentity {
  key: string;
  name: string;
  kind: 'system-assigned' | 'user-assigned' | 'app-registration';
  clientId: string;
  principalId: string;
  /** ARM resource id (user-assigned identities). */
  resourceId?: string;
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
  /** Values substituted for ${...} placeholders (e.g. OIDC_ISSUER). */
  placeholders: Record<string, string>;
}

type Json = Record<string, unknown>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function listScenarios(dir = WORLDS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** Reads a scenario file, applying `extends` chains and `set` edits, without resolving ids. */
export function readScenario(
  name: string,
  dir = WORLDS_DIR,
  seen: string[] = [],
): { raw: Json; file: string } {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new WorldError(name, 'scenario', `invalid scenario name; known: ${listScenarios(dir).join(', ')}`);
  }
  const file = join(dir, `${name}.json`);
  if (!existsSync(file)) {
    throw new WorldError(
      file,
      'scenario',
      `unknown scenario '${name}'; known: ${listScenarios(dir).join(', ')}`,
    );
  }
  if (seen.includes(name)) throw new WorldError(file, 'extends', `cycle: ${[...seen, name].join(' -> ')}`);
  let own: Json;
  try {
    own = JSON.parse(readFileSync(file, 'utf8')) as Json;
  } catch (err) {
    throw new WorldError(file, '(file)', `not valid JSON: ${(err as Error).message}`);
  }
  if (own.extends === undefined) return { raw: own, file };
  if (typeof own.extends !== 'string') throw new WorldError(file, 'extends', 'must be a scenario name');
  const base = structuredClone(readScenario(own.extends, dir, [...seen, name]).raw);
  const merged: Json = { ...base, name: own.name ?? name, description: own.description ?? base.description };
  const set = (own.set ?? {}) as Json;
  if (typeof set !== 'object' || Array.isArray(set))
    throw new WorldError(file, 'set', 'must be an object of dotted paths');
  for (const [path, value] of Object.entries(set)) setPath(merged, path, value, file);
  const removals = own.removeRoleAssignments ?? [];
  if (!Array.isArray(removals)) throw new WorldError(file, 'removeRoleAssignments', 'must be an array');
  merged.removeRoleAssignments = [...((base.removeRoleAssignments as unknown[]) ?? []), ...removals];
  const extras = own.extraRoleAssignments ?? [];
  if (!Array.isArray(extras)) throw new WorldError(file, 'extraRoleAssignments', 'must be an array');
  merged.extraRoleAssignments = [...((base.extraRoleAssignments as unknown[]) ?? []), ...extras];
  merged.wiring = base.wiring;
  return { raw: merged, file };
}

function setPath(obj: Json, path: string, value: unknown, file: string): void {
  const keys = path.split('.');
  let cur: Json = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null)
      throw new WorldError(file, `set.${path}`, `no object at '${k}'`);
    cur = cur[k] as Json;
  }
  cur[keys[keys.length - 1]] = value;
}

export interface LoadOptions {
  dir?: string;
  placeholders?: Record<string, string>;
  propagationDelaySeconds?: number;
}

/** Loads, validates and resolves a scenario. */
export function loadWorld(name: string, opts: LoadOptions = {}): World {
  const dir = opts.dir ?? WORLDS_DIR;
  const { raw, file } = readScenario(name, dir);
  const v = new Validator(file);
  const placeholders = opts.placeholders ?? {};
  const sub = (s: string) => s.replace(/\$\{([A-Z_]+)\}/g, (m, k: string) => placeholders[k] ?? m);

  const tenantId = v.guid(raw, 'tenantId');
  const subscriptionId = v.guid(raw, 'subscriptionId');
  const resourceGroup = v.name(raw, 'resourceGroup');
  const location = v.str(raw, 'location');
  const rgId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
  const providerId = (type: string, name: string) => `${rgId}/providers/${type}/${name}`;

  const wiringRel = v.str(raw, 'wiring');
  const wiringFile = resolve(dirname(file), wiringRel);
  const baseWiringFile = resolve(WORLDS_DIR, wiringRel);
  const wiringPath = existsSync(wiringFile) ? wiringFile : baseWiringFile;
  if (!existsSync(wiringPath)) throw new WorldError(file, 'wiring', `file not found: ${wiringFile}`);
  const wiring = JSON.parse(readFileSync(wiringPath, 'utf8')) as Json;
  const wv = new Validator(wiringPath);

  // The function app and its system-assigned identity.
  const fa = v.obj(raw, 'functionApp');
  const faName = v.name(fa, 'functionApp.name', 'name');
  const siteId = providerId('Microsoft.Web/sites', faName);
  const sa = v.obj(fa, 'functionApp.systemAssigned', 'systemAssigned');
  const system: ResolvedIdentity = {
    key: 'system',
    name: `${faName} (system-assigned)`,
    kind: 'system-assigned',
    clientId: v.guid(sa, 'functionApp.systemAssigned.clientId', 'clientId'),
    principalId: v.guid(sa, 'functionApp.systemAssigned.principalId', 'principalId'),
    miResourceId: siteId,
  };

  // User-assigned identities.
  const uamis = v.arr(raw, 'userAssignedIdentities').map((u, i) => {
    const f = `userAssignedIdentities[${i}]`;
    const o = v.objAt(u, f);
    const uname = v.name(o, `${f}.name`, 'name');
    const resourceId = providerId('Microsoft.ManagedIdentity/userAssignedIdentities', uname);
    const key = o.wiringKey === undefined ? uname : v.str(o, `${f}.wiringKey`, 'wiringKey');
    return {
      key,
      name: uname,
      kind: 'user-assigned' as const,
      clientId: v.guid(o, `${f}.clientId`, 'clientId'),
      principalId: v.guid(o, `${f}.principalId`, 'principalId'),
      resourceId,
      miResourceId: resourceId,
    };
  });
  const attachedNames = v
    .arr(fa, 'functionApp.userAssignedIdentities', 'userAssignedIdentities')
    .map((n, i) => {
      if (typeof n !== 'string')
        throw new WorldError(file, `functionApp.userAssignedIdentities[${i}]`, 'must be a name');
      const found = uamis.find((u) => u.name === n);
      if (!found)
        throw new WorldError(
          file,
          `functionApp.userAssignedIdentities[${i}]`,
          `no user-assigned identity named '${n}'`,
        );
      return found.principalId;
    });

  const appRegistrations = (raw.appRegistrations === undefined ? [] : v.arr(raw, 'appRegistrations')).map(
    (a, i) => {
      const f = `appRegistrations[${i}]`;
      const o = v.objAt(a, f);
      return {
        key: v.name(o, `${f}.name`, 'name'),
        name: v.name(o, `${f}.name`, 'name'),
        kind: 'app-registration' as const,
        clientId: v.guid(o, `${f}.clientId`, 'clientId'),
        principalId: v.guid(o, `${f}.principalId`, 'principalId'),
      };
    },
  );

  const identities: ResolvedIdentity[] = [system, ...uamis];
  const all = [...identities, ...appRegistrations];
  const dupes = all.map((x) => x.principalId).filter((p, i, arr) => arr.indexOf(p) !== i);
  if (dupes.length) throw new WorldError(file, 'identities', `duplicate principal id ${dupes[0]}`);

  const byWiringKey = (key: string, field: string): ResolvedIdentity => {
    const id = key === 'system' ? system : uamis.find((u) => u.key === key);
    if (!id)
      throw new WorldError(
        file,
        field,
        `identity '${key}' of the wiring has no identity in the world (wiringKey)`,
      );
    return id;
  };

  // Federated identity credentials, from the wiring's identities.
  const params = (raw.federatedParameters ?? {}) as Record<string, string>;
  const wIdentities = wv.obj(wiring, 'identities');
  const federatedCredentials: FederatedCredential[] = [];
  for (const [key, wi] of Object.entries(wIdentities)) {
    const fics = ((wi as Json).federatedCredentials ?? []) as Json[];
    fics.forEach((fic, i) => {
      const f = `identities.${key}.federatedCredentials[${i}]`;
      const value = (x: unknown, field: string): string => {
        if (typeof x === 'string') return sub(x);
        const p = (x as Json | undefined)?.parameter;
        if (typeof p !== 'string' || typeof params[p] !== 'string') {
          throw new WorldError(
            file,
            `federatedParameters.${String(p)}`,
            `missing (needed by the wiring's ${f}.${field})`,
          );
        }
        return sub(params[p]);
      };
      federatedCredentials.push({
        name: wv.str(fic, `${f}.name`, 'name'),
        principalId: byWiringKey(key, `wiring ${f}`).principalId,
        issuer: value(fic.issuer, 'issuer'),
        subject: value(fic.subject, 'subject'),
        audiences: wv.arr(fic, `${f}.audiences`, 'audiences') as string[],
      });
    });
  }

  // Resources.
  const keyVaults = (raw.keyVaults === undefined ? [] : v.arr(raw, 'keyVaults')).map((k, i) => {
    const o = v.objAt(k, `keyVaults[${i}]`);
    const kname = v.name(o, `keyVaults[${i}].name`, 'name');
    const secrets = v.arr(o, `keyVaults[${i}].secrets`, 'secrets').map((s, j) => ({
      name: v.name(v.objAt(s, `keyVaults[${i}].secrets[${j}]`), `keyVaults[${i}].secrets[${j}].name`, 'name'),
    }));
    return { name: kname, resourceId: providerId('Microsoft.KeyVault/vaults', kname), secrets };
  });
  const storageAccounts = (raw.storageAccounts === undefined ? [] : v.arr(raw, 'storageAccounts')).map(
    (s, i) => {
      const f = `storageAccounts[${i}]`;
      const o = v.objAt(s, f);
      const sname = v.str(o, `${f}.name`, 'name');
      if (!/^[a-z0-9]{3,24}$/.test(sname))
        throw new WorldError(
          file,
          `${f}.name`,
          'storage account names are 3-24 lowercase letters and digits',
        );
      const accountId = providerId('Microsoft.Storage/storageAccounts', sname);
      return {
        name: sname,
        resourceId: accountId,
        allowSharedKeyAccess: o.allowSharedKeyAccess === true,
        containers: v.arr(o, `${f}.containers`, 'containers').map((c, j) => {
          const co = v.objAt(c, `${f}.containers[${j}]`);
          const cname = v.str(co, `${f}.containers[${j}].name`, 'name');
          return {
            name: cname,
            resourceId: `${accountId}/blobServices/default/containers/${cname}`,
            blobs: (co.blobs ?? []) as string[],
            ...(typeof co.wiringScope === 'string' ? { wiringScope: co.wiringScope } : {}),
          };
        }),
      };
    },
  );

  const armResources = (raw.armResources === undefined ? [] : v.arr(raw, 'armResources')).map((r, i) => {
    const o = v.objAt(r, `armResources[${i}]`);
    const type = v.str(o, `armResources[${i}].type`, 'type');
    const rname = v.name(o, `armResources[${i}].name`, 'name');
    return { id: providerId(type, rname), name: rname, type, location };
  });

  const ai = raw.applicationInsights === undefined ? undefined : v.obj(raw, 'applicationInsights');
  const applicationInsights = ai && {
    name: v.name(ai, 'applicationInsights.name', 'name'),
    resourceId: providerId('Microsoft.Insights/components', v.name(ai, 'applicationInsights.name', 'name')),
  };

  // Scope bindings: wiring scope key -> ARM scope string.
  const bindings = v.obj(raw, 'scopeBindings') as Record<string, string>;
  const scopeOf = (key: string, field: string): string => {
    const b = bindings[key];
    if (typeof b !== 'string')
      throw new WorldError(file, `scopeBindings.${key}`, `missing (needed by ${field})`);
    if (b === 'resourceGroup') return rgId;
    if (b === 'subscription') return `/subscriptions/${subscriptionId}`;
    const [kind, ref] = [b.slice(0, b.indexOf(':')), b.slice(b.indexOf(':') + 1)];
    if (kind === 'keyVault') {
      const kv = keyVaults.find((k) => k.name === ref);
      if (!kv) throw new WorldError(file, `scopeBindings.${key}`, `no key vault named '${ref}'`);
      return kv.resourceId;
    }
    if (kind === 'storageAccount') {
      const sa2 = storageAccounts.find((s) => s.name === ref);
      if (!sa2) throw new WorldError(file, `scopeBindings.${key}`, `no storage account named '${ref}'`);
      return sa2.resourceId;
    }
    if (kind === 'container') {
      const [acct, cont] = ref.split('/');
      const c = storageAccounts.find((s) => s.name === acct)?.containers.find((x) => x.name === cont);
      if (!c) throw new WorldError(file, `scopeBindings.${key}`, `no container '${ref}'`);
      return c.resourceId;
    }
    if (kind === 'appInsights') {
      if (applicationInsights?.name !== ref)
        throw new WorldError(file, `scopeBindings.${key}`, `no Application Insights component '${ref}'`);
      return applicationInsights.resourceId;
    }
    if (kind === 'raw') return ref;
    throw new WorldError(
      file,
      `scopeBindings.${key}`,
      `unknown binding kind '${kind}' (resourceGroup, subscription, keyVault:, storageAccount:, container:, raw:)`,
    );
  };

  const roles = wv.obj(wiring, 'roles') as Record<string, string>;
  const roleGuid = (role: string, field: string): string => {
    if (GUID.test(role)) return role.toLowerCase();
    const g = roles[role];
    if (!g)
      throw new WorldError(
        file,
        field,
        `unknown role '${role}' (the wiring's roles: ${Object.keys(roles).join(', ')})`,
      );
    return g;
  };
  const roleNameOf = (guid: string) => Object.entries(roles).find(([, g]) => g === guid)?.[0];
  const createdOn = new Date().toISOString();
  const delayMs = (opts.propagationDelaySeconds ?? 0) * 1000;
  void delayMs; // World assignments exist "since deploy": they are effective at once.

  type Decl = { identity: string; role: string; scope: string; plane?: string; sandbox?: boolean };
  const sameDecl = (a: Decl, b: Decl) =>
    a.identity === b.identity && a.role === b.role && a.scope === b.scope;
  const removals = ((raw.removeRoleAssignments ?? []) as Decl[]).map((r, i) => {
    v.objAt(r, `removeRoleAssignments[${i}]`);
    return r;
  });
  // The app plane, plus host-plane wiring the sandbox serves too ("sandbox": true: telemetry ingestion).
  const declared = (wv.arr(wiring, 'roleAssignments') as Decl[]).filter(
    (d) => (d.plane ?? 'app') === 'app' || d.sandbox === true,
  );
  for (const [i, r] of removals.entries()) {
    if (!declared.some((d) => sameDecl(d, r))) {
      throw new WorldError(
        file,
        `removeRoleAssignments[${i}]`,
        `no such assignment in the wiring: ${JSON.stringify(r)}`,
      );
    }
  }
  const roleAssignments: RoleAssignment[] = [];
  let seq = 0;
  const assignmentId = (principalId: string, guid: string, scope: string) =>
    deterministicGuid(`${principalId}|${guid}|${scope.toLowerCase()}|${seq++}`);
  for (const [i, d] of declared.entries()) {
    if (removals.some((r) => sameDecl(d, r))) continue;
    const f = `wiring roleAssignments[${i}]`;
    const principalId = byWiringKey(d.identity, f).principalId;
    const guid = roleGuid(d.role, f);
    const scope = scopeOf(d.scope, f);
    roleAssignments.push({
      id: assignmentId(principalId, guid, scope),
      principalId,
      principalType: 'ServicePrincipal',
      roleDefinitionId: guid,
      roleName: d.role,
      scope,
      origin: 'wiring',
      createdOn,
      effectiveFrom: 0,
    });
  }
  ((raw.extraRoleAssignments ?? []) as Json[]).forEach((x, i) => {
    const f = `extraRoleAssignments[${i}]`;
    const o = v.objAt(x, f);
    const principalId =
      typeof o.identity === 'string'
        ? byWiringKey(o.identity, `${f}.identity`).principalId
        : v.guid(o, `${f}.principalId`, 'principalId');
    const guid = roleGuid(v.str(o, `${f}.role`, 'role'), `${f}.role`);
    const scope =
      typeof o.scope === 'string' && o.scope.startsWith('/')
        ? o.scope
        : scopeOf(v.str(o, `${f}.scope`, 'scope'), f);
    roleAssignments.push({
      id: assignmentId(principalId, guid, scope),
      principalId,
      principalType: 'ServicePrincipal',
      roleDefinitionId: guid,
      roleName: roleNameOf(guid),
      scope,
      origin: 'scenario',
      createdOn,
      effectiveFrom: 0,
    });
  });

  const oidcWorkloads = (raw.oidcWorkloads === undefined ? [] : v.arr(raw, 'oidcWorkloads')).map((w, i) => {
    const o = v.objAt(w, `oidcWorkloads[${i}]`);
    return {
      name: v.name(o, `oidcWorkloads[${i}].name`, 'name'),
      subject: v.str(o, `oidcWorkloads[${i}].subject`, 'subject'),
    };
  });

  return {
    name: typeof raw.name === 'string' ? raw.name : name,
    description: typeof raw.description === 'string' ? raw.description : '',
    file,
    tenantId,
    subscriptionId,
    resourceGroup,
    location,
    resourceGroupId: rgId,
    functionApp: { name: faName, resourceId: siteId, systemAssigned: system, attached: attachedNames },
    identities,
    federatedCredentials,
    appRegistrations,
    oidcWorkloads,
    keyVaults,
    storageAccounts,
    armResources,
    ...(applicationInsights ? { applicationInsights } : {}),
    roleAssignments,
    placeholders,
  };
}

/** A stable GUID derived from a string (so ids are the same on every run). */
export function deterministicGuid(seed: string): string {
  // sha1-based name UUID (RFC 4122 v5 layout) without a namespace; good enough for stable local ids.
  const { createHash } = process.getBuiltinModule('node:crypto');
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

class Validator {
  readonly file: string;
  constructor(file: string) {
    this.file = file;
  }
  private get(o: Json, key: string): unknown {
    return o[key];
  }
  str(o: Json, field: string, key = field): string {
    const x = this.get(o, key);
    if (typeof x !== 'string' || x.length === 0)
      throw new WorldError(this.file, field, 'must be a non-empty string');
    return x;
  }
  name(o: Json, field: string, key = field): string {
    const x = this.str(o, field, key);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,89}$/.test(x))
      throw new WorldError(this.file, field, `'${x}' is not a valid resource name`);
    return x;
  }
  guid(o: Json, field: string, key = field): string {
    const x = this.str(o, field, key);
    if (!GUID.test(x)) throw new WorldError(this.file, field, `'${x}' is not a GUID`);
    return x.toLowerCase();
  }
  obj(o: Json, field: string, key = field): Json {
    return this.objAt(this.get(o, key), field);
  }
  objAt(x: unknown, field: string): Json {
    if (typeof x !== 'object' || x === null || Array.isArray(x))
      throw new WorldError(this.file, field, 'must be an object');
    return x as Json;
  }
  arr(o: Json, field: string, key = field): unknown[] {
    const x = this.get(o, key);
    if (!Array.isArray(x)) throw new WorldError(this.file, field, 'must be an array');
    return x;
  }
}
