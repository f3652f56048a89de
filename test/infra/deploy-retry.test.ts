// npm run deploy against stand-in az and func on the PATH (test/infra/fixtures/standin-tools.mjs) that answer like
// the real tools: a soft-deleted vault of the same deployment (the deployment fails with ARM's ConflictError while
// it is there), a role assignment that is listed only after a few polls, and a publish whose package upload is
// refused with Core Tools' "Failed to upload blob package ... 403" a few times. DEPLOY_WAIT_SCALE shrinks the real
// waits (seconds to minutes) a hundredfold; the printed waits are the scaled ones.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DEFAULT_WAITS, publishDelays, waitPolicy } from '../../scripts/deploy/waits.ts';
import type { Scenario, StandIns } from './standin-tools.ts';
import { DEPLOY_ARGS, runDeploy, standIns } from './standin-tools.ts';

const made: StandIns[] = [];
after(() => {
  for (const s of made) rmSync(s.dir, { recursive: true, force: true });
});

const ARGS = [...DEPLOY_ARGS, '--reuse-dist'];

const deletedVault = (name: string, rg: string, env: string, location = 'swedencentral') => ({
  id: `/subscriptions/fede0978-e421-4650-9304-746eefba010e/providers/Microsoft.KeyVault/locations/${location}/deletedVaults/${name}`,
  name,
  type: 'Microsoft.KeyVault/deletedVaults',
  properties: {
    vaultId: `/subscriptions/fede0978-e421-4650-9304-746eefba010e/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${name}`,
    location,
    deletionDate: '2026-11-30T09:12:44+00:00',
    scheduledPurgeDate: '2026-12-07T09:12:44+00:00',
    purgeProtectionEnabled: null,
    tags: { 'identity-probes-env': env },
  },
});

function deploy(scenario: Scenario, extra: string[] = [], env: Record<string, string> = {}) {
  const s = standIns(scenario);
  made.push(s);
  const started = Date.now();
  const r = runDeploy(ARGS.concat(extra), s.dir, { DEPLOY_WAIT_SCALE: '0.01', ...env }, 90_000);
  const commands = s.calls().map((c) => c.command);
  return { ...r, commands, ms: Date.now() - started };
}

const kinds = (commands: string[]) => commands.map((c) => c.split(' ').slice(0, 3).join(' '));

