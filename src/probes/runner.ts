// Runs a planned probe (core/plan.ts: a declared identity against a declared resource, or all of an identity's, in
// parallel): deadline, attestation, classification, the declared expectation, remediation, sanitizing. A probe never
// throws and never outlives its deadline; its result is data.
import type { TokenCredential } from '@azure/identity';
import type { Config, SettingIssue } from '../config.ts';
import { Credentials } from '../identities/index.ts';
import type { Plan, PlannedProbe } from '../core/plan.ts';
import { probesOf } from '../core/plan.ts';
import { withAnswerLog, type AnswerLog } from '../core/answerLog.ts';
import type { TargetCall } from '../core/plugins.ts';
import type { TargetData } from '../core/results.ts';
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
import { remediationFacts, type Cell } from './remediationFacts.ts';
import { remediate, unexpectedAccessRemediation, wrongIdentityRemediation } from './remediation.ts';
import { sanitizer } from '../core/sanitize.ts';
import type { AccessGrant, Attestation, ProbeResult, Remediation } from '../core/results.ts';

type Client = AttestedClient<TargetCall>;

function newClient(credential: TokenCredential, cell: Probe): Promise<Client> {
  return attestedClient(credential, (wrapper) => cell.targetModule.createCall(wrapper, cell.config));
}

/** A probe with what runs it: the declared names, the path and target modules, its settings, its expectation. */
interface Probe extends Cell {
  planned: PlannedProbe;
  config: Config;
  /** The declared identity, for its credential (one per identity, shared by its probes). */
  owner: { name: string; path: Cell['pathModule']; config: Config };
}

function probeOfPlan(plan: Plan, planned: PlannedProbe): Probe {
  const identity = plan.identities.get(planned.identity)!;
  const resource = plan.resources.get(planned.resource)!;
  return {
    path: planned.identity,
    target: planned.resource,
    pathModule: identity.path,
    targetModule: resource.target,
    planned,
    config: planned.config,
    owner: identity,
  };
}

/** The runner's state: the paths' credentials, one SDK client per (path, target) around them, replayed errors. */
interface Clients {
  credentials: Credentials;
  clients: ClientMemo<string, TargetCall>;
  replays: ReplayMemory;
}

const clientKey = (p: Probe) => `${p.path}/${p.target}`;

function clientFor({ credentials, clients }: Clients, p: Probe) {
  return clients.get(clientKey(p), async () => newClient(await credentials.for(p.owner), p));
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
export type Findings = Omit<ProbeResult, 'path' | 'target' | 'probe' | 'expect' | 'at' | 'timings'>;

/**
 * Builds the result: timings from the probe's clock and token record, how the token was obtained (fresh or the
 * cached one), the path's own report, sanitized.
 */
function resultBuilder(p: Probe, options: ProbeOptions) {
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
      const { id, expect } = p.planned;
      const result: ProbeResult = {
        path: p.path,
        target: p.target,
        ...(id !== `${p.path}/${p.target}` ? { probe: id } : {}),
        ...(expect === 'denied' ? { expect } : {}),
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
        ...p.pathModule.report?.(),
      };
      // The one sanitizer, applied to everything that leaves a probe.
      return sanitizer().deep(declaredNames(result, p.planned.settingNames));
    },
  };
}

/**
 * A result in the declaration's words: the modules name their own settings (UAMI_CLIENT_ID), the declaration may
 * call them otherwise (API_CLIENT_ID, or a field of an entry). Commands are renamed only to setting names.
 */
function declaredNames(result: ProbeResult, names: Readonly<Record<string, string>>): ProbeResult {
  const entries = Object.entries(names);
  if (!entries.length) return result;
  const rename = (text: string, settingsOnly = false) =>
    entries.reduce(
      (t, [from, to]) =>
        settingsOnly && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(to)
          ? t
          : t.replace(new RegExp(`\\b${from}\\b`, 'g'), to),
      text,
    );
  const { detail, remediation } = result;
  return {
    ...result,
    ...(detail
      ? {
          detail: {
            ...detail,
            ...(detail.setting ? { setting: rename(detail.setting) } : {}),
            ...(detail.message ? { message: rename(detail.message) } : {}),
          },
        }
      : {}),
    ...(remediation
      ? {
          remediation: {
            ...remediation,
            summary: rename(remediation.summary),
            ...(remediation.command ? { command: rename(remediation.command, true) } : {}),
          },
        }
      : {}),
  };
}

