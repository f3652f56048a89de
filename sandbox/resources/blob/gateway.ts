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
        ({ oid } = await authenticateBearer(ctx, req, storageAudiences(account.name)));
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
