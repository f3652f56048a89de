// The shape of what a probe produces: its result, the attested claims, the sanitized error detail, the remediation.
// Types only; imports nothing of the app but the ids.
import type { OutcomeKind } from '../ids.ts';

/** What a successful target call may report: names, versions, counts; never a secret value or blob content. */
export type TargetData = Record<string, string | number | boolean | null>;

/** What the status may show about the external token (never the token). */
export interface FederatedTokenStatus {
  source: 'file' | 'url';
  /** File path, or the URL without query string and credentials. */
  location: string;
  issuer?: string;
  subject?: string;
  audience?: string;
  obtainedAt?: string;
  expiresOn?: string;
  refreshAt?: string;
  lastError?: string;
}

/** The claims attestation reads from an access token (docs/identity-wire.md §11). Nothing else is kept. */
export interface Claims {
  oid?: string;
  appid?: string;
  tid?: string;
  aud?: string;
  xms_mirid?: string;
  iss?: string;
  idtyp?: string;
  iat?: number;
  exp?: number;
}

/** What a probe proves about who it was (claims only; the token itself is never kept). */
export interface Attestation {
  oid?: string;
  appid?: string;
  tid?: string;
  aud?: string;
  xmsMirid?: string;
  issuedAt?: string;
  expiresOn?: string;
  /** 'credential': this probe called getToken; 'client-cache': the SDK client reused the token it holds. */
  tokenFrom: 'credential' | 'client-cache';
  expected: { oid?: string; appid?: string; xmsMirid?: string; tid?: string };
  matches: boolean;
  /** One line per mismatch, naming the setting, e.g. "oid is X but SYSTEM_PRINCIPAL_ID is Y". */
  mismatches: string[];
}

/** Sanitized facts about a failure: enough to search logs and open a support case, nothing secret. */
export interface ErrorDetail {
  /** Whether the failure happened while getting the token or while calling the service. */
  phase: 'config' | 'token' | 'call';
  errorName?: string;
  statusCode?: number;
  /** Service error code (x-ms-error-code / error.code / MSAL error code). */
  code?: string;
  /** Key Vault innererror code, e.g. ForbiddenByRbac. */
  innerCode?: string;
  /** Entra AADSTS number, e.g. 70021. */
  aadsts?: string;
  requestId?: string;
  clientRequestId?: string;
  correlationId?: string;
  retryAfterSeconds?: number;
  /** Origin of the endpoint that failed (no path or query). */
  endpoint?: string;
  /** The setting at fault, for `misconfigured`. */
  setting?: string;
  message?: string;
  /** When the answer the outcome was read from arrived (the last thing the service said before the deadline). */
  answeredAt?: string;
  /** The auth library replayed an error it had cached (no request was made): `firstSeenAt` is when it was new. */
  replayed?: boolean;
  firstSeenAt?: string;
}

/** A role assignment that lets an identity in where its probe expects `denied` (docs/privileges.md). */
export interface AccessGrant {
  /** Full ARM id: what `az role assignment delete --ids` takes. */
  assignmentId: string;
  roleDefinitionId: string;
  roleName?: string;
  /** Where the assignment is: the resource's scope or a wider one. */
  scope: string;
  /** True when the assignment is at a wider scope than the resource's (the resource inherits it). */
  inherited: boolean;
}

export interface Remediation {
  /** One sentence. */
  summary: string;
  /** The exact command, ids filled in, where one applies. */
  command?: string;
}

export interface ProbeTimings {
  /** Time spent inside getToken during this probe (0 when the client reused its token). */
  tokenMs: number;
  callMs: number;
  totalMs: number;
  /** First use in this process only: loading the SDK and building the credential and client (cold start). */
  setupMs?: number;
}

export interface ProbeResult {
  /** The declared identity's name (core/plan.ts): a catalog path id in the default declaration. */
  path: string;
  /** The declared resource's name: a catalog target id in the default declaration. */
  target: string;
  /** The probe's id, when the declaration names it (else it is `<path>/<target>`). */
  probe?: string;
  /** Present when the declaration says the identity must be refused here (core/plan.ts Expectation). */
  expect?: 'denied';
  outcome: OutcomeKind;
  /** ISO time the probe started. */
  at: string;
  timings: ProbeTimings;
  identity?: Attestation;
  data?: TargetData;
  detail?: ErrorDetail;
  remediation?: Remediation;
  /** `unexpectedly-allowed` only: the role assignments that let the identity in (privileges/unexpected.ts). */
  grants?: AccessGrant[];
  /** federated path only: where the external token comes from, when it expires and will be refreshed. */
  federatedToken?: FederatedTokenStatus;
  /** How this probe's token was obtained (docs/usage.md "Fresh tokens on every timer run"). */
  acquisition?: Acquisition;
}

/** Fresh (timer runs: a new token request, no cache) or cached (HTTP probes), and what that says about expiry. */
export interface Acquisition {
  mode: 'fresh' | 'cached';
  /** When the token this probe used was issued (its iat): for cached tokens, how old the proof is. */
  acquiredAt?: string;
  expiresOn?: string;
  /**
   * A fresh acquisition failed while the token the app already holds still works: when that token expires, so
   * when the app starts failing ("works now, fails at ...").
   */
  failsAt?: string;
}
