// What every Resource Manager handler is given (the request, the caller's verified claims, the world as ARM shows
// it) and the helpers they share: RBAC checks that answer ARM's AuthorizationFailed, the response with ARM's
// headers, RBAC-filtered paging, and JSON bodies. Handlers translate; they do not format errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext } from '../../core/context.ts';
import { SandboxError } from '../../core/errors.ts';
import { header, readJson, sendJson } from '../../core/http.ts';
import type { VerifiedClaims } from '../../core/tokens.ts';
import type { RoleAssignmentStore } from '../rbac/store.ts';
import { armErrors as E } from './errors.ts';
import type { ArmModel } from './model.ts';

export interface ArmDeps {
  ctx: SandboxContext;
  rbac: RoleAssignmentStore;
  /** The world as ARM shows it now (rebuilt after every write, so reads see writes at once). */
  model: () => ArmModel;
  /** The account keys of a world storage account (listKeys), when the blob plane runs it. */
  accountKeys: (account: string) => string[] | undefined;
  /** Key Vault URI (with the trailing slash) of a world vault, by name. */
  vaultUri: (name: string) => string | undefined;
  serverOrigin: () => string;
  /** The Entra authority host (https origin) the sandbox's tokens come from, for /metadata/endpoints. */
  entraOrigin: () => string;
  /** The sandbox's Microsoft Graph (./graph.ts), published as microsoftGraphResourceId. */
  graphOrigin: () => string;
}

export interface Req {
  deps: ArmDeps;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  claims: VerifiedClaims;
  model: ArmModel;
  /** The origin the client used (nextLinks and ids it must follow). */
  origin: string;
  params: Record<string, string>;
}

export const DEFAULT_PAGE = 1000;

export const eq = (a: string | undefined, b: string) =>
  a !== undefined && a.toLowerCase() === b.toLowerCase();

export function allowed(r: Req, action: string, scope: string): boolean {
  return r.deps.rbac.authorize({ principalId: r.claims.oid, action, kind: 'action', scope }).allowed;
}

export function forbidden(r: Req, action: string, scope: string): SandboxError {
  return E.authorizationFailed(r.claims.appid ?? r.claims.oid, r.claims.oid, action, scope);
}

export function requireAction(r: Req, action: string, scope: string): void {
  if (!allowed(r, action, scope)) throw forbidden(r, action, scope);
}

export const canRead = (r: Req, res: { id: string; type: string }) => allowed(r, `${res.type}/read`, res.id);

export function send(r: Req, status: number, body?: unknown): void {
  const echo = header(r.req, 'x-ms-client-request-id');
  const headers = {
    'cache-control': 'no-cache',
    'x-ms-ratelimit-remaining-subscription-reads': '249',
    ...(echo ? { 'x-ms-client-request-id': echo, 'x-ms-correlation-request-id': echo } : {}),
  };
  if (body === undefined) {
    r.res.writeHead(status, { ...headers, 'content-length': 0 });
    r.res.end();
    return;
  }
  sendJson(r.res, status, body, headers);
}

/** The JSON object a PUT or PATCH carries; ARM's 400 for anything else. */
export async function readBodyObject(r: Req): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await readJson(r.req);
  } catch (err) {
    if (err instanceof SandboxError && err.status === 400)
      throw E.badRequest(
        'InvalidRequestContent',
        'The request content was invalid and could not be deserialized.',
      );
    throw err;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw E.badRequest('InvalidRequestContent', 'The request content must be a JSON object.');
  return body as Record<string, unknown>;
}

function pageSize(q: URLSearchParams): number {
  const topParam = q.get('$top');
  if (topParam === null) return DEFAULT_PAGE;
  const top = Number(topParam);
  if (!Number.isInteger(top) || top < 1 || top > DEFAULT_PAGE)
    throw E.invalidQueryParameter('$top', topParam);
  return top;
}

function pageOffset(q: URLSearchParams): number {
  const skip = q.get('$skiptoken');
  if (skip === null) return 0;
  let offset: number;
  try {
    offset = (JSON.parse(Buffer.from(skip, 'base64url').toString('utf8')) as { o: number }).o;
  } catch {
    offset = NaN;
  }
  if (!Number.isInteger(offset) || offset < 0) throw E.invalidQueryParameter('$skiptoken', skip);
  return offset;
}

/**
 * One page of `all`, RBAC-filtered after paging as real ARM does (pages may come back short while a nextLink is
 * still present, projectkudu/AzureResourceExplorer#254); nextLink is absolute and carries api-version (§2.2).
 */
export function page<T>(r: Req, all: T[], visible: (x: T) => boolean, map: (x: T) => unknown): void {
  const q = r.url.searchParams;
  const top = pageSize(q);
  const offset = pageOffset(q);
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
