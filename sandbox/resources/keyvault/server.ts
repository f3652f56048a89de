// Key Vault secrets, one vault per origin (docs/data-plane.md §1.3). The request path: challenge (401 before
// the body is read, §1.6.1) -> token validation (§1.7) -> api-version -> route -> RBAC data action (§1.8) -> store.
// Handlers translate; errors come from ./errors.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext } from '../../core/context.ts';
import type { SandboxError } from '../../core/errors.ts';
import { header, joinedParam, readJson, requestUrl, sendJson } from '../../core/http.ts';
import type { Handler } from '../../core/server.ts';
import type { VerifiedClaims } from '../../core/tokens.ts';
import { authenticateBearer, BearerError, KEY_VAULT_AUDIENCES } from '../auth.ts';
import type { RoleAssignmentStore } from '../rbac/store.ts';
import { checkKeyVaultApiVersion } from './apiVersions.ts';
import { keyVaultErrors as E } from './errors.ts';
import { RECOVERABLE_DAYS, RECOVERY_LEVEL } from './store.ts';
import type {
  DeletedEntry,
  SecretAttributesInput,
  SecretEntry,
  SecretStore,
  SecretVersion,
} from './store.ts';

export interface Vault {
  name: string;
  /** ARM id (RBAC scope) of the vault. */
  resourceId: string;
  store: SecretStore;
}

const ACTION = {
  get: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
  metadata: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  set: 'Microsoft.KeyVault/vaults/secrets/setSecret/action',
  update: 'Microsoft.KeyVault/vaults/secrets/update/action',
  delete: 'Microsoft.KeyVault/vaults/secrets/delete',
  recover: 'Microsoft.KeyVault/vaults/secrets/recover/action',
  purge: 'Microsoft.KeyVault/vaults/secrets/purge/action',
} as const;

const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const VERSION = /^[0-9a-fA-F]{32}$/;
const PAGE_MAX = 25;

interface RequestState {
  ctx: SandboxContext;
  vault: Vault;
  rbac: RoleAssignmentStore;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  claims: VerifiedClaims;
  /** The origin the client used, so returned ids parse against its vault URL (§1.3). */
  origin: string;
  location: string;
}

export function keyVaultHandler(
  ctx: SandboxContext,
  vault: Vault,
  rbac: RoleAssignmentStore,
  serverOrigin: () => string,
): Handler {
  return async (req, res) => {
    const location = ctx.world.location;
    const tenantId = ctx.world.tenantId;
    // The SDK's first request carries no token and an empty body: answer the challenge before reading anything.
    let claims: VerifiedClaims;
    try {
      claims = await authenticateBearer(ctx, req, KEY_VAULT_AUDIENCES);
    } catch (err) {
      if (!(err instanceof BearerError)) throw err;
      throw err.kind === 'missing'
        ? E.missingToken(tenantId, location)
        : E.invalidToken(tenantId, location, err);
    }
    const url = requestUrl(req);
    const badVersion = checkKeyVaultApiVersion(joinedParam(url, 'api-version'));
    if (badVersion) throw E.badParameter(badVersion, location);
    const host = header(req, 'host');
    const s: RequestState = {
      ctx,
      vault,
      rbac,
      req,
      res,
      url,
      claims,
      origin: host ? `https://${host}` : serverOrigin(),
      location,
    };
    await route(s);
  };
}

function decodeSegment(seg: string, location: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    throw E.badParameter(`The request URI contains an invalid segment: ${seg}`, location);
  }
}

async function route(s: RequestState): Promise<void> {
  const method = s.req.method ?? 'GET';
  const raw = s.url.pathname.split('/').slice(1);
  const segs = raw.map((x) => decodeSegment(x, s.location));
  const [collection, name, third, fourth] = segs;
  const coll = collection?.toLowerCase();
  const not = () => E.notFound(s.url.pathname, s.location);
  const disallowed = () => E.methodNotAllowed(method, s.location);

  if (coll === 'secrets') {
    if (segs.length === 1 || (segs.length === 2 && name === '')) {
      if (method !== 'GET') throw disallowed();
      return listSecrets(s);
    }
    checkName(name, s.location);
    if (segs.length === 2 || (segs.length === 3 && third === '')) {
      // `/secrets/{name}` and the SDK's `/secrets/{name}/` (empty version = latest, §1.2).
      if (method === 'GET') return getSecret(s, name, undefined);
      if (method === 'PUT' && segs.length === 2) return setSecret(s, name);
      if (method === 'DELETE' && segs.length === 2) return deleteSecret(s, name);
      throw disallowed();
    }
    if (segs.length === 3 && third.toLowerCase() === 'versions') {
      if (method !== 'GET') throw disallowed();
      return listVersions(s, name);
    }
    if (segs.length === 3 || (segs.length === 4 && fourth === '')) {
      if (!VERSION.test(third)) throw E.secretNotFound(name, third, s.location);
      if (method === 'GET') return getSecret(s, name, third.toLowerCase());
      if (method === 'PATCH') return updateSecret(s, name, third.toLowerCase());
      throw disallowed();
    }
    throw not();
  }
  if (coll === 'deletedsecrets') {
    if (segs.length === 1 || (segs.length === 2 && name === '')) {
      if (method !== 'GET') throw disallowed();
      return listDeleted(s);
    }
    checkName(name, s.location);
    if (segs.length === 2) {
      if (method === 'GET') return getDeleted(s, name);
      if (method === 'DELETE') return purgeDeleted(s, name);
      throw disallowed();
    }
    if (segs.length === 3 && third.toLowerCase() === 'recover') {
      if (method !== 'POST') throw disallowed();
      return recoverDeleted(s, name);
    }
  }
  throw not();
}

