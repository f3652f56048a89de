// Runs one identity path against one target (or every target, in parallel): deadline, attestation, classification,
// remediation, sanitizing. A probe never throws and never outlives its deadline; its result is data.
import type { TokenCredential } from '@azure/identity';
import { getConfig, type Config, type SettingIssue } from '../config.ts';
import { PATH_IDS, TARGET_IDS, type PathId, type TargetId } from '../ids.ts';
import { Credentials, IDENTITY_PATHS } from '../identities/index.ts';
import { withAnswerLog, type AnswerLog } from '../core/answerLog.ts';
import type { TargetCall } from '../core/plugins.ts';
import type { TargetData } from '../core/results.ts';
import { TARGETS } from '../targets/index.ts';
import { acquisitionOf } from './acquisition.ts';
import { attest, newTokenRecord, type TokenRecord } from '../core/attestation.ts';
import {
  attestedCall,
  attestedClient,
  claimsOf,
  ClientMemo,
  type AttestedClient,
} from '../core/attestedCall.ts';
import { classify, type Classification } from './classify.ts';
import { ProbeDeadlineError } from '../core/deadline.ts';
import { ReplayMemory } from './replay.ts';
import { remediationFacts } from './remediationFacts.ts';
import { remediate, wrongIdentityRemediation } from './remediation.ts';
import { sanitizer } from '../core/sanitize.ts';
import type { Attestation, ProbeResult } from '../core/results.ts';

type Client = AttestedClient<TargetCall>;

function newClient(credential: TokenCredential, target: TargetId, config: Config): Promise<Client> {
  return attestedClient(credential, (wrapper) => TARGETS[target].createCall(wrapper, config));
}

/** The runner's state: the paths' credentials, one SDK client per (path, target) around them, replayed errors. */
interface Clients {
  credentials: Credentials;
  clients: ClientMemo<string, TargetCall>;
  replays: ReplayMemory;
}

function clientFor({ credentials, clients }: Clients, path: PathId, target: TargetId, config: Config) {
  return clients.get(`${path}/${target}`, async () =>
    newClient(await credentials.for(path, config), target, config),
  );
}

const round = (ms: number) => Math.round(ms);

export interface ProbeOptions {
  /**
   * Timer runs: a fresh credential (identities/fresh.ts) and a new SDK client around it, so that no cache answers
   * (probes/timerRun.ts). Absent: the process-wide credential and client, with their caches (HTTP probes).
   */
  freshCredential?: Promise<TokenCredential>;
  /**
   * When the answer is due (epoch ms): an HTTP probe's deadline counts from the request, so that what ran before the
   * probe (module loads, a busy process) comes out of the same PROBE_TIMEOUT_MS. Absent: PROBE_TIMEOUT_MS from now.
   */
  deadlineAt?: number;
}

/** What a probe found: everything in a result but its identity, time and timings. */
type Findings = Omit<ProbeResult, 'path' | 'target' | 'at' | 'timings'>;

/**
 * Builds the result: timings from the probe's clock and token record, how the token was obtained (fresh or the
 * cached one), the path's own report, sanitized.
 */
function resultBuilder(path: PathId, target: TargetId, options: ProbeOptions) {
  const at = new Date().toISOString();
  const started = performance.now();
  let setupMs = 0;
  return {
    started,
    setupDone: () => (setupMs = performance.now() - started),
    finish(partial: Findings, record?: TokenRecord): ProbeResult {
      const totalMs = performance.now() - started;
      let tokenMs = record?.tokenMs ?? 0;
      if (record && record.pending > 0 && record.pendingSince !== undefined)
        tokenMs += performance.now() - record.pendingSince;
      const setup = round(setupMs);
      const { outcome, ...rest } = partial;
      const result: ProbeResult = {
        path,
        target,
        outcome,
        at,
        timings: {
          tokenMs: round(tokenMs),
          callMs: round(Math.max(0, totalMs - setupMs - tokenMs)),
          totalMs: round(totalMs),
          ...(setup > 0 ? { setupMs: setup } : {}),
        },
        ...rest,
        acquisition: acquisitionOf(options.freshCredential ? 'fresh' : 'cached', rest.identity),
        ...IDENTITY_PATHS[path].report?.(),
      };
      // The one sanitizer, applied to everything that leaves a probe.
      return sanitizer().deep(result);
    },
  };
}

