// The sandbox's healthy world, resolved by the sandbox's own loader, grants exactly the declared assignments it serves
// (the app plane, and host-plane ones marked "sandbox": the telemetry role its ingestion endpoint enforces), at scopes
// of the declared types, and holds the declared federated credentials and attachments.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadWorld } from '../../../sandbox/world.ts';
import type { Wiring } from '../wiring.ts';
import { planeOf, servedBySandbox } from '../wiring.ts';
import { describe, sameSet, type Problems } from './common.ts';

type World = ReturnType<typeof loadWorld>;

interface RawWorld {
  wiring?: string;
  federatedParameters?: Record<string, string>;
  storageAccounts?: Array<{ name: string; containers: Array<{ name: string; wiringScope?: string }> }>;
  applicationInsights?: { name: string };
}

/** What the comparisons share: the resolved world, its raw file, and how to name principals. */
interface Ctx {
  w: Wiring;
  world: World;
  raw: RawWorld;
  rel: string;
  s(message: string): void;
  principalOf(key: string): string | undefined;
  keyOfPrincipal(pid: string): string;
}

/** Returns the number of role assignments the sandbox grants (0 when the world cannot be loaded). */
export function checkSandbox(root: string, w: Wiring, p: Problems, scenario: string): number {
  const s = (m: string) => p.add('sandbox', m);
  const dir = join(root, 'sandbox', 'worlds');
  const file = join(dir, `${scenario}.json`);
  const rel = `sandbox/worlds/${scenario}.json`;
  let raw: RawWorld;
  let world: World;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as RawWorld;
  } catch (err) {
    s(`cannot read ${file}: ${(err as Error).message}`);
    return 0;
  }
  if (!raw.wiring || resolve(dir, raw.wiring) !== join(root, 'infra', 'identity-wiring.json'))
    s(`${rel}: "wiring" must point at infra/identity-wiring.json (got '${raw.wiring}')`);
  try {
    world = loadWorld(scenario, { dir });
  } catch (err) {
    s(`the sandbox cannot load ${rel}: ${(err as Error).message}`);
    return 0;
  }
  const ctx: Ctx = {
    w,
    world,
    raw,
    rel,
    s,
    principalOf: (key) =>
      key === 'system'
        ? world.functionApp.systemAssigned?.principalId
        : world.identities.find((i) => i.key === key)?.principalId,
    keyOfPrincipal: (pid) =>
      world.identities.find((i) => i.principalId === pid)?.key ??
      world.appRegistrations.find((a) => a.principalId === pid)?.name ??
      pid,
  };
  checkAssignments(ctx, scopeIds(ctx));
  checkFederatedCredentials(ctx);
  checkAttachments(ctx);
  return world.roleAssignments.length;
}

/**
 * Where each scope key must land, worked out from the world's resources and the declared type, not from the world's
 * scopeBindings (so a binding to the wrong resource shows up).
 */
function scopeIds(ctx: Ctx): Map<string, string> {
  const { w, world, raw, rel, s } = ctx;
  const scopeIds = new Map<string, string>();
  for (const scope of new Set(w.roleAssignments.filter(servedBySandbox).map((a) => a.scope))) {
    const type = w.scopeResourceTypes?.[scope];
    let id: string | undefined;
    if (type === 'Microsoft.Resources/resourceGroups') id = world.resourceGroupId;
    else if (type === 'Microsoft.KeyVault/vaults') {
      if (world.keyVaults.length !== 1)
        s(`${rel}: scope '${scope}' needs exactly one key vault, found ${world.keyVaults.length}`);
      id = world.keyVaults[0]?.resourceId;
    } else if (type === 'Microsoft.Storage/storageAccounts') {
      // The probe storage account: the world's one account (the host account is Azure-only).
      if (world.storageAccounts.length !== 1)
        s(
          `${rel}: scope '${scope}' needs exactly one storage account, found ${world.storageAccounts.length}`,
        );
      id = world.storageAccounts[0]?.resourceId;
    } else if (type === 'Microsoft.Storage/storageAccounts/blobServices/containers') {
      const marked = (raw.storageAccounts ?? []).flatMap((a) =>
        a.containers.filter((c) => c.wiringScope === scope).map((c) => ({ account: a.name, name: c.name })),
      );
      if (marked.length !== 1)
        s(`${rel}: exactly one container must carry "wiringScope": "${scope}", found ${marked.length}`);
      const acct = world.storageAccounts.find((a) => a.name === marked[0]?.account);
      id = acct?.containers.find((c) => c.name === marked[0]?.name)?.resourceId;
    } else if (type === 'Microsoft.Insights/components') {
      if (!raw.applicationInsights?.name)
        s(`${rel}: scope '${scope}' needs "applicationInsights": { "name" }`);
      id = world.applicationInsights?.resourceId;
    } else {
      s(`scope '${scope}' has type '${type}', which the sandbox comparison does not know`);
    }
    if (id) scopeIds.set(scope, id.toLowerCase());
  }
  return scopeIds;
}

