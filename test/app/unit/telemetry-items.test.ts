// Pure parts of fresh acquisition and telemetry: what a result becomes in Application Insights, the settings that
// switch it on, the status rule that keeps a fresh failure visible, and the msal-node selector of each cache key.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTelemetry } from '../../../src/config.ts';
import { msalSelectorId } from '../../../src/identities/freshCache.ts';
import type { ProbeResult } from '../../../src/core/results.ts';
import { buildStatusView, mergeResults } from '../../../src/status/model.ts';
import { renderShell } from '../../../src/status/page/shell.ts';
import { availabilityOf, effectiveResult, streakOf, transitionOf } from '../../../src/telemetry/items.ts';

const OID = '63b2d18a-12b0-4881-b036-8fda3dae8b69';

function result(at: string, outcome: ProbeResult['outcome'], extra: Partial<ProbeResult> = {}): ProbeResult {
  return {
    path: 'uami-client-id',
    target: 'keyvault',
    outcome,
    at,
    timings: { tokenMs: 1, callMs: 2, totalMs: 3 },
    ...extra,
  };
}

describe('telemetry items', () => {
  it('an availability result per cell: test name, success, location, message with remediation, properties', () => {
    const r = result('2026-01-01T00:00:00.000Z', 'forbidden', {
      identity: { oid: OID, tokenFrom: 'credential', expected: {}, matches: true, mismatches: [] },
      remediation: { summary: 'Grant the role.', command: 'az role assignment create ...' },
      acquisition: { mode: 'fresh' },
    });
    const a = availabilityOf(r, { since: r.at }, 'westeurope', 'run-1');
    assert.equal(a.name, 'uami-client-id/keyvault');
    assert.equal(a.success, false);
    assert.equal(a.runLocation, 'westeurope');
    assert.equal(a.message, 'forbidden: Grant the role.');
    assert.deepEqual(a.properties, {
      path: 'uami-client-id',
      target: 'keyvault',
      outcome: 'forbidden',
      attestedOid: OID,
      since: r.at,
      tokenAcquisition: 'fresh',
      remediationCommand: 'az role assignment create ...',
    });
  });

  it('transitions come from the status document: ok -> failing, then failing -> ok with time to green', () => {
    const t0 = result('2026-01-01T00:00:00.000Z', 'ok');
    const t1 = result('2026-01-01T00:05:00.000Z', 'forbidden');
    const t2 = result('2026-01-01T00:10:00.000Z', 'forbidden');
    const t3 = result('2026-01-01T00:15:00.000Z', 'ok');
    let doc = mergeResults(undefined, 'uami-client-id', [t0]);
    assert.equal(transitionOf(t0, streakOf(doc, t0)), undefined, 'a first result is no transition');
    doc = mergeResults(doc, 'uami-client-id', [t1]);
    assert.deepEqual(transitionOf(t1, streakOf(doc, t1))?.properties.direction, 'failing');
    doc = mergeResults(doc, 'uami-client-id', [t2]);
    assert.equal(transitionOf(t2, streakOf(doc, t2)), undefined, 'same streak');
    doc = mergeResults(doc, 'uami-client-id', [t3]);
    const up = transitionOf(t3, streakOf(doc, t3));
    assert.equal(up?.properties.direction, 'recovered');
    assert.equal(up?.properties.timeToGreenMs, String(10 * 60_000));
  });

  it('an ok on a cached token does not clear a fresh failure that the cached token still hides', () => {
    const failsAt = '2026-01-01T01:00:00.000Z';
    const fresh = result('2026-01-01T00:05:00.000Z', 'identity-not-found', {
      acquisition: { mode: 'fresh', failsAt },
    });
    const cachedOk = result('2026-01-01T00:06:00.000Z', 'ok', { acquisition: { mode: 'cached' } });
    const doc = mergeResults(mergeResults(undefined, 'uami-client-id', [fresh]), 'uami-client-id', [
      cachedOk,
    ]);
    assert.equal(doc.targets.keyvault?.latest.outcome, 'identity-not-found');
    assert.equal(doc.targets.keyvault?.history.length, 2);
    assert.equal(effectiveResult(doc, cachedOk).outcome, 'identity-not-found');
    const freshOk = result('2026-01-01T00:10:00.000Z', 'ok', { acquisition: { mode: 'fresh' } });
    const healed = mergeResults(doc, 'uami-client-id', [freshOk]);
    assert.equal(healed.targets.keyvault?.latest.outcome, 'ok', 'a fresh ok does clear it');
    const late = result('2026-01-01T01:00:01.000Z', 'ok', { acquisition: { mode: 'cached' } });
    assert.equal(
      mergeResults(doc, 'uami-client-id', [late]).targets.keyvault?.latest.outcome,
      'ok',
      'after failsAt',
    );
  });
});

