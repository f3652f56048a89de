// The privileges check of one identity (docs/privileges.md): with the credential of one of its paths it reads its
// own effective permissions at each scope the wiring names (one ARM request per scope, in parallel, under the
// probe deadline), compares them with its declared roles (inherited ones included) and, when something is beyond
// them, names the granting assignment and the command that removes it. Missing rights are not its business: the
// probes report them as `forbidden`. Never throws; the result is sanitized like a probe's.
import type { TokenCredential } from '@azure/identity';
import { getConfig, type Config } from '../config.ts';
import type { PathId } from '../ids.ts';
import type { IdentityPath } from '../core/plugins.ts';
import type { Plan } from '../core/plan.ts';
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
import { BUILT_IN_ROLES } from '../../common/built-in-roles.ts';
import { countingRequests, createPrivilegesArm, type PrivilegesArm } from './arm.ts';
import { failedLookup, findGrants, type RoleDefinitions } from './attribute.ts';
import { DECLARED_ASSIGNMENTS, identityOfPath, SCOPE_KEYS, type PermissionBlock } from './catalog.ts';
import { excessOf } from './compare.ts';
import {
  checkedIdentities,
  checkedIdentityOf,
  checkName,
  unnamedVaults,
  vaultKey,
  type CheckedScope,
  type DeclaredGrant,
  type VaultIds,
} from './declared.ts';
import { resolveScopes, SCOPE_SETTINGS, scopeCovers } from './scopes.ts';
import type { Finding, PrivilegesResult, ScopeCheck } from './types.ts';

type Client = AttestedClient<PrivilegesArm>;

/** The last lookup per identity: reused while the excess stays the same, so a steady state costs no extra request. */
type LastLookups = Map<string, { fingerprint: string; findings: Finding[] }>;

/** What one check reads and compares: who, with which credential, where, and what it may hold there. */
export interface CheckSubject {
  /** The identity's name in the result. */
  identity: string;
  /** The declared identity (or path) whose credential runs the check. */
  path: string;
  /** Every declared name of this principal (plan checks). */
  names?: string[];
  module: IdentityPath;
  config: Config;
  scopes: readonly CheckedScope[];
  grants: readonly Pick<DeclaredGrant, 'role' | 'scope'>[];
}

const permissionsOf = (role: string): PermissionBlock[] => {
  const def = BUILT_IN_ROLES.find((r) => r.roleName === role);
  if (!def)
    throw new Error(`role '${role}' is declared but common/built-in-roles.ts has no definition of it`);
  return def.permissions;
};

function declaredBlocks(grants: CheckSubject['grants'], scope: string) {
  const here = grants.filter((d) => scopeCovers(d.scope, scope));
  return {
    roles: [...new Set(here.map((d) => d.role))],
    blocks: here.flatMap((d) => permissionsOf(d.role)),
  };
}

type Read = { blocks: PermissionBlock[] } | { error: unknown };