function checkName(name: string | undefined, location: string): asserts name is string {
  if (!name || !NAME.test(name)) throw E.invalidName(name ?? '', location);
}

/** RBAC check of one data action on the vault or one of its secrets (§1.8: assignable down to a single secret). */
function authorize(s: RequestState, action: string, secretName?: string): void {
  const resource = secretName ? `${s.vault.resourceId}/secrets/${secretName}` : s.vault.resourceId;
  const d = s.rbac.authorize({ principalId: s.claims.oid, action, kind: 'dataAction', scope: resource });
  if (d.allowed) return;
  throw E.forbiddenByRbac({
    appid: s.claims.appid,
    oid: s.claims.oid,
    tenantId: s.claims.tid,
    action,
    resource,
    vault: s.vault.name,
    location: s.location,
  });
}

function attributes(v: SecretVersion): Record<string, unknown> {
  return {
    enabled: v.enabled,
    ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
    ...(v.exp !== undefined ? { exp: v.exp } : {}),
    created: v.created,
    updated: v.updated,
    recoverableDays: RECOVERABLE_DAYS,
    recoveryLevel: RECOVERY_LEVEL,
  };
}

/** SecretBundle (§1.2): the versioned item, with the value only for get and set. */
function bundle(
  s: RequestState,
  e: SecretEntry,
  v: SecretVersion,
  withValue: boolean,
): Record<string, unknown> {
  return { ...(withValue ? { value: v.value } : {}), ...item(s, e, v, true) };
}

/** SecretItem (§1.2): no value; the id names the secret without a version unless it lists versions. */
function item(
  s: RequestState,
  e: SecretEntry,
  v: SecretVersion,
  withVersion: boolean,
): Record<string, unknown> {
  return {
    id: withVersion ? `${s.origin}/secrets/${e.name}/${v.version}` : `${s.origin}/secrets/${e.name}`,
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    attributes: attributes(v),
    ...(v.tags !== undefined ? { tags: v.tags } : {}),
  };
}

function deletedFields(s: RequestState, d: DeletedEntry): Record<string, unknown> {
  return {
    recoveryId: `${s.origin}/deletedsecrets/${d.name}`,
    deletedDate: d.deletedDate,
    scheduledPurgeDate: d.scheduledPurgeDate,
  };
}

const latest = (e: SecretEntry) => e.versions[e.versions.length - 1];

function send(s: RequestState, status: number, body: unknown): void {
  const echo = header(s.req, 'x-ms-client-request-id');
  sendJson(s.res, status, body, {
    'cache-control': 'no-cache',
    'x-ms-keyvault-region': s.location,
    ...(echo ? { 'x-ms-client-request-id': echo } : {}),
  });
}

function getSecret(s: RequestState, name: string, version: string | undefined): void {
  authorize(s, ACTION.get, name);
  const e = s.vault.store.get(name);
  const v = e && (version ? e.versions.find((x) => x.version === version) : latest(e));
  if (!e || !v) throw E.secretNotFound(name, version, s.location);
  if (!v.enabled) throw E.secretDisabled(s.location);
  send(s, 200, bundle(s, e, v, true));
}

async function readObject(s: RequestState): Promise<Record<string, unknown>> {
  const body = await readJson(s.req).catch((err: unknown) => {
    if ((err as SandboxError).status === 400)
      throw E.badParameter('The request body is not valid JSON.', s.location);
    throw err;
  });
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw E.badParameter('The request body must be a JSON object.', s.location);
  return body as Record<string, unknown>;
}

function parseAttributes(s: RequestState, b: Record<string, unknown>) {
  const out: { contentType?: string; tags?: Record<string, string>; attributes?: SecretAttributesInput } = {};
  if (b.contentType !== undefined) {
    if (typeof b.contentType !== 'string')
      throw E.badParameter("Property 'contentType' must be a string.", s.location);
    out.contentType = b.contentType;
  }
  if (b.tags !== undefined) {
    if (!b.tags || typeof b.tags !== 'object' || Object.values(b.tags).some((x) => typeof x !== 'string'))
      throw E.badParameter("Property 'tags' must be an object of strings.", s.location);
    out.tags = b.tags as Record<string, string>;
  }
  if (b.attributes !== undefined) {
    const a = b.attributes as Record<string, unknown>;
    if (!a || typeof a !== 'object')
      throw E.badParameter("Property 'attributes' must be an object.", s.location);
    const attrs: SecretAttributesInput = {};
    if (a.enabled !== undefined) {
      if (typeof a.enabled !== 'boolean')
        throw E.badParameter("Property 'attributes.enabled' must be a boolean.", s.location);
      attrs.enabled = a.enabled;
    }
    for (const k of ['nbf', 'exp'] as const) {
      if (a[k] === undefined || a[k] === null) continue;
      if (!Number.isInteger(a[k]))
        throw E.badParameter(`Property 'attributes.${k}' must be unix seconds.`, s.location);
      attrs[k] = a[k] as number;
    }
    out.attributes = attrs;
  }
  return out;
}

