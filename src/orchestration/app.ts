// The composition root: the app's state (the paths' credentials, the probes' and the privileges check's SDK clients
// and caches, the status service with its store client, write queue and caches) is built here, once per process, and
// handed down; those parts keep no process-wide instance of their own. Telemetry is still a module of its own, held
// here as a handle so that its start can come later than the first answer. Each part is built on first use, so that
// importing the app stays cheap (bench figure (c)) and a part that a run does not need is never loaded. A test builds
// its own App (with its own clock) instead of resetting module state.
import { getConfig, type Config } from '../config.ts';
import type { Plan } from '../core/plan.ts';
import type { Credentials } from '../identities/index.ts';
import type { PrivilegesChecker } from '../privileges/check.ts';
import type { ExplainAccess, ProbeRunner } from '../probes/runner.ts';
import type { UnexpectedAccessHook } from '../privileges/unexpected.ts';
import type { StatusService } from '../status/service.ts';
import type * as Telemetry from '../telemetry/index.ts';

export interface AppOptions {
  config?: Config;
  /** The clock the status cache and "last seen" ages run on (a test holds it still or moves it). */
  now?: () => number;
  /** A declaration to run instead of the one the settings name (tests, benchmarks). */
  declaration?: unknown;
  /** The app settings its `%SETTING%` references resolve from (default: the process's, over the config's). */
  env?: Readonly<Record<string, string | undefined>>;
}

export class App {
  readonly config: Config;
  readonly now: () => number;
  #credentials: Promise<Credentials> | undefined;
  #probes: Promise<ProbeRunner> | undefined;
  #privileges: Promise<PrivilegesChecker> | undefined;
  #status: Promise<StatusService> | undefined;
  #plan: Promise<Plan> | undefined;
  #unexpectedAccess: Promise<UnexpectedAccessHook> | undefined;
  #reload: Promise<Plan> | undefined;
  readonly #planOptions: Pick<AppOptions, 'declaration' | 'env'>;

  constructor(options: AppOptions = {}) {
    this.config = options.config ?? getConfig();
    this.now = options.now ?? Date.now;
    this.#planOptions = { declaration: options.declaration, env: options.env };
  }

  /**
   * The plan: the declaration (src/declaration/) compiled against the settings. Read once; `reloadPlan` reads it
   * again (a timer run, for a declaration that can change without a redeploy).
   */
  plan(): Promise<Plan> {
    this.#plan ??= import('../declaration/index.ts').then((m) => m.loadPlan(this.config, this.#planOptions));
    return this.#plan;
  }

  /**
   * The plan for a timer run: read again when the declaration can change without a redeploy (a blob, read with a
   * conditional request), else the one in use.
   */
  async planForTimer(): Promise<Plan> {
    const plan = await this.plan();
    // PROBES_DECLARATION_URL, not the plan's source: a blob never read yet runs the package's file meanwhile.
    return this.config.declaration.url ? this.reloadPlan() : plan;
  }

  /**
   * Reads the declaration again; the plan in use stays until the new one is ready. The timers of every declared
   * identity fire together: they share one reload, and an unchanged declaration (a 304) keeps the plan in use.
   */
  reloadPlan(): Promise<Plan> {
    this.#reload ??= (async () => {
      const current = await this.#plan?.catch(() => undefined);
      const m = await import('../declaration/index.ts');
      const next = await m.loadPlan(this.config, { ...this.#planOptions, ...(current ? { current } : {}) });
      this.#plan = Promise.resolve(next);
      return next;
    })().finally(() => (this.#reload = undefined));
    return this.#reload;
  }

  /** The paths' credentials, shared by the probes and the privileges check (one token cache per path). */
  credentials(): Promise<Credentials> {
    this.#credentials ??= import('../identities/index.ts').then((m) => new m.Credentials());
    return this.#credentials;
  }

  /** The probe runner and its SDK clients. */
  probes(): Promise<ProbeRunner> {
    this.#probes ??= Promise.all([import('../probes/runner.ts'), this.credentials()]).then(
      ([m, credentials]) => new m.ProbeRunner(credentials, { explainAccess: this.#explainAccess }),
    );
    return this.#probes;
  }

  /**
   * Why a `denied` probe got in: the privileges part names the grants (privileges/unexpected.ts), with the probed
   * identity's own credential (the probes' one). Handed to the runner as a function: probes/ may not import
   * privileges/.
   */
  readonly #explainAccess: ExplainAccess = async (cell, findings, budgetMs) => {
    const principalId = findings.identity?.oid;
    if (!principalId) return undefined;
    this.#unexpectedAccess ??= import('../privileges/unexpected.ts').then((m) => m.unexpectedAccessHook());
    const [plan, hook, credentials] = await Promise.all([
      this.plan(),
      this.#unexpectedAccess,
      this.credentials(),
    ]);
    const identity = plan.identities.get(cell.path);
    const resource = plan.resources.get(cell.target);
    if (!identity || !resource) return undefined;
    const credential = await credentials.for(identity);
    const { remediation, grants } = await hook({
      identity,
      resource,
      principalId,
      credential,
      app: this.config,
      budgetMs,
    });
    return { remediation, grants };
  };

  /** The privileges check, its ARM clients and its last lookups. */
  privileges(): Promise<PrivilegesChecker> {
    this.#privileges ??= Promise.all([import('../privileges/check.ts'), this.credentials()]).then(
      ([m, credentials]) => new m.PrivilegesChecker(credentials),
    );
    return this.#privileges;
  }

  /** The status service: records results and checks, reads the status view. */
  status(): Promise<StatusService> {
    this.#status ??= import('../status/service.ts').then(
      (m) => new m.StatusService(this.config, this.now, () => this.plan()),
    );
    return this.#status;
  }

  /** The telemetry sender's module, loaded on first use (its sender starts when first asked: telemetry/index.ts). */
  telemetry(): Promise<typeof Telemetry> {
    return import('../telemetry/index.ts');
  }
}

let current: App | undefined;

/** The process's app, built on first use (or by startApp). */
export function currentApp(): App {
  current ??= new App();
  return current;
}

/** Builds the process's app with these options: once, before anything has used it (a test process's clock). */
export function startApp(options: AppOptions): App {
  if (current) throw new Error('the app is already built: startApp must come before its first use');
  current = new App(options);
  return current;
}
