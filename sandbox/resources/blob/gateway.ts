// The Blob front end: what Azure Storage checks and Azurite does not (docs/data-plane.md §3.5, §3.8). Azurite
// never verifies a token's signature, tenant or principal and authorizes nothing, so every request goes through
// here first, in order: account -> authentication scheme (bearer; shared key and SAS only if the account allows
// key access; user delegation SAS is not key-based) -> full token validation -> operation -> RBAC permission for
// the token's `oid` at container (or account) scope -> forward to Azurite, and Azurite's answer back unchanged
// (status, headers incl. ETag, body), so conditional requests behave as Azurite implements them. The name is
// resolved once (path.ts): what is authorized is what is forwarded, dot segments resolved as Storage resolves them.
import https from 'node:https';
import { isIP } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext } from '../../core/context.ts';
import type { SandboxError } from '../../core/errors.ts';
import { header, requestUrl } from '../../core/http.ts';
import type { Handler } from '../../core/server.ts';
import { authenticateBearer, BearerError, storageAudiences } from '../auth.ts';
import type { RoleAssignmentStore } from '../rbac/store.ts';
import { blobOperation } from './actions.ts';
import type { BlobOperation } from './actions.ts';
import { blobErrors as E } from './errors.ts';
import { BlobPathError, resolveBlobPath } from './path.ts';

export interface GatewayDeps {
  ctx: SandboxContext;
  rbac: RoleAssignmentStore;
  /** Azurite's origin (https://127.0.0.1:<port>). */
  upstream: () => string;
  /** Keep-alive agent to Azurite (trusting the CA that signed its certificate); destroyed by the plane on close. */
  agent: https.Agent;
}

export function upstreamAgent(caPem: string): https.Agent {
  return new https.Agent({ keepAlive: true, ca: caPem, maxSockets: 64 });
}

/** Bearer tokens need this service version or later (§3.6). */
const MIN_BEARER_VERSION = '2017-11-09';
/** The first Blob service version, and the newest the sandbox serves: what @azure/storage-blob 12.34 sends. */
const FIRST_VERSION = '2009-09-19';
export const NEWEST_BLOB_VERSION = '2026-10-06';

/**
 * Whether Storage serves an `x-ms-version`: a real date in the form YYYY-MM-DD, no older than the first version
 * and no newer than the newest (https://learn.microsoft.com/rest/api/storageservices/versioning-for-the-azure-storage-services).
 * Azurite runs with --skipApiVersionCheck (it lags the SDK), so the gateway is what refuses `zz` or `9999-01-01`.
 */
export function servedBlobVersion(v: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) return false;
  return v >= FIRST_VERSION && v <= NEWEST_BLOB_VERSION;
}
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);

