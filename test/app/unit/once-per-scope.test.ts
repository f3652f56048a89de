// A timer run's fresh credential asks once per scope (identities/fresh.ts OncePerScopeCredential): the figure the
// declaration scale bench shows as token requests per run against identity x audience pairs (bench/declaration.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { OncePerScopeCredential } from '../../../src/identities/fresh.ts';

/** A credential of our own that counts its requests per scope and can be told to fail or hang. */
class CountingCredential implements TokenCredential {
  calls: string[] = [];
  fail = false;
  hang = false;
  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    const n = this.calls.push(`${[scopes].flat().join(' ')}${options?.claims ? ' +claims' : ''}`);
    await new Promise((r) => setImmediate(r));
    if (this.hang) await new Promise(() => {});
    if (this.fail) throw new Error('refused');
    return { token: `t${n}`, expiresOnTimestamp: Date.now() + 60_000 };
  }
}

const VAULT = 'https://vault.azure.net/.default';
const STORAGE = 'https://storage.azure.com/.default';

describe('OncePerScopeCredential', () => {
  it('asks once per scope, however many callers and whenever they come', async () => {
    const inner = new CountingCredential();
    const c = new OncePerScopeCredential(inner);
    const first = await Promise.all([c.getToken(VAULT), c.getToken(VAULT), c.getToken(STORAGE)]);
    const later = await c.getToken(VAULT);
    assert.deepEqual(inner.calls, [VAULT, STORAGE]);
    assert.equal(first[0]?.token, first[1]?.token, 'the callers of one scope share its token');
    assert.equal(later?.token, first[0]?.token);
    assert.notEqual(first[2]?.token, first[0]?.token);
  });

  it('shares a failure too: one refused request, every caller of that scope sees it', async () => {
    const inner = new CountingCredential();
    inner.fail = true;
    const c = new OncePerScopeCredential(inner);
    const results = await Promise.allSettled([c.getToken(VAULT), c.getToken(VAULT)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.equal(inner.calls.length, 1);
  });

  it('never shares a request with claims (a CAE challenge asks anew)', async () => {
    const inner = new CountingCredential();
    const c = new OncePerScopeCredential(inner);
    await c.getToken(VAULT);
    await c.getToken(VAULT, { claims: '{"access_token":{}}' });
    assert.deepEqual(inner.calls, [VAULT, `${VAULT} +claims`]);
  });

  it('lets each caller stop waiting at its own abort signal', async () => {
    const inner = new CountingCredential();
    inner.hang = true;
    const c = new OncePerScopeCredential(inner);
    const gone = new AbortController();
    const waiting = c.getToken(VAULT, { abortSignal: gone.signal });
    // (AbortSignal.timeout's timer does not keep the process alive; this one does.)
    const later = new AbortController();
    setTimeout(() => later.abort(), 50);
    const other = c.getToken(VAULT, { abortSignal: later.signal });
    gone.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
    await assert.rejects(other, { name: 'AbortError' });
    await assert.rejects(c.getToken(STORAGE, { abortSignal: AbortSignal.abort() }), { name: 'AbortError' });
    assert.deepEqual(inner.calls, [VAULT], 'an already aborted caller asks nothing');
  });
});
