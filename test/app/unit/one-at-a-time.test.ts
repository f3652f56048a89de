import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { OneAtATimeCredential } from '../../../src/identities/oneAtATime.ts';

/** Lets every pending callback and promise of this turn run (no timer: the tests mock setTimeout). */
const turn = () => new Promise((r) => setImmediate(r));

/** A credential of our own that records how many requests overlap and can be told to hang. */
class CountingCredential implements TokenCredential {
  active = 0;
  maxActive = 0;
  calls = 0;
  hang = false;
  async getToken(): Promise<AccessToken> {
    this.calls++;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (this.hang) await new Promise(() => {});
      await turn();
      return { token: 't', expiresOnTimestamp: Date.now() + 60_000 };
    } finally {
      this.active--;
    }
  }
}

describe('OneAtATimeCredential', () => {
  it('runs one request per cache key and scope at a time, across credential instances', async () => {
    const inner = new CountingCredential();
    const a = new OneAtATimeCredential(inner, 'mi:client_id:x');
    const b = new OneAtATimeCredential(inner, 'mi:client_id:x');
    await Promise.all([a.getToken('s1'), b.getToken('s1'), a.getToken('s1')]);
    assert.equal(inner.maxActive, 1);
    assert.equal(inner.calls, 3);
  });

  it('lets different keys or scopes run concurrently', async () => {
    const inner = new CountingCredential();
    const a = new OneAtATimeCredential(inner, 'mi:system');
    const b = new OneAtATimeCredential(inner, 'mi:object_id:y');
    await Promise.all([a.getToken('s1'), a.getToken('s2'), b.getToken('s1')]);
    assert.equal(inner.maxActive, 3);
  });

  it('waits for a hung peer only for a bounded time', async (t) => {
    // The peer wait is a setTimeout: the test moves node:test's mocked timers instead of waiting for it.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const hung = new CountingCredential();
    hung.hang = true;
    void new OneAtATimeCredential(hung, 'k', 100).getToken('s');
    const ok = new CountingCredential();
    let token: AccessToken | null | undefined;
    const answered = new OneAtATimeCredential(ok, 'k', 100).getToken('s').then((v) => (token = v));
    await turn();
    t.mock.timers.tick(99);
    await turn();
    assert.equal(ok.calls, 0, 'still waiting for its peer 1 ms before the bound');
    t.mock.timers.tick(1);
    await answered;
    assert.equal(ok.calls, 1);
    assert.equal(token?.token, 't');
  });
});