describe('telemetry settings', () => {
  const cs = 'InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=https://x/';
  it('off without a connection string', () => {
    assert.deepEqual(parseTelemetry({ REGION_NAME: 'West Europe' }), { runLocation: 'West Europe' });
  });
  it('a user-assigned or the system identity from APPLICATIONINSIGHTS_AUTHENTICATION_STRING', () => {
    const id = '5f0c7a1e-3b2d-4c8e-9a61-2d7e4b9c0f13';
    const t = parseTelemetry({
      APPLICATIONINSIGHTS_CONNECTION_STRING: cs,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${id};Authorization=AAD`,
      WEBSITE_SITE_NAME: 'func-x',
    });
    assert.equal(t.clientId, id);
    assert.equal(t.runLocation, 'func-x');
    const sys = parseTelemetry({
      APPLICATIONINSIGHTS_CONNECTION_STRING: cs,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD',
    });
    assert.equal(sys.clientId, 'system');
  });
  it('names the problem when the authentication string is missing or malformed', () => {
    assert.match(
      parseTelemetry({ APPLICATIONINSIGHTS_CONNECTION_STRING: cs }).problem ?? '',
      /Authorization=AAD/,
    );
    assert.match(
      parseTelemetry({
        APPLICATIONINSIGHTS_CONNECTION_STRING: cs,
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=nope;Authorization=AAD',
      }).problem ?? '',
      /GUID/,
    );
  });
});

describe('msal-node selector of a cache key', () => {
  it('maps each managed identity selector, and nothing for the federated path', () => {
    assert.equal(msalSelectorId('mi:system'), 'system_assigned_managed_identity');
    assert.equal(msalSelectorId('mi:client_id:abc'), 'abc');
    assert.equal(msalSelectorId('mi:object_id:def'), 'def');
    assert.equal(msalSelectorId('mi:resource_id:/subscriptions/x'), '/subscriptions/x');
    assert.equal(msalSelectorId('assertion:abc'), undefined);
  });
});

describe('the status page', () => {
  it('embeds the fresh failure with its "fails at", how each token was obtained, and whether telemetry works', () => {
    const now = Date.parse('2026-01-01T00:06:00.000Z');
    const fresh = result('2026-01-01T00:05:00.000Z', 'identity-not-found', {
      acquisition: { mode: 'fresh', failsAt: '2026-01-01T01:00:00.000Z' },
      remediation: {
        summary: 'Attach it. Works now on the token the app already holds; fails at 01:00 UTC.',
      },
    });
    const cached = { ...result('2026-01-01T00:05:30.000Z', 'ok'), target: 'arm' as const };
    cached.acquisition = { mode: 'cached', acquiredAt: '2025-12-31T23:10:00.000Z' };
    const doc = mergeResults(undefined, 'uami-client-id', [fresh, cached]);
    const view = buildStatusView({ 'uami-client-id': doc }, { reachable: true }, now);
    const telemetry = { state: 'failing', lastFailure: { message: 'HTTP 403: insufficient access' } };
    // The page's script renders what the page embeds (src/status/page/client): check what it is given.
    const withTelemetry = { ...view, telemetry };
    const html = renderShell(
      { view: withTelemetry, identities: [], paths: [], targets: [], refreshMs: 5000 },
      '/a',
      new Map(),
    );
    const block = /<script type="application\/json" id="status-data">(.*)<\/script>/.exec(html)![1];
    const shown = JSON.parse(block).view;
    const cells = Object.values(shown.paths['uami-client-id'].targets) as Array<{
      acquisition?: { mode: string; acquiredAt?: string; failsAt?: string };
      remediation?: { summary: string };
    }>;
    assert.ok(cells.some((c) => /fails at 01:00 UTC/.test(c.remediation?.summary ?? '')));
    assert.ok(
      cells.some(
        (c) => c.acquisition?.mode === 'fresh' && c.acquisition.failsAt === '2026-01-01T01:00:00.000Z',
      ),
    );
    assert.ok(
      cells.some(
        (c) => c.acquisition?.mode === 'cached' && c.acquisition.acquiredAt === '2025-12-31T23:10:00.000Z',
      ),
    );
    assert.deepEqual(shown.telemetry, telemetry);
  });
});