async function setSecret(s: RequestState, name: string): Promise<void> {
  authorize(s, ACTION.set, name);
  const b = await readObject(s);
  if (typeof b.value !== 'string')
    throw E.badParameter("Property 'value' is required and must be a string.", s.location);
  if (s.vault.store.isDeleted(name)) throw E.deletedConflict(name, s.location);
  const { entry, version } = s.vault.store.set(name, b.value, parseAttributes(s, b));
  send(s, 200, bundle(s, entry, version, true));
}

async function updateSecret(s: RequestState, name: string, version: string): Promise<void> {
  authorize(s, ACTION.update, name);
  const b = await readObject(s);
  const e = s.vault.store.get(name);
  const v = e?.versions.find((x) => x.version === version);
  if (!e || !v) throw E.secretNotFound(name, version, s.location);
  s.vault.store.update(v, parseAttributes(s, b));
  send(s, 200, bundle(s, e, v, false));
}

function deleteSecret(s: RequestState, name: string): void {
  authorize(s, ACTION.delete, name);
  const d = s.vault.store.delete(name);
  if (!d) throw E.secretNotFound(name, undefined, s.location);
  send(s, 200, { ...bundle(s, d, latest(d), false), ...deletedFields(s, d) });
}

/** Pages with an absolute nextLink carrying api-version, $skiptoken and maxresults (§1.4). */
function page<T>(s: RequestState, all: T[], map: (x: T) => unknown): void {
  const maxParam = s.url.searchParams.get('maxresults');
  let max = PAGE_MAX;
  if (maxParam !== null) {
    max = Number(maxParam);
    if (!Number.isInteger(max) || max < 1 || max > PAGE_MAX)
      throw E.badParameter(
        `The value of 'maxresults' must be an integer between 1 and ${PAGE_MAX}.`,
        s.location,
      );
  }
  const token = s.url.searchParams.get('$skiptoken');
  let offset = 0;
  if (token !== null) {
    try {
      offset = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o: number }).o;
    } catch {
      offset = NaN;
    }
    if (!Number.isInteger(offset) || offset < 0)
      throw E.badParameter('The $skiptoken is invalid.', s.location);
  }
  const slice = all.slice(offset, offset + max);
  let nextLink: string | null = null;
  if (offset + max < all.length) {
    const next = new URL(`${s.origin}${s.url.pathname}`);
    next.searchParams.set('api-version', s.url.searchParams.get('api-version')!);
    next.searchParams.set(
      '$skiptoken',
      Buffer.from(JSON.stringify({ o: offset + max })).toString('base64url'),
    );
    if (maxParam !== null) next.searchParams.set('maxresults', String(max));
    nextLink = next.toString();
  }
  send(s, 200, { value: slice.map(map), nextLink });
}

function listSecrets(s: RequestState): void {
  authorize(s, ACTION.metadata);
  page(s, s.vault.store.list(), (e) => item(s, e, latest(e), false));
}

function listVersions(s: RequestState, name: string): void {
  authorize(s, ACTION.metadata, name);
  const e = s.vault.store.get(name);
  if (!e) throw E.secretNotFound(name, undefined, s.location);
  page(s, e.versions, (v) => item(s, e, v, true));
}

// Deleted-secret reads are metadata reads (no value is returned).
function listDeleted(s: RequestState): void {
  authorize(s, ACTION.metadata);
  page(s, s.vault.store.listDeleted(), (d) => ({ ...item(s, d, latest(d), false), ...deletedFields(s, d) }));
}

function getDeleted(s: RequestState, name: string): void {
  authorize(s, ACTION.metadata, name);
  const d = s.vault.store.getDeleted(name);
  if (!d) throw E.deletedSecretNotFound(name, s.location);
  send(s, 200, { ...bundle(s, d, latest(d), false), ...deletedFields(s, d) });
}

function purgeDeleted(s: RequestState, name: string): void {
  authorize(s, ACTION.purge, name);
  if (!s.vault.store.purge(name)) throw E.deletedSecretNotFound(name, s.location);
  s.res.writeHead(204, { 'x-ms-keyvault-region': s.location });
  s.res.end();
}

function recoverDeleted(s: RequestState, name: string): void {
  authorize(s, ACTION.recover, name);
  const e = s.vault.store.recover(name);
  if (!e) throw E.deletedSecretNotFound(name, s.location);
  send(s, 200, bundle(s, e, latest(e), false));
}
