// A broken world end to end: the app identity lacks Key Vault Secrets User (scenario uami-no-keyvault-role).
// The probes must say `forbidden`, name the fix with the real principal id and scope, and /api/status must show it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getJson } from '../../scripts/lib/proc.ts';
import { startStack, stopCleanly } from './helpers.ts';
import type { Stack } from './helpers.ts';
import { findResults, PATHS } from './results.ts';

const KEY_VAULT_SECRETS_USER = '4633458b-17de-408a-b874-0445c86b69e6';
const APP_PATHS = ['uami-client-id', 'uami-object-id', 'uami-resource-id', 'default-chain'];

describe('e2e: scenario uami-no-keyvault-role', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ scenario: 'uami-no-keyvault-role' });
  });
  after(() => stopCleanly(stack));

  const appPrincipal = () => stack.sandbox.connection.identities.find((i) => i.key === 'app')!.principalId;

  it('the app identity is forbidden on Key Vault, with an az role assignment naming the principal and scope', async () => {
    for (const path of APP_PATHS) {
      const r = await getJson(`${stack.api}/probes/${path}/keyvault`);
      assert.equal(r.status, 200, r.text.slice(0, 300));
      const [x] = findResults(r.body);
      assert.equal(x.outcome, 'forbidden', path);
      const cmd = x.remediation?.command ?? '';
      assert.match(cmd, /^az role assignment create /, path);
      assert.ok(cmd.includes(appPrincipal()), `${path}: command names principal ${appPrincipal()}: ${cmd}`);
      assert.match(cmd, /Key Vault Secrets User|4633458b-17de-408a-b874-0445c86b69e6/);
      // ARM resource ids are case-insensitive; Key Vault reports the scope in lower case.
      assert.match(
        cmd,
        /--scope \/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[\w-]+$/i,
        cmd,
      );
      assert.ok(x.remediation?.summary, 'a one-sentence summary');
    }
  });

  it('the rest of the world still works: the other identities and the other targets are ok', async () => {
    for (const path of PATHS) {
      const results = findResults((await getJson(`${stack.api}/probes/${path}`)).body);
      for (const x of results) {
        const broken = APP_PATHS.includes(path) && x.target === 'keyvault';
        assert.equal(x.outcome, broken ? 'forbidden' : 'ok', `${path} -> ${x.target}`);
      }
    }
  });

  it('/api/status shows the failure and its remediation after the timers ran', async () => {
    const since = new Date().toISOString();
    for (const path of PATHS) {
      const r = await fetch(`${stack.host.baseUrl}/admin/functions/timer-${path}`, {
        method: 'POST',
        body: '{}',
      });
      assert.equal(r.status, 202);
    }
    for (const path of PATHS)
      await stack.host.proc.waitFor(new RegExp(`\\[timer-${path}\\].*Executed`), 60_000);
    const deadline = Date.now() + 30_000;
    let cells: ReturnType<typeof findResults> = [];
    while (Date.now() < deadline) {
      const r = await getJson(`${stack.api}/status`, { headers: { accept: 'application/json' } });
      cells = findResults(r.body).filter((x) => (x.at ?? '') >= since && x.target === 'keyvault');
      if (cells.filter((x) => APP_PATHS.includes(x.path)).length === APP_PATHS.length) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    for (const path of APP_PATHS) {
      const x = cells.find((c) => c.path === path);
      assert.ok(x, `status has ${path} -> keyvault`);
      assert.equal(x.outcome, 'forbidden');
      assert.ok((x.remediation?.command ?? '').includes(appPrincipal()));
    }
    const html = await fetch(`${stack.api}/status`, { headers: { accept: 'text/html' } });
    const page = await html.text();
    assert.ok(page.includes('az role assignment create'), 'the HTML status page shows the command');
    assert.ok(page.includes(KEY_VAULT_SECRETS_USER) || page.includes('Key Vault Secrets User'));
  });
});
