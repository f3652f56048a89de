// startSandbox(): the one place that wires the local Azure together. Reading it shows the whole setup:
// config -> CA and tenant keys -> world -> identity plane -> resource plane -> admin API -> connection file.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOrCreateCa, issueServerCert } from './core/ca.ts';
import { Counters } from './core/counters.ts';
import { FaultRegistry, FaultValidationError } from './core/faults.ts';
import { AdminRouter } from './core/admin.ts';
import { AdjustableClock, registerClockRoutes } from './core/clock.ts';
import { SandboxError } from './core/errors.ts';
import { readJson, sendJson } from './core/http.ts';
import { startServer } from './core/server.ts';
import type { RunningServer } from './core/server.ts';
import { TokenService, DEFAULT_TOKEN_LIFETIME_SECONDS } from './core/tokens.ts';
import type { PlaneHandle, SandboxContext, SandboxOptions } from './core/context.ts';
import { loadWorld, listScenarios, WorldError } from './world.ts';
import { operatorOf, withOperator } from './operator.ts';
import type { OperatorDeclaration } from './operator.ts';
import type { World } from './world.ts';
import { stubSettings } from './resources/stub.ts';
import {
  amendWorld,
  checkResolves,
  declarationInfo,
  declarationSettings,
  planDeclaration,
  planDeclarationFile,
  type DeclarationPlan,
} from './declaration/index.ts';
import type { SandboxConnection } from './connection.ts';
import type { SettingName } from '../common/catalog.ts';
import { startIdentityPlane } from './identity/index.ts';
import { startResourcePlane } from './resources/index.ts';
import { startMonitorPlane, telemetrySettings } from './monitor/index.ts';

export type { SandboxConnection } from './connection.ts';
export type { SandboxOptions } from './core/context.ts';
export { DeclarationError } from './declaration/index.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_STATE_DIR = join(REPO_ROOT, '.sandbox');
const WIRING_FILE = join(REPO_ROOT, 'infra', 'identity-wiring.json');

export interface RunningSandbox {
  connection: SandboxConnection;
  /** Path of the connection file, when one was written. */
  connectionFile?: string;
  context: SandboxContext;
  close(): Promise<void>;
}

/** The options with their defaults filled in. */
function withDefaults(options: SandboxOptions): SandboxContext['options'] {
  return {
    scenario: options.scenario ?? 'healthy',
    stateDir: resolve(options.stateDir ?? DEFAULT_STATE_DIR),
    writeConnectionFile: options.writeConnectionFile ?? true,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS,
    oidcTokenLifetimeSeconds: options.oidcTokenLifetimeSeconds ?? 3600,
    propagationDelaySeconds: options.propagationDelaySeconds ?? 0,
    quiet: options.quiet ?? false,
    log: options.log ?? (options.quiet ? () => {} : (line: string) => console.error(line)),
  };
}

/** The identity plane, then the resource plane (its ARM publishes Entra's origin), then the monitor plane. */
async function startPlanes(ctx: SandboxContext, planes: PlaneHandle[]): Promise<void> {
  const identityPlane = await startIdentityPlane(ctx);
  planes.push(identityPlane);
  const resources = await startResourcePlane(ctx, { entraOrigin: identityPlane.endpoints.entra ?? '' });
  planes.push(resources);
  planes.push(await startMonitorPlane(ctx, resources.rbac!));
}

