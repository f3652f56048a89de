// Azure Resource Manager, as far as identity-probes, its tests and the Azure CLI need it (docs/data-plane.md §2).
// The request path: /metadata/endpoints (anonymous) -> token validation (the management audiences only) ->
// route (./routes.ts, case-insensitive) -> api-version of that route (./apiVersions.ts) -> subscription ->
// handler (RBAC action at the request's scope -> existence -> result). Handlers translate; errors come from
// ./errors.ts.
import type { SandboxError } from '../../core/errors.ts';
import { header, joinedParam, requestUrl } from '../../core/http.ts';
import type { Handler } from '../../core/server.ts';
import type { VerifiedClaims } from '../../core/tokens.ts';
import { ARM_AUDIENCES, authenticateBearer, BearerError } from '../auth.ts';
import { API_VERSIONS, checkApiVersion } from './apiVersions.ts';
import { armErrors as E } from './errors.ts';
import { eq } from './request.ts';
import type { ArmDeps, Req } from './request.ts';
import { ArmRouter } from './router.ts';
import { ARM_ROUTES } from './routes.ts';
import { metadataEndpoints } from './subscriptions.ts';

export type { ArmDeps } from './request.ts';
export { parseResourceFilter } from './resources.ts';

const router = new ArmRouter(ARM_ROUTES);

function decode(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

/** The subscription a path or scope names, when it is not the world's: 404 SubscriptionNotFound. */
function checkSubscription(segs: string[], subscriptionId: string): SandboxError | undefined {
  if (eq(segs[0], 'subscriptions') && segs[1] !== undefined && !eq(segs[1], subscriptionId))
    return E.subscriptionNotFound(segs[1]);
  return undefined;
}

async function authenticate(deps: ArmDeps, req: Parameters<Handler>[0]): Promise<VerifiedClaims> {
  try {
    return await authenticateBearer(deps.ctx, req, ARM_AUDIENCES);
  } catch (err) {
    if (!(err instanceof BearerError)) throw err;
    throw E.invalidToken(err, deps.ctx.world.tenantId);
  }
}

export function armHandler(deps: ArmDeps): Handler {
  return async (req, res) => {
    const url = requestUrl(req);
    const segs = url.pathname.split('/').filter(Boolean).map(decode);
    const method = req.method ?? 'GET';
    const host = header(req, 'host');
    const origin = host ? `https://${host}` : deps.serverOrigin();
    const location = deps.ctx.world.location;
    const apiVersion = joinedParam(url, 'api-version');

    // ARM serves its cloud's endpoints to anyone: clients read them before they can get a token.
    if (segs.length === 2 && eq(segs[0], 'metadata') && eq(segs[1], 'endpoints') && method === 'GET') {
      req.resume();
      const bad = checkApiVersion(API_VERSIONS.metadata, apiVersion, location);
      if (bad) throw bad;
      return metadataEndpoints(deps, origin, res);
    }

    const claims = await authenticate(deps, req);
    const found = router.match(method, segs);
    if (!found) {
      req.resume();
      if (!apiVersion) throw E.missingApiVersion();
      throw E.notServed(url.pathname);
    }
    if ('methodMismatch' in found) {
      req.resume();
      throw E.methodNotAllowed(method);
    }
    const set = typeof found.route.api === 'function' ? found.route.api(found.params) : found.route.api;
    const bad =
      checkApiVersion(set, apiVersion, location) ?? checkSubscription(segs, deps.ctx.world.subscriptionId);
    if (bad) {
      req.resume();
      throw bad;
    }
    // Only PUT and PATCH read a body; drain the rest so the connection stays usable.
    if (method !== 'PUT' && method !== 'PATCH') req.resume();
    const r: Req = {
      deps,
      req,
      res,
      url,
      claims,
      model: deps.model(),
      origin,
      params: { ...found.params, ...(found.scope !== undefined ? { scope: found.scope } : {}) },
    };
    await found.route.handle(r);
  };
}
