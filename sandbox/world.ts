// The declarative world: one JSON file per scenario under sandbox/worlds/, loaded in three steps: read (with
// `extends` and `set`), validate (a zod schema, sandbox/world/schema.ts, with an error that names the bad field) and
// resolve into concrete ids (sandbox/world/resolve.ts). The healthy world takes its identities' role assignments and
// federated credentials from infra/identity-wiring.json (the one source of truth shared with the Bicep).
// A broken scenario `extends` another and changes it with `set` (dotted paths), `removeRoleAssignments` and
// `extraRoleAssignments`.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  resolveFederatedCredentials,
  resolveIdentities,
  resolveResources,
  resolveRoleAssignments,
  scopeResolver,
  type Base,
} from './world/resolve.ts';
import { WorldError, type World } from './world/model.ts';
import { validate, wiringSchema, worldSchema, type RawWiring, type RawWorld } from './world/schema.ts';

// The world's types live in world/model.ts (which world/resolve.ts reads too); every sandbox part imports them from here.
export {
  deterministicGuid,
  WorldError,
  type ComputeResource,
  type FederatedCredential,
  type ResolvedIdentity,
  type RoleAssignment,
  type World,
} from './world/model.ts';

export const WORLDS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'worlds');

type Json = Record<string, unknown>;

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
  /**
   * Changes the world after `extends` and `set`, before it is validated: how a probe declaration adds its identities,
   * resources and assignments to any scenario (sandbox/declaration/).
   */
  amend?: (raw: Json) => void;
}

function check<T>(schema: Parameters<typeof validate<T>>[0], raw: unknown, file: string): T {
  const r = validate(schema, raw);
  if (!r.ok) throw new WorldError(file, r.field, r.problem);
  return r.value;
}

/** The wiring file a world names, relative to the world file (or to sandbox/worlds/ for a world elsewhere). */
function readWiringFile(rel: string, file: string): { wiring: RawWiring; wiringPath: string } {
  const local = resolve(dirname(file), rel);
  const wiringPath = existsSync(local) ? local : resolve(WORLDS_DIR, rel);
  if (!existsSync(wiringPath)) throw new WorldError(file, 'wiring', `file not found: ${local}`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(wiringPath, 'utf8'));
  } catch (err) {
    throw new WorldError(wiringPath, '(file)', `not valid JSON: ${(err as Error).message}`);
  }
  return { wiring: check(wiringSchema, json, wiringPath), wiringPath };
}

/** Loads a scenario in three steps: read (extends, set), validate (schema), resolve (ids). */
export function loadWorld(name: string, opts: LoadOptions = {}): World {
  const { raw: merged, file } = readScenario(name, opts.dir ?? WORLDS_DIR);
  opts.amend?.(merged);
  const raw = check(worldSchema, merged, file);
  const { wiring } = readWiringFile(raw.wiring, file);
  return resolveWorld(name, file, raw, wiring, opts.placeholders ?? {});
}

function resolveWorld(
  name: string,
  file: string,
  raw: RawWorld,
  wiring: RawWiring,
  placeholders: Record<string, string>,
): World {
  const rgId = `/subscriptions/${raw.subscriptionId}/resourceGroups/${raw.resourceGroup}`;
  const base: Base = {
    file,
    raw,
    rgId,
    providerId: (type, n) => `${rgId}/providers/${type}/${n}`,
    sub: (s) => s.replace(/\$\{([A-Z_]+)\}/g, (m, k: string) => placeholders[k] ?? m),
  };
  const ids = resolveIdentities(base);
  const resources = resolveResources(base);
  const scopeOf = scopeResolver(base, resources);
  return {
    name: raw.name ?? name,
    description: raw.description ?? '',
    file,
    tenantId: raw.tenantId,
    subscriptionId: raw.subscriptionId,
    resourceGroup: raw.resourceGroup,
    location: raw.location,
    resourceGroupId: rgId,
    functionApp: {
      name: raw.functionApp.name,
      resourceId: ids.siteId,
      systemAssigned: ids.system,
      attached: ids.attached,
    },
    identities: [ids.system, ...ids.uamis],
    federatedCredentials: resolveFederatedCredentials(base, wiring, ids.byWiringKey),
    appRegistrations: ids.appRegistrations,
    oidcWorkloads: raw.oidcWorkloads,
    ...resources,
    roleAssignments: resolveRoleAssignments(base, wiring, ids.byWiringKey, scopeOf),
    scopes: Object.fromEntries(Object.keys(raw.scopeBindings).map((k) => [k, scopeOf(k, 'scopeBindings')])),
    placeholders,
  };
}