/** A scenario's world with its operator (sandbox/operator.ts), and what a declaration adds to it. */
function loadWorldWithOperator(
  name: string,
  placeholders: Record<string, string>,
  declaration: DeclarationPlan | undefined,
): World {
  const amend = declaration && ((raw: Record<string, unknown>) => amendWorld(declaration, raw));
  return withOperator(loadWorld(name, { placeholders, ...(amend ? { amend } : {}) }), name);
}

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const opts = withDefaults(options);
  mkdirSync(opts.stateDir, { recursive: true });

  // Validate the declaration and the scenario before anything listens.
  const declaration =
    options.declaration === undefined
      ? undefined
      : typeof options.declaration === 'string'
        ? planDeclarationFile(options.declaration)
        : planDeclaration(options.declaration);
  const placeholders: Record<string, string> = {};
  const load = (name: string) => loadWorldWithOperator(name, placeholders, declaration);
  let world: World = load(opts.scenario);

  const ca = await loadOrCreateCa(join(opts.stateDir, 'ca'));
  const serverCert = await issueServerCert(ca);
  const tokens = await TokenService.create(world.tenantId, opts.tokenLifetimeSeconds);
  const faults = new FaultRegistry();
  const counters = new Counters();
  const admin = new AdminRouter();
  const worldListeners: Array<(w: World) => void | Promise<void>> = [];

  const ctx: SandboxContext = {
    options: opts,
    stateDir: opts.stateDir,
    ca,
    serverCert,
    tokens,
    faults,
    counters,
    admin,
    clock: new AdjustableClock(),
    ...(declaration ? { declaration } : {}),
    issued: { assertions: new Set(), secrets: new Set() },
    get world() {
      return world;
    },
    onWorldChange: (cb) => void worldListeners.push(cb),
    setPlaceholder: (name, value) => {
      placeholders[name] = value;
      world = load(world.name);
    },
    startServer: (o) => startServer({ ...o, faults, counters, log: opts.log }),
    log: opts.log,
  };

  const planes: PlaneHandle[] = [];
  let adminServer: RunningServer | undefined;
  const closeAll = async () => {
    faults.releaseAll();
    await adminServer?.close();
    for (const p of planes.reverse()) await p.close();
  };

  try {
    await startPlanes(ctx, planes);

    registerCoreAdminRoutes(ctx, {
      switchScenario: async (name) => {
        world = load(name);
        for (const cb of worldListeners) await cb(world);
      },
    });
    adminServer = await startServer({ label: 'admin', handler: admin.handle, log: opts.log });
  } catch (err) {
    await closeAll();
    throw err;
  }

  let connection: SandboxConnection;
  try {
    connection = buildConnection(ctx, planes, adminServer.origin, operatorOf(opts.scenario));
    if (declaration) connection = withDeclaration(ctx, declaration, planes, connection);
  } catch (err) {
    await closeAll();
    throw err;
  }
  let connectionFile: string | undefined;
  if (opts.writeConnectionFile) connectionFile = writeConnection(opts.stateDir, connection);

  let closed = false;
  return {
    connection,
    connectionFile,
    context: ctx,
    close: async () => {
      if (closed) return;
      closed = true;
      await closeAll();
    },
  };
}

/**
 * The declaration's part of the connection: its ids and scopes, and the values of the `%SETTING%` references it uses
 * in appSettings (they win over the canary settings of the same name: the declaration is what the app probes). The
 * declaration must then load whole with these settings, through the same loader as the app's.
 */
function withDeclaration(
  ctx: SandboxContext,
  plan: DeclarationPlan,
  planes: PlaneHandle[],
  c: SandboxConnection,
): SandboxConnection {
  const vaultUris = Object.assign({}, ...planes.map((p) => p.vaultUris ?? {})) as Record<string, string>;
  const settings = declarationSettings(plan, ctx.world, {
    arm: c.endpoints.arm,
    blob: c.endpoints.blob,
    stub: c.endpoints.stub,
    oidcIssuer: c.endpoints.oidcIssuer,
    federatedTokenFile: c.files.federatedTokenFile,
    vaultUri: (name) => vaultUris[name],
    workload: ctx.world.oidcWorkloads[0]?.name ?? '',
  });
  const appSettings = { ...c.appSettings, ...settings };
  checkResolves(plan, appSettings);
  const declaration = declarationInfo(plan, ctx.world);
  for (const w of declaration.warnings) ctx.log(`[declaration] ${w}`);
  return { ...c, appSettings, declaration };
}

/** What the Functions platform itself sets on an app (not settings of the app's own). */
type PlatformSetting =
  | 'IDENTITY_ENDPOINT'
  | 'IDENTITY_HEADER'
  | 'NODE_EXTRA_CA_CERTS'
  | 'WEBSITE_SITE_NAME'
  | 'WEBSITE_RESOURCE_GROUP'
  | 'REGION_NAME';

