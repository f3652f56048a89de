// A redeployment after a fix, in the sandbox (sandbox/redeploy.ts, run as the operator by test/support/redeploy.ts):
// the healthy world's role assignments carry the template's names, so redeploying it changes nothing and conflicts
// with nothing; the app's printed fix (az role assignment create --name <template's guid>) leaves the next
// deployment nothing to fight; the old unnamed create makes it fail with 409 RoleAssignmentExists, as ARM does.
// The real Azure CLI runs the same fixes for every broken scenario in test/azcli/remediation.test.ts.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { roleAssignmentName } from '../../../common/arm-guid.ts';
import type { ProbeResult } from '../../../src/core/results.ts';
import { runChild } from '../../app/helpers/child.ts';
import { runRemediationAsOperator } from '../../support/authz.ts';
import { operatorCredential, redeploy, redeployPlan } from '../../support/redeploy.ts';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.ts';

async function sweep(sb: TestSandbox): Promise<ProbeResult[]> {
  const run = await runChild(sb.connection.appSettings, [{ op: 'sweep' }]);
  return (run.steps[0].value as { results: ProbeResult[] }).results;
}

describe('redeploying after a fix', { timeout: 300_000 }, () => {
  const open: TestSandbox[] = [];
  after(async () => {
    for (const sb of open) await sb.close();
  });
  const start = async (scenario: string) => {
    const sb = await startTestSandbox(scenario);
    open.push(sb);
    return sb;
  };

  it('the healthy world holds every declared assignment under the template name; redeploying it is a no-op', async () => {
    const sb = await start('healthy');
    const world = sb.context.world;
    const declared = world.roleAssignments.filter((a) => a.origin === 'wiring');
    assert.ok(declared.length >= 9, `only ${declared.length} declared assignments`);
    for (const a of declared)
      assert.equal(a.id, roleAssignmentName(a.scope, a.principalId, a.roleDefinitionId), a.scope);
    const plan = redeployPlan(sb);
    assert.deepEqual(
      plan.map((p) => p.kind).filter((k, i, all) => all.indexOf(k) === i),
      ['roleAssignment', 'federatedCredential', 'site'],
    );
    const report = await redeploy(sb);
    assert.deepEqual(report.failures, [], JSON.stringify(report.answers, null, 2));
    assert.equal(report.answers.length, plan.length);
    assert.equal(world.roleAssignments.length, sb.context.world.roleAssignments.length);
  });

  it('the printed fix (with --name) then a redeploy: 0 conflicts, the next sweep ok', async () => {
    const sb = await start('uami-no-keyvault-role');
    const broken = (await sweep(sb)).filter((r) => r.outcome !== 'ok');
    assert.ok(broken.length > 0);
    const command = broken[0].remediation!.command!;
    assert.match(command, /^az role assignment create --name [0-9a-f-]{36} /);
    const ran = await runRemediationAsOperator(sb.connection, command, operatorCredential(sb.connection));
    assert.ok(
      ran.every((r) => r.ok),
      JSON.stringify(ran),
    );
    const report = await redeploy(sb);
    assert.deepEqual(report.conflicts, []);
    assert.deepEqual(report.failures, [], JSON.stringify(report.failures));
    const next = await sweep(sb);
    assert.deepEqual(
      next.filter((r) => r.outcome !== 'ok').map((r) => `${r.path}/${r.target}=${r.outcome}`),
      [],
    );
  });

  it('the old unnamed az role assignment create makes the redeploy fail with 409 RoleAssignmentExists', async () => {
    const sb = await start('uami-no-keyvault-role');
    const broken = (await sweep(sb)).filter((r) => r.outcome !== 'ok');
    const unnamed = broken[0].remediation!.command!.replace(/ --name \S+/, '');
    assert.doesNotMatch(unnamed, /--name/);
    const ran = await runRemediationAsOperator(sb.connection, unnamed, operatorCredential(sb.connection));
    assert.ok(
      ran.every((r) => r.ok),
      JSON.stringify(ran),
    );
    const report = await redeploy(sb);
    assert.equal(report.conflicts.length, 1, JSON.stringify(report.answers, null, 2));
    assert.equal(report.conflicts[0].code, 'RoleAssignmentExists');
    assert.match(report.conflicts[0].what, /Key Vault Secrets User app ->/);
  });
});
