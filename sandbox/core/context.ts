// What every plane of the sandbox is given: the current world, the tenant's token service, faults, counters, the
// CA, the admin router, and a server factory that wires faults, counters and logging in one place.
import type { CaBundle, ServerCert } from './ca.ts';
import type { Counters } from './counters.ts';
import type { FaultRegistry } from './faults.ts';
import type { RunningServer, ServerOptions } from './server.ts';
import type { TokenService } from './tokens.ts';
import type { World } from '../world.ts';
import type { AdminRouter } from './admin.ts';
import type { AdjustableClock } from './clock.ts';
import type { SandboxConnection } from '../connection.ts';
import type { RoleAssignmentStore } from '../resources/rbac/store.ts';
import type { DeclarationPlan } from '../declaration/index.ts';

export interface SandboxOptions {
  /** Scenario name (a file under sandbox/worlds/). Default 'healthy'. */
  scenario?: string;
  /** Where the CA, connection file and token files live. Default <repo>/.sandbox. */
  stateDir?: string;
  /** Write <stateDir>/connection.json when ready. Default true. */
  writeConnectionFile?: boolean;
  /** Lifetime of issued access tokens. Default: Azure's (24 h for managed identity). */
  tokenLifetimeSeconds?: number;
  /** Lifetime of external OIDC tokens issued by the sandbox's identity provider. Default 1 h. */
  oidcTokenLifetimeSeconds?: number;
  /** New role assignments (admin API) take effect after this many seconds. Default 0. */
  propagationDelaySeconds?: number;
  /** Suppress log lines. */
  quiet?: boolean;
  /** Log sink (default: console.error unless quiet). */
  log?: (line: string) => void;
  /**
   * A probe declaration to build the world from (sandbox/declaration/): a file path, or the parsed JSON. Its
   * identities, resources and `allowed` grants are added to the scenario's world.
   */
  declaration?: string | Record<string, unknown>;
}

export interface PlaneHandle {
  endpoints: Partial<SandboxConnection['endpoints']>;
  sourceSecrets?: Partial<SandboxConnection['sourceSecrets']>;
  files?: Partial<SandboxConnection['files']>;
  resources?: Partial<SandboxConnection['resources']>;
  /** Key Vault URI of every vault, by name (the resource plane). */
  vaultUris?: Record<string, string>;
  /** The resource plane's role assignments (the monitor plane authorizes telemetry senders with them). */
  rbac?: RoleAssignmentStore;
  close(): Promise<void>;
}

export type StartPlane = (ctx: SandboxContext) => Promise<PlaneHandle>;

export interface SandboxContext {
  readonly options: Required<Omit<SandboxOptions, 'log' | 'declaration'>> & { log: (line: string) => void };
  /** The probe declaration the world was built from, planned (sandbox/declaration/). */
  readonly declaration?: DeclarationPlan;
  readonly stateDir: string;
  readonly ca: CaBundle;
  readonly serverCert: ServerCert;
  readonly tokens: TokenService;
  readonly faults: FaultRegistry;
  readonly counters: Counters;
  readonly admin: AdminRouter;
  /** The sandbox's clock (role-assignment propagation, token-file refresh); tests move it via /_sandbox/clock. */
  readonly clock: AdjustableClock;
  /** Values the sandbox holds that must never appear in any output (leak tests read them via the admin API). */
  readonly issued: { assertions: Set<string>; secrets: Set<string> };
  /** The current world (changes when the scenario is switched). */
  readonly world: World;
  /** Called after the world changes (scenario switch), so planes can refresh derived state. */
  onWorldChange(cb: (world: World) => void | Promise<void>): void;
  /** Sets a ${NAME} placeholder of the world (e.g. OIDC_ISSUER) and re-resolves the world. */
  setPlaceholder(name: string, value: string): void;
  /** Starts a loopback server with this sandbox's faults, counters and log wired in. */
  startServer(opts: Omit<ServerOptions, 'faults' | 'counters' | 'log'>): Promise<RunningServer>;
  log(line: string): void;
}