function buildConnection(
  ctx: SandboxContext,
  planes: PlaneHandle[],
  adminOrigin: string,
  operator: OperatorDeclaration | undefined,
): SandboxConnection {
  const w = ctx.world;
  const merged = <K extends 'endpoints' | 'sourceSecrets' | 'files' | 'resources'>(k: K) =>
    Object.assign({}, ...planes.map((p) => p[k] ?? {}));
  const endpoints = { admin: adminOrigin, ...merged('endpoints') } as SandboxConnection['endpoints'];
  const sourceSecrets = { appSecrets: {}, ...merged('sourceSecrets') } as SandboxConnection['sourceSecrets'];
  const files = merged('files') as SandboxConnection['files'];
  const resources = merged('resources') as SandboxConnection['resources'];
  const identities = [
    ...w.identities.map((i) => ({
      key: i.key,
      name: i.name,
      kind: i.kind,
      clientId: i.clientId,
      principalId: i.principalId,
      ...(i.resourceId ? { resourceId: i.resourceId } : {}),
    })),
    ...w.appRegistrations.map((a) => ({
      key: a.key,
      name: a.name,
      kind: a.kind,
      clientId: a.clientId,
      principalId: a.principalId,
    })),
  ];

  const appSettings = appSettingsOf(ctx, endpoints, sourceSecrets, files, resources);

  return {
    scenario: w.name,
    caCertPath: ctx.ca.caCertPath,
    tenantId: w.tenantId,
    subscriptionId: w.subscriptionId,
    resourceGroup: w.resourceGroup,
    endpoints,
    identities,
    ...(operator
      ? {
          operator: {
            name: operator.name,
            clientId: operator.clientId.toLowerCase(),
            principalId: operator.principalId.toLowerCase(),
          },
        }
      : {}),
    sourceSecrets,
    files,
    resources,
    appSettings,
  };
}

/**
 * Writes <stateDir>/connection.json. When another live sandbox already owns that file (two sandboxes side by side
 * on the default state dir), writes connection-<pid>.json instead, so neither clobbers the other.
 */
function writeConnection(stateDir: string, connection: SandboxConnection): string {
  const main = join(stateDir, 'connection.json');
  let target = main;
  if (existsSync(main)) {
    try {
      const other = JSON.parse(readFileSync(main, 'utf8')) as { pid?: number };
      if (other.pid && other.pid !== process.pid && isAlive(other.pid))
        target = join(stateDir, `connection-${process.pid}.json`);
    } catch {
      // unreadable: overwrite
    }
  }
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...connection, pid: process.pid }, null, 2), { mode: 0o600 });
  renameSync(tmp, target);
  return target;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function registerCoreAdminRoutes(
  ctx: SandboxContext,
  ops: { switchScenario(name: string): Promise<void> },
): void {
  const a = ctx.admin;
  registerClockRoutes(a, ctx.clock);
  a.add('GET', '/_sandbox/counters', (_q, res) => sendJson(res, 200, ctx.counters.snapshot()));
  a.add('POST', '/_sandbox/counters/reset', (_q, res) => {
    ctx.counters.reset();
    sendJson(res, 200, ctx.counters.snapshot());
  });
  a.add('GET', '/_sandbox/scenario', (_q, res) =>
    sendJson(res, 200, {
      name: ctx.world.name,
      description: ctx.world.description,
      available: listScenarios(),
    }),
  );
  a.add('POST', '/_sandbox/scenario', async (req, res) => {
    const body = (await readJson(req)) as { name?: unknown };
    if (typeof body.name !== 'string')
      throw SandboxError.json(400, {
        error: 'invalid_request',
        message: 'body.name (scenario) is required',
        available: listScenarios(),
      });
    try {
      await ops.switchScenario(body.name);
    } catch (err) {
      if (err instanceof WorldError)
        throw SandboxError.json(400, {
          error: 'invalid_scenario',
          message: err.message,
          available: listScenarios(),
        });
      throw err;
    }
    sendJson(res, 200, { name: ctx.world.name, description: ctx.world.description });
  });
  a.add('GET', '/_sandbox/faults', (_q, res) => sendJson(res, 200, { faults: ctx.faults.list() }));
  a.add('POST', '/_sandbox/faults', async (req, res) => {
    try {
      const f = ctx.faults.add(await readJson(req));
      sendJson(res, 201, f);
    } catch (err) {
      if (err instanceof FaultValidationError)
        throw SandboxError.json(400, { error: 'invalid_fault', message: err.message });
      throw err;
    }
  });
  a.add('DELETE', '/_sandbox/faults', (_q, res) => sendJson(res, 200, { cleared: ctx.faults.clear() }));
  a.add('DELETE', '/_sandbox/faults/{id}', (_q, res, p) => {
    const n = ctx.faults.clear(p.id);
    if (n === 0) throw SandboxError.json(404, { error: 'not_found', message: `no fault ${p.id}` });
    sendJson(res, 200, { cleared: n });
  });
  a.add('GET', '/_sandbox/issued', (_q, res) =>
    sendJson(res, 200, {
      tokens: [...ctx.tokens.issued],
      assertions: [...ctx.issued.assertions],
      secrets: [...ctx.issued.secrets],
    }),
  );
}

