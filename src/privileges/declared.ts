// What the privileges check compares with, read from the probe plan (src/core/plan.ts; docs/privileges.md "Declared
// access"): an identity may hold, at each resource an `allowed` probe of it reaches, the least role of that resource
// (Target.role) at the resource's scope (Target.scope), plus the status writer's role if it writes the status; nothing
// at a resource a `denied` probe names, and nothing else. Declared identities that are one principal (the default
// declaration selects the app's user-assigned identity four ways) are checked once, with the first one's credential.
//
// The scopes read are those declared grants' and every probed resource's scope, with the scopes above them that can
// hold an inherited grant the check must see separately (the subscription, the resource group and the top-level
// resource, e.g. the storage account above a container): a role at a wider scope shows up in a narrower scope's
// permissions too, but only its own scope tells it apart from a declared role there.
import type { Config } from '../config.ts';
import type { Plan, PlannedIdentity, PlannedResource } from '../core/plan.ts';
import {
  identityOfPath as catalogIdentityOfPath,
  STATUS_WRITER,
  TARGETS as CATALOG_TARGETS,
} from '../../common/catalog.ts';
import { isPathId } from '../ids.ts';
import { SCOPE_KEYS } from './catalog.ts';
import { resolveScopes } from './scopes.ts';

/** A role the declaration gives an identity, at an ARM scope. */
export interface DeclaredGrant {
  role: string;
  scope: string;
  /** The probe that needs it, or 'status writer'. */
  for: string;
}

/** A scope the check reads: its name in results, its ARM id, or why it has none. */
export interface CheckedScope {
  name: string;
  id?: string;
  /** Why the scope could not be told from the settings (the check then reports it `misconfigured`). */
  problem?: string;
}

/** One principal of the declaration, as the check sees it. */
export interface CheckedIdentity {
  /** The first declared name of the principal: its credential runs the check. */
  name: string;
  /** Every declared name of the principal, in declaration order. */
  names: string[];
  identity: PlannedIdentity;
  grants: DeclaredGrant[];
  /** Outermost first. */
  scopes: CheckedScope[];
}

const PLACEHOLDER = /<[^>]+>/;
const norm = (s: string) => s.replace(/\/+$/, '').toLowerCase();

/**
 * Who the identity is, as far as its settings tell: the object id it must come back with, else its client id or
 * resource id. Two declared identities with the same key are one principal; one whose settings tell nothing is its
 * own.
 */
export function principalKey(p: PlannedIdentity): string {
  const e = p.path.expected(p.config);
  if (e.oid?.value) return `oid:${e.oid.value.toLowerCase()}`;
  if (e.appid?.value) return `appid:${e.appid.value.toLowerCase()}`;
  if (e.xmsMirid?.value) return `mirid:${e.xmsMirid.value.toLowerCase()}`;
  return `name:${p.name}`;
}

/** The settings a target's endpoint setting names, for telling whether a resource is the app's own (the canary). */
function endpointOf(setting: string, c: Config): string | undefined {
  const bySetting: Record<string, string | undefined> = {
    KEY_VAULT_URL: c.keyVault.url,
    BLOB_SERVICE_URL: c.blob.serviceUrl,
    ARM_ENDPOINT: c.arm.endpoint,
  };
  return bySetting[setting];
}

/**
 * The resource's ARM scope. A scope the target cannot tell from the resource's settings (a vault URL that does not
 * name its vault: a private endpoint's host, or the local sandbox's) is the app's own scope for that target when the
 * resource is the app's own (same endpoint and facts: the default declaration's canary resources), which
 * KEY_VAULT_RESOURCE_ID can name; otherwise it stays unknown.
 */
export function resourceScope(
  r: PlannedResource,
  app: Config,
  vaults?: VaultIds,
): { id?: string; problem?: string } {
  const scope = r.target.scope(r.config);
  if (!PLACEHOLDER.test(scope)) return { id: scope };
  const found = r.config.keyVault.url && vaults?.get(vaultKey(r.config.keyVault.url));
  if (found) return { id: found };
  const key = (CATALOG_TARGETS as Record<string, { scope: string } | undefined>)[r.target.id]?.scope;
  const same =
    endpointOf(r.target.endpointSetting, r.config) === endpointOf(r.target.endpointSetting, app) &&
    JSON.stringify(r.target.facts(r.config)) === JSON.stringify(r.target.facts(app));
  const known = key && same ? resolveScopes(app)[key as keyof ReturnType<typeof resolveScopes>] : undefined;
  if (known) return { id: known };
  return {
    problem: `the ${r.target.service} scope of ${r.name} cannot be told from its settings (${scope})`,
  };
}

