// The stub data plane: serves every catalog target (common/targets-catalog.ts) that the sandbox has no emulator for,
// so a new target runs end to end in the sandbox with no server of its own. Under /<target>/..., any GET is the
// target's call: the bearer token is validated for the target's audience (signature, issuer, lifetime, audience),
// then the token's oid must hold the target's catalog action (its RBAC data action or action) at the world's
// binding of the target's scope key (scopeBindings), through the same role-assignment store as every other service.
// It answers 200 with a small JSON document; refusals are `{"error":{"code","message"}}` with the code also in
// `x-ms-error-code`, as Storage and most Azure data planes send it. It emulates nothing else of the service: a
// target that needs its real wire format gets an emulator of its own (and joins EMULATED_TARGETS). A declaration's
// Storage queues are the exception: under /queue/... the stub answers Peek Messages in Storage's own wire format
// (./queue.ts), since the app calls them with the real Queue client.
import { TARGET_IDS, TARGETS, type TargetFacts, type TargetId } from '../../common/catalog.ts';
import type { SandboxContext } from '../core/context.ts';
import { SandboxError } from '../core/errors.ts';
import { requestUrl, sendJson } from '../core/http.ts';
import type { Handler } from '../core/server.ts';
import { authenticateBearer, BearerError } from './auth.ts';
import type { RoleAssignmentStore } from './rbac/store.ts';
import { QUEUE_STUB_PREFIX } from '../declaration/index.ts';
import { serveQueue } from './queue.ts';

/** Targets with an emulator of their own (Key Vault, the Blob gateway over Azurite, Resource Manager). */
export const EMULATED_TARGETS: readonly TargetId[] = ['keyvault', 'blob', 'arm'];

/** What the stub needs of a target: the catalog's facts. */
export type StubTarget = Pick<TargetFacts, 'audience' | 'action' | 'scope' | 'endpointSetting' | 'settings'>;

/** The catalog's targets the stub serves, by id. */
export function stubTargets(): Readonly<Record<string, StubTarget>> {
  return Object.fromEntries(
    TARGET_IDS.filter((t) => !EMULATED_TARGETS.includes(t)).map((t) => [t, TARGETS[t]]),
  );
}

const stubError = (status: number, code: string, message: string) =>
  SandboxError.json(status, { error: { code, message } }, { 'x-ms-error-code': code });

/** Declared queues: `<account>/<queue>` -> the queue's ARM scope (sandbox/declaration/ declaredQueues). */
export type DeclaredQueues = () => ReadonlyMap<string, string>;

export function stubHandler(
  ctx: SandboxContext,
  rbac: RoleAssignmentStore,
  targets: Readonly<Record<string, StubTarget>> = stubTargets(),
  queues: DeclaredQueues = () => new Map(),
): Handler {
  return async (req, res) => {
    const url = requestUrl(req);
    const id = url.pathname.split('/').find(Boolean);
    // A declaration's Storage queues: Peek Messages as Storage answers it (./queue.ts).
    if (id === QUEUE_STUB_PREFIX && !Object.hasOwn(targets, id))
      return serveQueue(ctx, rbac, queues, req, res);
    const facts = id !== undefined && Object.hasOwn(targets, id) ? targets[id] : undefined;
    if (!id || !facts) throw stubError(404, 'ResourceNotFound', `No stub target serves '${url.pathname}'.`);
    if (req.method !== 'GET')
      throw stubError(405, 'UnsupportedHttpVerb', `The stub of target '${id}' answers GET only.`);
    const audiences = [facts.audience, `${facts.audience}/`];
    let oid: string;
    try {
      oid = (await authenticateBearer(ctx, req, audiences)).oid;
    } catch (err) {
      if (!(err instanceof BearerError)) throw err;
      throw stubError(401, 'InvalidAuthenticationToken', err.message);
    }
    const scope = ctx.world.scopes[facts.scope];
    const allowed =
      scope !== undefined &&
      rbac.authorize({ principalId: oid, action: facts.action.name, kind: facts.action.kind, scope }).allowed;
    if (!allowed)
      throw stubError(
        403,
        'AuthorizationPermissionMismatch',
        `The client with object id '${oid}' does not have authorization to perform action '${facts.action.name}' over scope '${scope ?? `(scope key ${facts.scope} is not bound in this world)`}'.`,
      );
    sendJson(res, 200, { target: id, path: url.pathname });
  };
}

/**
 * The app settings of the stub-served targets: each one's endpoint setting is `<stub origin>/<target>`, its other
 * settings take their catalog sample value (the stub does not look at them).
 */
export function stubSettings(
  stubOrigin: string | undefined,
  targets: Readonly<Record<string, StubTarget>> = stubTargets(),
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [id, t] of Object.entries(targets))
    for (const [name, facts] of Object.entries(t.settings))
      out[name] = name === t.endpointSetting ? `${stubOrigin ?? ''}/${id}` : (facts.sample ?? '');
  return out;
}
