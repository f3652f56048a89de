// The types through which identity paths (src/identities/*) and targets (src/targets/*) hand their own knowledge
// to the generic probe code: how to read their errors (classify.ts) and how to fix their failures
// (remediation.ts). Types only: no path or target is named here.
import type { ExpectedIdentity } from '../identities/types.ts';
import type { Answer } from '../lastAnswer.ts';
import type { OutcomeKind, PathId, TargetId } from '../ids.ts';
import type { ErrorDetail, Remediation } from './types.ts';

export interface ClassifyContext {
  /** The credential threw this error during the probe (as seen by the attestation wrapper). */
  tokenFailed: boolean;
  /** A getToken call was still outstanding when the probe failed (deadline during token acquisition). */
  tokenPending: boolean;
  /** msal-node's managed-identity source for this environment (config.ts managedIdentitySource). */
  managedIdentitySource: string;
  /** Whether the probed path uses a managed identity (IdentityPath.usesManagedIdentity). */
  usesManagedIdentity: boolean;
  /** The HTTP answers this probe received, oldest first (lastAnswer.ts). */
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
  path: PathId;
  target: TargetId;
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
