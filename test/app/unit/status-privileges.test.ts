// The privileges checks in the status documents and view (src/status/privileges.ts, model.ts) and the page's embedded data: streaks,
// a late writer never replacing a newer check, the newest check among an identity's paths, staleness, the verdict,
// and the HTML page escaping what it shows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PrivilegesResult } from '../../../src/privileges/types.ts';
import { buildStatusView, mergeResults } from '../../../src/status/model.ts';
import { identityViews, mergePrivileges } from '../../../src/status/privileges.ts';
import { renderShell } from '../../../src/status/page/shell.ts';

const result = (over: Partial<PrivilegesResult>): PrivilegesResult => ({
  identity: 'app',
  path: 'uami-client-id',
  outcome: 'ok',
  at: '2026-01-01T00:00:00.000Z',
  totalMs: 10,
  scopes: [],
  findings: [],
  armRequests: 6,
  ...over,
});

describe('privileges in the status', () => {
  it('keeps the streak and history, and a late writer never replaces a newer check', () => {
    const a = mergePrivileges(
      undefined,
      result({ at: '2026-01-01T00:00:00.000Z', outcome: 'over-privileged' }),
    );
    const b = mergePrivileges(a, result({ at: '2026-01-01T00:05:00.000Z', outcome: 'over-privileged' }));
    assert.equal(b.since, '2026-01-01T00:00:00.000Z');
    const c = mergePrivileges(b, result({ at: '2026-01-01T00:10:00.000Z' }));
    assert.equal(c.since, '2026-01-01T00:10:00.000Z');
    assert.deepEqual(
      c.history.map((h) => h.outcome),
      ['over-privileged', 'over-privileged', 'ok'],
    );
    assert.equal(mergePrivileges(c, result({ at: '2026-01-01T00:01:00.000Z', outcome: 'error' })), c);
  });

  it('shows the newest check among the identity paths, marks stale ones, and gives the verdict', () => {
    const now = Date.parse('2026-01-01T01:00:00.000Z');
    const older = mergePrivileges(
      undefined,
      result({ at: '2026-01-01T00:50:00.000Z', outcome: 'over-privileged' }),
    );
    const newer = mergePrivileges(
      undefined,
      result({ path: 'uami-object-id', at: '2026-01-01T00:55:00.000Z' }),
    );
    const fed = mergePrivileges(
      undefined,
      result({ identity: 'federated', path: 'federated', at: '2026-01-01T00:00:00.000Z' }),
    );
    const { identities, leastPrivilege } = identityViews(
      {
        'uami-client-id': { privileges: older },
        'uami-object-id': { privileges: newer },
        federated: { privileges: fed },
      },
      now,
    );
    assert.equal(identities.app.privileges?.latest.path, 'uami-object-id');
    assert.equal(identities.federated.privileges?.stale, true);
    assert.equal(identities.system.privileges, undefined);
    assert.equal(leastPrivilege, 'unknown', 'system never checked, federated stale');
    const bad = identityViews({ 'uami-client-id': { privileges: older } }, now);
    assert.equal(bad.leastPrivilege, 'over-privileged');
  });

  it('path documents keep their privileges when probe results are merged; the page shows them escaped', () => {
    const rec = mergePrivileges(
      undefined,
      result({
        at: new Date().toISOString(),
        outcome: 'over-privileged',
        remediation: { summary: '<b>remove</b>', command: 'az role assignment delete --ids /x' },
      }),
    );
    const doc = mergeResults(
      { schema: 1, path: 'uami-client-id', updatedAt: '', targets: {}, privileges: rec },
      'uami-client-id',
      [],
    );
    assert.equal(doc.privileges, rec);
    const view = buildStatusView({ 'uami-client-id': doc }, { reachable: true });
    assert.equal(view.leastPrivilege, 'over-privileged', 'any excess wins over identities not yet checked');
    assert.equal(view.identities.app.privileges?.latest.outcome, 'over-privileged');
    const data = { view, identities: [], paths: [], targets: [], refreshMs: 5000 };
    const html = renderShell(data, '/api/status/assets', new Map());
    assert.match(html, /"leastPrivilege":"over-privileged"/);
    assert.ok(html.includes('\\u003cb\\u003eremove\\u003c/b\\u003e') && !html.includes('<b>remove</b>'));
    assert.ok(html.includes('az role assignment delete --ids /x'));
  });
});