/** `misconfigured` before anything runs: the settings the path or the target needs are missing or invalid. */
function misconfigured(p: Probe, problems: SettingIssue[]): Findings {
  const c: Classification = {
    kind: 'misconfigured',
    reason: 'setting',
    detail: {
      phase: 'config',
      setting: problems[0].setting,
      message: problems.map((p) => `${p.setting} ${p.problem}`).join('; '),
    },
  };
  const expected = p.pathModule.expected(p.config);
  const facts = remediationFacts(p, p.config, expected, undefined, undefined, problems);
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
  p: Probe,
  record: TokenRecord,
  setupDone: () => void,
  options: ProbeOptions,
): Promise<Run> {
  const run: Run = { credentialReady: false, answers: { answers: [] } };
  const config = p.config;
  try {
    // First use in this process: load the SDK modules and build the credential and client. No I/O, nothing that
    // can hang, but seconds of CPU on a cold start: it is timed (setupMs). The app does it at start
    // (functions/warmup.ts); an HTTP probe with `deadlineAt` counts it in its deadline, other callers do not. A
    // timer run brings a fresh credential instead, and gets a new client around it (no cache answers).
    const fresh = await options.freshCredential;
    if (!fresh) await state.credentials.for(p.owner);
    run.credentialReady = true;
    run.client = fresh ? await newClient(fresh, p) : await clientFor(state, p);
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

/** 403 reasons that say the identity lacks a permission (probes/classify.ts, targets' `forbidden` rules). */
const REFUSALS = new Set(['rbac', 'access-policy']);

/** What the run shows: ok, the wrong identity, or the classified failure with its remediation. */
function findingsOf(
  state: Clients,
  p: Probe,
  record: TokenRecord,
  run: Run,
  options: ProbeOptions,
): Findings {
  const config = p.config;
  const expected = p.pathModule.expected(config);
  // Claims of this probe's token; when the SDK client reused its cached token, the claims it was issued with.
  // After a failed getToken the old claims say nothing about this probe.
  const claims = claimsOf(record, run.client?.wrapper);
  const identity = attest(expected, claims, record.claims.length ? 'credential' : 'client-cache');
  const wrongIdentity = (who: Attestation, extra: Partial<Findings>): Findings => ({
    outcome: 'wrong-identity',
    identity: who,
    ...extra,
    remediation: wrongIdentityRemediation(remediationFacts(p, config, expected, who)),
  });

  const denied = p.planned.expect === 'denied';
  if (run.error === undefined) {
    if (identity?.matches) {
      if (!denied) return { outcome: 'ok', identity, data: run.data };
      // unexpectedly-allowed: grants. The generic remediation names the role and scope; the runner's explainer
      // (ProbeRunner options.explainAccess) replaces it with the grants that let the identity in.
      const facts = remediationFacts(p, config, expected, identity);
      return {
        outcome: 'unexpectedly-allowed',
        identity,
        data: run.data,
        remediation: unexpectedAccessRemediation(facts),
      };
    }
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
    usesManagedIdentity: p.pathModule.usesManagedIdentity,
    answers: run.answers.answers,
  });
  const c = {
    ...classified,
    detail: state.replays.note(classified.detail, classified.detail.message ?? '', run.answers.answers),
  };
  if (c.kind === 'timeout' && c.reason === 'token' && !options.freshCredential) {
    // A token request that never answers leaves the client's token cycler waiting on it forever (managed
    // identity requests have no timeout: docs/identity-wire.md §1.7); start the next probe with a fresh client.
    state.clients.forget(clientKey(p));
  }
  // A token for the wrong identity is the root cause even when the call then failed (e.g. 403 for that principal).
  if (identity && !identity.matches) return wrongIdentity(identity, { detail: c.detail });
  // A denied probe refused by the service for want of a permission (Key Vault ForbiddenByRbac or an access policy,
  // Storage AuthorizationPermissionMismatch, ARM AuthorizationFailed), as the attested identity: what was declared.
  // Any other failure (no token, a firewall, a timeout) proves nothing about the identity's access and stays one.
  if (denied && identity?.matches && c.kind === 'forbidden' && REFUSALS.has(c.reason))
    return {
      outcome: 'ok',
      identity,
      data: { refused: true, statusCode: c.detail.statusCode ?? 403, code: c.detail.code ?? null },
    };
  const facts = remediationFacts(p, config, expected, identity, c.scope);
  return { outcome: c.kind, identity, detail: c.detail, remediation: remediate(c, facts) };
}

/**
 * Explains an `unexpectedly-allowed` result: the grants that let the identity in and the command that removes them
 * (the privileges check does it: privileges/unexpected.ts; the composition root, orchestration/app.ts, hands it in).
 * Undefined: keep the generic remediation.
 */
export type ExplainAccess = (
  probe: Cell & { config: Config },
  findings: Findings,
  budgetMs: number,
) => Promise<{ remediation: Remediation; grants: AccessGrant[] } | undefined>;

export interface RunnerOptions {
  explainAccess?: ExplainAccess;
}

/**
 * Runs the probes. It keeps one SDK client per (path, target), built on first use and reused: clients hold the
 * token cycler, and their construction is not free (docs/design.md "Credentials are built once per process"). One
 * per app (orchestration/app.ts); a new one starts as a new process would (no credential, no client, no token).
 */
export class ProbeRunner {
  readonly #state: Clients;

  readonly #explainAccess: ExplainAccess | undefined;

  constructor(credentials: Credentials = new Credentials(), options: RunnerOptions = {}) {
    this.#state = { credentials, clients: new ClientMemo(), replays: new ReplayMemory() };
    this.#explainAccess = options.explainAccess;
  }

  /** The `path/target` keys of the clients built so far. */
  preparedClientKeys(): string[] {
    return this.#state.clients.keys().sort();
  }

  /**
   * Probes one declared probe (an identity against a resource). Never throws; resolves by the deadline
   * (PROBE_TIMEOUT_MS).
   */
  async runProbe(plan: Plan, planned: PlannedProbe, options: ProbeOptions = {}): Promise<ProbeResult> {
    const p = probeOfPlan(plan, planned);
    const { finish, setupDone } = resultBuilder(p, options);
    const problems = [...p.pathModule.problems(p.config), ...p.targetModule.problems(p.config)];
    if (problems.length) return finish(misconfigured(p, problems));
    const record = newTokenRecord();
    const run = await execute(this.#state, p, record, setupDone, options);
    const findings = findingsOf(this.#state, p, record, run, options);
    if (findings.outcome === 'unexpectedly-allowed' && this.#explainAccess) {
      // The grants that let it in, looked up with what is left of the probe's deadline.
      const explained = await this.#explainAccess(
        p,
        findings,
        remainingMs(p.config.probeTimeoutMs, options.deadlineAt),
      ).catch(() => undefined);
      if (explained) Object.assign(findings, explained);
    }
    return finish(findings, record);
  }

  /** One declared identity against its resources (or one of them), in parallel. */
  runIdentity(
    plan: Plan,
    identity: string,
    options: ProbeOptions = {},
    resource?: string,
  ): Promise<ProbeResult[]> {
    const probes = probesOf(plan, identity).filter((p) => resource === undefined || p.resource === resource);
    return Promise.all(probes.map((planned) => this.runProbe(plan, planned, options)));
  }

  /**
   * Builds every probe's credential and SDK client ahead of the first request (app start: functions/warmup.ts).
   * No I/O; a probe whose settings are missing is skipped, and a failure is kept for the probe to report.
   */
  async prepareClients(plan: Plan): Promise<void> {
    const ready = plan.probes
      .map((planned) => probeOfPlan(plan, planned))
      .filter((p) => !p.pathModule.problems(p.config).length && !p.targetModule.problems(p.config).length)
      .map((p) => clientFor(this.#state, p));
    await Promise.allSettled(ready);
  }

  /** Every declared probe, all in parallel (the sweep). */
  async runSweep(plan: Plan): Promise<ProbeResult[]> {
    return Promise.all(plan.probes.map((planned) => this.runProbe(plan, planned)));
  }
}
