// The probe deadline's arithmetic: an HTTP probe gets what is left of PROBE_TIMEOUT_MS when its answer is due, never
// more, never less than zero; other callers get all of it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerMarginMs } from '../../../src/core/deadline.ts';
import { remainingMs } from '../../../src/probes/runner.ts';

describe('remainingMs', () => {
  it('is the whole timeout without a due time', () => {
    assert.equal(remainingMs(5000, undefined, 1_000), 5000);
  });
  it('is what is left until the answer is due', () => {
    assert.equal(remainingMs(5000, 10_000, 6_000), 4000);
  });
  it('never exceeds the timeout, even when the answer is due later', () => {
    assert.equal(remainingMs(5000, 20_000, 6_000), 5000);
  });
  it('is zero once the answer is overdue', () => {
    assert.equal(remainingMs(5000, 10_000, 12_000), 0);
  });
});

describe('answerMarginMs', () => {
  it('keeps 5 % of PROBE_TIMEOUT_MS for answering, at most 250 ms', () => {
    assert.equal(answerMarginMs(3000), 150);
    assert.equal(answerMarginMs(5000), 250);
    assert.equal(answerMarginMs(10_000), 250);
    assert.equal(answerMarginMs(100), 5);
  });
});
