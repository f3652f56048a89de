// One document per cell (path x target), as the status store keeps it, and the fold of a path's cells into the
// path document the status view is built from (pure). The merge rules (history, streaks, out-of-order results)
// are model.ts's mergeRecord, the same as for a path's document.
import type { FederatedTokenStatus } from '../core/results.ts';
import type { IdentityName, ResourceName } from '../ids.ts';
import type { ProbeResult } from '../core/results.ts';
import { inOrder, mergeRecord, type PathDocument, type TargetRecord } from './model.ts';
import type { PrivilegesRecord } from './privileges.ts';

export interface CellDocument {
  schema: 2;
  path: IdentityName;
  target: ResourceName;
  updatedAt: string;
  record: TargetRecord;
  federatedToken?: FederatedTokenStatus;
}

/** Folds `results` (those of this cell; others are ignored) into the cell's document; `doc` is not modified. */
export function mergeCell(
  doc: CellDocument | undefined,
  path: IdentityName,
  target: ResourceName,
  results: ProbeResult[],
  now = new Date(),
): CellDocument {
  let record = doc?.record;
  let federatedToken = doc?.federatedToken;
  for (const r of inOrder(results)) {
    if (r.path !== path || r.target !== target) continue;
    record = mergeRecord(record, r);
    if (record.latest === r && r.federatedToken) federatedToken = r.federatedToken;
  }
  if (!record) throw new Error(`no result for ${path}/${target} to record`);
  return {
    schema: 2,
    path,
    target,
    updatedAt: now.toISOString(),
    record,
    ...(federatedToken ? { federatedToken } : {}),
  };
}

/**
 * A path's document: its cells (absent ones skipped; the newest cell's federated token status wins) and the latest
 * privileges check run with its credential. Undefined when there is neither.
 */
export function toPathDocument(
  path: IdentityName,
  cells: (CellDocument | undefined)[],
  privileges?: PrivilegesRecord,
): PathDocument | undefined {
  const present = cells.filter((c): c is CellDocument => c !== undefined && c.path === path && !!c.record);
  if (present.length === 0 && !privileges) return undefined;
  const byTime = [...present].sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt));
  const newest = byTime.at(-1);
  const federated = byTime.filter((c) => c.federatedToken).pop()?.federatedToken;
  return {
    schema: 1,
    path,
    updatedAt: newest?.updatedAt ?? privileges!.latest.at,
    targets: Object.fromEntries(present.map((c) => [c.target, c.record])),
    ...(federated ? { federatedToken: federated } : {}),
    ...(privileges ? { privileges } : {}),
  };
}
