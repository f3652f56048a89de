// The healthy world end to end: the sandbox and the dev host as separate processes, as `npm start` runs them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getJson } from '../../scripts/lib/proc.ts';
import { admin } from '../../support/sandbox.ts';
import { startStack, stopCleanly } from './helpers.ts';
import type { Stack } from './helpers.ts';
import { findResults, IDENTITY_KEY, PATHS, TARGETS } from './results.ts';

describe('e2e: healthy scenario on the dev host', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ scenario: 'healthy' });
  });
  after(() => stopCleanly(stack));

  const principal = (path: (typeof PATHS)[number]) =>
    stack.sandbox.connection.identities.find((i) => i.key === IDENTITY_KEY[path])?.principalId;

  it('GET /api/probes/{path}: every path reaches every target as the identity it must be', async () => {
    for (const path of PATHS) {
      const r = await getJson(`${stack.api}/probes/${path}`);
      assert.equal(r.status, 200, `${path}: ${r.text.slice(0, 500)}`);
      const results = findResults(r.body);
      assert.deepEqual(results.map((x) => x.target).sort(), [...TARGETS].sort(), path);
      for (const x of results) {
        assert.equal(x.path, path);
        assert.equal(x.outcome, 'ok', `${path} -> ${x.target}: ${JSON.stringify(x.detail ?? x.remediation)}`);
        assert.equal(x.identity?.oid, principal(path), `${path} -> ${x.target} attested oid`);
        assert.equal(typeof x.timings?.totalMs, 'number');
      }
    }
  });

  it('the first results, answered before the telemetry library loaded, all reach Application Insights', async () => {
    // The host started from the bundle; the test above was its first sweep. The sender is built only after the
    // first answer (src/functions/warmup.ts): what was reported before is queued, then sent.
    const want = PATHS.flatMap((p) => TARGETS.map((t) => `${p}/${t}`)).sort();
    let names: string[] = [];
    for (const end = Date.now() + 30_000; Date.now() < end;) {
      const got = await admin<{ items: Array<{ baseData: { name: string } }> }>(
        stack.sandbox.connection,
        'GET',
        '/_sandbox/telemetry?kind=availability',
      );
      names = [...new Set(got.items.map((i) => i.baseData.name))].sort();
      if (names.length >= want.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(names, want);
  });

  it('GET /api/probes/{path}/{target}: every cell on its own', async () => {
    for (const path of PATHS) {
      for (const target of TARGETS) {
        const r = await getJson(`${stack.api}/probes/${path}/${target}`);
        assert.equal(r.status, 200, `${path}/${target}`);
        const results = findResults(r.body);
        assert.equal(results.length, 1, `${path}/${target}`);
        assert.deepEqual([results[0].path, results[0].target, results[0].outcome], [path, target, 'ok']);
      }
    }
  });

  it('answers unknown probe paths with a JSON 404 that lists the path ids', async () => {
    const r = await getJson(`${stack.api}/probes/no-such-path`);
    assert.equal(r.status, 404);
    for (const p of PATHS) assert.ok(r.text.includes(p), `404 body lists ${p}`);
    const t = await getJson(`${stack.api}/probes/system-assigned/no-such-target`);
    assert.equal(t.status, 404);
    for (const target of TARGETS) assert.ok(t.text.includes(target), `404 body lists ${target}`);
  });

  it('answers unknown routes with 404 and wrong methods on probe routes with 405', async () => {
    const unknown = await getJson(`${stack.api}/nothing-here`);
    assert.equal(unknown.status, 404);
    assert.equal((unknown.body as { error?: string }).error, 'NotFound');
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const r = await getJson(`${stack.api}/probes/system-assigned`, { method });
      assert.equal(r.status, 405, method);
      assert.match(r.headers.get('allow') ?? '', /GET/);
    }
  });

  it('GET /api/health answers 200 without a key', async () => {
    const r = await getJson(`${stack.api}/health`);
    assert.equal(r.status, 200, r.text);
  });

  it('every timer fired through POST /admin/functions/timer-{path}; /api/status then shows all of them', async () => {
    const since = new Date().toISOString();
    for (const path of PATHS) {
      const r = await fetch(`${stack.host.baseUrl}/admin/functions/timer-${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"input":""}',
      });
      assert.equal(r.status, 202, `timer-${path}`);
    }
    for (const path of PATHS)
      await stack.host.proc.waitFor(new RegExp(`\\[timer-${path}\\].*Executed \\(Succeeded`), 60_000);

    const deadline = Date.now() + 30_000;
    let fresh: ReturnType<typeof findResults> = [];
    while (Date.now() < deadline) {
      const r = await getJson(`${stack.api}/status`, { headers: { accept: 'application/json' } });
      assert.equal(r.status, 200, r.text.slice(0, 500));
      fresh = findResults(r.body).filter((x) => (x.at ?? '') >= since);
      if (fresh.length >= PATHS.length * TARGETS.length) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    for (const path of PATHS) {
      for (const target of TARGETS) {
        const cell = fresh.find((x) => x.path === path && x.target === target);
        assert.ok(cell, `status has a fresh result for ${path} -> ${target}`);
        assert.equal(cell.outcome, 'ok', `${path} -> ${target}`);
      }
    }
  });

  it('never lets an access token, an assertion or a secret value reach the logs', async () => {
    const issued = (await getJson(`${stack.sandbox.connection.endpoints.admin}/_sandbox/issued`)).body as {
      tokens: string[];
      assertions: string[];
      secrets: string[];
    };
    assert.ok(issued.tokens.length > 0, 'tokens were issued');
    const logs = stack.host.proc.output() + stack.sandbox.proc.output();
    for (const s of [...issued.tokens, ...issued.assertions, ...issued.secrets]) {
      assert.equal(logs.includes(s), false, 'a token, assertion or secret reached the logs');
    }
  });
});
