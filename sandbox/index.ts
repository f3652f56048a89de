// startSandbox(): the one place that wires the local Azure together. Reading it shows the whole setup:
// config -> CA and tenant keys -> world -> identity plane -> resource plane -> admin API -> connection file.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOrCreateCa, issueServerCert } from './core/ca.ts';
import { Counters } from './core/counters.ts';
import { FaultRegistry, FaultValidationError } from './core/faults.ts';
import { AdminRouter } from './core/admin.ts';
import { SandboxError } from './core/errors.ts';
import { readJson, sendJson } from './core/http.ts';
import { startServer } from './core/server.ts';
import type { RunningServer } from './core/server.ts';
import { TokenService, DEFAULT_TOKEN_LIFETIME_SECONDS } from './core/tokens.ts';
import type { PlaneHandle, SandboxContext, SandboxOptions } from './core/context.ts';
import { loadWorld, listScenarios, WorldError } from './world.ts';
import { operatorOf, withOperator } from './operator.ts';
import { buildConnection, writeConnection } from './connectionFile.ts';
import type { World } from './world.ts';
import type { SandboxConnection } from './connection.ts';
import { startIdentityPlane } from './identity/index.ts';
import { startResourcePlane } from './resources/index.ts';

export type { SandboxConnection } from './connection.ts';
export type { SandboxOptions } from './core/context.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_STATE_DIR = join(REPO_ROOT, '.sandbox');

export interface RunningSandbox {
  connection: SandboxConnection;
  /** Path of the connection file, when one was written. */
  connectionFile?: string;
  context: SandboxContext;
  close(): Promise<void>;
}

function resolveOptions(options: SandboxOptions): SandboxContext['options'] {
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

/** The current world: a scenario resolved with the placeholders known so far, plus its operator. */
class WorldState {
  readonly #placeholders: Record<string, string> = {};
  readonly #delay: number;
  scenario: string;
  world: World;

  constructor(scenario: string, propagationDelaySeconds: number) {
    this.#delay = propagationDelaySeconds;
    this.scenario = scenario;
    // Validates the scenario before anything listens.
    this.world = this.#load(scenario);
  }

  #load(name: string): World {
    const w = loadWorld(name, { placeholders: this.#placeholders, propagationDelaySeconds: this.#delay });
    return withOperator(w, name);
  }

  switchTo(name: string): World {
    this.world = this.#load(name);
    this.scenario = name;
    return this.world;
  }

  setPlaceholder(name: string, value: string): void {
    this.#placeholders[name] = value;
    this.world = this.#load(this.scenario);
  }
}

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const opts = resolveOptions(options);
  mkdirSync(opts.stateDir, { recursive: true });
  const state = new WorldState(opts.scenario, opts.propagationDelaySeconds);
  const world = state.world;

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
    issued: { assertions: new Set(), secrets: new Set() },
    get world() {
      return state.world;
    },
    onWorldChange: (cb) => void worldListeners.push(cb),
    setPlaceholder: (name, value) => state.setPlaceholder(name, value),
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
    const identityPlane = await startIdentityPlane(ctx);
    planes.push(identityPlane);
    planes.push(await startResourcePlane(ctx, { entraOrigin: identityPlane.endpoints.entra ?? '' }));

    registerCoreAdminRoutes(ctx, {
      switchScenario: async (name) => {
        const next = state.switchTo(name);
        for (const cb of worldListeners) await cb(next);
      },
    });
    adminServer = await startServer({ label: 'admin', handler: admin.handle, log: opts.log });
  } catch (err) {
    await closeAll();
    throw err;
  }

  const connection = buildConnection(ctx, planes, adminServer.origin, operatorOf(opts.scenario));
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

function registerCoreAdminRoutes(
  ctx: SandboxContext,
  ops: { switchScenario(name: string): Promise<void> },
): void {
  const a = ctx.admin;
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