/** Vault ARM ids found by their URI (privileges/check.ts looks them up), by vaultKey(url). */
export type VaultIds = ReadonlyMap<string, string>;

export const vaultKey = (url: string): string => url.replace(/\/+$/, '').toLowerCase();

/**
 * The Key Vault resources whose vault the settings do not name (vault URL, resource group): what a lookup by URI
 * (arm.ts vaultIdByUri) may find.
 */
export function unnamedVaults(
  plan: Plan,
  app: Config,
  vaults?: VaultIds,
): Array<{ url: string; resourceGroup: string }> {
  const out = new Map<string, { url: string; resourceGroup: string }>();
  for (const r of plan.resources.values()) {
    if (resourceScope(r, app, vaults).id) continue;
    const url = r.config.keyVault.url;
    const { subscriptionId, resourceGroup } = r.config.arm;
    if (!url || !subscriptionId || !resourceGroup) continue;
    if (!/Microsoft\.KeyVault\/vaults\//i.test(r.target.scope(r.config))) continue;
    out.set(vaultKey(url), {
      url,
      resourceGroup: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`,
    });
  }
  return [...out.values()];
}

/** The scope's ancestors that can hold a grant of their own: subscription, resource group, top-level resource. */
export function scopeChain(id: string): string[] {
  const parts = id.replace(/\/+$/, '').split('/');
  const out: string[] = [];
  // ['', 'subscriptions', s, 'resourceGroups', g, 'providers', ns, type, name, ...]
  for (const n of [3, 5, 9]) if (parts.length > n) out.push(parts.slice(0, n).join('/'));
  out.push(parts.join('/'));
  return [...new Set(out)];
}

/** Whether the identity writes the status: the system identity, unless STATUS_CLIENT_ID names another. */
function writesStatus(p: PlannedIdentity, app: Config): boolean {
  const e = p.path.expected(p.config);
  const clientId = app.status.clientId;
  if (!clientId) return e.selector.kind === 'system';
  return e.appid?.value?.toLowerCase() === clientId.toLowerCase();
}

/** The principals of the plan, each with its declared grants and the scopes to read. */
const checkedByPlan = new WeakMap<Plan, Map<string, readonly CheckedIdentity[]>>();

/**
 * The plan's principals with their declared access and the scopes their check reads. Derived once per plan (and per
 * state of the vault ids found so far): every timer run and status read asks (a CPU profile of bench part (i) at
 * 500 probes showed 0.66 s in it when each identity derived it again). The result is shared: read it, never change it.
 */
export function checkedIdentities(plan: Plan, app: Config, vaults?: VaultIds): readonly CheckedIdentity[] {
  const key = `${vaults?.size ?? -1}`;
  let byVaults = checkedByPlan.get(plan);
  if (!byVaults) checkedByPlan.set(plan, (byVaults = new Map()));
  let out = byVaults.get(key);
  if (!out) byVaults.set(key, (out = deriveCheckedIdentities(plan, app, vaults)));
  return out;
}

function deriveCheckedIdentities(plan: Plan, app: Config, vaults?: VaultIds): CheckedIdentity[] {
  const groups = new Map<string, CheckedIdentity>();
  const scopes = new Map<string, ReturnType<typeof resourceScope>>();
  const scopeOf = (r: PlannedResource) => {
    let v = scopes.get(r.name);
    if (!v) scopes.set(r.name, (v = resourceScope(r, app, vaults)));
    return v;
  };
  for (const p of plan.identities.values()) {
    const key = principalKey(p);
    const g = groups.get(key);
    if (g) g.names.push(p.name);
    else groups.set(key, { name: p.name, names: [p.name], identity: p, grants: [], scopes: [] });
  }
  const known = resolveScopes(app);
  const nameOfId = new Map<string, string>();
  for (const k of SCOPE_KEYS) if (known[k]) nameOfId.set(norm(known[k]!), k);
  for (const r of plan.resources.values()) {
    const { id } = scopeOf(r);
    if (id && !nameOfId.has(norm(id))) nameOfId.set(norm(id), r.name);
  }
  const statusScope = known.statusContainer;
  for (const g of groups.values()) {
    const ids: string[] = [];
    const problems: CheckedScope[] = [];
    for (const probe of plan.probes.filter((x) => g.names.includes(x.identity))) {
      const r = plan.resources.get(probe.resource);
      if (!r) continue;
      const { id, problem } = scopeOf(r);
      if (!id) {
        if (!problems.some((s) => s.name === r.name)) problems.push({ name: r.name, problem });
        continue;
      }
      ids.push(id);
      const grant = { role: r.target.role, scope: id, for: probe.id };
      if (
        probe.expect === 'allowed' &&
        !g.grants.some((x) => x.role === grant.role && norm(x.scope) === norm(grant.scope))
      )
        g.grants.push(grant);
    }
    // The status container is the app's own: read for every identity, so a grant there beyond the writer's shows.
    if (statusScope) {
      ids.push(statusScope);
      if ([...plan.identities.values()].some((p) => g.names.includes(p.name) && writesStatus(p, app)))
        g.grants.push({ role: STATUS_WRITER.role, scope: statusScope, for: 'status writer' });
    }
    const all = new Map<string, string>();
    for (const id of ids) for (const s of scopeChain(id)) if (!all.has(norm(s))) all.set(norm(s), s);
    const depth = (s: string) => s.split('/').length;
    const rank = (s: string) => {
      const i = (SCOPE_KEYS as readonly string[]).indexOf(nameOfId.get(norm(s)) ?? '');
      return i < 0 ? SCOPE_KEYS.length : i;
    };
    const ordered = [...all.values()].sort((a, b) => depth(a) - depth(b) || rank(a) - rank(b));
    g.scopes = [...ordered.map((id) => ({ name: nameOfId.get(norm(id)) ?? scopeName(id), id })), ...problems];
  }
  return [...groups.values()];
}

/** A scope no declared resource names: the subscription, a resource group, or a top-level resource, by its id. */
function scopeName(id: string): string {
  const parts = id.split('/');
  if (parts.length === 3) return `subscription ${parts[2]}`;
  if (parts.length === 5) return `resource group ${parts[4]}`;
  return id;
}

/** The principal a declared identity name belongs to. */
export function checkedIdentityOf(
  plan: Plan,
  app: Config,
  name: string,
  vaults?: VaultIds,
): CheckedIdentity | undefined {
  return checkedIdentities(plan, app, vaults).find((g) => g.names.includes(name));
}

/**
 * Whether the declared identity `name` runs its principal's check on the timers: the first of its names does, so a
 * timer run reads each scope once per principal, not once per declared name.
 */
export function runsCheck(plan: Plan, app: Config, name: string): boolean {
  return checkedIdentityOf(plan, app, name)?.name === name;
}

/**
 * The name a principal's check goes by: the catalog's identity key (system, app, federated) for the canary's, as the
 * default declaration keeps the paths' names, so results, status and telemetry read as before declarations; else its
 * first declared name.
 */
export function checkName(g: Pick<CheckedIdentity, 'name' | 'identity'>): string {
  return isPathId(g.name) && g.identity.path.id === g.name ? catalogIdentityOfPath(g.name) : g.name;
}

const principalsByPlan = new WeakMap<Plan, Array<{ key: string; paths: string[] }>>();

/**
 * Each principal of the plan by its check's name, with its declared names (the status view's identities). Derived
 * once per plan: every status read asks.
 */
export function principalsOf(plan: Plan, app: Config): Array<{ key: string; paths: string[] }> {
  let out = principalsByPlan.get(plan);
  if (!out) {
    out = checkedIdentities(plan, app).map((g) => ({ key: checkName(g), paths: g.names }));
    principalsByPlan.set(plan, out);
  }
  return out;
}