function checkAssignments(ctx: Ctx, scopeIds: Map<string, string>): void {
  const { w, world, rel, s, principalOf, keyOfPrincipal } = ctx;
  const roleName = (guid: string) => Object.entries(w.roles).find(([, g]) => g === guid)?.[0] ?? guid;
  const scopeKeyOf = (id: string) => [...scopeIds].find(([, v]) => v === id.toLowerCase())?.[0] ?? id;
  const fmt = (principalId: string, guid: string, scope: string) =>
    `${keyOfPrincipal(principalId)} -> '${roleName(guid)}' on ${scopeKeyOf(scope)}`;
  const expected = new Map<string, string>();
  for (const a of w.roleAssignments.filter(servedBySandbox)) {
    const pid = principalOf(a.identity);
    if (!pid) {
      s(`${rel}: no identity for declared identity '${a.identity}' (wiringKey), needed by ${describe(a)}`);
      continue;
    }
    const scope = scopeIds.get(a.scope);
    if (!scope || !w.roles[a.role]) continue;
    expected.set(`${pid}|${w.roles[a.role]}|${scope}`, describe(a));
  }
  const actual = new Map<string, string>();
  for (const ra of world.roleAssignments) {
    const k = `${ra.principalId}|${ra.roleDefinitionId}|${ra.scope.toLowerCase()}`;
    if (actual.has(k))
      s(`${rel}: the sandbox grants ${fmt(ra.principalId, ra.roleDefinitionId, ra.scope)} twice`);
    actual.set(k, fmt(ra.principalId, ra.roleDefinitionId, ra.scope));
    if (ra.principalType !== 'ServicePrincipal')
      s(`${rel}: ${actual.get(k)} has principalType ${ra.principalType}`);
  }
  for (const [k, d] of expected)
    if (!actual.has(k))
      s(
        `${rel}: the sandbox does not grant declared assignment ${d} (as resolved: ${fmt(...(k.split('|') as [string, string, string]))})`,
      );
  for (const [k, d] of actual)
    if (!expected.has(k)) s(`${rel}: the sandbox grants ${d}, which the declaration does not`);
}

function checkFederatedCredentials(ctx: Ctx): void {
  const { w, world, raw, rel, s, principalOf } = ctx;
  const declaredFics = Object.entries(w.identities).flatMap(([key, i]) =>
    (i.federatedCredentials ?? []).map((f) => ({ key, f })),
  );
  for (const { key, f } of declaredFics) {
    const got = world.federatedCredentials.find((x) => x.name === f.name);
    if (!got) {
      s(`${rel}: the sandbox has no federated credential '${f.name}'`);
      continue;
    }
    if (got.principalId !== principalOf(key))
      s(`${rel}: federated credential '${f.name}' is not on identity '${key}'`);
    if (JSON.stringify(got.audiences) !== JSON.stringify(f.audiences))
      s(
        `${rel}: federated credential '${f.name}' audiences ${JSON.stringify(got.audiences)} differ from the declaration`,
      );
    for (const field of ['issuer', 'subject'] as const) {
      const prm = typeof f[field] === 'object' ? (f[field] as { parameter: string }).parameter : undefined;
      const want = prm ? raw.federatedParameters?.[prm] : (f[field] as string);
      if (got[field] !== want)
        s(
          `${rel}: federated credential '${f.name}' ${field} '${got[field]}' is not the declared ${prm ? `parameter ${prm}` : 'value'} ('${want}')`,
        );
    }
  }
  for (const got of world.federatedCredentials) {
    if (!declaredFics.some(({ f }) => f.name === got.name))
      s(`${rel}: federated credential '${got.name}' is not declared`);
  }
}

/**
 * The user-assigned identities marked attachedToApp that the sandbox serves: the app plane, and the host identity whose
 * telemetry role it serves; other host-plane ones are not emulated.
 */
function checkAttachments(ctx: Ctx): void {
  const { w, world, rel, s, principalOf, keyOfPrincipal } = ctx;
  const served = new Set(w.roleAssignments.filter(servedBySandbox).map((a) => a.identity));
  const wantAttached = Object.entries(w.identities)
    .filter(
      ([k, i]) => i.kind === 'user-assigned' && i.attachedToApp && (planeOf(i) === 'app' || served.has(k)),
    )
    .map(([k]) => principalOf(k) ?? k);
  if (!sameSet(world.functionApp.attached, wantAttached))
    s(
      `${rel}: the function app attaches [${world.functionApp.attached.map(keyOfPrincipal).join(', ')}] but the declaration attaches [${wantAttached.map(keyOfPrincipal).join(', ')}]`,
    );
}
