// Azure Machine Learning managed identity endpoint, api-version 2017-09-01 (docs/identity-wire.md §7):
// GET MSI_ENDPOINT?api-version=2017-09-01&resource=…[&clientid=…] with `secret: <MSI_SECRET>` (and Metadata: true).
// `clientid` (2017 spelling) selects a user-assigned identity; without it, the compute's system identity
// (the client sends DEFAULT_IDENTITY_CLIENT_ID as clientid when that variable is set).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext } from '../../core/context.ts';
import { sendJson } from '../../core/http.ts';
import { isValidResource, selectIdentity } from '../compute.ts';
import { azureMlErrors, imdsErrors as E } from '../errors.ts';
import { imdsTokenBody } from './imds.ts';
import { parseRequest, q, secretMatches } from './common.ts';

export const AZURE_ML_PATH = '/msi/token';

export function azureMlHandler(ctx: SandboxContext, secret: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const r = parseRequest(req);
    if (r.path !== AZURE_ML_PATH) throw E.notFound(r.rawPath);
    if (r.method !== 'GET') throw E.methodNotAllowed(r.method);
    if (!secretMatches(req, 'secret', secret)) throw azureMlErrors.invalidSecret();
    const apiVersion = q(r.query, 'api-version');
    if (apiVersion === undefined) throw E.missingQuery('api-version');
    if (apiVersion !== '2017-09-01') throw E.badApiVersion(apiVersion);
    const resource = q(r.query, 'resource');
    if (resource === undefined) throw E.missingQuery('resource');
    if (['object_id', 'mi_res_id', 'msi_res_id', 'principal_id'].some((n) => q(r.query, n)))
      throw E.azureMlUnsupportedSelector();
    if (!isValidResource(resource)) throw E.invalidResource(resource, ctx.world.tenantId);
    const clientId = q(r.query, 'clientid') ?? q(r.query, 'client_id');
    const identity = selectIdentity(ctx.world, clientId === undefined ? {} : { clientId });
    if (!identity) throw E.identityNotFound();
    sendJson(res, 200, await imdsTokenBody(ctx, 'azureMl', identity, resource));
  };
}
