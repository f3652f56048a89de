// Azure Resource Manager, read-only, as far as identity-probes and its tests need it (docs/data-plane.md §2):
// token validation (the management audiences only) -> api-version -> subscription -> case-insensitive route ->
// RBAC action at the request's scope -> existence -> RBAC-filtered, paged results. Handlers translate; errors come
// from ./errors.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext } from '../../core/context.ts';
import { header, requestUrl, sendJson } from '../../core/http.ts';
import type { Handler } from '../../core/server.ts';
import type { VerifiedClaims } from '../../core/tokens.ts';
import { ARM_AUDIENCES, authenticateBearer, BearerError } from '../auth.ts';
import { scopeCovers } from '../rbac/authorize.ts';
import { BUILT_IN_ROLES, roleGuidOf } from '../rbac/roles.ts';
import type { RoleDefinition } from '../rbac/roles.ts';
import type { RoleAssignmentStore, StoredAssignment } from '../rbac/store.ts';
import { armErrors as E } from './errors.ts';
import { FIC_TYPE, UAMI_TYPE } from './model.ts';
import type { ArmModel, ArmResource, UserAssignedIdentity } from './model.ts';

export interface ArmDeps {
  ctx: SandboxContext;
  rbac: RoleAssignmentStore;
  model: () => ArmModel;
  /** The account keys of a world storage account (listKeys), when the blob plane runs it. */
  accountKeys: (account: string) => string[] | undefined;
  serverOrigin: () => string;
}

const A = {
  rgRead: 'Microsoft.Resources/subscriptions/resourceGroups/read',
  rgResourcesRead: 'Microsoft.Resources/subscriptions/resourceGroups/resources/read',
  subResourcesRead: 'Microsoft.Resources/subscriptions/resources/read',
  uamiRead: `${UAMI_TYPE}/read`,
  ficRead: `${FIC_TYPE}/read`,
  roleAssignmentsRead: 'Microsoft.Authorization/roleAssignments/read',
  roleDefinitionsRead: 'Microsoft.Authorization/roleDefinitions/read',
  listKeys: 'Microsoft.Storage/storageAccounts/listkeys/action',
};

const DEFAULT_PAGE = 1000;

interface Req {
  deps: ArmDeps;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  claims: VerifiedClaims;
  model: ArmModel;
  origin: string;
}

export function armHandler(deps: ArmDeps): Handler {
  return async (req, res) => {
    let claims: VerifiedClaims;
    try {
      claims = await authenticateBearer(deps.ctx, req, ARM_AUDIENCES);
    } catch (err) {
      if (!(err instanceof BearerError)) throw err;
      throw E.invalidToken(err, deps.ctx.world.tenantId);
    }
    req.resume();
    const url = requestUrl(req);
    if (!url.searchParams.get('api-version')) throw E.missingApiVersion();
    const host = header(req, 'host');
    await route({
      deps,
      req,
      res,
      url,
      claims,
      model: deps.model(),
      origin: host ? `https://${host}` : deps.serverOrigin(),
    });
  };
}

const eq = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

