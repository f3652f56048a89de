// Service Fabric managed identity token service (docs/identity-wire.md §8): HTTPS,
// GET IDENTITY_ENDPOINT?api-version=2019-07-01-preview&resource=… with `secret: <IDENTITY_HEADER>`. The JS client
// detects it by IDENTITY_SERVER_THUMBPRINT but validates the certificate through the CA chain, not the thumbprint.
// Serves the application's system identity only (the JS client refuses user-assigned selectors at construction).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext } from '../../core/context.ts';
import { header, sendJson } from '../../core/http.ts';
import { selectIdentity } from '../compute.ts';
import { serviceFabricErrors as E } from '../errors.ts';
import { issueAccessToken } from '../issue.ts';
import { IMDS_TOKEN_PATH } from './imds.ts';
import { parseRequest, q, secretMatches } from './common.ts';

export function serviceFabricHandler(ctx: SandboxContext, secret: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const r = parseRequest(req);
    if (r.path !== IMDS_TOKEN_PATH) throw E.notFound(r.rawPath);
    if (r.method !== 'GET') throw E.methodNotAllowed(r.method);
    if (header(req, 'secret') === undefined) throw E.secretHeaderNotFound();
    // Documented: an unknown authentication code is 404 ManagedIdentityNotFound.
    if (!secretMatches(req, 'secret', secret)) throw E.managedIdentityNotFound();
    const apiVersion = q(r.query, 'api-version') ?? '';
    if (apiVersion !== '2019-07-01-preview') throw E.invalidApiVersion(apiVersion);
    const resource = q(r.query, 'resource');
    if (resource === undefined) throw E.argumentNullOrEmpty('resource');
    if (['client_id', 'object_id', 'mi_res_id', 'msi_res_id', 'principal_id'].some((n) => q(r.query, n)))
      throw E.userAssignedNotSupported();
    const identity = selectIdentity(ctx.world, {});
    if (!identity) throw E.managedIdentityNotFound();
    const t = await issueAccessToken(ctx, {
      source: 'serviceFabric',
      endpoint: 'serviceFabric',
      identity,
      resource,
    });
    // The documented SF body: expires_on a number of Unix seconds.
    sendJson(res, 200, { token_type: 'Bearer', access_token: t.token, expires_on: t.expiresOn, resource });
  };
}
