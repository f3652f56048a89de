// Keys end to end: the dev host started with --enable-auth, as `npm start -- --enable-auth` does.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getJson } from '../../scripts/lib/proc.ts';
import { functionKey, startStack, stopCleanly } from './helpers.ts';
import type { Stack } from './helpers.ts';
import { findResults } from './results.ts';

describe('e2e: --enable-auth', () => {
  let stack: Stack;
  let keys: ReturnType<typeof functionKey>;
  before(async () => {
    stack = await startStack({ enableAuth: true });
    keys = functionKey(stack.appDir);
  });
  after(() => stopCleanly(stack));

  it('probe routes: 401 without a key, 200 with the function key (header) or a host key (code)', async () => {
    const url = `${stack.api}/probes/system-assigned/keyvault`;
    assert.equal((await getJson(url)).status, 401);
    assert.equal((await getJson(url, { headers: { 'x-functions-key': 'not-a-key' } })).status, 401);
    const withKey = await getJson(url, { headers: { 'x-functions-key': keys.host } });
    assert.equal(withKey.status, 200);
    assert.equal(findResults(withKey.body)[0]?.outcome, 'ok');
    assert.equal((await getJson(`${url}?code=${encodeURIComponent(keys.host)}`)).status, 200);
  });

  it('status needs a key; health stays anonymous', async () => {
    assert.equal((await getJson(`${stack.api}/status`)).status, 401);
    assert.equal(
      (await getJson(`${stack.api}/status`, { headers: { 'x-functions-key': keys.fn('status') } })).status,
      200,
    );
    assert.equal((await getJson(`${stack.api}/health`)).status, 200);
  });

  it('the admin endpoint needs the master key', async () => {
    const fire = (key?: string) =>
      fetch(`${stack.host.baseUrl}/admin/functions/timer-federated`, {
        method: 'POST',
        body: '{"input":""}',
        headers: { 'content-type': 'application/json', ...(key ? { 'x-functions-key': key } : {}) },
      }).then((r) => r.status);
    assert.equal(await fire(), 401);
    assert.equal(await fire(keys.host), 401);
    assert.equal(await fire(keys.master), 202);
    await stack.host.proc.waitFor(/\[timer-federated\].*Executed/, 60_000);
  });

  it('never prints a key', () => {
    const out = stack.host.proc.output();
    for (const k of [keys.master, keys.host, keys.fn('status')]) assert.equal(out.includes(k), false);
  });
});
