// Stable ids shared by routes, settings, status blobs and docs (ARCHITECTURE "Identity paths", "Targets",
// "Outcomes"). A leaf module: everything may import it, it imports nothing.

export const PATH_IDS = [
  'system-assigned',
  'uami-client-id',
  'uami-object-id',
  'uami-resource-id',
  'default-chain',
  'federated',
] as const;
export type PathId = (typeof PATH_IDS)[number];

export const TARGET_IDS = ['keyvault', 'blob', 'arm'] as const;
export type TargetId = (typeof TARGET_IDS)[number];

/** Closed set of probe outcomes (ARCHITECTURE "Outcomes"); callers branch on these, never on message text. */
export const OUTCOME_KINDS = [
  'ok',
  'wrong-identity',
  'no-identity-endpoint',
  'identity-not-found',
  'federation-rejected',
  'unauthenticated',
  'forbidden',
  // Privileges check only (src/privileges): the identity holds more than its declared roles.
  'over-privileged',
  'not-found',
  'throttled',
  'timeout',
  'unreachable',
  'misconfigured',
  'error',
] as const;
export type OutcomeKind = (typeof OUTCOME_KINDS)[number];

export function isPathId(value: string): value is PathId {
  return (PATH_IDS as readonly string[]).includes(value);
}

export function isTargetId(value: string): value is TargetId {
  return (TARGET_IDS as readonly string[]).includes(value);
}
