// Classification from the last thing the service said (pure): the answers a probe received, as the pipeline
// policy notes them, decide the outcome when the deadline or the auth library hides the status; and MSAL's
// replayed cached errors are marked with when they were first seen.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Answer } from '../../../src/core/answerLog.ts';
import { lastErrorAnswer } from '../../../src/core/answerLog.ts';
import { classify, type ClassifyContext } from '../../../src/probes/classify.ts';
import { ProbeDeadlineError } from '../../../src/core/deadline.ts';
import { ReplayMemory } from '../../../src/probes/replay.ts';

const ctx = (answers: Answer[], token = true): ClassifyContext => ({
  tokenFailed: false,
  tokenPending: token,
  managedIdentitySource: 'AppService',
  usesManagedIdentity: true,
  answers,
});
const answer = (a: Partial<Answer>): Answer => ({
  source: 'token',
  status: 429,
  endpoint: 'https://127.0.0.1:1',
  at: '2026-01-01T00:00:00.000Z',
  ...a,
});

describe('the last thing the service said', () => {
  it('throttling that outlasts the deadline is throttled, with its Retry-After, not a timeout', () => {
    const c = classify(new ProbeDeadlineError(5000), ctx([answer({ retryAfterSeconds: 7 })]));
    assert.equal(c.kind, 'throttled');
    assert.equal(c.detail.retryAfterSeconds, 7);
    assert.equal(c.detail.statusCode, 429);
    assert.equal(c.detail.phase, 'token');
  });

  it('a retried-away error, or none at all, leaves the deadline a timeout', () => {
    const later = [answer({}), answer({ status: 200 })];
    assert.equal(classify(new ProbeDeadlineError(5000), ctx(later)).kind, 'timeout');
    assert.equal(classify(new ProbeDeadlineError(5000), ctx([])).kind, 'timeout');
  });

  it('a reset connection at the deadline is unreachable; a 503 an error', () => {
    const reset = classify(new ProbeDeadlineError(5000), ctx([answer({ status: 0, network: 'ECONNRESET' })]));
    assert.equal(reset.kind, 'unreachable');
    assert.equal(reset.detail.code, 'ECONNRESET');
    assert.equal(classify(new ProbeDeadlineError(5000), ctx([answer({ status: 503 })])).kind, 'error');
  });

  it('a 401 from a token endpoint is an authentication failure, even when the library hid the status', () => {
    const err = Object.assign(new Error('network_error: Network request failed'), {
      name: 'AuthenticationError',
    });
    const c = classify(err, { ...ctx([answer({ status: 401 })]), tokenFailed: true, tokenPending: false });
    assert.equal(c.kind, 'unauthenticated');
    assert.equal(c.reason, 'token-endpoint');
    assert.equal(c.detail.statusCode, 401);
  });

  it("a call's 401 challenge (no credentials sent) is not the answer that explains a failure", () => {
    const challenge = answer({ source: 'call', status: 401, challenge: true });
    assert.equal(lastErrorAnswer([challenge], 'call'), undefined);
  });

  it("Storage's AuthenticationErrorDetail names an expired token", () => {
    const err = Object.assign(new Error('Server failed to authenticate the request.'), {
      name: 'RestError',
      statusCode: 401,
      code: 'InvalidAuthenticationInfo',
    });
    const body =
      '<?xml version="1.0"?><Error><Code>InvalidAuthenticationInfo</Code><Message>Server failed</Message><AuthenticationErrorDetail>Lifetime validation failed. The token is expired.</AuthenticationErrorDetail></Error>';
    const c = classify(err, ctx([answer({ source: 'call', status: 401, body })], false));
    assert.equal(c.kind, 'unauthenticated');
    assert.equal(c.reason, 'expired-token');
    assert.match(c.detail.message!, /Lifetime validation failed/);
  });

  it('an error the auth library replays from its cache is marked, with when it was first seen', () => {
    const detail = { phase: 'token' as const, statusCode: 503 };
    const text = 'AADSTS... Trace ID: 0f0e0d0c-0000-4000-8000-000000000001 Correlation ID: x';
    const replays = new ReplayMemory();
    const first = replays.note(detail, text, [answer({ status: 503 })], new Date('2026-01-01T00:00:00Z'));
    assert.equal(first.replayed, undefined, 'the first time it was a real answer');
    const again = replays.note(detail, text, [], new Date('2026-01-01T00:00:30Z'));
    assert.equal(again.replayed, true);
    assert.equal(again.firstSeenAt, '2026-01-01T00:00:00.000Z');
  });
});
