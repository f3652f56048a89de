// Cloud Shell managed identity endpoint (docs/identity-wire.md §6): POST MSI_ENDPOINT with `Metadata: true` and a
// form body `resource=…`, no query. Only the one identity of the session (here: the app's system identity); the
// JS client refuses user-assigned selectors itself, so a selector that still arrives is a client error.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext } from '../../core/context.ts';
import { header, readForm, sendJson } from '../../core/http.ts';
import { isValidResource, selectIdentity } from '../compute.ts';
import { imdsErrors as E } from '../errors.ts';
import { imdsTokenBody } from './imds.ts';
import { parseRequest, q } from './common.ts';

export const CLOUD_SHELL_PATH = '/oauth2/token';

export function cloudShellHandler(ctx: SandboxContext) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const r = parseRequest(req);
    if (r.path !== CLOUD_SHELL_PATH) throw E.notFound(r.rawPath);
    if (r.method !== 'POST') throw E.methodNotAllowed(r.method);
    if (header(req, 'metadata') !== 'true') throw E.metadataRequired();
    const form = await readForm(req);
    const resource = q(form, 'resource');
    if (resource === undefined) throw E.missingQuery('resource');
    if (['client_id', 'object_id', 'msi_res_id', 'mi_res_id'].some((n) => q(form, n) ?? q(r.query, n)))
      throw E.cloudShellUserAssigned();
    if (!isValidResource(resource)) throw E.invalidResource(resource, ctx.world.tenantId);
    const identity = selectIdentity(ctx.world, {});
    if (!identity) throw E.identityNotFound();
    sendJson(res, 200, await imdsTokenBody(ctx, 'cloudShell', identity, resource));
  };
}
