// The app runs what a declaration says (issue 23), end to end in a child process with the app's settings: the
// sandbox builds its world from the declaration (sandbox/declaration/), the app reads the same file
// (PROBES_DECLARATION), and the real SDK clients probe every declared cell. A team's declaration of 3 identities x 4
// resource kinds with two `denied` cells is all ok in a healthy world; a role the sandbox grants against the
// declaration makes that cell `unexpectedly-allowed`. A declaration with bad entries runs its valid probes, and the
// start-up log, /api/status and /api/health say what was left out.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultDeclaration } from '../../../common/declaration/default.ts';
import type { ProbeResult } from '../../../src/core/results.ts';
import { PATH_IDS, type PathId } from '../../../src/ids.ts';
import type { StatusView } from '../../../src/status/model.ts';
import { admin, startQuietSandbox } from '../../../support/sandbox.ts';
import { runChild } from '../helpers/child.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const TEAM = join(HERE, '..', '..', 'sandbox', 'fixtures', 'team-declaration.json');
const DENIED = ['app/orders-secret', 'batch/orders-rg'];

type Sandbox = Awaited<ReturnType<typeof startQuietSandbox>>;

const sweepSteps = [
  { op: 'warmup' as const },
  { op: 'sweep' as const },
  { op: 'http' as const, fn: 'status' as const },
  { op: 'http' as const, fn: 'health' as const },
];

describe("a team's declaration: 3 identities x 4 resource kinds, two denied", { timeout: 300_000 }, () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startQuietSandbox('healthy', { declaration: TEAM });
  });
  after(() => sb?.close());

  it('a healthy world is all ok: allowed cells get in, denied ones are refused as the attested identity', async () => {
    const run = await runChild(sb.connection.appSettings, sweepSteps, { PROBES_DECLARATION: TEAM });
    const [, sweep, status, health] = run.steps.map((s) => s.value);
    const results = sweep.results as ProbeResult[];
    assert.equal(results.length, 12);
    for (const r of results) {
      const cell = `${r.path}/${r.target}`;
      assert.equal(r.outcome, 'ok', `${cell}: ${JSON.stringify(r.detail ?? r.identity)}`);
      assert.equal(r.identity?.matches, true, `${cell} attested`);
      if (DENIED.includes(cell)) {
        assert.equal(r.expect, 'denied', cell);
        assert.equal(r.data?.refused, true, `${cell} was refused`);
        assert.equal(r.data?.statusCode, 403, cell);
      } else assert.equal(r.expect, undefined, cell);
    }
    const refusedCodes = results
      .filter((r) => r.data?.refused)
      .map((r) => `${r.path}/${r.target}=${r.data?.code}`);
    assert.deepEqual(refusedCodes.sort(), [
      'app/orders-secret=Forbidden',
      'batch/orders-rg=AuthorizationFailed',
    ]);

    const view = status.body as StatusView;
    assert.equal(view.declaration?.name, 'team-orders');
    assert.equal(view.declaration?.version, '2026-12-05');
    assert.equal(view.declaration?.complete, true);
    assert.equal(view.declaration?.source, TEAM);
    assert.equal(view.cells.length, 12);
    assert.deepEqual(
      view.cells.filter((c) => c.expect === 'denied').map((c) => c.probe),
      DENIED,
    );
    assert.equal(view.status, 'ok', JSON.stringify(view.reasons));
    assert.deepEqual(Object.keys(view.paths), ['app', 'api', 'batch']);
    assert.equal(health.body.status, 'ok');
    assert.equal(health.body.configured, true);
    assert.match(
      run.stderr + run.stdout,
      /declaration team-orders version 2026-12-05 from .*: 12 probes, 3 identities/,
    );
  });

  it('a role granted against the declaration: that cell is unexpectedly-allowed, the others stay ok', async () => {
    const d = sb.connection.declaration!;
    const grant = await admin<{ id: string }>(sb.connection, 'POST', '/_sandbox/role-assignments', {
      principalId: d.identities.app.principalId,
      roleName: 'Key Vault Secrets User',
      scope: d.resources['orders-secret'].scope,
    });
    try {
      const run = await runChild(sb.connection.appSettings, [{ op: 'sweep' }], { PROBES_DECLARATION: TEAM });
      const results = run.steps[0].value.results as ProbeResult[];
      const cell = results.find((r) => r.path === 'app' && r.target === 'orders-secret')!;
      assert.equal(cell.outcome, 'unexpectedly-allowed');
      assert.equal(cell.identity?.matches, true, 'it was the declared identity that got in');
      // The grant that let it in (privileges/unexpected.ts, found with the identity's own credential; the vault's
      // loopback URL does not name it, so it is found by its URI) and the command that removes exactly it.
      const id = `${d.resources['orders-secret'].scope}/providers/Microsoft.Authorization/roleAssignments/${grant.id}`;
      assert.deepEqual(cell.grants, [
        {
          assignmentId: id,
          roleDefinitionId: cell.grants?.[0]?.roleDefinitionId,
          roleName: 'Key Vault Secrets User',
          scope: d.resources['orders-secret'].scope,
          inherited: false,
        },
      ]);
      assert.equal(cell.remediation!.command, `az role assignment delete --ids ${id}`);
      assert.match(
        cell.remediation!.summary,
        /^app got into orders-secret, which the declaration says it must not reach/,
      );
      assert.doesNotMatch(
        JSON.stringify(cell),
        /hasValue|db-password-value/,
        'no secret value in the result',
      );
      for (const r of results.filter((x) => x !== cell))
        assert.equal(r.outcome, 'ok', `${r.path}/${r.target}`);
    } finally {
      await admin(sb.connection, 'DELETE', `/_sandbox/role-assignments/${grant.id}`).catch(() => {});
    }
  });
});

