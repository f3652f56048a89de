import type { TokenCredential } from '@azure/identity';
import type { Config, SettingIssue } from '../config.ts';
import type { PathId } from '../ids.ts';
import type { ErrorKnowledge, RemediationHook } from '../probes/seams.ts';
import type { FederatedTokenStatus } from './federatedTokenSource.ts';

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
  /** How to read this path's own errors (classify.ts). */
  errors?: ErrorKnowledge;
  /** Its own remediation for some classifications (remediation.ts asks it first). */
  remediate?: RemediationHook;
}

/** Path-specific fields of a probe result. */
export interface PathReport {
  /** The federated path: where the external token comes from, when it expires and will be refreshed. */
  federatedToken?: FederatedTokenStatus;
}

/** The token issuer of every managed identity path: the platform's endpoint msal-node picked. */
export const managedIdentityIssuer = (config: Config): string =>
  `the managed identity endpoint (${config.managedIdentitySource})`;

/** Retries bounded so that a persistent failure surfaces as its real kind well before the probe deadline
 * (defaults are 3-5 retries with up to 64 s back-off: docs/identity-wire.md §1.7), while a single blip is still
 * absorbed the way an app with default settings would absorb it. */
export const CREDENTIAL_RETRY = { maxRetries: 3, retryDelayInMs: 300, maxRetryDelayInMs: 2000 } as const;