/** `misconfigured` before anything runs: the settings the path or the target needs are missing or invalid. */
function misconfigured(path: PathId, target: TargetId, config: Config, problems: SettingIssue[]): Findings {
  const c: Classification = {
    kind: 'misconfigured',
    reason: 'setting',
    detail: {
      phase: 'config',
      setting: problems[0].setting,
      message: problems.map((p) => `${p.setting} ${p.problem}`).join('; '),
    },
  };
  const expected = IDENTITY_PATHS[path].expected(config);
  const facts = remediationFacts(path, target, config, expected, undefined, undefined, problems);
  return { outcome: 'misconfigured', detail: c.detail, remediation: remediate(c, facts) };
}

interface Run {
  client?: Client;
  /** The HTTP answers the probe's clients received (classification reads the last). */
  answers: AnswerLog;
  credentialReady: boolean;
  data?: TargetData;
  error?: unknown;
}

/** What is left of PROBE_TIMEOUT_MS when the answer is due at `deadlineAt` (never more than PROBE_TIMEOUT_MS). */
export function remainingMs(timeoutMs: number, deadlineAt?: number, now = Date.now()): number {
  return deadlineAt === undefined ? timeoutMs : Math.max(0, Math.min(timeoutMs, deadlineAt - now));
}

/** Builds (first use) and calls the client within the deadline, recording what the credential does. */
async function execute(
  state: Clients,
  path: PathId,
  target: TargetId,
  config: Config,
  record: TokenRecord,
  setupDone: () => void,
  options: ProbeOptions,
): Promise<Run> {
  const run: Run = { credentialReady: false, answers: { answers: [] } };
  try {
    // First use in this process: load the SDK modules and build the credential and client. No I/O, nothing that
    // can hang, but seconds of CPU on a cold start: it is timed (setupMs). The app does it at start
    // (functions/warmup.ts); an HTTP probe with `deadlineAt` counts it in its deadline, other callers do not. A
    // timer run brings a fresh credential instead, and gets a new client around it (no cache answers).
    const fresh = await options.freshCredential;
    if (!fresh) await state.credentials.for(path, config);
    run.credentialReady = true;
    run.client = fresh
      ? await newClient(fresh, target, config)
      : await clientFor(state, path, target, config);
  } catch (err) {
    run.error = err;
  }
  setupDone();
  if (run.client) {
    const call = run.client.client;
    const budget = remainingMs(config.probeTimeoutMs, options.deadlineAt);
    try {
      run.data = await attestedCall(
        record,
        () => withAnswerLog(() => call(AbortSignal.timeout(budget)), run.answers),
        budget,
        () => new ProbeDeadlineError(config.probeTimeoutMs),
      );
    } catch (err) {
      run.error = err;
    }
  }
  record.closed = true;
  return run;
}