/**
 * The app settings that point the app at this sandbox. Names are the catalog's (common/catalog.ts): a name it does
 * not have does not compile; test/infra/catalog.test.ts checks that every setting the catalog says the sandbox sets
 * is here. Identity settings come from the wiring's settings map, generated from the catalog.
 */
function appSettingsOf(
  ctx: SandboxContext,
  endpoints: SandboxConnection['endpoints'],
  sourceSecrets: SandboxConnection['sourceSecrets'],
  files: SandboxConnection['files'],
  resources: SandboxConnection['resources'],
): Record<string, string> {
  const w = ctx.world;
  // Identity settings come from the wiring's settings map (the one source of truth shared with infra/).
  const wiring = JSON.parse(readFileSync(WIRING_FILE, 'utf8')) as {
    identities: Record<string, { plane?: string; settings?: Record<string, string[]> }>;
  };
  const identitySettings: Record<string, string> = {};
  for (const [key, wi] of Object.entries(wiring.identities)) {
    const id = w.identities.find((x) => x.key === key);
    if (!id || wi.plane === 'host') continue; // host settings (AzureWebJobsStorage__*) are Azure-only
    for (const [field, names] of Object.entries(wi.settings ?? {})) {
      const value = (id as unknown as Record<string, string | undefined>)[field];
      if (value) for (const n of names) identitySettings[n] = value;
    }
  }

  const platform: Record<PlatformSetting, string> = {
    // What the Functions platform injects for managed identity (App Service source, api-version 2019-08-01).
    IDENTITY_ENDPOINT: endpoints.appService ?? '',
    IDENTITY_HEADER: sourceSecrets.identityHeader ?? '',
    NODE_EXTRA_CA_CERTS: ctx.ca.caCertPath,
    // Also platform-set on Azure Functions: the site and its resource group (remediation commands name them).
    WEBSITE_SITE_NAME: w.functionApp.name,
    WEBSITE_RESOURCE_GROUP: w.resourceGroup,
    // The region (platform-set on Azure Functions); the availability results' run location.
    REGION_NAME: w.location,
  };
  const settings: Partial<Record<SettingName, string>> = {
    KEY_VAULT_URL: endpoints.keyVault ?? '',
    KEY_VAULT_SECRET_NAME: resources.secretName ?? '',
    KEY_VAULT_RESOURCE_ID: w.keyVaults[0]?.resourceId ?? '', // a loopback vault URL does not name the vault
    BLOB_SERVICE_URL: endpoints.blob ?? '',
    BLOB_CONTAINER_NAME: resources.canaryContainer ?? '',
    ARM_ENDPOINT: endpoints.arm ?? '',
    ARM_AUDIENCE: 'https://management.azure.com', // the ARM emulator, like ARM, accepts only management audiences
    AZURE_SUBSCRIPTION_ID: w.subscriptionId,
    AZURE_RESOURCE_GROUP: w.resourceGroup,
    AZURE_TENANT_ID: w.tenantId,
    ...identitySettings,
    FEDERATED_TOKEN_FILE: files.federatedTokenFile ?? '',
    AZURE_AUTHORITY_HOST: endpoints.entra ?? '',
    PROBE_TIMEOUT_MS: '10000',
    PROBE_SCHEDULE: '0 */5 * * * *',
    STATUS_BLOB_SERVICE_URL: endpoints.blob ?? '',
    STATUS_CONTAINER_NAME: resources.statusContainer ?? '',
    // Local-only switches the SDKs need for loopback hosts (docs/design.md "Local and Azure differ only in settings"):
    // the Key Vault challenge names vault.azure.net, which 127.0.0.1 does not end with (docs/identity-wire.md §13.2),
    // and MSAL's instance discovery would go to the public cloud.
    KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true',
    AZURE_DISABLE_INSTANCE_DISCOVERY: 'true',
    // Every service here is on the loopback host: the app sends tokens only to the clouds' domains and these.
    LOCAL_ENDPOINT_HOSTS: '127.0.0.1,localhost',
    // Host settings for telemetry, pointing at the monitor plane's ingestion endpoint (sandbox/monitor).
    ...telemetrySettings(w, endpoints.monitor),
    // The targets the sandbox has no emulator for point at the stub data plane (sandbox/resources/stub.ts).
    ...stubSettings(endpoints.stub),
  };
  return { ...platform, ...(settings as Record<string, string>) };
}
