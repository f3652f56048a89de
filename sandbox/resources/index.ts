// The resource plane (issue: sandbox part 2). Reading this factory shows the whole plane: role assignments (world +
// admin API, with propagation delay) -> Key Vault (one origin per vault) -> Resource Manager -> Azurite (child
// process) seeded with the world's containers and canary blobs -> the Blob gateway in front of it -> admin routes.
// Every resource server validates tokens with the tenant's token service and authorizes the token's `oid`.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { decodeJwt } from 'jose';
import type { PlaneHandle, SandboxContext } from '../core/context.ts';
import { SandboxError } from '../core/errors.ts';
import { bearerToken, readJson, sendJson } from '../core/http.ts';
import type { RunningServer } from '../core/server.ts';
import type { World } from '../world.ts';
import { armErrors } from './arm/errors.ts';
import { ArmModel } from './arm/model.ts';
import { armHandler } from './arm/server.ts';
import type { ArmDeps } from './arm/server.ts';
import { graphHandler } from './graph.ts';
import { startAzurite } from './blob/azurite.ts';
import type { AzuriteProcess } from './blob/azurite.ts';
import { blobErrors } from './blob/errors.ts';
import { blobFault, blobGatewayHandler, upstreamAgent } from './blob/gateway.ts';
import { seedWorldData } from './blob/seed.ts';
import { keyVaultErrors } from './keyvault/errors.ts';
import { keyVaultHandler } from './keyvault/server.ts';
import type { Vault } from './keyvault/server.ts';
import { SecretStore } from './keyvault/store.ts';
import { stubHandler, stubTargets } from './stub.ts';
import { declaredQueues } from '../declaration/index.ts';
import { AssignmentError, RoleAssignmentStore } from './rbac/store.ts';
import type { StoredAssignment } from './rbac/store.ts';

/** A canary secret value: random per sandbox run, known only to the vault and to the leak tests (never logged). */
function newSecretValue(): string {
  return randomBytes(24).toString('base64url');
}

/** The `oid` of an unverified bearer token, for the actor in ARM's throttling message (faults run before auth). */
function actorOf(req: IncomingMessage): string | undefined {
  const token = bearerToken(req);
  if (!token) return undefined;
  try {
    const oid = decodeJwt(token).oid;
    return typeof oid === 'string' ? oid : undefined;
  } catch {
    return undefined;
  }
}

export interface ResourcePlaneOptions {
  /** The Entra authority host (https origin), published in ARM's /metadata/endpoints. */
  entraOrigin: string;
}

