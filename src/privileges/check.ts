// The privileges check of one identity (docs/privileges.md): with the credential of one of its paths it reads its
// own effective permissions at each scope the wiring names (one ARM request per scope, in parallel, under the
// probe deadline), compares them with its declared roles (inherited ones included) and, when something is beyond
// them, names the granting assignment and the command that removes it. Missing rights are not its business: the
// probes report them as `forbidden`. Never throws; the result is sanitized like a probe's.
import { getConfig, type Config } from '../config.ts';
import type { PathId } from '../ids.ts';
import { Credentials, IDENTITY_PATHS } from '../identities/index.ts';
import { attest, newTokenRecord } from '../core/attestation.ts';
import {
  attestedCall,
  attestedClient,
  claimsOf,
  ClientMemo,
  type AttestedClient,
} from '../core/attestedCall.ts';
import { classify } from '../probes/classify.ts';
import { raceDeadline } from '../core/deadline.ts';
import { sanitizer } from '../core/sanitize.ts';
import type { ErrorDetail } from '../core/results.ts';
import { countingRequests, createPrivilegesArm, type PrivilegesArm } from './arm.ts';
import { failedLookup, findGrants, type RoleDefinitions } from './attribute.ts';
import {
  DECLARED_ASSIGNMENTS,
  declaredRole,
  identityOfPath,
  SCOPE_KEYS,
  type IdentityKey,
  type PermissionBlock,
} from './catalog.ts';
import { excessOf } from './compare.ts';
import { resolveScopes, SCOPE_SETTINGS, scopeCovers, type ScopeIds } from './scopes.ts';
import type { Finding, PrivilegesResult, ScopeCheck } from './types.ts';

type Client = AttestedClient<PrivilegesArm>;

/** The last lookup per identity: reused while the excess stays the same, so a steady state costs no extra request. */
type LastLookups = Map<IdentityKey, { fingerprint: string; findings: Finding[] }>;

function declaredBlocks(identity: IdentityKey, scopeIds: ScopeIds, scope: string) {
  const here = DECLARED_ASSIGNMENTS.filter(
    (d) => d.identity === identity && scopeIds[d.scope] && scopeCovers(scopeIds[d.scope]!, scope),
  );
  return {
    roles: [...new Set(here.map((d) => d.role))],
    blocks: here.flatMap((d) => declaredRole(d.role).permissions),
  };
}

type Read = { blocks: PermissionBlock[] } | { error: unknown };

function scopeChecks(
  identity: IdentityKey,
  scopeIds: ScopeIds,
  reads: Map<string, Read>,
  detailOf: (e: unknown) => { kind: ScopeCheck['outcome']; detail: ErrorDetail },
): ScopeCheck[] {
  return SCOPE_KEYS.map((scope): ScopeCheck => {
    const id = scopeIds[scope];
    if (!id)
      return {
        scope,
        outcome: 'misconfigured',
        entries: 0,
        declaredRoles: [],
        detail: { phase: 'config', message: `not named by the settings (${SCOPE_SETTINGS[scope]})` },
      };
    const { roles, blocks } = declaredBlocks(identity, scopeIds, id);
    const read = reads.get(scope)!;
    if ('error' in read) {
      const { kind, detail } = detailOf(read.error);
      return { scope, id, outcome: kind, entries: 0, declaredRoles: roles, detail };
    }
    const excess = excessOf(read.blocks, blocks);
    return {
      scope,
      id,
      outcome: excess ? 'over-privileged' : 'ok',
      entries: read.blocks.length,
      declaredRoles: roles,
      ...(excess ? { excess } : {}),
    };
  });
}

/** Checks the identity of `path` with that path's credential. Never throws; bounded by PROBE_TIMEOUT_MS. */
export class PrivilegesChecker {
  readonly #credentials: Credentials;
  /** One ARM client per path, around an attesting wrapper of the path's credential (core/attestedCall.ts). */
  readonly #clients = new ClientMemo<PathId, PrivilegesArm>();
  readonly #lastLookup: LastLookups = new Map();
  /** Definitions of undeclared roles read from ARM, by GUID: read once (they rarely change). */
  readonly #definitions: RoleDefinitions = new Map();

  /** `credentials`: the paths' credentials, shared with the probes (one set per app: orchestration/app.ts). */
  constructor(credentials: Credentials = new Credentials()) {
    this.#credentials = credentials;
  }