/** What the run shows: ok, the wrong identity, or the classified failure with its remediation. */
function findingsOf(
  state: Clients,
  path: PathId,
  target: TargetId,
  config: Config,
  record: TokenRecord,
  run: Run,
  options: ProbeOptions,
): Findings {
  const expected = IDENTITY_PATHS[path].expected(config);
  // Claims of this probe's token; when the SDK client reused its cached token, the claims it was issued with.
  // After a failed getToken the old claims say nothing about this probe.
  const claims = claimsOf(record, run.client?.wrapper);
  const identity = attest(expected, claims, record.claims.length ? 'credential' : 'client-cache');
  const wrongIdentity = (who: Attestation, extra: Partial<Findings>): Findings => ({
    outcome: 'wrong-identity',
    identity: who,
    ...extra,
    remediation: wrongIdentityRemediation(remediationFacts(path, target, config, expected, who)),
  });

  if (run.error === undefined) {
    if (identity?.matches) return { outcome: 'ok', identity, data: run.data };
    const unattested: Attestation = identity ?? {
      tokenFrom: 'client-cache',
      expected: {},
      matches: false,
      mismatches: ['no access token was observed, so the identity cannot be attested'],
    };
    return wrongIdentity(unattested, { data: run.data });
  }

  const classified = classify(run.error, {
    tokenFailed: record.error !== undefined || !run.credentialReady,
    tokenPending: record.pending > 0,
    managedIdentitySource: config.managedIdentitySource,
    usesManagedIdentity: IDENTITY_PATHS[path].usesManagedIdentity,
    answers: run.answers.answers,
  });
  const c = {
    ...classified,
    detail: state.replays.note(classified.detail, classified.detail.message ?? '', run.answers.answers),
  };
  if (c.kind === 'timeout' && c.reason === 'token' && !options.freshCredential) {
    // A token request that never answers leaves the client's token cycler waiting on it forever (managed
    // identity requests have no timeout: docs/identity-wire.md §1.7); start the next probe with a fresh client.
    state.clients.forget(`${path}/${target}`);
  }
  // A token for the wrong identity is the root cause even when the call then failed (e.g. 403 for that principal).
  if (identity && !identity.matches) return wrongIdentity(identity, { detail: c.detail });
  const facts = remediationFacts(path, target, config, expected, identity, c.scope);
  return { outcome: c.kind, identity, detail: c.detail, remediation: remediate(c, facts) };
}

/**
 * Runs the probes. It keeps one SDK client per (path, target), built on first use and reused: clients hold the
 * token cycler, and their construction is not free (docs/design.md "Credentials are built once per process"). One
 * per app (orchestration/app.ts); a new one starts as a new process would (no credential, no client, no token).
 */
export class ProbeRunner {
  readonly #state: Clients;

  constructor(credentials: Credentials = new Credentials()) {
    this.#state = { credentials, clients: new ClientMemo(), replays: new ReplayMemory() };
  }

  /** The `path/target` keys of the clients built so far. */
  preparedClientKeys(): string[] {
    return this.#state.clients.keys().sort();
  }

  /** Probes one identity path against one target. Never throws; resolves by the deadline (PROBE_TIMEOUT_MS). */
  async runProbe(
    path: PathId,
    target: TargetId,
    config: Config = getConfig(),
    options: ProbeOptions = {},
  ): Promise<ProbeResult> {
    const { finish, setupDone } = resultBuilder(path, target, options);
    const problems = [...IDENTITY_PATHS[path].problems(config), ...TARGETS[target].problems(config)];
    if (problems.length) return finish(misconfigured(path, target, config, problems));
    const record = newTokenRecord();
    const run = await execute(this.#state, path, target, config, record, setupDone, options);
    return finish(findingsOf(this.#state, path, target, config, record, run, options), record);
  }

  /** One path against every target, in parallel. */
  runPath(path: PathId, config: Config = getConfig(), options: ProbeOptions = {}): Promise<ProbeResult[]> {
    return Promise.all(TARGET_IDS.map((t) => this.runProbe(path, t, config, options)));
  }

  /**
   * Builds every probe's credential and SDK client ahead of the first request (app start: functions/warmup.ts).
   * No I/O; a path or target whose settings are missing is skipped, and a failure is kept for the probe to report.
   */
  async prepareClients(config: Config = getConfig()): Promise<void> {
    const ready = PATH_IDS.flatMap((path) =>
      IDENTITY_PATHS[path].problems(config).length
        ? []
        : TARGET_IDS.filter((t) => !TARGETS[t].problems(config).length).map((t) =>
            clientFor(this.#state, path, t, config),
          ),
    );
    await Promise.allSettled(ready);
  }

  /** Every path against every target, all in parallel (the sweep). */
  async runSweep(config: Config = getConfig()): Promise<ProbeResult[]> {
    return (await Promise.all(PATH_IDS.map((p) => this.runPath(p, config)))).flat();
  }
}
