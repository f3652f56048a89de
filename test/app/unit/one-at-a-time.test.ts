import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { OneAtATimeCredential } from '../../../src/identities/oneAtATime.ts';

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
      await new Promise((r) => setTimeout(r, 20));
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

  it('waits for a hung peer only for a bounded time', async () => {
    const hung = new CountingCredential();
    hung.hang = true;
    void new OneAtATimeCredential(hung, 'k', 100).getToken('s');
    const ok = new CountingCredential();
    const started = performance.now();
    const token = await new OneAtATimeCredential(ok, 'k', 100).getToken('s');
    assert.equal(token?.token, 't');
    const waited = performance.now() - started;
    assert.ok(waited >= 95 && waited < 1000, `waited ${waited} ms`);
  });
});