  #clientFor(path: PathId, config: Config): Promise<Client> {
    return this.#clients.get(path, async () =>
      attestedClient(await this.#credentials.for(path, config), (wrapper) =>
        createPrivilegesArm(wrapper, config),
      ),
    );
  }

  async check(path: PathId, config: Config = getConfig()): Promise<PrivilegesResult> {
    const at = new Date().toISOString();
    const started = performance.now();
    const identity = identityOfPath(path);
    const expected = IDENTITY_PATHS[path].expected(config);
    const scopeIds = resolveScopes(config);
    const base = {
      identity,
      path,
      at,
      scopes: [] as ScopeCheck[],
      findings: [] as Finding[],
      armRequests: 0,
    };
    const done = (r: Pick<PrivilegesResult, 'outcome'> & Partial<PrivilegesResult>) =>
      sanitizer().deep({
        ...base,
        ...r,
        totalMs: Math.round(performance.now() - started),
      }) as PrivilegesResult;
    const problems = IDENTITY_PATHS[path].problems(config);
    if (problems.length || !config.arm.subscriptionId) {
      const setting = problems[0]?.setting ?? 'AZURE_SUBSCRIPTION_ID';
      const message = problems.length
        ? problems.map((p) => `${p.setting} ${p.problem}`).join('; ')
        : 'is not set';
      return done({ outcome: 'misconfigured', detail: { phase: 'config', setting, message } });
    }
    const record = newTokenRecord();
    let client: Client;
    try {
      client = await this.#clientFor(path, config);
    } catch (err) {
      const c = classify(err, classifyContext(path, config, true, false));
      return done({ outcome: c.kind, detail: c.detail });
    }
    const signal = AbortSignal.timeout(config.probeTimeoutMs);
    // Each scope's read has its own deadline (readAll), so the call as a whole needs none.
    const { value: reads, requests } = await countingRequests(() =>
      attestedCall(record, () => readAll(client.client, scopeIds, config, signal)),
    );
    // A token request that never answered leaves the client's token cycler waiting on it (as in the runner): the next
    // check starts with a fresh client.
    if (record.pending > 0) this.#clients.forget(path);
    const claims = claimsOf(record, client.wrapper);
    const attestation = attest(expected, claims, record.claims.length ? 'credential' : 'client-cache');
    const detailOf = (e: unknown) => {
      const c = classify(e, classifyContext(path, config, record.error !== undefined, record.pending > 0));
      return { kind: c.kind, detail: c.detail };
    };
    const scopes = scopeChecks(identity, scopeIds, reads, detailOf);
    const principalId = attestation?.oid;
    if (attestation && !attestation.matches)
      return done({
        outcome: 'wrong-identity',
        principalId,
        scopes,
        armRequests: requests,
        detail: { phase: 'token', message: attestation.mismatches.join('; ') },
      });
    return done(
      await withFindings(client.client, this.#lastLookup, this.#definitions, {
        identity,
        principalId,
        scopes,
        scopeIds,
        config,
        signal,
        requests,
      }),
    );
  }
}

function classifyContext(path: PathId, config: Config, tokenFailed: boolean, tokenPending: boolean) {
  return {
    tokenFailed,
    tokenPending,
    managedIdentitySource: config.managedIdentitySource,
    usesManagedIdentity: IDENTITY_PATHS[path].usesManagedIdentity,
  };
}

async function readAll(arm: PrivilegesArm, scopeIds: ScopeIds, config: Config, signal: AbortSignal) {
  const reads = new Map<string, Read>();
  await Promise.all(
    SCOPE_KEYS.filter((k) => scopeIds[k]).map(async (k) => {
      try {
        reads.set(k, {
          blocks: await raceDeadline(arm.permissions(scopeIds[k]!, signal), config.probeTimeoutMs),
        });
      } catch (error) {
        reads.set(k, { error });
      }
    }),
  );
  return reads;
}

interface FindingsInput {
  identity: IdentityKey;
  principalId?: string;
  scopes: ScopeCheck[];
  scopeIds: ScopeIds;
  config: Config;
  signal: AbortSignal;
  requests: number;
}

/** The outcome, and for excess the granting assignments (from the last lookup when the excess is unchanged). */
async function withFindings(
  arm: PrivilegesArm,
  lastLookup: LastLookups,
  definitions: RoleDefinitions,
  x: FindingsInput,
) {
  const over = x.scopes.filter((s) => s.excess);
  // A scope that could not be read (or named) leaves the check incomplete: never "ok" then.
  const failed = x.scopes.find((s) => s.outcome !== 'ok' && s.outcome !== 'over-privileged');
  const result = { principalId: x.principalId, scopes: x.scopes, armRequests: x.requests };
  if (!over.length) {
    lastLookup.delete(x.identity);
    return failed
      ? { ...result, outcome: failed.outcome, detail: failed.detail }
      : { ...result, outcome: 'ok' as const };
  }
  const fingerprint = JSON.stringify([x.principalId, over.map((s) => [s.scope, s.excess])]);
  const last = lastLookup.get(x.identity);
  let findings: Finding[];
  let lookup: PrivilegesResult['lookup'];
  let requests = x.requests;
  if (last?.fingerprint === fingerprint) [findings, lookup] = [last.findings, 'cached'];
  else {
    // Bounded like the reads: a lookup that misses the deadline is a failed lookup, not a hung check.
    const counted = await countingRequests(() =>
      raceDeadline(
        findGrants(arm, { ...x, principalId: x.principalId ?? '', checks: x.scopes, definitions }),
        x.config.probeTimeoutMs,
      ).catch(() => failedLookup(x.scopes, x.principalId ?? '')),
    );
    ({ findings, lookup } = counted.value);
    requests += counted.requests;
    // A failed lookup is retried next run; an answer (even "not permitted") stands while the excess is the same.
    if (lookup !== 'failed') lastLookup.set(x.identity, { fingerprint, findings });
  }
  const commands = findings.map((f) => f.remediation.command).filter(Boolean);
  const remediation = {
    summary: `${x.identity} holds more than the wiring declares at ${over.map((s) => s.scope).join(', ')}: ${findings.map((f) => f.remediation.summary).join(' ')}`,
    ...(commands.length ? { command: commands.join(' && ') } : {}),
  };
  return {
    ...result,
    outcome: 'over-privileged' as const,
    findings,
    lookup,
    armRequests: requests,
    remediation,
  };
}