function decode(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

async function route(r: Req): Promise<void> {
  const method = r.req.method ?? 'GET';
  const segs = r.url.pathname.split('/').filter(Boolean).map(decode);
  const w = r.model.world;

  // {scope}/providers/Microsoft.Authorization/{roleAssignments|roleDefinitions}[/{id}]
  const authz = segs.findIndex((s, i) => eq(s, 'providers') && eq(segs[i + 1], 'Microsoft.Authorization'));
  if (authz >= 0) {
    const scope = `/${segs.slice(0, authz).join('/')}`;
    if (eq(segs[0], 'subscriptions') && !eq(segs[1], w.subscriptionId))
      throw E.subscriptionNotFound(segs[1] ?? '');
    const [kind, id, ...rest] = segs.slice(authz + 2);
    if (method !== 'GET') throw E.methodNotAllowed(method);
    if (rest.length) throw E.notServed(r.url.pathname);
    if (eq(kind, 'roleAssignments'))
      return id ? getRoleAssignment(r, scope, id) : listRoleAssignments(r, scope);
    if (eq(kind, 'roleDefinitions'))
      return id ? getRoleDefinition(r, scope, id) : listRoleDefinitions(r, scope);
    throw E.notServed(r.url.pathname);
  }

  if (!eq(segs[0], 'subscriptions') || segs.length < 2) throw E.notServed(r.url.pathname);
  if (!eq(segs[1], w.subscriptionId)) throw E.subscriptionNotFound(segs[1]);
  const sub = `/subscriptions/${w.subscriptionId}`;
  const rest = segs.slice(2);
  const isPost = method === 'POST';
  if (method !== 'GET' && !(isPost && eq(rest[rest.length - 1], 'listKeys')))
    throw E.methodNotAllowed(method);

  if (rest.length === 1 && eq(rest[0], 'resources')) return listResources(r, sub, undefined);
  if (rest.length === 1 && eq(rest[0], 'resourceGroups')) return listResourceGroups(r, sub);
  if (rest.length === 3 && eq(rest[0], 'providers') && eq(`${rest[1]}/${rest[2]}`, UAMI_TYPE))
    return listIdentities(r, sub, undefined);
  if (eq(rest[0], 'resourceGroups') && rest.length >= 2) {
    const rg = rest[1];
    const rgScope = `${sub}/resourceGroups/${rg}`;
    const tail = rest.slice(2);
    if (tail.length === 0) return getResourceGroup(r, rgScope, rg);
    if (tail.length === 1 && eq(tail[0], 'resources')) return listResources(r, rgScope, rg);
    if (eq(tail[0], 'providers') && tail.length >= 3) {
      const type = `${tail[1]}/${tail[2]}`;
      const [name, child, childName, ...more] = tail.slice(3);
      if (more.length) throw E.notServed(r.url.pathname);
      if (eq(type, UAMI_TYPE)) {
        if (name === undefined) return listIdentities(r, rgScope, rg);
        if (child === undefined) return getIdentity(r, rgScope, rg, name);
        if (eq(child, 'federatedIdentityCredentials'))
          return federatedCredentials(r, rgScope, rg, name, childName);
        throw E.notServed(r.url.pathname);
      }
      if (
        name !== undefined &&
        isPost &&
        eq(type, 'Microsoft.Storage/storageAccounts') &&
        eq(child, 'listKeys') &&
        childName === undefined
      )
        return listKeys(r, rgScope, rg, name);
      if (name !== undefined && child === undefined) return getResource(r, rgScope, rg, type, name);
    }
  }
  throw E.notServed(r.url.pathname);
}

// ---- authorization helpers -------------------------------------------------------------------------------------

function allowed(r: Req, action: string, scope: string): boolean {
  return r.deps.rbac.authorize({ principalId: r.claims.oid, action, kind: 'action', scope }).allowed;
}

function requireAction(r: Req, action: string, scope: string): void {
  if (!allowed(r, action, scope))
    throw E.authorizationFailed(r.claims.appid ?? r.claims.oid, r.claims.oid, action, scope);
}

const canRead = (r: Req, res: { id: string; type: string }) => allowed(r, `${res.type}/read`, res.id);

function send(r: Req, status: number, body: unknown): void {
  const echo = header(r.req, 'x-ms-client-request-id');
  sendJson(r.res, status, body, {
    'cache-control': 'no-cache',
    'x-ms-ratelimit-remaining-subscription-reads': '249',
    ...(echo ? { 'x-ms-client-request-id': echo, 'x-ms-correlation-request-id': echo } : {}),
  });
}

/**
 * One page of `all`, RBAC-filtered after paging as real ARM does (pages may come back short while a nextLink is
 * still present, projectkudu/AzureResourceExplorer#254); nextLink is absolute and carries api-version (§2.2).
 */
function page<T>(r: Req, all: T[], visible: (x: T) => boolean, map: (x: T) => unknown): void {
  const q = r.url.searchParams;
  const topParam = q.get('$top');
  let top = DEFAULT_PAGE;
  if (topParam !== null) {
    top = Number(topParam);
    if (!Number.isInteger(top) || top < 1 || top > DEFAULT_PAGE)
      throw E.invalidQueryParameter('$top', topParam);
  }
  const skip = q.get('$skiptoken');
  let offset = 0;
  if (skip !== null) {
    try {
      offset = (JSON.parse(Buffer.from(skip, 'base64url').toString('utf8')) as { o: number }).o;
    } catch {
      offset = NaN;
    }
    if (!Number.isInteger(offset) || offset < 0) throw E.invalidQueryParameter('$skiptoken', skip);
  }
  const slice = all.slice(offset, offset + top);
  const body: { value: unknown[]; nextLink?: string } = { value: slice.filter(visible).map(map) };
  if (offset + top < all.length) {
    const next = new URL(`${r.origin}${r.url.pathname}`);
    for (const [k, v] of q) if (k !== '$skiptoken') next.searchParams.set(k, v);
    next.searchParams.set(
      '$skiptoken',
      Buffer.from(JSON.stringify({ o: offset + top })).toString('base64url'),
    );
    body.nextLink = next.toString();
  }
  send(r, 200, body);
}

// ---- resources ---------------------------------------------------------------------------------------------------

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

function resourceBody(r: Req, x: ArmResource): Record<string, unknown> {
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

function listResources(r: Req, scope: string, rg: string | undefined): void {
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
  if (!broad && !r.model.resourcesIn(rg).some((x) => canRead(r, x)))
    throw E.authorizationFailed(r.claims.appid ?? r.claims.oid, r.claims.oid, action, scope);
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

function getResourceGroup(r: Req, scope: string, rg: string): void {
  requireAction(r, A.rgRead, scope);
  if (!r.model.hasResourceGroup(rg)) throw E.resourceGroupNotFound(rg);
  send(r, 200, resourceGroupBody(r));
}

function listResourceGroups(r: Req, sub: string): void {
  const w = r.model.world;
  const rgs = [{ id: w.resourceGroupId, type: 'Microsoft.Resources/subscriptions/resourceGroups' }];
  if (!allowed(r, A.rgRead, sub) && !rgs.some((x) => canRead(r, x)))
    throw E.authorizationFailed(r.claims.appid ?? r.claims.oid, r.claims.oid, A.rgRead, sub);
  page(
    r,
    rgs,
    (x) => canRead(r, x),
    () => resourceGroupBody(r),
  );
}

function getResource(r: Req, rgScope: string, rg: string, type: string, name: string): void {
  const id = `${rgScope}/providers/${type}/${name}`;
  requireAction(r, `${type}/read`, id);
  if (!r.model.hasResourceGroup(rg)) throw E.resourceGroupNotFound(rg);
  const x = r.model.findResource(id);
  if (!x) throw E.resourceNotFound(type, name, rg);
  send(r, 200, resourceBody(r, x));
}

// ---- managed identities ------------------------------------------------------------------------------------------

function identityBody(i: UserAssignedIdentity): Record<string, unknown> {
  return {
    id: i.id,
    name: i.name,
    type: UAMI_TYPE,
    location: i.location,
    tags: {},
    properties: {
      isolationScope: 'None',
      tenantId: i.tenantId,
      principalId: i.principalId,
      clientId: i.clientId,
    },
  };
}

function listIdentities(r: Req, scope: string, rg: string | undefined): void {
  requireAction(r, A.uamiRead, scope);
  if (rg !== undefined && !r.model.hasResourceGroup(rg)) throw E.resourceGroupNotFound(rg);
  const all = r.model.identities.filter((i) => rg === undefined || eq(i.resourceGroup, rg));
  page(r, all, () => true, identityBody);
}

function findIdentityOr404(r: Req, rg: string, name: string): UserAssignedIdentity {
  if (!r.model.hasResourceGroup(rg)) throw E.resourceGroupNotFound(rg);
  const i = r.model.findIdentity(rg, name);
  if (!i) throw E.resourceNotFound(UAMI_TYPE, name, rg);
  return i;
}

function getIdentity(r: Req, rgScope: string, rg: string, name: string): void {
  requireAction(r, A.uamiRead, `${rgScope}/providers/${UAMI_TYPE}/${name}`);
  send(r, 200, identityBody(findIdentityOr404(r, rg, name)));
}

function federatedCredentials(
  r: Req,
  rgScope: string,
  rg: string,
  name: string,
  fic: string | undefined,
): void {
  const identityId = `${rgScope}/providers/${UAMI_TYPE}/${name}`;
  requireAction(
    r,
    A.ficRead,
    fic === undefined ? identityId : `${identityId}/federatedIdentityCredentials/${fic}`,
  );
  const i = findIdentityOr404(r, rg, name);
  const body = (f: ReturnType<ArmModel['federatedCredentials']>[number]) => ({
    id: f.id,
    name: f.name,
    type: FIC_TYPE,
    properties: { issuer: f.issuer, subject: f.subject, audiences: f.audiences },
  });
  const all = r.model.federatedCredentials(i);
  if (fic === undefined) return page(r, all, () => true, body);
  const f = all.find((x) => eq(x.name, fic));
  if (!f) throw E.resourceNotFound(FIC_TYPE, `${name}/${fic}`, rg);
  send(r, 200, body(f));
}

function listKeys(r: Req, rgScope: string, rg: string, account: string): void {
  const id = `${rgScope}/providers/Microsoft.Storage/storageAccounts/${account}`;
  requireAction(r, A.listKeys, id);
  if (!r.model.hasResourceGroup(rg)) throw E.resourceGroupNotFound(rg);
  const keys = r.model.world.storageAccounts.some((s) => eq(s.name, account))
    ? r.deps.accountKeys(account.toLowerCase())
    : undefined;
  if (!keys) throw E.resourceNotFound('Microsoft.Storage/storageAccounts', account, rg);
  send(r, 200, {
    keys: keys.map((value, i) => ({
      creationTime: r.model.createdTime,
      keyName: `key${i + 1}`,
      value,
      permissions: 'FULL',
    })),
  });
}

// ---- role assignments and definitions ---------------------------------------------------------------------------

function assignmentBody(r: Req, a: StoredAssignment): Record<string, unknown> {
  const sub = r.model.world.subscriptionId;
  const prefix = a.scope === '/' ? '' : a.scope;
  return {
    id: `${prefix}/providers/Microsoft.Authorization/roleAssignments/${a.id}`,
    name: a.id,
    type: 'Microsoft.Authorization/roleAssignments',
    properties: {
      roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${a.roleDefinitionId}`,
      principalId: a.principalId,
      principalType: a.principalType,
      scope: a.scope,
      condition: null,
      conditionVersion: null,
      createdOn: a.createdOn,
      updatedOn: a.createdOn,
      createdBy: null,
      updatedBy: null,
      delegatedManagedIdentityResourceId: null,
      description: null,
    },
  };
}

/**
 * List at a scope (Role Assignments - List For Scope): no filter or `principalId eq '…'` returns assignments at,
 * above and below the scope; `atScope()` and `assignedTo('…')` only at and above it.
 */
function listRoleAssignments(r: Req, scope: string): void {
  requireAction(r, A.roleAssignmentsRead, scope);
  const filter = r.url.searchParams.get('$filter');
  let principal: string | undefined;
  let atOrAbove = false;
  if (filter) {
    const p = /^\s*principalId\s+eq\s+'([0-9a-f-]{36})'\s*$/i.exec(filter);
    const at = /^\s*atScope\(\)\s*$/i.exec(filter);
    const to = /^\s*assignedTo\('([0-9a-f-]{36})'\)\s*$/i.exec(filter);
    const both = /^\s*atScope\(\)\s+and\s+assignedTo\('([0-9a-f-]{36})'\)\s*$/i.exec(filter);
    if (p) principal = p[1];
    else if (at) atOrAbove = true;
    else if (to) [principal, atOrAbove] = [to[1], true];
    else if (both) [principal, atOrAbove] = [both[1], true];
    else throw E.invalidFilter(filter);
  }
  const all = r.deps.rbac
    .list(principal ? { principalId: principal } : {})
    .filter((a) => scopeCovers(a.scope, scope) || (!atOrAbove && scopeCovers(scope, a.scope)));
  page(
    r,
    all,
    () => true,
    (a) => assignmentBody(r, a),
  );
}

function getRoleAssignment(r: Req, scope: string, id: string): void {
  requireAction(r, A.roleAssignmentsRead, scope);
  const a = r.deps.rbac.get(id);
  if (!a || a.scope.toLowerCase() !== (scope === '/' ? '/' : scope.toLowerCase()))
    throw E.roleAssignmentNotFound();
  send(r, 200, assignmentBody(r, a));
}

function roleDefinitionBody(scope: string, d: RoleDefinition): Record<string, unknown> {
  const prefix = scope === '/' ? '' : scope;
  return {
    id: `${prefix}/providers/Microsoft.Authorization/roleDefinitions/${d.id}`,
    name: d.id,
    type: 'Microsoft.Authorization/roleDefinitions',
    properties: {
      roleName: d.roleName,
      type: d.roleType,
      description: d.description,
      assignableScopes: d.assignableScopes,
      permissions: d.permissions,
    },
  };
}

function listRoleDefinitions(r: Req, scope: string): void {
  requireAction(r, A.roleDefinitionsRead, scope);
  const filter = r.url.searchParams.get('$filter');
  let all = [...BUILT_IN_ROLES];
  if (filter) {
    const m = /^\s*roleName\s+eq\s+'([^']+)'\s*$/i.exec(filter);
    if (!m) throw E.invalidFilter(filter);
    all = all.filter((d) => eq(d.roleName, m[1]));
  }
  page(
    r,
    all,
    () => true,
    (d) => roleDefinitionBody(scope, d),
  );
}

function getRoleDefinition(r: Req, scope: string, id: string): void {
  requireAction(r, A.roleDefinitionsRead, scope);
  const guid = roleGuidOf(id);
  const d = guid && BUILT_IN_ROLES.find((x) => x.id === guid);
  if (!d) throw E.roleDefinitionNotFound();
  send(r, 200, roleDefinitionBody(scope, d));
}