describe(
  'npm run deploy: redeploy after delete, role propagation, publish retry',
  { timeout: 300_000 },
  () => {
    test('recovers the soft-deleted vault, waits for the role, retries the refused upload, then succeeds', () => {
      const r = deploy({
        deletedVaults: [
          deletedVault('kv-4fz6obwm3q2xa', 'RG-Probes-Test', 'ci1'),
          deletedVault('kv-othergroup0001', 'rg-someone-else', 'ci1'),
          deletedVault('kv-otherenv00001', 'rg-probes-test', 'ci2'),
        ],
        roleAfterPolls: 3,
        publish403: 2,
      });
      assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
      assert.deepEqual(kinds(r.commands), [
        'az version --output',
        'az account show',
        'func --version',
        'az group create',
        'az keyvault list-deleted',
        'az keyvault recover',
        'az deployment group',
        'az deployment group',
        'az role assignment',
        'az role assignment',
        'az role assignment',
        'func azure functionapp',
        'func azure functionapp',
        'func azure functionapp',
        'az rest --method',
        'az monitor metrics',
      ]);
      // Only this deployment's vault (its resource group, any case, and its environment tag) is recovered.
      assert.equal(
        r.commands[5],
        'az keyvault recover --name kv-4fz6obwm3q2xa --resource-group rg-probes-test --location swedencentral --output none',
      );
      assert.match(
        r.stdout,
        /found soft-deleted vault kv-4fz6obwm3q2xa \(deleted 2026-11-30T09:12:44\+00:00/,
      );
      assert.match(r.stdout, /recovered kv-4fz6obwm3q2xa/);
      // The role poll names the identity, the container scope and the role from the deployment output.
      assert.match(
        r.commands[8],
        /^az role assignment list --assignee-object-id 8d2f3c1e-5b7a-4e0f-9a61-3c2d4b5e6f70 --scope \/subscriptions\/\S+\/containers\/app-package --role ba92f5b4-2d11-453d-a403-e96b0029c9fe /,
      );
      assert.match(r.stdout, /poll 1: not listed yet; next in 100 ms/);
      assert.match(r.stdout, /role assignment listed after 3 poll\(s\)/);
      // Two refused uploads, each followed by a longer wait, then the third attempt goes through.
      assert.match(
        r.stdout,
        /at most 6 attempts; .* waits 100 ms, 200 ms, 400 ms, 800 ms, 1\.2 s \(2\.7 s in all\)/,
      );
      assert.match(r.stdout, /Failed to upload blob package to storage account/);
      assert.match(r.stdout, /refused \(403\): .*waiting 100 ms before attempt 2/);
      assert.match(r.stdout, /refused \(403\): .*waiting 200 ms before attempt 3/);
      assert.match(r.stdout, /attempt 3 of 6\n[\s\S]*Deployment completed successfully/);
      assert.match(
        r.stdout,
        /Done: status and health\n {3}status: https:\/\/func-from-output\.azurewebsites\.net/,
      );
    });

    test('the stand-in deployment fails like ARM while the vault is soft-deleted (what the recovery prevents)', () => {
      const s = standIns({ deletedVaults: [deletedVault('kv-4fz6obwm3q2xa', 'rg-probes-test', 'ci1')] });
      made.push(s);
      const r = spawnSync(
        join(s.dir, 'az'),
        [
          'deployment',
          'group',
          'create',
          '--resource-group',
          'rg-probes-test',
          '--parameters',
          'environmentName=ci1',
        ],
        { encoding: 'utf8', env: { STANDIN_DIR: s.dir }, timeout: 30_000 },
      );
      assert.equal(r.status, 1);
      assert.match(r.stderr, /ConflictError.*already exists in deleted state/);
    });

    test('a soft-deleted vault in another region stops before the deployment, naming both ways out', () => {
      const r = deploy({
        deletedVaults: [deletedVault('kv-4fz6obwm3q2xa', 'rg-probes-test', 'ci1', 'westeurope')],
      });
      assert.equal(r.status, 1);
      assert.match(
        r.stderr,
        /kv-4fz6obwm3q2xa is in westeurope, not swedencentral: deploy with --location westeurope/,
      );
      assert.match(r.stderr, /purge it first/);
      assert.ok(
        !r.commands.some((c) => c.startsWith('az deployment') || c.startsWith('az keyvault recover')),
      );
    });

    test('vault listing refused: deploys without the check; upload refused every time: gives up, bounded', () => {
      const r = deploy({ listDeletedError: true, publish403: 99 });
      assert.equal(r.status, 1);
      assert.match(
        r.stdout,
        /could not list soft-deleted vaults \(ERROR: \(AuthorizationFailed\).*\); deploying without the check/,
      );
      assert.ok(r.commands.some((c) => c.startsWith('az deployment group create')));
      assert.equal(
        r.commands.filter((c) => c.startsWith('func azure')).length,
        DEFAULT_WAITS.publish.attempts,
      );
      assert.match(r.stderr, /still refused \(403\) after 6 attempts over 2\.7 s/);
      assert.match(r.stderr, /Re-run npm run deploy in a few minutes/);
      assert.ok(r.ms < 60_000, `took ${r.ms} ms`);
    });

    test('a role never listed: waits its bounded time, publishes anyway; a failure other than 403 stops at once', () => {
      const r = deploy({ roleAfterPolls: 0, publishError: true });
      assert.equal(r.status, 1);
      const polls = r.commands.filter((c) => c.startsWith('az role assignment list')).length;
      assert.ok(polls >= 2 && polls <= 31, `${polls} polls`);
      assert.match(r.stdout, /not listed after [\d.]+ m?s \(\d+ polls\); publishing anyway, with retries/);
      assert.equal(r.commands.filter((c) => c.startsWith('func azure')).length, 1);
      assert.match(r.stderr, /func azure functionapp publish failed \(exit 1\): Can't find app with name/);
    });

    test('an existing environment keeps its alert rule: no alertsEnabled=false, no health wait', () => {
      const r = deploy({ existingDeployment: true });
      assert.equal(r.status, 0, r.stderr);
      const create = r.commands.find((c) => c.startsWith('az deployment group create'))!;
      assert.doesNotMatch(create, /alertsEnabled/);
      assert.ok(!r.commands.some((c) => c.startsWith('az rest') || c.startsWith('az monitor')));
      assert.match(r.stdout, /an existing environment: the alert rule stays enabled/);
    });

    test('a new environment that is not green in time still gets its alert rule enabled, and says so', () => {
      const r = deploy({ greenAfterPolls: 0 });
      assert.equal(r.status, 0, r.stderr);
      const polls = r.commands.filter((c) => c.startsWith('az rest --method get')).length;
      assert.ok(polls >= 2, `${polls} polls`);
      assert.match(r.stdout, /poll 1: degraded; next in/);
      assert.match(r.stdout, /not green after 12 s/);
      assert.equal(r.commands.at(-1)?.startsWith('az monitor metrics alert update'), true);
      assert.match(r.stdout, /enabled although the app is not green yet/);
    });

    test('real waits by default; DEPLOY_WAIT_SCALE only shortens them, and a bad value is refused', () => {
      assert.deepEqual(waitPolicy({}), DEFAULT_WAITS);
      assert.deepEqual(publishDelays(DEFAULT_WAITS.publish), [10_000, 20_000, 40_000, 80_000, 120_000]);
      assert.equal(DEFAULT_WAITS.role.timeoutMs, 300_000);
      assert.deepEqual(
        publishDelays(waitPolicy({ DEPLOY_WAIT_SCALE: '0.01' }).publish),
        [100, 200, 400, 800, 1200],
      );
      const r = deploy({}, ['--dry-run'], { DEPLOY_WAIT_SCALE: '5' });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /DEPLOY_WAIT_SCALE must be a number in \(0, 1\]/);
      assert.deepEqual(r.commands, []);
    });
  },
);
