// What a privileges check becomes in Application Insights (pure): one availability result per identity (test name
// "privileges/<identity>", failing while the identity holds rights beyond its declared roles or cannot be checked),
// and an event when its outcome changes (docs/privileges.md).
import type { PrivilegesResult } from '../privileges/types.ts';
import type { PrivilegesRecord } from '../status/privileges.ts';
import type { AvailabilityItem, TransitionItem } from './items.ts';

export const privilegesTestName = (identity: string) => `privileges/${identity}`;

const MAX_MESSAGE = 1000;

/** The outcome before `r`, when `r` changed it (from the record written with `r`). */
export function previousOutcome(
  record: PrivilegesRecord | undefined,
  r: PrivilegesResult,
): string | undefined {
  if (!record || record.latest.at !== r.at || record.since !== r.at) return undefined;
  const before = record.history.filter((h) => h.at < r.at).at(-1);
  return before && before.outcome !== r.outcome ? before.outcome : undefined;
}

export function privilegesAvailabilityOf(
  r: PrivilegesResult,
  record: PrivilegesRecord | undefined,
  runLocation: string,
  runId: string,
): AvailabilityItem {
  const extra = r.findings.reduce((n, f) => n + f.actions.length + f.dataActions.length, 0);
  const summary = r.remediation?.summary;
  const message = r.outcome === 'ok' ? 'ok' : `${r.outcome}${summary ? `: ${summary}` : ''}`;
  return {
    id: runId,
    name: privilegesTestName(r.identity),
    duration: Math.max(1, r.totalMs),
    success: r.outcome === 'ok',
    runLocation,
    message: message.slice(0, MAX_MESSAGE),
    time: new Date(r.at),
    properties: {
      identity: r.identity,
      path: r.path,
      outcome: r.outcome,
      scopes: String(r.scopes.length),
      extraActions: String(extra),
      armRequests: String(r.armRequests),
      ...(r.principalId ? { attestedOid: r.principalId } : {}),
      ...(record?.since ? { since: record.since } : {}),
      ...(r.remediation?.command ? { remediationCommand: r.remediation.command } : {}),
    },
  };
}

export function privilegesTransitionOf(
  r: PrivilegesResult,
  record: PrivilegesRecord | undefined,
): TransitionItem | undefined {
  const previous = previousOutcome(record, r);
  if (!previous) return undefined;
  return {
    name: 'ProbeCellTransition',
    time: new Date(r.at),
    properties: {
      test: privilegesTestName(r.identity),
      identity: r.identity,
      path: r.path,
      from: previous,
      to: r.outcome,
      direction: r.outcome === 'ok' ? 'recovered' : previous === 'ok' ? 'failing' : 'changed',
      ...(r.principalId ? { attestedOid: r.principalId } : {}),
    },
  };
}