export function blobGatewayHandler(deps: GatewayDeps): Handler {
  return async (req, res) => {
    const { ctx } = deps;
    const url = requestUrl(req);
    const version = header(req, 'x-ms-version');
    let path;
    try {
      path = resolveBlobPath(req.url ?? '/');
    } catch (err) {
      if (err instanceof BlobPathError) throw E.invalidUri(version);
      throw err;
    }
    const [accountName, containerName, ...blobParts] = path.segments;
    const account = ctx.world.storageAccounts.find((a) => a.name === accountName);
    if (!account) throw E.invalidUri(version);
    if (version !== undefined && !servedBlobVersion(version))
      throw E.invalidHeaderValue('x-ms-version', version);
    for (const name of new Set(url.searchParams.keys())) {
      const all = url.searchParams.getAll(name);
      if (all.length > 1) throw E.repeatedQueryParameter(name, all.join(','), version);
    }
    const blob = blobParts.length ? blobParts.join('/') : undefined;
    const op = blobOperation(
      req.method ?? 'GET',
      containerName || undefined,
      blob || undefined,
      url.searchParams,
    );
    const scopeOf = (o: BlobOperation) =>
      o.level === 'account'
        ? account.resourceId
        : `${account.resourceId}/blobServices/default/containers/${containerName}`;
    /** Only operations the gateway knows are authorized (and forwarded), never unknown ones blind. */
    const authorizeFor = (principalId: string) => {
      if (!op) throw E.unsupportedOperation(version);
      const d = deps.rbac.authorize({
        principalId,
        action: op.permission,
        kind: op.kind,
        scope: scopeOf(op),
      });
      if (!d.allowed) throw E.authorizationPermissionMismatch(version);
    };

    const auth = header(req, 'authorization');
    const q = url.searchParams;
    if (auth !== undefined && auth.trim() !== '') {
      if (/^SharedKey(Lite)?\s/i.test(auth)) {
        if (!account.allowSharedKeyAccess) throw E.keyBasedAuthenticationNotPermitted(version);
        // Key access allowed: Azurite checks the signature with the account key (keys grant everything, no RBAC).
        return forward(req, res, deps, version, path.forwardTarget);
      }
      if (!/^Bearer\s/i.test(auth)) throw E.invalidAuthenticationFormat(version);
      if (!version || version < MIN_BEARER_VERSION) throw E.bearerNotSupportedInVersion(version);
      let oid: string;
      try {
        // No clock skew past `exp`: Azurite behind the gateway allows none (BlobTokenAuthenticator), so a token the
        // gateway let through would be refused there with a 403 Storage never sends for it. Storage documents a
        // 15-minute allowance only for the Date/x-ms-date of Shared Key requests
        // (https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key), none for token lifetime.
        ({ oid } = await authenticateBearer(ctx, req, storageAudiences(account.name), {
          clockToleranceSeconds: 0,
        }));
      } catch (err) {
        if (!(err instanceof BearerError)) throw err;
        throw E.invalidToken(ctx.world.tenantId, err, version);
      }
      authorizeFor(oid);
      return forward(req, res, deps, version, path.forwardTarget);
    }
    if (q.has('sig')) {
      // A user delegation SAS (skoid/sktid) is signed with a key obtained through Entra ID, not with the account
      // key: allowed when shared key is off, and authorized as its signer's RBAC permissions.
      const skoid = q.get('skoid');
      if (skoid) {
        authorizeFor(skoid);
        return forward(req, res, deps, version, path.forwardTarget);
      }
      if (!account.allowSharedKeyAccess) throw E.keyBasedAuthenticationNotPermitted(version);
      return forward(req, res, deps, version, path.forwardTarget);
    }
    throw E.noAuthenticationInformation(ctx.world.tenantId, version);
  };
}

/** The host name of a Host header value (`[::1]:443` -> `::1`, `a.b:80` -> `a.b`). */
function hostnameOf(host: string): string {
  const m = /^\[([^\]]*)\]/.exec(host);
  return m ? m[1] : host.replace(/:\d*$/, '');
}

/** Streams the request to Azurite and its response back, both unchanged except hop-by-hop headers. */
function forward(
  req: IncomingMessage,
  res: ServerResponse,
  deps: GatewayDeps,
  version: string | undefined,
  path: string,
): Promise<void> {
  const target = new URL(deps.upstream());
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  // Azurite takes the account from a Host like `<account>.<domain>` and the container from the first path segment
  // then (production-style URLs): any Host but an IP literal is replaced by Azurite's own, so Azurite reads the path
  // path-style, exactly as the gateway did.
  if (!isIP(hostnameOf(header(req, 'host') ?? ''))) headers.host = target.host;
  return new Promise<void>((resolve, reject) => {
    const up = https.request(
      {
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path,
        headers,
        agent: deps.agent,
      },
      (ur) => {
        const flat: string[] = [];
        for (let i = 0; i < ur.rawHeaders.length; i += 2) {
          if (!HOP_BY_HOP.has(ur.rawHeaders[i].toLowerCase()))
            flat.push(ur.rawHeaders[i], ur.rawHeaders[i + 1]);
        }
        res.writeHead(ur.statusCode ?? 502, ur.statusMessage, flat);
        ur.pipe(res);
        ur.on('error', () => res.destroy());
        res.on('close', resolve);
      },
    );
    up.on('error', (err) => {
      // Headers already sent, or the client is gone (we destroyed the upstream request ourselves): nothing to answer.
      if (res.headersSent || res.destroyed) {
        res.destroy();
        resolve();
        return;
      }
      deps.ctx.log(`[blob] Azurite unreachable: ${err.message}`);
      reject(E.internalError(version));
    });
    // The client went away: stop the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  });
}

/** Renders a `status` fault with Storage's error format. */
export function blobFault(status: number, req: IncomingMessage, retryAfterSeconds?: number): SandboxError {
  return E.fault(status, retryAfterSeconds, header(req, 'x-ms-version'));
}
