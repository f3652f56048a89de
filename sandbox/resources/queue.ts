// The declared Storage queues (sandbox/declaration/), served by the stub data plane (./stub.ts) under
// `/queue/<account>/<queue>`: a queue service URL is `<stub>/queue/<account>`. Only what the app's queue target
// sends is emulated, Peek Messages as @azure/storage-queue sends it (GET <queue>/messages?peekonly=true&numofmessages=1
// with x-ms-version and a bearer token; https://learn.microsoft.com/rest/api/storageservices/peek-messages), and it
// is checked as Storage checks it, in Storage's order and wire format (the Blob gateway's, ./blob/errors.ts):
// x-ms-version, authentication (401 with the challenge and AuthenticationErrorDetail), the peek's data action at the
// queue or above through the role-assignment store (403 AuthorizationPermissionMismatch), then the queue itself
// (404 QueueNotFound: authorization comes first, so a caller who may not read a queue cannot learn whether it
// exists). Declared queues are always empty: the answer is `<QueueMessagesList />`.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext } from '../core/context.ts';
import { header, requestUrl } from '../core/http.ts';
import { authenticateBearer, BearerError, storageAudiences } from './auth.ts';
import { renderStorageError, QUEUE_SERVER, storageErrors } from './blob/errors.ts';
import { servedBlobVersion } from './blob/gateway.ts';
import type { RoleAssignmentStore } from './rbac/store.ts';

/** Peek Messages' data action (Storage Queue Data Reader has it). */
export const QUEUE_PEEK_ACTION = 'Microsoft.Storage/storageAccounts/queueServices/queues/messages/read';
/** Bearer tokens need this service version or later (docs/data-plane.md §3.6). */
const MIN_BEARER_VERSION = '2017-11-09';
/** Peek Messages takes 1 to 32 (the service's limit). */
const MAX_PEEK = 32;

const E = storageErrors(QUEUE_SERVER);

/** The declared queues: `<account>/<queue>`. */
export type DeclaredQueueNames = () => ReadonlySet<string> | ReadonlyMap<string, unknown>;

export async function serveQueue(
  ctx: SandboxContext,
  rbac: RoleAssignmentStore,
  queues: DeclaredQueueNames,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = requestUrl(req);
  const version = header(req, 'x-ms-version');
  // `/queue/<account>/<queue>/messages`
  const [, , accountName, queueName, messages, ...rest] = url.pathname.split('/');
  const account = ctx.world.storageAccounts.find((a) => a.name === accountName);
  if (!account || !queueName || messages !== 'messages' || rest.length) throw E.invalidUri(version);
  if (version !== undefined && !servedBlobVersion(version))
    throw E.invalidHeaderValue('x-ms-version', version);

  const auth = header(req, 'authorization');
  if (auth === undefined || auth.trim() === '')
    throw E.noAuthenticationInformation(ctx.world.tenantId, version);
  if (!/^Bearer\s/i.test(auth)) throw E.invalidAuthenticationFormat(version);
  if (!version || version < MIN_BEARER_VERSION) throw E.bearerNotSupportedInVersion(version);
  let oid: string;
  try {
    ({ oid } = await authenticateBearer(ctx, req, storageAudiences(account.name, 'queue'), {
      clockToleranceSeconds: 0,
    }));
  } catch (err) {
    if (!(err instanceof BearerError)) throw err;
    throw E.invalidToken(ctx.world.tenantId, err, version);
  }

  const q = url.searchParams;
  // Only the peek is emulated: Get Messages (a GET without peekonly) would change the queue, and other verbs write.
  if (req.method !== 'GET')
    throw renderStorageError(
      405,
      'UnsupportedHttpVerb',
      "The resource doesn't support specified Http Verb.",
      {
        server: QUEUE_SERVER,
        version,
      },
    );
  if (q.get('peekonly')?.toLowerCase() !== 'true') throw E.unsupportedOperation(version);
  const n = q.get('numofmessages');
  if (n !== null && !(/^\d+$/.test(n) && Number(n) >= 1 && Number(n) <= MAX_PEEK))
    throw renderStorageError(
      400,
      'OutOfRangeQueryParameterValue',
      'One of the query parameters specified in the request URI is outside the permissible range.',
      {
        server: QUEUE_SERVER,
        version,
        elements: [
          ['QueryParameterName', 'numofmessages'],
          ['QueryParameterValue', n],
          ['MinimumAllowed', '1'],
          ['MaximumAllowed', String(MAX_PEEK)],
        ],
      },
    );

  const scope = `${account.resourceId}/queueServices/default/queues/${queueName}`;
  if (!rbac.authorize({ principalId: oid, action: QUEUE_PEEK_ACTION, kind: 'dataAction', scope }).allowed)
    throw E.authorizationPermissionMismatch(version);
  if (!queues().has(`${account.name}/${queueName}`))
    throw renderStorageError(404, 'QueueNotFound', 'The specified queue does not exist.', {
      server: QUEUE_SERVER,
      version,
    });

  res.writeHead(200, {
    'content-type': 'application/xml',
    'cache-control': 'no-cache',
    server: QUEUE_SERVER,
    'x-ms-request-id': randomUUID(),
    'x-ms-version': version,
    date: new Date().toUTCString(),
    ...(header(req, 'x-ms-client-request-id')
      ? { 'x-ms-client-request-id': header(req, 'x-ms-client-request-id')! }
      : {}),
  });
  res.end('\uFEFF<?xml version="1.0" encoding="utf-8"?><QueueMessagesList />');
}
