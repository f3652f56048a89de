// One document per declared identity, as the status store keeps it (docs/design.md "Status store"): every cell of
// the identity (its resources' latest results, streaks and bounded histories), its federated token's state and its
// latest privileges check. A status read is then one request per identity, whatever the number of resources. Also
// the fold of the previous layout's documents (one per cell, and one per identity for the privileges check) into
// one, so that a redeploy keeps every history. Pure: no store.
import type { FederatedTokenStatus, ProbeResult } from '../core/results.ts';
import type { IdentityName, ResourceName } from '../ids.ts';
import type { PrivilegesResult } from '../privileges/types.ts';
import { inOrder, mergeRecord, type PathDocument, type TargetRecord } from './model.ts';
import { mergePrivileges, type PrivilegesRecord } from './privileges.ts';

export interface IdentityDocument {
  schema: 3;
  /** The identity's declared name (results call it `path`). */
  path: IdentityName;
  updatedAt: string;
  /** Per resource name: the cell's latest result, its streak and its history (model.ts mergeRecord). */
  targets: Record<ResourceName, TargetRecord>;
  /** The federated token's state as the newest result that carried one saw it, and that result's time. */
  federatedToken?: FederatedTokenStatus;
  federatedTokenAt?: string;
  /** The latest privileges check run with this identity's credential (privileges.ts). */
  privileges?: PrivilegesRecord;
  /** What the document started from when it was created: the previous layout's documents of this identity. */
  folded?: { cells: number; privileges: boolean; at: string };
}

/** A cell's document in the previous layout (`cells/<identity>/<resource>.json`), read only to fold it in. */
export interface LegacyCellDocument {
  schema: 2;
  path: IdentityName;
  target: ResourceName;
  updatedAt: string;
  record: TargetRecord;
  federatedToken?: FederatedTokenStatus;
}

const time = (iso: string) => Date.parse(iso);

function empty(path: IdentityName, now: Date): IdentityDocument {
  return { schema: 3, path, updatedAt: now.toISOString(), targets: {} };
}

/**
 * Folds `results` (those of this identity; others are ignored) into its document, every cell in one go; `doc` is
 * not modified. The cell merge is model.ts mergeRecord (order-independent, nothing dropped but by the history bound).
 */
export function mergeResultsInto(
  doc: IdentityDocument | undefined,
  path: IdentityName,
  results: readonly ProbeResult[],
  now = new Date(),
): IdentityDocument {
  const next: IdentityDocument = {
    ...(doc ?? empty(path, now)),
    updatedAt: now.toISOString(),
    targets: { ...doc?.targets },
  };
  let merged = 0;
  for (const r of inOrder(results)) {
    if (r.path !== path) continue;
    const record = mergeRecord(next.targets[r.target], r);
    next.targets[r.target] = record;
    merged++;
    // Writers of one identity may land out of order: the token state of the newest result wins, whatever its cell.
    if (
      r.federatedToken &&
      record.latest === r &&
      (!next.federatedTokenAt || time(next.federatedTokenAt) <= time(r.at))
    ) {
      next.federatedToken = r.federatedToken;
      next.federatedTokenAt = r.at;
    }
  }
  if (!merged) throw new Error(`no result for ${path} to record`);
  return next;
}

/** Folds a privileges check into the identity's document (privileges.ts mergePrivileges); `doc` is not modified. */
export function mergePrivilegesInto(
  doc: IdentityDocument | undefined,
  path: IdentityName,
  result: PrivilegesResult,
  now = new Date(),
): IdentityDocument {
  return {
    ...(doc ?? empty(path, now)),
    updatedAt: now.toISOString(),
    privileges: mergePrivileges(doc?.privileges, result),
  };
}

/**
 * The identity's document from the previous layout's documents (cells of other identities are ignored; the newest
 * cell's federated token state wins, as the previous read did). Undefined when there is nothing to fold.
 */
export function foldLegacy(
  path: IdentityName,
  cells: readonly (LegacyCellDocument | undefined)[],
  privileges: PrivilegesRecord | undefined,
  now = new Date(),
): IdentityDocument | undefined {
  const present = cells.filter((c): c is LegacyCellDocument => !!c && c.path === path && !!c.record);
  if (!present.length && !privileges) return undefined;
  const byTime = [...present].sort((a, b) => time(a.updatedAt) - time(b.updatedAt));
  const federated = byTime.filter((c) => c.federatedToken).pop();
  return {
    schema: 3,
    path,
    updatedAt: byTime.at(-1)?.updatedAt ?? privileges!.latest.at,
    targets: Object.fromEntries(present.map((c) => [c.target, c.record])),
    ...(federated
      ? { federatedToken: federated.federatedToken, federatedTokenAt: federated.record.latest.at }
      : {}),
    ...(privileges ? { privileges } : {}),
    folded: { cells: present.length, privileges: !!privileges, at: now.toISOString() },
  };
}

/**
 * The path document the status view and telemetry read (model.ts), with only the cells of `resources` when given
 * (a resource no longer declared keeps its cell in the store, but not in the view).
 */
export function toPathDocument(doc: IdentityDocument, resources?: readonly ResourceName[]): PathDocument {
  const targets = resources
    ? Object.fromEntries(resources.flatMap((t) => (doc.targets[t] ? [[t, doc.targets[t]]] : [])))
    : doc.targets;
  return {
    schema: 1,
    path: doc.path,
    updatedAt: doc.updatedAt,
    targets,
    ...(doc.federatedToken ? { federatedToken: doc.federatedToken } : {}),
    ...(doc.privileges ? { privileges: doc.privileges } : {}),
  };
}
