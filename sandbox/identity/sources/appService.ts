// App Service / Azure Functions managed identity endpoint, api-version 2019-08-01 (docs/identity-wire.md §4):
// GET IDENTITY_ENDPOINT?api-version=2019-08-01&resource=…[&client_id|object_id|principal_id|mi_res_id=…]
// with `X-IDENTITY-HEADER: <IDENTITY_HEADER>` and no Metadata header. Serves the function app's identities.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext } from '../../core/context.ts';
import { sendJson } from '../../core/http.ts';
import { appServiceErrors as E } from '../errors.ts';
import { issueAccessToken } from '../issue.ts';
import { parseRequest, q, requestedIdentity, secretMatches } from './common.ts';
import type { SelectorNames } from './common.ts';

export const APP_SERVICE_PATH = '/msi/token';
/** App Service documents `principal_id` for the object id and accepts `object_id`, which is what JS sends. */
const APP_SERVICE_SELECTOR_NAMES: SelectorNames = {
  clientId: ['client_id'],
  objectId: ['object_id', 'principal_id'],
  resourceId: ['mi_res_id'],
};

export function appServiceHandler(ctx: SandboxContext, identityHeader: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const r = parseRequest(req);
    if (r.path !== APP_SERVICE_PATH) throw E.notFound(r.rawPath);
    if (r.method !== 'GET') throw E.methodNotAllowed(r.method);
    if (!secretMatches(req, 'x-identity-header', identityHeader)) throw E.badIdentityHeader();
    const apiVersion = q(r.query, 'api-version');
    if (apiVersion === undefined) throw E.missingQuery('api-version');
    if (apiVersion !== '2019-08-01') throw E.badApiVersion(apiVersion);
    const resource = q(r.query, 'resource');
    if (resource === undefined) throw E.missingQuery('resource');
    const identity = requestedIdentity(ctx.world, r.query, APP_SERVICE_SELECTOR_NAMES, E);
    const t = await issueAccessToken(ctx, {
      source: 'appService',
      endpoint: 'appService',
      identity,
      resource,
    });
    // expires_on in Unix seconds and `resource` echoed byte-for-byte, or MSAL never serves its cache (§1.4).
    sendJson(res, 200, {
      access_token: t.token,
      expires_on: String(t.expiresOn),
      resource,
      token_type: 'Bearer',
      client_id: identity.clientId,
    });
  };
}
