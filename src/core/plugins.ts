// The plug-in contracts: what an identity path (src/identities/*) and a target (src/targets/*) implement, and the
// types through which they hand their own knowledge to the generic probe code: how to read their errors
// (probes/classify.ts) and how to fix their failures (probes/remediation.ts). Types only: no path or target is
// named here, and nothing of identities/, targets/ or probes/ is imported (docs/design.md "Parts and arrows").
import type { TokenCredential } from '@azure/identity';
import type { Config, SettingIssue } from '../config.ts';
import type { OutcomeKind, PathId, TargetId } from '../ids.ts';
import type { Answer } from './answerLog.ts';
import type { ErrorDetail, FederatedTokenStatus, Remediation, TargetData } from './results.ts';

/** One expected claim value and the setting it comes from (so a mismatch can name the setting). */
export interface ExpectedClaim {
  value: string;
  setting: string;
}

/** The identity the settings say a path must come back as (docs/design.md "Attestation"). */
export interface ExpectedIdentity {
  /** e.g. "the app's system-assigned identity". */
  description: string;
  oid?: ExpectedClaim;
  appid?: ExpectedClaim;
  /** Compared case-insensitively, and only when the token carries xms_mirid (docs/identity-wire.md §11). */
  xmsMirid?: ExpectedClaim;
  tid?: ExpectedClaim;
  /** How the credential selects the identity; used by remediation (`az functionapp identity assign`). */
  selector: {
    kind: 'system' | 'clientId' | 'objectId' | 'resourceId' | 'clientAssertion';
    value?: string;
    setting?: string;
  };
  /** ARM resource id of the user-assigned identity when known (UAMI_RESOURCE_ID). */
  resourceId?: string;
}

/** One identity path: one small module per path, one entry point each (docs/design.md "Patterns followed" 1). */
export interface IdentityPath {
  id: PathId;
  /** How the credential is built, for humans: `ManagedIdentityCredential({ clientId })`. */
  credential: string;
  /** Missing or invalid settings that stop this path from running (empty when it can run). */
  problems(config: Config): SettingIssue[];
  expected(config: Config): ExpectedIdentity;
  /**
   * Which token cache entry the credential fills: msal-node keys managed-identity tokens by selector
   * (docs/identity-wire.md §1.8), so two paths with the same key share tokens.
   */
  cacheKey(config: Config): string;
  /**
   * Builds the credential. Called once per process (identities/index.ts memoizes it), and once per timer run with
   * `fresh` (identities/fresh.ts): then nothing cached may answer, e.g. the external token is read again.
   */
  create(config: Config, options?: { fresh?: boolean }): Promise<TokenCredential>;
  /** Whether the credential asks a managed identity endpoint (false: it asks Entra ID itself). */
  usesManagedIdentity: boolean;
  /** Who issues this path's tokens, for remediation sentences. */
  tokenIssuer(config: Config): string;
  /** What this path adds to each of its results (never a token). */
  report?(): PathReport;
  /** Facts only this path knows, for its remediation hook. */
  facts?(config: Config): Record<string, string | undefined>;
  /** How to read this path's own errors (probes/classify.ts). */
  errors?: ErrorKnowledge;
  /** Its own remediation for some classifications (probes/remediation.ts asks it first). */
  remediate?: RemediationHook;
}

/** Path-specific fields of a probe result. */
export interface PathReport {
  /** The federated path: where the external token comes from, when it expires and will be refreshed. */
  federatedToken?: FederatedTokenStatus;
}

/** The one least-privilege call of a target, bound to one client (built once per path x target). */
export type TargetCall = (abortSignal: AbortSignal) => Promise<TargetData>;

export interface Target {
  /** A catalog target's id, or the id of a target only a declaration probes (e.g. `queue`). */
  id: TargetId | (string & {});
  /** The least built-in role that allows the call (docs/design.md "Targets"; common/catalog.ts TARGETS). */
  role: string;
  /** The token audience the SDK requests for this target (for attestation notes). */
  audience(config: Config): string;
  problems(config: Config): SettingIssue[];
  /** The exact ARM scope a role assignment for this target belongs on, as far as settings tell. */
  scope(config: Config): string;
  createCall(credential: TokenCredential, config: Config): Promise<TargetCall>;
  /** The service's name in sentences, e.g. "Key Vault". */
  service: string;
  /** The setting that points at the service's endpoint. */
  endpointSetting: string;
  /** Names of its resources read from settings, for its remediation hook. */
  facts(config: Config): Record<string, string | undefined>;
  /** How to read the service's own errors (probes/classify.ts). */
  errors?: ErrorKnowledge;
  /** Its own remediation for some classifications (probes/remediation.ts asks it first). */
  remediate?: RemediationHook;
}

export interface ClassifyContext {
  /** The credential threw this error during the probe (as seen by the attestation wrapper). */
  tokenFailed: boolean;
  /** A getToken call was still outstanding when the probe failed (deadline during token acquisition). */
  tokenPending: boolean;
  /** msal-node's managed-identity source for this environment (config.ts managedIdentitySource). */
  managedIdentitySource: string;
  /** Whether the probed path uses a managed identity (IdentityPath.usesManagedIdentity). */
  usesManagedIdentity: boolean;
  /** The HTTP answers this probe received, oldest first (answerLog.ts). */
  answers?: readonly Answer[];
}