function scopeChecks(
  subject: CheckSubject,
  reads: Map<string, Read>,
  detailOf: (e: unknown) => { kind: ScopeCheck['outcome']; detail: ErrorDetail },
): ScopeCheck[] {
  return subject.scopes.map(({ name: scope, id, problem }): ScopeCheck => {
    if (!id)
      return {
        scope,
        outcome: 'misconfigured',
        entries: 0,
        declaredRoles: [],
        detail: { phase: 'config', message: problem ?? 'not named by the settings' },
      };
    const { roles, blocks } = declaredBlocks(subject.grants, id);
    const read = reads.get(id)!;
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

/** The canary's check of a path's identity, from the catalog (privileges/catalog.ts): what infra/ deploys. */
export function catalogSubject(path: PathId, config: Config): CheckSubject {
  const identity = identityOfPath(path);
  const ids = resolveScopes(config);
  return {
    identity,
    path,
    module: IDENTITY_PATHS[path],
    config,
    scopes: SCOPE_KEYS.map((k) =>
      ids[k]
        ? { name: k, id: ids[k] }
        : { name: k, problem: `not named by the settings (${SCOPE_SETTINGS[k]})` },
    ),
    grants: DECLARED_ASSIGNMENTS.filter((d) => d.identity === identity && ids[d.scope]).map((d) => ({
      role: d.role,
      scope: ids[d.scope]!,
    })),
  };
}

/**
 * The check of a declared identity (docs/privileges.md "Declared access"): its principal's declared access from the
 * plan (declared.ts). Undefined when the plan has no identity of that name.
 */
export function planSubject(
  plan: Plan,
  name: string,
  app: Config,
  vaults?: VaultIds,
): CheckSubject | undefined {
  const g = checkedIdentityOf(plan, app, name, vaults);
  if (!g) return undefined;
  return {
    identity: checkName(g),
    path: g.name,
    names: g.names,
    module: g.identity.path,
    config: g.identity.config,
    scopes: g.scopes,
    grants: g.grants,
  };
}

/** Checks an identity with its credential. Never throws; bounded by PROBE_TIMEOUT_MS. */
export class PrivilegesChecker {
  readonly #credentials: Credentials;
  /** One ARM client per checking identity, around an attesting wrapper of its credential (core/attestedCall.ts). */
  readonly #clients = new ClientMemo<string, PrivilegesArm>();
  readonly #lastLookup: LastLookups = new Map();
  /** Definitions of undeclared roles read from ARM, by GUID: read once (they rarely change). */
  readonly #definitions: RoleDefinitions = new Map();
  /** Vault ids found by URI (declared.ts VaultIds): a vault does not move. */
  readonly #vaults = new Map<string, string>();
  /** Plans whose unnamed vaults were looked up (once per plan, found or not). */
  readonly #vaultsLooked = new WeakSet<Plan>();

  /** `credentials`: the paths' credentials, shared with the probes (one set per app: orchestration/app.ts). */
  constructor(credentials: Credentials = new Credentials()) {
    this.#credentials = credentials;
  }

  /** The subject's credential: the probes' own, by declared name (one token cache per identity). */
  #credentialOf(s: CheckSubject): Promise<TokenCredential> {
    return this.#credentials.for({ name: s.path, path: s.module, config: s.config });
  }

  #clientFor(s: CheckSubject): Promise<Client> {
    return this.#clients.get(s.path, async () =>
      attestedClient(await this.#credentialOf(s), (wrapper) => createPrivilegesArm(wrapper, s.config)),
    );
  }

  /** The canary's check of the path's identity (the catalog's declared roles). */
  check(path: PathId, config: Config = getConfig()): Promise<PrivilegesResult> {
    return this.checkSubject(catalogSubject(path, config));
  }

  /**
   * The check of the declared identity `name` (any of its principal's names), from the plan; undefined when the plan
   * declares no such identity.
   */
  async checkDeclared(
    plan: Plan,
    name: string,
    app: Config = getConfig(),
  ): Promise<PrivilegesResult | undefined> {
    await this.#lookUpVaults(plan, app);
    const subject = planSubject(plan, name, app, this.#vaults);
    return subject && this.checkSubject(subject);
  }

  /**
   * The vault ids a vault URL does not tell (the sandbox's loopback URL, a private endpoint's custom host), looked up by
   * URI in the resource group the settings name, once per plan: with each principal's credential in turn until one may
   * read the group's vaults (the metadata lookup is not the checked identity's access; its check still reads only its
   * own permissions). Bounded by PROBE_TIMEOUT_MS; what is not found stays `misconfigured`.
   */
  async #lookUpVaults(plan: Plan, app: Config): Promise<void> {
    if (this.#vaultsLooked.has(plan)) return;
    this.#vaultsLooked.add(plan);
    const wanted = unnamedVaults(plan, app, this.#vaults);
    if (!wanted.length) return;
    const work = (async () => {
      for (const g of checkedIdentities(plan, app)) {
        const left = wanted.filter((v) => !this.#vaults.has(vaultKey(v.url)));
        if (!left.length) return;
        const owner = { name: g.name, path: g.identity.path, config: g.identity.config };
        try {
          const arm = await createPrivilegesArm(await this.#credentials.for(owner), g.identity.config);
          const signal = AbortSignal.timeout(app.probeTimeoutMs);
          for (const v of left) {
            const id = await arm.vaultIdByUri(v.resourceGroup, v.url, signal);
            if (id) this.#vaults.set(vaultKey(v.url), id);
          }
        } catch {
          // this identity may not read the group's vaults: the next one may
        }
      }
    })();
    await raceDeadline(work, app.probeTimeoutMs).catch(() => {});
  }

  async checkSubject(subject: CheckSubject): Promise<PrivilegesResult> {
    const at = new Date().toISOString();
    const started = performance.now();
    const { identity, path, config, module } = subject;
    const expected = module.expected(config);
    const base = {
      identity,
      path,
      ...(subject.names ? { names: subject.names } : {}),
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
    const problems = module.problems(config);
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
      client = await this.#clientFor(subject);
    } catch (err) {
      const c = classify(err, classifyContext(module, config, true, false));
      return done({ outcome: c.kind, detail: c.detail });
    }
    const signal = AbortSignal.timeout(config.probeTimeoutMs);
    // Each scope's read has its own deadline (readAll), so the call as a whole needs none.
    const { value: reads, requests } = await countingRequests(() =>
      attestedCall(record, () => readAll(client.client, subject.scopes, config, signal)),
    );
    // A token request that never answered leaves the client's token cycler waiting on it (as in the runner): the next
    // check starts with a fresh client.
    if (record.pending > 0) this.#clients.forget(path);
    const claims = claimsOf(record, client.wrapper);
    const attestation = attest(expected, claims, record.claims.length ? 'credential' : 'client-cache');
    const detailOf = (e: unknown) => {
      const c = classify(e, classifyContext(module, config, record.error !== undefined, record.pending > 0));
      return { kind: c.kind, detail: c.detail };
    };
    const scopes = scopeChecks(subject, reads, detailOf);
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
        grants: subject.grants,
        config,
        signal,
        requests,
      }),
    );
  }
}

function classifyContext(module: IdentityPath, config: Config, tokenFailed: boolean, tokenPending: boolean) {
  return {
    tokenFailed,
    tokenPending,
    managedIdentitySource: config.managedIdentitySource,
    usesManagedIdentity: module.usesManagedIdentity,
  };
}

/** Reads each named scope's permissions, in parallel, each under the deadline; keyed by the scope's ARM id. */
async function readAll(
  arm: PrivilegesArm,
  scopes: readonly CheckedScope[],
  config: Config,
  signal: AbortSignal,
) {
  const reads = new Map<string, Read>();
  await Promise.all(
    scopes
      .filter((s) => s.id)
      .map(async ({ id }) => {
        try {
          reads.set(id!, { blocks: await raceDeadline(arm.permissions(id!, signal), config.probeTimeoutMs) });
        } catch (error) {
          reads.set(id!, { error });
        }
      }),
  );
  return reads;
}

interface FindingsInput {
  identity: string;
  principalId?: string;
  scopes: ScopeCheck[];
  grants: CheckSubject['grants'];
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
        findGrants(arm, {
          principalId: x.principalId ?? '',
          declared: x.grants,
          listAt: listScopes(x.scopes),
          checks: x.scopes,
          signal: x.signal,
          definitions,
        }),
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

/**
 * Where to list the identity's role assignments: the resource group of each checked scope (the subscription for a
 * scope above every group), so each list holds the assignments at, above and below the scopes in it.
 */
function listScopes(scopes: readonly ScopeCheck[]): string[] {
  const out = new Map<string, string>();
  for (const s of scopes) {
    if (!s.id) continue;
    const at = s.id.split('/').slice(0, 5).join('/');
    out.set(at.toLowerCase(), at);
  }
  // A subscription is covered by any group's list (it holds the assignments above the group).
  const groups = [...out.values()].filter((a) => a.split('/').length === 5);
  return groups.length ? groups : [...out.values()];
}