describe('a declaration with bad entries', { timeout: 300_000 }, () => {
  let sb: Sandbox;
  let dir: string;
  before(async () => {
    sb = await startQuietSandbox('healthy');
    dir = mkdtempSync(join(tmpdir(), 'declared-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    return sb?.close();
  });

  it('runs the valid probes; the log, /api/status and /api/health name what was left out', async () => {
    const d = defaultDeclaration() as unknown as {
      identities: Record<string, unknown>;
      resources: Record<string, unknown>;
      probes: Array<Record<string, unknown>>;
    };
    d.identities['bad-id'] = { kind: 'user-assigned', selectBy: 'client-id', clientId: 'not-a-guid' };
    d.resources['odd'] = { kind: 'table-entity', table: 'x' };
    d.probes.push(
      { identity: 'bad-id', resource: 'keyvault' },
      { identity: 'system-assigned', resource: 'odd' },
      { identity: 'system-assigned', resource: 'blob' },
      { identity: 'nobody', resource: 'arm' },
      { identity: 'federated', expect: 'denied' },
    );
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(d));
    // The timers record what they find, so the status has results to judge.
    const timers = [...PATH_IDS, 'bad-id'].map((path) => ({ op: 'timer' as const, path: path as PathId }));
    const [warm, sweepStep, ...rest] = sweepSteps;
    const run = await runChild(sb.connection.appSettings, [warm, sweepStep, ...timers, ...rest], {
      PROBES_DECLARATION: file,
    });
    const values = run.steps.map((s) => s.value);
    const [sweep, status, health] = [values[1], values.at(-2), values.at(-1)];
    const results = sweep.results as ProbeResult[];
    // The 18 canary cells, and the entry whose only problem is a value (its probe answers misconfigured).
    assert.equal(results.length, 19);
    const bad = results.find((r) => r.path === 'bad-id')!;
    assert.equal(bad.outcome, 'misconfigured');
    assert.equal(bad.detail?.setting, 'identities.bad-id.clientId');
    for (const r of results.filter((x) => x !== bad)) assert.equal(r.outcome, 'ok', `${r.path}/${r.target}`);

    const view = status.body as StatusView;
    assert.equal(view.declaration?.complete, false);
    const problems = view.declaration!.problems.map(
      (p) => `${p.entry}|${p.probe ?? ''}|${p.field ?? ''}|${p.message}`,
    );
    const want = [
      /^identities\.bad-id\|\|clientId\|/,
      /^resources\.odd\|\|kind\|unknown kind 'table-entity'/,
      /^probes\[19\]\|system-assigned\/odd\|resource\|resource 'odd' is invalid/,
      /^probes\[20\]\|system-assigned\/blob\|id\|duplicate probe id 'system-assigned\/blob'/,
      /^probes\[21\]\|nobody\/arm\|identity\|no identity named 'nobody'/,
      /^probes\[22\]\|\|resource\|a denied expectation needs a resource/,
    ];
    for (const w of want)
      assert.ok(
        problems.some((p) => w.test(p)),
        `${w} in ${JSON.stringify(problems)}`,
      );
    assert.equal(view.status, 'degraded', 'ok cells, but not everything declared runs');
    assert.ok(view.reasons.some((r) => /declaration canary-demo is not fully configured/.test(r)));
    assert.equal(health.status, 200);
    assert.equal(health.body.configured, false);
    assert.equal(health.body.status, 'degraded');
    assert.ok(health.body.reasons.includes('declaration canary-demo is not fully configured'));
    const log = run.stderr + run.stdout;
    assert.match(log, /NOT FULLY LOADED/);
    assert.match(log, /resources\.odd kind: unknown kind 'table-entity'/);
    assert.match(log, /probes\[21\] \(probe nobody\/arm\) identity: no identity named 'nobody'/);
  });

  it('a declaration file that is missing or not JSON: nothing runs, and the status says why', async () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "schemaVersion": 1, ');
    for (const [file, why] of [
      [join(dir, 'missing.json'), /file not found/],
      [broken, /not valid JSON/],
    ] as const) {
      const run = await runChild(sb.connection.appSettings, sweepSteps, { PROBES_DECLARATION: file });
      const [, sweep, status, health] = run.steps.map((s) => s.value);
      assert.deepEqual(sweep.results, []);
      const view = status.body as StatusView;
      assert.equal(view.declaration?.complete, false);
      assert.match(view.declaration!.problems[0].message, why);
      assert.equal(view.counts.total, 0);
      assert.equal(health.body.configured, false);
      assert.notEqual(health.body.status, 'ok');
    }
  });
});

// Reads the fixture once so a broken file fails here, not in the child.
JSON.parse(readFileSync(TEAM, 'utf8'));
