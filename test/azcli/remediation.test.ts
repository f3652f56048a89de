// Every remediation the app prints for a broken scenario, run unchanged with the real Azure CLI (bash, so the
// printed quoting and lookups are what runs) as the world's operator, fixes the world: the next sweep of the failing
// cells is `ok`, the next deployment (test/support/redeploy.ts) meets 0 conflicts and the sweep after it is ok, and an identity's over-privileged check (the scenarios where every probe is ok) is clean again. The same commands run as an identity without the rights (the app's system-assigned identity,
// a Reader) get ARM's real AuthorizationFailed. One sandbox per scenario, scenarios side by side.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { IDENTITY_KEYS, PATHS_OF_IDENTITY } from '../../src/privileges/catalog.ts';
import type { PrivilegesResult } from '../../src/privileges/types.ts';
import type { ProbeResult } from '../../src/core/results.ts';
import { listScenarios } from '../../sandbox/world.ts';
import { runChild } from '../app/helpers/child.ts';
import { redeploy } from '../support/redeploy.ts';
import { admin, identity, startTestSandbox, type TestSandbox } from '../support/sandbox.ts';
import { operatorSession, registeredConfig, requireAz, session, SKIP, type AzSession } from './helpers.ts';

const SCENARIOS = listScenarios().filter((s) => s !== 'healthy');

/** What the app reports as broken: a probe cell, or an identity's privileges check. */
interface Problem {
  name: string;
  outcome: string;
  command?: string;
  summary?: string;
  detail?: unknown;
}

/** Each identity's privileges check runs with its first path's credential (as on the timers). */
const CHECK_PATHS = IDENTITY_KEYS.map((k) => PATHS_OF_IDENTITY[k][0]);

/** Every probe cell, and each identity's privileges check, as the app reports them. */
async function survey(sb: TestSandbox): Promise<Problem[]> {
  const run = await runChild(sb.connection.appSettings, [
    { op: 'sweep' },
    ...CHECK_PATHS.map((path) => ({ op: 'privileges' as const, path })),
  ]);
  const { results } = run.steps[0].value as { results: ProbeResult[] };
  const checks = run.steps.slice(1).map((s) => s.value as PrivilegesResult);
  return [
    ...results.map((r) => ({
      name: `${r.path}/${r.target}`,
      outcome: r.outcome,
      command: r.remediation?.command,
      summary: r.remediation?.summary,
      detail: r.detail,
    })),
    // Only excess is the check's own finding; its other failures are the probes' (same identity, same cause).
    ...checks
      .filter((c) => c.outcome === 'over-privileged')
      .map((c) => ({
        name: `privileges/${c.identity}`,
        outcome: c.outcome,
        command: c.remediation?.command,
        summary: c.remediation?.summary,
      })),
  ];
}