export async function startResourcePlane(
  ctx: SandboxContext,
  opts: ResourcePlaneOptions,
): Promise<PlaneHandle> {
  const servers: RunningServer[] = [];
  let azurite: AzuriteProcess | undefined;
  const agent = upstreamAgent(ctx.ca.caCertPem);
  const close = async () => {
    await Promise.all(servers.map((s) => s.close()));
    agent.destroy();
    await azurite?.close();
  };

  try {
    // Role-assignment propagation runs on the sandbox's clock; tests move it forward through the admin API
    // (/_sandbox/clock) instead of sleeping through the delay.
    const rbac = new RoleAssignmentStore(ctx.world, ctx.options.propagationDelaySeconds, ctx.clock.now);
    const { seedSecrets, vaultOrigins } = await startVaults(ctx, rbac, servers);
    azurite = await startAzuriteFor(ctx);
    const az = azurite;
    const blobOrigin = az ? await startBlobGateway(ctx, rbac, az, agent, servers) : '';
    const graphOrigin = await startGraph(ctx, servers);
    const stubOrigin = await startStub(ctx, rbac, servers);
    // ARM shows the world as it is now: writes through ARM (identities, federated credentials) change the world.
    const createdTime = new Date().toISOString();
    const armOrigin = await startArm(
      ctx,
      {
        rbac,
        model: () => new ArmModel(ctx.world, createdTime),
        accountKeys: (name) => az?.keys.get(name),
        vaultUri: (name) => (vaultOrigins.has(name) ? `${vaultOrigins.get(name)}/` : undefined),
        entraOrigin: () => opts.entraOrigin,
        graphOrigin: () => graphOrigin,
      },
      servers,
    );

    ctx.onWorldChange(async (world) => {
      rbac.resetFromWorld(world);
      seedSecrets(world);
      const unknown = world.storageAccounts.filter((a) => !az?.keys.has(a.name));
      if (unknown.length)
        ctx.log(
          `[blob] storage accounts not started with the sandbox are not served: ${unknown.map((a) => a.name).join(', ')}`,
        );
      if (az)
        await seedWorldData(
          ctx,
          { ...world, storageAccounts: world.storageAccounts.filter((a) => az.keys.has(a.name)) },
          az.origin,
          ctx.ca.caCertPem,
        );
    });

    registerAdminRoutes(ctx, rbac, () => az);

    const handle = planeHandle(ctx, vaultOrigins, armOrigin, blobOrigin, close);
    const vaultUris = Object.fromEntries([...vaultOrigins].map(([name, origin]) => [name, `${origin}/`]));
    return { ...handle, endpoints: { ...handle.endpoints, stub: stubOrigin }, rbac, vaultUris };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Resource Manager; returns its origin. */
async function startArm(
  ctx: SandboxContext,
  deps: Omit<ArmDeps, 'ctx' | 'serverOrigin'>,
  servers: RunningServer[],
): Promise<string> {
  let armOrigin = '';
  const arm = await ctx.startServer({
    endpoint: 'arm',
    label: 'arm',
    tls: ctx.serverCert,
    handler: armHandler({ ...deps, ctx, serverOrigin: () => armOrigin }),
    renderFault: (f, req) =>
      armErrors.fault(
        f.status ?? 500,
        { subscriptionId: ctx.world.subscriptionId, oid: actorOf(req) },
        f.retryAfterSeconds,
      ),
    renderRejection: (r) => armErrors.requestRejected(r.status, r.code, r.message),
  });
  servers.push(arm);
  armOrigin = arm.origin;
  return armOrigin;
}

/** The little of Microsoft Graph the Azure CLI calls (./graph.ts); returns its origin. */
async function startGraph(ctx: SandboxContext, servers: RunningServer[]): Promise<string> {
  let origin = '';
  const graph = await ctx.startServer({
    label: 'graph',
    tls: ctx.serverCert,
    handler: graphHandler(ctx, () => origin),
  });
  servers.push(graph);
  origin = graph.origin;
  return origin;
}

/**
 * The stub data plane for catalog targets without an emulator (./stub.ts); returns its origin. It runs when every
 * target has an emulator too (then it answers 404), so the connection's endpoints are always real origins.
 */
async function startStub(ctx: SandboxContext, rbac: RoleAssignmentStore, servers: RunningServer[]) {
  const queues = () => declaredQueues(ctx.declaration, ctx.world);
  const stub = await ctx.startServer({
    label: 'stub',
    tls: ctx.serverCert,
    handler: stubHandler(ctx, rbac, stubTargets(), queues),
  });
  servers.push(stub);
  return stub.origin;
}

/** Key Vault: one server (origin) per vault, since the SDK tells vaults apart by origin only (§1.3). */
async function startVaults(ctx: SandboxContext, rbac: RoleAssignmentStore, servers: RunningServer[]) {
  const vaults = new Map<string, Vault>();
  const seedSecrets = (world: World) => {
    for (const kv of world.keyVaults) {
      let vault = vaults.get(kv.name);
      if (!vault)
        vaults.set(kv.name, (vault = { name: kv.name, resourceId: kv.resourceId, store: new SecretStore() }));
      vault.resourceId = kv.resourceId;
      for (const s of kv.secrets) {
        if (vault.store.get(s.name) || vault.store.isDeleted(s.name)) continue;
        const value = newSecretValue();
        ctx.issued.secrets.add(value);
        vault.store.set(s.name, value, { contentType: 'text/plain' });
      }
    }
  };
  seedSecrets(ctx.world);
  const vaultOrigins = new Map<string, string>();
  for (const vault of vaults.values()) {
    let origin = '';
    const server = await ctx.startServer({
      endpoint: 'keyVault',
      label: `keyVault ${vault.name}`,
      tls: ctx.serverCert,
      handler: keyVaultHandler(ctx, vault, rbac, () => origin),
      renderFault: (f) => keyVaultErrors.fault(f.status ?? 500, ctx.world.location, f.retryAfterSeconds),
      renderRejection: (r) => keyVaultErrors.requestRejected(r.status, r.code, r.message, ctx.world.location),
    });
    servers.push(server);
    origin = server.origin;
    vaultOrigins.set(vault.name, origin);
  }

  return { seedSecrets, vaultOrigins };
}

/** Azurite for the world's storage accounts, then its data. */
async function startAzuriteFor(ctx: SandboxContext): Promise<AzuriteProcess | undefined> {
  const accounts = ctx.world.storageAccounts.map((a) => a.name);
  if (!accounts.length) return undefined;
  const azurite = await startAzurite({ cert: ctx.serverCert, accounts, log: ctx.log });
  // The account keys are secrets the sandbox holds (served only by ARM listKeys): leak tests look for them too.
  for (const keys of azurite.keys.values()) for (const k of keys) ctx.issued.secrets.add(k);
  await seedWorldData(ctx, ctx.world, azurite.origin, ctx.ca.caCertPem);
  return azurite;
}

/** The RBAC gateway in front of Azurite; returns its origin. */
async function startBlobGateway(
  ctx: SandboxContext,
  rbac: RoleAssignmentStore,
  az: AzuriteProcess,
  agent: ReturnType<typeof upstreamAgent>,
  servers: RunningServer[],
): Promise<string> {
  const gateway = await ctx.startServer({
    endpoint: 'blob',
    label: 'blob',
    tls: ctx.serverCert,
    handler: blobGatewayHandler({ ctx, rbac, upstream: () => az.origin, agent }),
    renderFault: (f, req) => blobFault(f.status ?? 500, req, f.retryAfterSeconds),
    renderRejection: (r) => blobErrors.requestRejected(r.status, r.code, r.message),
  });
  servers.push(gateway);
  return gateway.origin;
}

/** What the plane tells the connection file: endpoints and the names of the canary resources. */
function planeHandle(
  ctx: SandboxContext,
  vaultOrigins: Map<string, string>,
  armOrigin: string,
  blobOrigin: string,
  close: () => Promise<void>,
): PlaneHandle {
  const w = ctx.world;
  const kv = w.keyVaults[0];
  const sa = w.storageAccounts[0];
  const canary =
    sa?.containers.find((c) => c.wiringScope === 'canaryContainer') ??
    sa?.containers.find((c) => c.blobs.length);
  const status =
    sa?.containers.find((c) => c.wiringScope === 'statusContainer') ??
    sa?.containers.find((c) => c !== canary);
  return {
    endpoints: {
      // Real vault URIs end with '/' (https://<name>.vault.azure.net/).
      keyVault: kv ? `${vaultOrigins.get(kv.name)}/` : '',
      arm: armOrigin,
      // Path-style account URL: the SDK and Azurite take the account from the first path segment (§3.3).
      blob: sa ? `${blobOrigin}/${sa.name}` : '',
    },
    resources: {
      keyVaultName: kv?.name ?? '',
      secretName: kv?.secrets[0]?.name ?? '',
      storageAccount: sa?.name ?? '',
      canaryContainer: canary?.name ?? '',
      canaryBlob: canary?.blobs[0] ?? '',
      statusContainer: status?.name ?? '',
    },
    close,
  };
}

function assignmentJson(a: StoredAssignment): Record<string, unknown> {
  return {
    id: a.id,
    principalId: a.principalId,
    principalType: a.principalType,
    roleDefinitionId: a.roleDefinitionId,
    roleName: a.roleName,
    scope: a.scope,
    origin: a.origin,
    createdOn: a.createdOn,
    effectiveFrom: new Date(a.effectiveFrom).toISOString(),
    ...(a.effectiveUntil !== undefined ? { effectiveUntil: new Date(a.effectiveUntil).toISOString() } : {}),
  };
}

function registerAdminRoutes(
  ctx: SandboxContext,
  rbac: RoleAssignmentStore,
  azurite: () => AzuriteProcess | undefined,
): void {
  const a = ctx.admin;
  const fail = (err: unknown): never => {
    if (err instanceof AssignmentError)
      throw SandboxError.json(err.status, {
        error: err.code,
        message: err.message,
        ...(err.existingId ? { id: err.existingId } : {}),
      });
    throw err;
  };
  a.add('GET', '/_sandbox/role-assignments', (_q, res, _p, url) => {
    const principalId = url.searchParams.get('principalId') ?? undefined;
    sendJson(res, 200, { roleAssignments: rbac.list({ principalId }).map(assignmentJson) });
  });
  a.add('POST', '/_sandbox/role-assignments', async (req, res) => {
    const b = (await readJson(req)) as Record<string, unknown>;
    const role = b.roleDefinitionId ?? b.roleName ?? b.role;
    const delay = b.propagationDelaySeconds;
    if (delay !== undefined && (typeof delay !== 'number' || delay < 0))
      throw SandboxError.json(400, {
        error: 'InvalidPropagationDelay',
        message: 'propagationDelaySeconds must be a non-negative number.',
      });
    try {
      const created = rbac.add({
        principalId: b.principalId as string,
        role: role as string,
        scope: b.scope as string,
        principalType: b.principalType as StoredAssignment['principalType'] | undefined,
        propagationDelaySeconds: delay as number | undefined,
      });
      sendJson(res, 201, assignmentJson(created));
    } catch (err) {
      fail(err);
    }
  });
  a.add('DELETE', '/_sandbox/role-assignments/{id}', (_q, res, p, url) => {
    const d = url.searchParams.get('propagationDelaySeconds');
    const delay = d === null ? undefined : Number(d);
    if (delay !== undefined && !(delay >= 0))
      throw SandboxError.json(400, {
        error: 'InvalidPropagationDelay',
        message: 'propagationDelaySeconds must be a non-negative number.',
      });
    const removed = rbac.remove(p.id, delay);
    if (!removed)
      throw SandboxError.json(404, {
        error: 'RoleAssignmentNotFound',
        message: `No role assignment '${p.id}'.`,
      });
    sendJson(res, 200, { removed: true, ...assignmentJson(removed) });
  });
  // The child processes the sandbox runs, so tests can check none is left behind after close().
  a.add('GET', '/_sandbox/processes', (_q, res) => {
    const az = azurite();
    sendJson(res, 200, { azurite: az ? { pid: az.pid, origin: az.origin } : null });
  });
}
