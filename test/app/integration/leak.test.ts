// No access token, external assertion or secret value the sandbox issued during this suite appears in any HTTP
// response, log line (the child's stdout/stderr and the InvocationContext logs) or status blob.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PATH_IDS } from '../../../src/ids.ts';
import type { Step } from '../fixtures/probe-child.ts';
import { runChild, type ChildRun } from '../helpers/child.ts';
import { runTimer, startAppHosts, timedGet, writesSettled } from '../helpers/hosts.ts';
import { addFault, admin, clearFaults, issued, start, type Sandbox } from '../helpers/sandbox.ts';

const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/;

/**
 * The app in a dev host process, over HTTP: every route, every timer, with the status store failing in the
 * background (its write outcomes and errors show in /api/status store.writes) and with the health reasons; the
 * answers and the host's whole log.
 */
async function overHttp(sb: Sandbox, out: (label: string, text: string) => void): Promise<void> {
  const app = await startAppHosts(sb.connection, 1, { PROBE_TIMEOUT_MS: '1500', STATUS_CACHE_MS: '0' });
  const base = app.hosts[0].baseUrl;
  const routes = [
    ...PATH_IDS.map((p) => `/api/probes/${p}`),
    '/api/status',
    '/api/status?format=html',
    '/api/health',
  ];
  try {
    for (const fault of [
      undefined,
      { endpoint: 'blob', kind: 'status', status: 403 },
      { endpoint: 'blob', kind: 'hang' },
      { endpoint: 'appService', kind: 'status', status: 401 },
    ]) {
      if (fault) await addFault(sb.connection, fault);
      for (const p of PATH_IDS) await runTimer(base, `timer-${p}`);
      for (const r of routes) out(`http ${JSON.stringify(fault)} ${r}`, (await timedGet(base, r)).text);
      await clearFaults(sb.connection);
    }
    await writesSettled(base); // background writes end by their deadline (3 x PROBE_TIMEOUT_MS)
    out('http /api/status after the background writes', (await timedGet(base, '/api/status')).text);
  } finally {
    out('dev host log', app.hosts[0].proc.output());
    await app.stop();
  }
}

describe('leak test', { timeout: 300_000 }, () => {
  let sb: Sandbox;
  const outputs: { label: string; text: string }[] = [];
  const collect = (label: string, run: ChildRun) => {
    outputs.push({ label: `${label} stdout`, text: run.stdout });
    outputs.push({ label: `${label} stderr`, text: run.stderr });
  };
  const everything: Step[] = [
    ...PATH_IDS.map((path) => ({ op: 'http' as const, fn: 'probe' as const, path })),
    ...PATH_IDS.map((path) => ({ op: 'timer' as const, path })),
    { op: 'http', fn: 'status' },
    { op: 'http', fn: 'status', headers: { accept: 'text/html' } },
    { op: 'http', fn: 'health' },
    { op: 'raw-status-blobs', paths: [...PATH_IDS] },
  ];

  before(async () => {
    sb = await start('healthy');
    const settings = sb.connection.appSettings;
    // Healthy, then every broken scenario, then faults: errors carry the most service text.
    collect('healthy', await runChild(settings, everything));
    for (const name of [
      'uami-not-attached',
      'fic-subject-mismatch',
      'uami-no-keyvault-role',
      'system-no-reader',
      'federated-no-blob-role',
    ]) {
      await admin(sb.connection, 'POST', '/_sandbox/scenario', { name });
      collect(name, await runChild(settings, everything));
    }
    await admin(sb.connection, 'POST', '/_sandbox/scenario', { name: 'healthy' });
    for (const fault of [
      { endpoint: 'appService', kind: 'expired-token' },
      { endpoint: 'entra', kind: 'wrong-audience' },
      { endpoint: 'keyVault', kind: 'status', status: 429, retryAfterSeconds: 1 },
      { endpoint: 'arm', kind: 'status', status: 500 },
    ]) {
      await addFault(sb.connection, fault);
      collect(`${fault.endpoint} ${fault.kind}`, await runChild(settings, everything));
      await clearFaults(sb.connection);
    }
    await overHttp(sb, (label, text) => outputs.push({ label, text }));
  });
  after(() => sb?.close());

  it('found what it searches for (the suite really issued tokens, assertions and secrets)', async () => {
    const i = await issued(sb.connection);
    assert.ok(i.tokens.length >= 15, `${i.tokens.length} tokens`);
    assert.ok(i.assertions.length >= 1, `${i.assertions.length} assertions`);
    assert.ok(i.secrets.length >= 1, `${i.secrets.length} secrets`);
    assert.ok(
      outputs.some((o) => o.text.includes('"outcome":"ok"')),
      'outputs hold real results',
    );
    assert.ok(
      outputs.some((o) => o.text.includes('"outcome":"forbidden"')),
      'and real failures',
    );
    assert.ok(
      outputs.some((o) => o.label.startsWith('http') && o.text.includes('"lastFailure"')),
      'and the status store write failures /api/status reports',
    );
    assert.ok(
      outputs.some((o) => o.label === 'dev host log' && /Executed/.test(o.text)),
      'and the host log',
    );
  });

  it('no issued token, assertion or secret appears in any response, log line or status blob', async () => {
    const i = await issued(sb.connection);
    const needles = [
      ...i.tokens.map((v) => ['token', v]),
      ...i.assertions.map((v) => ['assertion', v]),
      ...i.secrets.map((v) => ['secret', v]),
    ];
    for (const { label, text } of outputs)
      for (const [kind, needle] of needles) {
        assert.ok(!text.includes(needle), `${kind} leaked in ${label}`);
        // Also a token's signature or payload alone.
        for (const part of needle.split('.').filter((p) => p.length > 40))
          assert.ok(!text.includes(part), `${kind} part leaked in ${label}`);
      }
  });

  it('nothing JWT-shaped leaves the app at all', () => {
    for (const { label, text } of outputs) assert.doesNotMatch(text, JWT_SHAPE, label);
  });
});
