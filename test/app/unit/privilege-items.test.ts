// Pure: what a privileges check becomes in Application Insights (src/telemetry/privilegeItems.ts): one availability
// result per identity, failing while it holds more than its declared roles, and a transition event when its outcome
// changes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PrivilegesResult } from '../../../src/privileges/types.ts';
import { mergePrivileges } from '../../../src/status/privileges.ts';
import {
  previousOutcome,
  privilegesAvailabilityOf,
  privilegesTransitionOf,
} from '../../../src/telemetry/privilegeItems.ts';

const OID = '63b2d18a-12b0-4881-b036-8fda3dae8b69';

const check = (at: string, over: Partial<PrivilegesResult> = {}): PrivilegesResult => ({
  identity: 'app',
  path: 'uami-client-id',
  principalId: OID,
  outcome: 'ok',
  at,
  totalMs: 42,
  scopes: [],
  findings: [],
  armRequests: 6,
  ...over,
});

const excess = (at: string) =>
  check(at, {
    outcome: 'over-privileged',
    findings: [
      {
        scopes: ['resourceGroup'],
        actions: ['*'],
        dataActions: [],
        remediation: { summary: 'Remove Contributor.', command: 'az role assignment delete --ids /x' },
      },
    ],
    remediation: { summary: 'Remove Contributor.', command: 'az role assignment delete --ids /x' },
  });

describe('privileges telemetry items', () => {
  it('an availability result per identity, failing with the excess, its count and the command', () => {
    const r = excess('2026-01-01T00:05:00.000Z');
    const a = privilegesAvailabilityOf(r, mergePrivileges(undefined, r), 'westeurope', 'run-1');
    assert.equal(a.name, 'privileges/app');
    assert.equal(a.success, false);
    assert.equal(a.duration, 42);
    assert.equal(a.message, 'over-privileged: Remove Contributor.');
    assert.equal(a.properties.outcome, 'over-privileged');
    assert.equal(a.properties.extraActions, '1');
    assert.equal(a.properties.attestedOid, OID);
    assert.equal(a.properties.since, r.at);
    assert.equal(a.properties.remediationCommand, 'az role assignment delete --ids /x');
    const ok = privilegesAvailabilityOf(check(r.at), undefined, 'westeurope', 'run-2');
    assert.equal(ok.success, true);
    assert.equal(ok.message, 'ok');
  });

  it('a transition event when the outcome changes, none while it stays, none for a late writer', () => {
    const first = check('2026-01-01T00:00:00.000Z');
    let record = mergePrivileges(undefined, first);
    assert.equal(privilegesTransitionOf(first, record), undefined, 'the first check changes nothing');
    const bad = excess('2026-01-01T00:05:00.000Z');
    record = mergePrivileges(record, bad);
    const t = privilegesTransitionOf(bad, record);
    assert.equal(t?.properties.test, 'privileges/app');
    assert.equal(t?.properties.from, 'ok');
    assert.equal(t?.properties.to, 'over-privileged');
    assert.equal(t?.properties.direction, 'failing');
    const still = excess('2026-01-01T00:10:00.000Z');
    record = mergePrivileges(record, still);
    assert.equal(privilegesTransitionOf(still, record), undefined);
    const fixed = check('2026-01-01T00:15:00.000Z');
    record = mergePrivileges(record, fixed);
    assert.equal(privilegesTransitionOf(fixed, record)?.properties.direction, 'recovered');
    const late = excess('2026-01-01T00:12:00.000Z');
    assert.equal(previousOutcome(mergePrivileges(record, late), late), undefined);
  });
});
