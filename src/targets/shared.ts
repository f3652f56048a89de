// What the three targets share: our own check error, the retry bound of their clients, the resource group scope.
import type { Config } from '../config.ts';

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

/** Resource-call retries bounded like the credentials' (identities/shared.ts CREDENTIAL_RETRY), same reason. */
export const RESOURCE_RETRY = { maxRetries: 3, retryDelayInMs: 300, maxRetryDelayInMs: 2000 } as const;

/** `/subscriptions/{sub}/resourceGroups/{rg}`, with placeholders for what the settings do not say. */
export function resourceGroupScope(config: Config): string {
  return `/subscriptions/${config.arm.subscriptionId ?? '<subscription-id>'}/resourceGroups/${config.arm.resourceGroup ?? '<resource-group>'}`;
}
