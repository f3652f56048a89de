// The little of Microsoft Graph the Azure CLI calls around role assignments: `POST /v1.0/directoryObjects/getByIds`,
// with which `az role assignment list` (and `create`, when the assignment already exists) fills in principal names
// and `--assignee <object id>` is resolved (azure-cli src/azure-cli/azure/cli/command_modules/role/custom.py
// `_get_object_stubs`). Its endpoint is the `microsoftGraphResourceId` of ARM's /metadata/endpoints, so the CLI
// never reaches for the public Graph. Every identity and app registration of the world is a service principal.
// Tokens are checked like every resource's (signature, issuer, lifetime; audience = this origin). Errors use Graph's
// shape `{"error":{"code","message","innerError":{date,request-id,client-request-id}}}`.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { SandboxContext } from '../core/context.ts';
import { SandboxError } from '../core/errors.ts';
import { header, readJson, requestUrl, sendJson } from '../core/http.ts';
import type { Handler } from '../core/server.ts';
import { authenticateBearer, BearerError } from './auth.ts';

function graphError(req: IncomingMessage, status: number, code: string, message: string): SandboxError {
  const requestId = randomUUID();
  return SandboxError.json(
    status,
    {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d+Z$/, ''),
          'request-id': requestId,
          'client-request-id': header(req, 'client-request-id') ?? requestId,
        },
      },
    },
    { 'request-id': requestId },
  );
}

/** The directory objects a world holds: its managed identities and app registrations, as service principals. */
function directoryObjects(ctx: SandboxContext): Array<Record<string, unknown>> {
  const w = ctx.world;
  return [...w.identities, ...w.appRegistrations].map((i) => ({
    '@odata.type': '#microsoft.graph.servicePrincipal',
    id: i.principalId,
    appId: i.clientId,
    displayName: i.kind === 'system-assigned' ? w.functionApp.name : i.name,
    servicePrincipalType: i.kind === 'app-registration' ? 'Application' : 'ManagedIdentity',
    servicePrincipalNames: [i.clientId],
  }));
}

export function graphHandler(ctx: SandboxContext, origin: () => string): Handler {
  return async (req, res) => {
    try {
      await authenticateBearer(ctx, req, [origin(), `${origin()}/`]);
    } catch (err) {
      if (!(err instanceof BearerError)) throw err;
      throw graphError(req, 401, 'InvalidAuthenticationToken', err.message);
    }
    const path = requestUrl(req).pathname.replace(/\/+$/, '').toLowerCase();
    if (path !== '/v1.0/directoryobjects/getbyids')
      throw graphError(
        req,
        400,
        'BadRequest',
        `Resource not found for the segment '${path.split('/').pop()}'.`,
      );
    if (req.method !== 'POST') throw graphError(req, 405, 'Request_BadRequest', 'The method is not allowed.');
    const body = (await readJson(req)) as { ids?: unknown };
    if (!Array.isArray(body.ids) || body.ids.some((x) => typeof x !== 'string'))
      throw graphError(
        req,
        400,
        'Request_BadRequest',
        "The request must carry 'ids', an array of object ids.",
      );
    const wanted = new Set((body.ids as string[]).map((x) => x.toLowerCase()));
    const value = directoryObjects(ctx).filter((o) => wanted.has(String(o.id).toLowerCase()));
    sendJson(res, 200, { '@odata.context': `${origin()}/v1.0/$metadata#directoryObjects`, value });
  };
}
