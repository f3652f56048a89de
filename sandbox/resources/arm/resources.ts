// Resource groups, generic resources and storage account keys (docs/data-plane.md §2.2, §2.5): reads are
// RBAC-filtered per resource; a caller who may read nothing in scope gets the 403.
import { armErrors as E } from './errors.ts';
import type { ArmResource } from './model.ts';
import { allowed, canRead, eq, forbidden, page, requireAction, send } from './request.ts';
import type { Req } from './request.ts';

export const RESOURCE_ACTIONS = {
  rgRead: 'Microsoft.Resources/subscriptions/resourceGroups/read',
  rgResourcesRead: 'Microsoft.Resources/subscriptions/resourceGroups/resources/read',
  subResourcesRead: 'Microsoft.Resources/subscriptions/resources/read',
  listKeys: 'Microsoft.Storage/storageAccounts/listkeys/action',
};
const A = RESOURCE_ACTIONS;

type Predicate = (x: ArmResource) => boolean;

/** `$filter`: `resourceType eq '…'`, `name eq '…'`, `resourceGroup eq '…'`, `substringof('…', name)`, with and/or. */
export function parseResourceFilter(filter: string): Predicate | undefined {
  const term = (t: string): Predicate | undefined => {
    const m = /^\s*(resourceType|name|resourceGroup)\s+eq\s+'([^']*)'\s*$/i.exec(t);
    if (m) {
      const field = m[1].toLowerCase();
      const value = m[2].toLowerCase();
      return (x) =>
        (field === 'resourcetype' ? x.type : field === 'name' ? x.name : x.resourceGroup).toLowerCase() ===
        value;
    }
    const s = /^\s*substringof\(\s*'([^']*)'\s*,\s*name\s*\)\s*$/i.exec(t);
    if (s) return (x) => x.name.toLowerCase().includes(s[1].toLowerCase());
    return undefined;
  };
  const ors = filter.split(/\s+or\s+/i).map((o) => o.split(/\s+and\s+/i).map(term));
  if (ors.some((ands) => ands.some((p) => p === undefined))) return undefined;
  return (x) => ors.some((ands) => ands.every((p) => p!(x)));
}

export function resourceBody(r: Req, x: ArmResource): Record<string, unknown> {
  const expand = (r.url.searchParams.get('$expand') ?? '').toLowerCase();
  return {
    id: x.id,
    name: x.name,
    type: x.type,
    ...(x.kind ? { kind: x.kind } : {}),
    location: x.location,
    ...(x.sku ? { sku: x.sku } : {}),
    ...(x.identity ? { identity: x.identity } : {}),
    tags: x.tags,
    ...(expand.includes('createdtime') ? { createdTime: x.createdTime } : {}),
    ...(expand.includes('changedtime') ? { changedTime: x.createdTime } : {}),
    ...(expand.includes('provisioningstate') ? { provisioningState: 'Succeeded' } : {}),
  };
}

const subScope = (r: Req) => `/subscriptions/${r.model.world.subscriptionId}`;
const rgScope = (r: Req) => `${subScope(r)}/resourceGroups/${r.params.rg}`;

/** GET /subscriptions/{sub}/resources and …/resourceGroups/{rg}/resources. */
export function listResources(r: Req): void {
  const rg = r.params.rg as string | undefined;
  const scope = rg === undefined ? subScope(r) : rgScope(r);
  const action = rg === undefined ? A.subResourcesRead : A.rgResourcesRead;
  const broad = allowed(r, action, scope);
  const exists = rg === undefined || r.model.hasResourceGroup(rg);
  const filter = r.url.searchParams.get('$filter');
  let all = exists ? r.model.resourcesIn(rg) : [];
  if (filter) {
    const p = parseResourceFilter(filter);
    if (!p) throw E.invalidFilter(filter);
    all = all.filter(p);
  }
  // A caller who may read some resource in scope sees those (§2.5); one who may read nothing gets the 403.
  if (!broad && !r.model.resourcesIn(rg).some((x) => canRead(r, x))) throw forbidden(r, action, scope);
  if (!exists) throw E.resourceGroupNotFound(rg!);
  page(
    r,
    all,
    (x) => canRead(r, x),
    (x) => resourceBody(r, x),
  );
}

function resourceGroupBody(r: Req): Record<string, unknown> {
  const w = r.model.world;
  return {
    id: w.resourceGroupId,
    name: w.resourceGroup,
    type: 'Microsoft.Resources/resourceGroups',
    location: w.location,
    tags: {},
    properties: { provisioningState: 'Succeeded' },
  };
}

export function getResourceGroup(r: Req): void {
  requireAction(r, A.rgRead, rgScope(r));
  if (!r.model.hasResourceGroup(r.params.rg)) throw E.resourceGroupNotFound(r.params.rg);
  send(r, 200, resourceGroupBody(r));
}

export function listResourceGroups(r: Req): void {
  const w = r.model.world;
  const rgs = [{ id: w.resourceGroupId, type: 'Microsoft.Resources/subscriptions/resourceGroups' }];
  if (!allowed(r, A.rgRead, subScope(r)) && !rgs.some((x) => canRead(r, x)))
    throw forbidden(r, A.rgRead, subScope(r));
  page(
    r,
    rgs,
    (x) => canRead(r, x),
    () => resourceGroupBody(r),
  );
}

/** GET of a resource of a type without its own handler: the generic shape the list API returns. */
export function getResource(r: Req): void {
  const { rg, ns, type, name } = r.params;
  const fullType = `${ns}/${type}`;
  const id = `${rgScope(r)}/providers/${fullType}/${name}`;
  requireAction(r, `${fullType}/read`, id);
  if (!r.model.hasResourceGroup(rg)) throw E.resourceGroupNotFound(rg);
  const x = r.model.findResource(id);
  if (!x) throw E.resourceNotFound(fullType, name, rg);
  send(r, 200, { ...resourceBody(r, x), ...resourceProperties(r, x) });
}

/** The properties a GET shows (the list API leaves them out): a vault's URI and access model. */
function resourceProperties(r: Req, x: ArmResource): Record<string, unknown> {
  if (!eq(x.type, 'Microsoft.KeyVault/vaults')) return {};
  return {
    properties: {
      sku: { family: 'A', name: 'standard' },
      tenantId: r.model.world.tenantId,
      vaultUri: r.deps.vaultUri(x.name) ?? null,
      enableRbacAuthorization: true,
      enableSoftDelete: true,
      provisioningState: 'Succeeded',
    },
  };
}

export function listKeys(r: Req): void {
  const { rg, name } = r.params;
  const id = `${rgScope(r)}/providers/Microsoft.Storage/storageAccounts/${name}`;
  requireAction(r, A.listKeys, id);
  if (!r.model.hasResourceGroup(rg)) throw E.resourceGroupNotFound(rg);
  const keys = r.model.world.storageAccounts.some((s) => eq(s.name, name))
    ? r.deps.accountKeys(name.toLowerCase())
    : undefined;
  if (!keys) throw E.resourceNotFound('Microsoft.Storage/storageAccounts', name, rg);
  send(r, 200, {
    keys: keys.map((value, i) => ({
      creationTime: r.model.createdTime,
      keyName: `key${i + 1}`,
      value,
      permissions: 'FULL',
    })),
  });
}
