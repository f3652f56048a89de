// Stable ids shared by routes, settings, status blobs and docs (docs/design.md "Identity paths", "Targets",
// "Outcomes"). A leaf module: everything may import it; it imports only the catalog.

// Path and target ids live in the catalog (common/catalog.ts), the one list every side reads.
export { PATH_IDS, TARGET_IDS, type PathId, type TargetId } from '../common/catalog.ts';
import { PATH_IDS, TARGET_IDS, type PathId, type TargetId } from '../common/catalog.ts';

/** Closed set of probe outcomes (docs/design.md "Outcomes"); callers branch on these, never on message text. */
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
  // A `denied` probe (src/core/plan.ts) whose identity got in: the grant that let it in and the command that removes it.
  'unexpectedly-allowed',
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

/**
 * A declared identity's name (core/plan.ts): what results, routes, status documents and telemetry call a `path`. The
 * default declaration's are the catalog's path ids.
 */
export type IdentityName = string;
/** A declared resource's name: what they call a `target`. The default declaration's are the catalog's target ids. */
export type ResourceName = string;
