// Issue 23, "What it must show" 2, end to end: the app runs the team declaration (3 identities x 4 kinds, two
// `denied`; PROBES_DECLARATION) against a sandbox world built from it. Healthy: batch/orders-rg is refused, as
// declared (ok). A role the sandbox's admin API grants (as a drift would) lets it in: the next probe of that cell is
// `unexpectedly-allowed` with the grant (role, scope, assignment id, not inherited) and
// `az role assignment delete --ids <id>`, and batch's privileges check, which follows the declaration, calls the same
// assignment excess. That exact command, run unchanged with the REAL Azure CLI as the world's operator, exits 0; the
// next probe is ok (refused again) and the check is clean.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import type { SandboxConnection } from '../../sandbox/connection.ts';
import type { ProbeResult } from '../../src/core/results.ts';
import type { PathId, TargetId } from '../../src/ids.ts';
import type { PrivilegesResult } from '../../src/privileges/types.ts';
import { runChild } from '../app/helpers/child.ts';
import { admin, useTestSandbox } from '../support/sandbox.ts';
import { operatorSession, registeredConfig, requireAz, SKIP, type AzSession } from './helpers.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const TEAM = join(HERE, '..', 'sandbox', 'fixtures', 'team-declaration.json');

/**
 * The app's probe of batch/orders-rg, and the privileges checks (GET /api/privileges/{name}) of `names`, in one
 * process; `check` is batch's.
 */
async function survey(conn: SandboxConnection, names = ['batch']) {
  const run = await runChild(
    conn.appSettings,
    [
      { op: 'probe', path: 'batch' as PathId, target: 'orders-rg' as TargetId },
      ...names.map((n) => ({
        op: 'http' as const,
        fn: 'privileges' as const,
        params: { rest: n },
        url: `http://localhost/api/privileges/${n}`,
      })),
    ],
    { PROBES_DECLARATION: TEAM },
  );
  assert.doesNotMatch(run.stdout + run.stderr, /eyJ[\w-]{10,}\.[\w-]{10,}/, 'no token in the output');
  const [cell] = run.steps[0].value as ProbeResult[];
  const checks = run.steps.slice(1).map((s) => {
    const v = s.value as { status: number; body: PrivilegesResult };
    assert.equal(v.status, 200);
    return v.body;
  });
  return { cell, check: checks[names.indexOf('batch')], checks };
}

/** `bash -c command` with the session's environment (az first on PATH, its config dir): the command as printed. */
function bash(s: AzSession, command: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { env: s.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe(
  'a denied cell let in by a drift: unexpectedly-allowed, removed with the real Azure CLI',
  { skip: SKIP, timeout: 300_000 },
  () => {
    const cleanup: Array<() => unknown> = [];
    after(async () => {
      for (const f of cleanup.reverse()) await f();
    });
    const sb = useTestSandbox(() => {}, 'healthy', { declaration: TEAM });

    it('batch/orders-rg: ok (refused), then unexpectedly-allowed with the grant, then ok after the printed delete', async (t) => {
      requireAz();
      const conn = sb.connection;
      const d = conn.declaration!;
      const scope = d.resources['orders-rg'].scope;

      const healthy = await survey(conn, ['app', 'api', 'batch']);
      // Each identity's check follows the declaration: its declared resources' least roles, nothing more.
      assert.deepEqual(
        healthy.checks.map((c) => `${c.identity}=${c.outcome}`),
        ['app=ok', 'api=ok', 'batch=ok'],
        JSON.stringify(healthy.checks.map((c) => c.scopes)),
      );
      assert.equal(healthy.cell.outcome, 'ok', JSON.stringify(healthy.cell.detail));
      assert.equal(healthy.cell.expect, 'denied');
      assert.equal(healthy.cell.data?.code, 'AuthorizationFailed', 'refused, as declared');
      assert.equal(healthy.check.outcome, 'ok', JSON.stringify(healthy.check.scopes));

      const drift = await admin<{ id: string; scope: string }>(conn, 'POST', '/_sandbox/role-assignments', {
        principalId: d.identities.batch.principalId,
        roleName: 'Reader',
        scope,
      });
      const driftId = `${drift.scope}/providers/Microsoft.Authorization/roleAssignments/${drift.id}`;
      const drifted = await survey(conn);
      const { cell, check } = drifted;
      assert.equal(cell.outcome, 'unexpectedly-allowed', JSON.stringify(cell.detail));
      assert.equal(cell.identity?.matches, true, 'the declared identity got in');
      assert.deepEqual(
        cell.grants?.map((g) => [g.assignmentId, g.roleName, g.scope, g.inherited]),
        [[driftId, 'Reader', scope, false]],
      );
      const command = cell.remediation!.command!;
      assert.equal(command, `az role assignment delete --ids ${driftId}`);
      // The privileges check follows the declaration: batch may hold nothing at orders-rg, so the Reader is excess.
      assert.equal(check.outcome, 'over-privileged', JSON.stringify(check.scopes));
      assert.deepEqual(
        check.findings.map((f) => f.assignment?.id),
        [driftId],
      );
      assert.equal(check.remediation?.command, command);

      const base = await registeredConfig(conn);
      cleanup.push(() => rmSync(base, { recursive: true, force: true }));
      const operator = await operatorSession(conn, base);
      cleanup.push(() => operator.close());
      const r = await bash(operator, command);
      assert.equal(r.code, 0, `${command}\n${r.out}`);

      const fixed = await survey(conn);
      assert.equal(fixed.cell.outcome, 'ok', JSON.stringify(fixed.cell));
      assert.equal(fixed.cell.data?.code, 'AuthorizationFailed', 'refused again');
      assert.equal(fixed.check.outcome, 'ok', JSON.stringify(fixed.check.scopes));
      t.diagnostic(
        `healthy: batch/orders-rg ${healthy.cell.outcome} (${healthy.cell.data?.code}); check ${healthy.check.outcome}`,
      );
      t.diagnostic(
        `drift: ${cell.outcome}, grant Reader at ${scope}; check ${check.outcome} (${check.findings.length} finding)`,
      );
      t.diagnostic(`$ ${command}: exit 0`);
      t.diagnostic(
        `next: batch/orders-rg ${fixed.cell.outcome} (${fixed.cell.data?.code}); check ${fixed.check.outcome}`,
      );
    });
  },
);