export interface Classification {
  kind: OutcomeKind;
  /** A finer reason inside the kind, for remediation: e.g. 'rbac', 'firewall', 'expired-token'. */
  reason: string;
  detail: ErrorDetail;
  /** The exact scope the service named in its 403 (e.g. a role assignment's scope), when it did. */
  scope?: string;
}

/** What a classification rule sees of one failure: the flattened error chain, read once. */
export interface ErrorReading {
  /** The error, its causes and aggregated inner errors, flattened. */
  errors: unknown[];
  names: string[];
  codes: string[];
  /** Every message of the chain, joined with newlines. */
  text: string;
  detail: ErrorDetail;
  ctx: ClassifyContext;
  /** Whether the credential (not the service call) failed. */
  credentialFailure: boolean;
  /** A classification of this failure with `detail` (plus `extra`). */
  is(kind: OutcomeKind, reason: string, extra?: Partial<ErrorDetail>): Classification;
}

/** One row of the classification table: a classification, or undefined to let the next row decide. */
export type ClassifyRule = (e: ErrorReading) => Classification | undefined;

/** A path's or a target's own way of reading errors, slotted into the generic table at fixed stages. */
export interface ErrorKnowledge {
  /** Its own error classes, read before anything else but the deadline. */
  typed?: ClassifyRule[];
  /** SDK messages that mean one of its settings is wrong (outcome `misconfigured`). */
  settings?: ClassifyRule[];
  /** Why its service refused a call with 403, beyond a missing role assignment (the default 'rbac'). */
  forbidden?: ClassifyRule[];
  /** The exact scope its service names in a 403 message, if it names one. */
  scope?(text: string): string | undefined;
}

/** Everything remediation needs, gathered by the runner from settings, the attested token and the error. */
export interface RemediationFacts {
  /** The declared identity's name (core/plan.ts; a catalog path id in the default declaration). */
  path: string;
  /** The declared resource's name. */
  target: string;
  /** The modules that ran the probe: their remediation hooks are asked first (probes/remediation.ts). */
  modules: { path: IdentityPath; target: Target };
  expected: ExpectedIdentity;
  /** The oid that called the service: attested from the token, else the expected one. */
  principalId?: string;
  attested?: { oid?: string; appid?: string; aud?: string; expiresOn?: string };
  mismatches?: string[];
  role: string;
  scope: string;
  audience: string;
  /** The target's service name for sentences, e.g. "Key Vault" (Target.service). */
  service: string;
  /** The setting that points at the target's endpoint (Target.endpointSetting). */
  endpointSetting: string;
  /** Who issues the path's tokens, for sentences (IdentityPath.tokenIssuer). */
  tokenIssuer: string;
  app: { name?: string; resourceGroup?: string };
  /**
   * The subscription and resource group as the template wrote them (AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP): a
   * role assignment the fix creates is named as the template names it, from the scope spelled as the template does.
   */
  deployment?: { subscriptionId?: string; resourceGroup?: string };
  timeoutMs: number;
  managedIdentitySource: string;
  identityEnvironment: Readonly<Record<string, boolean>>;
  /** The setting problems when the outcome is `misconfigured` before anything ran. */
  settingProblems?: { setting: string; problem: string }[];
  /** Facts only the target knows how to read from settings (names of its resources). */
  targetFacts: Readonly<Record<string, string | undefined>>;
  /** Facts only the path knows (e.g. the federated token's issuer and subject). */
  pathFacts?: Readonly<Record<string, string | undefined>>;
}

/** A path's or target's own remediation for some classifications; undefined leaves it to the generic one. */
export type RemediationHook = (c: Classification, f: RemediationFacts) => Remediation | undefined;

/**
 * A declared resource kind (common/declaration/schema.ts RESOURCE_KINDS): the target module that probes it and how a
 * declared resource's fields become the settings that module reads (src/declaration/compile.ts lays them over the
 * app's settings). Adding a kind is one module that exports one of these, and a line in targets/index.ts.
 */
export interface ResourceKindPlugin {
  /** The declaration's `kind`. */
  kind: string;
  target: Target;
  /**
   * The config.ts settings that carry the resource's fields, from its resolved fields (no `%SETTING%` left) and the
   * app's config. A setting mapped to undefined is unset for the resource (the app's own value must not leak into
   * it); a setting left out keeps the app's value (e.g. the ARM endpoint of the app's cloud).
   */
  settings(fields: Readonly<Record<string, string>>, base: Config): Record<string, string | undefined>;
}

/** A declared identity kind: the path module that runs it and the settings its fields become (as ResourceKindPlugin). */
export interface IdentityKindPlugin {
  kind: string;
  /** The path module for this identity (user-assigned: by its `selectBy`). */
  path(fields: Readonly<Record<string, string>>): IdentityPath;
  settings(fields: Readonly<Record<string, string>>, base: Config): Record<string, string | undefined>;
}
