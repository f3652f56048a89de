// Runs one identity path against one target (or all three, in parallel): deadline, attestation, classification,
// remediation, sanitizing. A probe never throws and never outlives its deadline; its result is data.
import { getConfig, type Config } from '../config.ts';
import { PATH_IDS, TARGET_IDS, type PathId, type TargetId } from '../ids.ts';
import { credentialFor, forgetCredentials, IDENTITY_PATHS } from '../identities/index.ts';
import { withAnswerLog, type AnswerLog } from '../lastAnswer.ts';
import { TARGETS, type TargetCall, type TargetData } from '../targets/index.ts';
import {
  attest,
  AttestingCredential,
  newTokenRecord,
  withTokenRecord,
  type TokenRecord,
} from './attestation.ts';
import { classify, type Classification } from './classify.ts';
import { raceDeadline } from './deadline.ts';
import { noteReplay } from './replay.ts';
import { remediationFacts } from './facts.ts';
import { remediate, wrongIdentityRemediation } from './remediation.ts';
import { sanitizer } from './sanitize.ts';
import type { Attestation, ProbeResult } from './types.ts';

interface Client {
  wrapper: AttestingCredential;
  call: TargetCall;
}

// One SDK client per (path, target), built on first use and reused: clients hold the token cycler, and their
// construction is not free (ARCHITECTURE "Credentials are built once per process").
const clients = new Map<string, Promise<Client>>();

/** Forgets every client and credential, as a new process would start (tests and benchmarks). */
export function forgetClients(): void {
  clients.clear();
  forgetCredentials();
}

function clientFor(path: PathId, target: TargetId, config: Config): Promise<Client> {
  const key = `${path}/${target}`;
  let p = clients.get(key);
  if (!p) {
    p = (async () => {
      const wrapper = new AttestingCredential(await credentialFor(path, config));
      return { wrapper, call: await TARGETS[target].createCall(wrapper, config) };
    })();
    p.catch(() => {}); // every caller awaits it; this only avoids an unhandled-rejection warning
    clients.set(key, p);
  }
  return p;
}

const round = (ms: number) => Math.round(ms);

/** Probes one identity path against one target. Never throws; resolves by the deadline (PROBE_TIMEOUT_MS). */
export async function runProbe(
  path: PathId,
  target: TargetId,
  config: Config = getConfig(),
): Promise<ProbeResult> {
  const at = new Date().toISOString();
  const started = performance.now();
  let setupMs = 0;
  const expected = IDENTITY_PATHS[path].expected(config);
  const finish = (
    partial: Omit<ProbeResult, 'path' | 'target' | 'at' | 'timings'>,
    record?: TokenRecord,
  ): ProbeResult => {
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
      ...IDENTITY_PATHS[path].report?.(),
    };
    // The one sanitizer, applied to everything that leaves a probe.
    return sanitizer().deep(result);
  };

  const problems = [...IDENTITY_PATHS[path].problems(config), ...TARGETS[target].problems(config)];
  if (problems.length) {
    const c: Classification = {
      kind: 'misconfigured',
      reason: 'setting',
      detail: {
        phase: 'config',
        setting: problems[0].setting,
        message: problems.map((p) => `${p.setting} ${p.problem}`).join('; '),
      },
    };
    return finish({
      outcome: 'misconfigured',
      detail: c.detail,
      remediation: remediate(
        c,
        remediationFacts(path, target, config, expected, undefined, undefined, problems),
      ),
    });
  }

  const record = newTokenRecord();
  const answers: AnswerLog = { answers: [] };
  let client: Client | undefined;
  let credentialReady = false;
  let data: TargetData | undefined;
  let error: unknown;
  try {
    // First use in this process: load the SDK modules and build the credential and client. No I/O, nothing that
    // can hang, but seconds of CPU on a cold start: it is timed (setupMs) and kept out of the deadline.
    await credentialFor(path, config);
    credentialReady = true;
    client = await clientFor(path, target, config);
  } catch (err) {
    error = err;
  }
  setupMs = performance.now() - started;
  if (client) {
    const call = client.call;
    try {
      data = await raceDeadline(
        withAnswerLog(
          () => withTokenRecord(record, () => call(AbortSignal.timeout(config.probeTimeoutMs))),
          answers,
        ),
        config.probeTimeoutMs,
      );
    } catch (err) {
      error = err;
    }
  }
  record.closed = true;

  // Claims of this probe's token; when the SDK client reused its cached token, the claims it was issued with.
  // After a failed getToken the old claims say nothing about this probe.
  const claims =
    record.claims.at(-1) ?? (record.error === undefined ? client?.wrapper.lastClaims : undefined);
  const identity = attest(expected, claims, record.claims.length ? 'credential' : 'client-cache');

  if (error === undefined) {
    if (identity?.matches) return finish({ outcome: 'ok', identity, data }, record);
    const unattested: Attestation = identity ?? {
      tokenFrom: 'client-cache',
      expected: {},
      matches: false,
      mismatches: ['no access token was observed, so the identity cannot be attested'],
    };
    const facts = remediationFacts(path, target, config, expected, unattested);
    return finish(
      { outcome: 'wrong-identity', identity: unattested, data, remediation: wrongIdentityRemediation(facts) },
      record,
    );
  }

  const classified = classify(error, {
    tokenFailed: record.error !== undefined || !credentialReady,
    tokenPending: record.pending > 0,
    managedIdentitySource: config.managedIdentitySource,
    usesManagedIdentity: IDENTITY_PATHS[path].usesManagedIdentity,
    answers: answers.answers,
  });
  const c = {
    ...classified,
    detail: noteReplay(classified.detail, classified.detail.message ?? '', answers.answers),
  };
  if (c.kind === 'timeout' && c.reason === 'token') {
    // A token request that never answers leaves the client's token cycler waiting on it forever (managed
    // identity requests have no timeout: identity-protocols.md §1.7); start the next probe with a fresh client.
    clients.delete(`${path}/${target}`);
  }
  // A token for the wrong identity is the root cause even when the call then failed (e.g. 403 for that principal).
  if (identity && !identity.matches) {
    const facts = remediationFacts(path, target, config, expected, identity);
    return finish(
      { outcome: 'wrong-identity', identity, detail: c.detail, remediation: wrongIdentityRemediation(facts) },
      record,
    );
  }
  const facts = remediationFacts(path, target, config, expected, identity, c.scope);
  return finish({ outcome: c.kind, identity, detail: c.detail, remediation: remediate(c, facts) }, record);
}

/** One path against all three targets, in parallel. */
export function runPath(path: PathId, config: Config = getConfig()): Promise<ProbeResult[]> {
  return Promise.all(TARGET_IDS.map((t) => runProbe(path, t, config)));
}

/** Every path against every target, all in parallel (the sweep). */
export async function runSweep(config: Config = getConfig()): Promise<ProbeResult[]> {
  return (await Promise.all(PATH_IDS.map((p) => runPath(p, config)))).flat();
}
