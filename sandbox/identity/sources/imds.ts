// Azure Instance Metadata Service, managed identity token (docs/identity-wire.md §3), reached by clients through
// AZURE_POD_IDENTITY_AUTHORITY_HOST. The JS client lower-cases the URL and appends a slash, so
// /metadata/identity/oauth2/token, …/token/ and //metadata/…/token/ all arrive here. `Metadata: true` is required;
// DefaultAzureCredential's availability probe (no query, no Metadata) therefore gets the real 400 at once (§3.2).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext } from '../../core/context.ts';
import { header, sendJson } from '../../core/http.ts';
import { isValidResource } from '../compute.ts';
import { imdsErrors as E } from '../errors.ts';
import { issueAccessToken, secondsLeft } from '../issue.ts';
import type { TokenSource } from '../issue.ts';
import { IMDS_SELECTOR_NAMES, parseRequest, q, requestedIdentity } from './common.ts';

export const IMDS_TOKEN_PATH = '/metadata/identity/oauth2/token';

/** IMDS accepts api-version 2018-02-01 and later for the token endpoint. */
function supportedApiVersion(v: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(v) && v >= '2018-02-01';
}

export function imdsHandler(ctx: SandboxContext) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const r = parseRequest(req);
    if (r.path !== IMDS_TOKEN_PATH) throw E.notFound(r.rawPath);
    if (r.method !== 'GET') throw E.methodNotAllowed(r.method);
    if (header(req, 'metadata') !== 'true') throw E.metadataRequired();
    const apiVersion = q(r.query, 'api-version');
    if (apiVersion === undefined) throw E.missingQuery('api-version');
    if (!supportedApiVersion(apiVersion)) throw E.badApiVersion(apiVersion);
    const resource = q(r.query, 'resource');
    if (resource === undefined) throw E.missingQuery('resource');
    if (!isValidResource(resource)) throw E.invalidResource(resource, ctx.world.tenantId);
    const identity = requestedIdentity(ctx.world, r.query, IMDS_SELECTOR_NAMES, E);
    sendJson(res, 200, await imdsTokenBody(ctx, 'imds', identity, resource));
  };
}

/** The IMDS success body (all values strings, as IMDS sends them); also used by Arc, Cloud Shell and Azure ML. */
export async function imdsTokenBody(
  ctx: SandboxContext,
  source: TokenSource & ('imds' | 'arc' | 'cloudShell' | 'azureMl'),
  identity: Parameters<typeof issueAccessToken>[1]['identity'],
  resource: string,
): Promise<Record<string, string>> {
  const t = await issueAccessToken(ctx, { source, endpoint: source, identity, resource });
  const expiresIn = String(secondsLeft(t.expiresOn));
  return {
    access_token: t.token,
    client_id: identity.clientId,
    expires_in: expiresIn,
    expires_on: String(t.expiresOn),
    ext_expires_in: expiresIn,
    not_before: String(t.notBefore),
    resource,
    token_type: 'Bearer',
  };
}
