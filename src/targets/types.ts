import type { TokenCredential } from '@azure/identity';
import type { Config, SettingIssue } from '../config.ts';
import type { TargetId } from '../ids.ts';
import type { ErrorKnowledge, RemediationHook } from '../probes/seams.ts';

/** What a successful call may report: names, versions, counts; never a secret value or blob content. */
export type TargetData = Record<string, string | number | boolean | null>;

/** The one least-privilege call of a target, bound to one client (built once per path x target). */
export type TargetCall = (abortSignal: AbortSignal) => Promise<TargetData>;

export interface Target {
  id: TargetId;
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
  /** How to read the service's own errors (classify.ts). */
  errors?: ErrorKnowledge;
  /** Its own remediation for some classifications (remediation.ts asks it first). */
  remediate?: RemediationHook;
}

/** A check of ours that failed after the service answered (e.g. the canary container holds no blob). */
export class TargetCheckError extends Error {
  readonly code: string;
  readonly statusCode: number;
  constructor(message: string, code: string, statusCode: number) {
    super(message);
    this.name = 'TargetCheckError';
    this.code = code;
    this.statusCode = statusCode;
  }
}

/** Resource-call retries bounded like the credentials' (identities/types.ts CREDENTIAL_RETRY), same reason. */
export const RESOURCE_RETRY = { maxRetries: 3, retryDelayInMs: 300, maxRetryDelayInMs: 2000 } as const;

/** `/subscriptions/{sub}/resourceGroups/{rg}`, with placeholders for what the settings do not say. */
export function resourceGroupScope(config: Config): string {
  return `/subscriptions/${config.arm.subscriptionId ?? '<subscription-id>'}/resourceGroups/${config.arm.resourceGroup ?? '<resource-group>'}`;
}
