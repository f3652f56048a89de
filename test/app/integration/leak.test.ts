// No access token, external assertion or secret value the sandbox issued during this suite appears in any HTTP
// response, log line (the child's stdout/stderr and the InvocationContext logs) or status blob.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PATH_IDS } from '../../../src/ids.ts';
import type { Step } from '../fixtures/probe-child.ts';
import { runChild, type ChildRun } from '../helpers/child.ts';
import { addFault, admin, clearFaults, issued, start, type Sandbox } from '../helpers/sandbox.ts';

const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/;

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