const failing = (all: Problem[]) => all.filter((p) => p.outcome !== 'ok');

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
  'remediations, run unchanged with the Azure CLI, fix every broken scenario',
  { skip: SKIP, concurrency: true, timeout: 600_000 },
  () => {
    const cleanup: Array<() => unknown> = [];
    after(async () => {
      for (const f of cleanup.reverse()) await f();
    });

    for (const scenario of SCENARIOS)
      it(scenario, async (t) => {
        requireAz();
        const sb = await startTestSandbox(scenario);
        cleanup.push(() => sb.close());
        const base = await registeredConfig(sb.connection);
        cleanup.push(() => rmSync(base, { recursive: true, force: true }));
        const before = failing(await survey(sb));
        assert.ok(before.length > 0, `${scenario}: nothing fails`);
        const commands = [...new Set(before.map((r) => r.command ?? ''))];
        for (const r of before)
          assert.ok(r.command, `${scenario} ${r.name} (${r.outcome}): no command: ${r.summary}`);
        const lines = [`${scenario}: failing ${before.map((r) => `${r.name}=${r.outcome}`).join(', ')}`];

        // As an identity without the rights: ARM's AuthorizationFailed, and nothing changes.
        const reader = session(sb.connection, base, `${scenario}-reader`, {
          IDENTITY_ENDPOINT: sb.connection.appSettings.IDENTITY_ENDPOINT,
          IDENTITY_HEADER: sb.connection.appSettings.IDENTITY_HEADER,
        });
        cleanup.push(() => reader.close());
        // The app's own identities have no write rights anywhere: the system-assigned one (where it holds no role
        // in the subscription and cannot log in, the app's UAMI).
        let who = identity(sb.connection, 'system');
        let login = await reader.run(['login', '--identity', '-o', 'none']);
        if (login.code !== 0) {
          who = identity(sb.connection, 'app');
          login = await reader.run(['login', '--identity', '--client-id', who.clientId, '-o', 'none']);
        }
        assert.equal(login.code, 0, `${scenario}: no identity without rights could log in:\n${login.stderr}`);
        const denied = await bash(reader, commands[0]);
        assert.notEqual(denied.code, 0, `${scenario}: the Reader ran ${commands[0]}`);
        assert.match(
          denied.out,
          new RegExp(
            `\\(AuthorizationFailed\\) The client '[0-9a-f-]+' with object id '${who.principalId}' does not have authorization to perform action '[^']+' over scope '[^']+' or the scope is invalid`,
          ),
        );
        const failed = /\(AuthorizationFailed\)[^\n]*/.exec(denied.out)?.[0] ?? '';
        lines.push(`  as ${who.name} (no write rights): exit ${denied.code}, ${failed}`);
        const still = failing(await survey(sb)).map((r) => r.name);
        assert.deepEqual(
          still,
          before.map((r) => r.name),
          `${scenario}: the refused command changed nothing`,
        );

        // Removing a grant at the subscription takes an administrator of the subscription; the world's operator is
        // Owner of the resource group only, so it is given User Access Administrator there first, as such an
        // administrator would hold it.
        if (
          commands.some((c) =>
            /--ids \/subscriptions\/[^/\s]+\/providers\/Microsoft\.Authorization\//.test(c),
          )
        ) {
          await admin(sb.connection, 'POST', '/_sandbox/role-assignments', {
            principalId: identity(sb.connection, 'sp-probes-operator').principalId,
            roleName: 'User Access Administrator',
            scope: `/subscriptions/${sb.connection.subscriptionId}`,
          });
          lines.push('  (operator given User Access Administrator on the subscription: the grant is there)');
        }
        const operator: AzSession = await operatorSession(sb.connection, base);
        cleanup.push(() => operator.close());
        for (const command of commands) {
          const r = await bash(operator, command);
          assert.equal(r.code, 0, `${scenario}: ${command}\n${r.out}`);
          lines.push(`  $ ${command}`, '    exit 0');
        }

        // Printed once per failing cell, a command may be run more than once: the second run changes nothing and
        // still succeeds (az role assignment create answers RoleAssignmentExists by listing the assignment, which
        // asks the sandbox's Graph for the principal's name).
        for (const command of commands) {
          const r = await bash(operator, command);
          assert.equal(r.code, 0, `${scenario}: again: ${command}\n${r.out}`);
        }
        const afterFix = await survey(sb);
        const fixed = afterFix.filter((r) => before.some((b) => b.name === r.name));
        const cleared = before.filter((b) => !afterFix.some((r) => r.name === b.name));
        lines.push(
          `  next sweep: ${[...fixed.map((r) => `${r.name}=${r.outcome}`), ...cleared.map((r) => `${r.name}=ok`)].join(', ')}`,
        );
        for (const r of fixed)
          assert.equal(r.outcome, 'ok', `${scenario} ${r.name} after the fix: ${JSON.stringify(r.detail)}`);
        assert.deepEqual(
          failing(afterFix).map((r) => r.name),
          [],
          `${scenario}: every cell is ok and no identity is over-privileged after the fix`,
        );

        // Then the next deployment: it PUTs every declared assignment under the template's name (and the
        // federated credentials and site identities); a fix that created an assignment under another name would
        // answer 409 RoleAssignmentExists here.
        const report = await redeploy(sb);
        lines.push(
          `  redeploy: ${report.answers.length} PUTs, ${report.conflicts.length} conflicts, ${report.failures.length} failures`,
        );
        assert.deepEqual(report.conflicts, [], `${scenario}: the redeploy conflicts with the fix`);
        assert.deepEqual(report.failures, [], `${scenario}: ${JSON.stringify(report.failures)}`);
        const afterRedeploy = failing(await survey(sb));
        lines.push(`  sweep after the redeploy: ${afterRedeploy.length} failing`);
        for (const line of lines) t.diagnostic(line);
        assert.deepEqual(
          afterRedeploy.map((r) => `${r.name}=${r.outcome}`),
          [],
          `${scenario}: the sweep after the redeploy`,
        );
      });

    it('the old unnamed az role assignment create makes the next deployment fail with 409 RoleAssignmentExists', async (t) => {
      requireAz();
      const sb = await startTestSandbox('uami-no-keyvault-role');
      cleanup.push(() => sb.close());
      const base = await registeredConfig(sb.connection);
      cleanup.push(() => rmSync(base, { recursive: true, force: true }));
      const [cell] = failing(await survey(sb));
      const unnamed = cell.command!.replace(/ --name \S+/, '');
      assert.match(unnamed, /^az role assignment create --assignee-object-id /);
      const operator = await operatorSession(sb.connection, base);
      cleanup.push(() => operator.close());
      const r = await bash(operator, unnamed);
      assert.equal(r.code, 0, r.out);
      const report = await redeploy(sb);
      t.diagnostic(
        `$ ${unnamed}: exit 0; redeploy: ${report.conflicts.map((c) => `${c.status} ${c.code} (${c.what})`).join(', ')}`,
      );
      assert.equal(report.conflicts.length, 1, JSON.stringify(report.answers));
      assert.equal(report.conflicts[0].code, 'RoleAssignmentExists');
    });
  },
);
