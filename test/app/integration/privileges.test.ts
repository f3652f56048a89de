// The privileges check against the sandbox (docs/privileges.md). Healthy: every identity is clean and its
// permissions were read at every scope the wiring names (one ARM request per identity per scope per timer run,
// counted by the sandbox). Each over-privileged scenario: the right identity and scopes flagged, the extra actions
// listed, the granting assignment named; its remediation, run through Resource Manager as the operator, fixes it,
// the next check is clean and the probes of the path stay ok. No output carries a token or secret.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { PATH_IDS, type PathId } from '../../../src/ids.ts';
import type { PrivilegesResult } from '../../../src/privileges/types.ts';
import type { ProbeResult } from '../../../src/core/results.ts';
import type { StatusView } from '../../../src/status/model.ts';
import { addFault, admin, clearFaults, identity, issued, start, type Sandbox } from '../helpers/sandbox.ts';
import { runChild } from '../helpers/child.ts';
import { runRemediationAsOperator } from '../../support/authz.ts';

const FIRST_PATH = { system: 'system-assigned', app: 'uami-client-id', federated: 'federated' } as const;
type Who = keyof typeof FIRST_PATH;
const BLOB = 'Microsoft.Storage/storageAccounts/blobServices';
const DECLARED_SCOPES = ['resourceGroup', 'keyVault', 'storageAccount', 'canaryContainer', 'statusContainer'];

interface Expectation {
  scenario: string;
  who: Who;
  role: string;
  scopes: string[];
  actions: string[];
  dataActions: string[];
  /** The remediation grants these declared roles before deleting. */
  restores: string[];
}

const SCENARIOS: Expectation[] = [
  {
    scenario: 'app-contributor-on-rg',
    who: 'app',
    role: 'Contributor',
    scopes: DECLARED_SCOPES,
    actions: ['*'],
    dataActions: [],
    restores: [],
  },
  {
    scenario: 'app-keyvault-administrator',
    who: 'app',
    role: 'Key Vault Administrator',
    scopes: ['keyVault'],
    actions: ['Microsoft.Insights/alertRules/*', 'Microsoft.Resources/deployments/*', 'Microsoft.Support/*'],
    dataActions: ['Microsoft.KeyVault/vaults/*'],
    restores: ['Key Vault Secrets User'],
  },
  {
    scenario: 'system-blob-contributor-on-account',
    who: 'system',
    role: 'Storage Blob Data Contributor',
    scopes: ['storageAccount', 'canaryContainer'],
    actions: [
      `${BLOB}/containers/delete`,
      `${BLOB}/containers/write`,
      `${BLOB}/generateUserDelegationKey/action`,
    ],
    dataActions: [
      `${BLOB}/containers/blobs/delete`,
      `${BLOB}/containers/blobs/read`,
      `${BLOB}/containers/blobs/write`,
      `${BLOB}/containers/blobs/move/action`,
      `${BLOB}/containers/blobs/add/action`,
    ],
    restores: ['Storage Blob Data Reader'],
  },
  {
    scenario: 'federated-reader-on-subscription',
    who: 'federated',
    role: 'Reader',
    scopes: ['subscription'],
    actions: ['*/read'],
    dataActions: [],
    restores: ['Reader'],
  },
];

const sorted = (xs: string[]) => [...xs].sort();

describe('privileges check against the sandbox', { timeout: 900_000 }, () => {
  let sb: Sandbox;
  const outputs: string[] = [];
  before(async () => {
    sb = await start('healthy');
  });
  afterEach(() => admin(sb.connection, 'POST', '/_sandbox/scenario', { name: 'healthy' }));
  after(async () => {
    if (sb) {
      // No output of any run carries a token, an assertion or a secret the sandbox issued.
      const { tokens, assertions, secrets } = await issued(sb.connection);
      const all = outputs.join('\n');
      for (const s of [...tokens, ...assertions, ...secrets])
        assert.ok(!all.includes(s), 'an issued secret leaked');
      assert.ok(tokens.length > 0, 'tokens were issued, so the search above meant something');
    }
    await sb?.close();
  });

  async function checks(paths: PathId[]): Promise<PrivilegesResult[]> {
    const run = await runChild(
      sb.connection.appSettings,
      paths.map((path) => ({ op: 'privileges' as const, path })),
    );
    outputs.push(run.stdout, run.stderr, JSON.stringify(run.steps));
    return run.steps.map((s) => s.value as PrivilegesResult);
  }

  it('healthy: every identity is clean, its permissions read at every scope, once per scope per timer run', async (t) => {
    const c = sb.connection;
    await admin(c, 'POST', '/_sandbox/counters/reset');
    const run = await runChild(c.appSettings, [
      ...PATH_IDS.map((path) => ({ op: 'timer' as const, path })),
      { op: 'status' as const },
    ]);
    outputs.push(run.stdout, run.stderr, JSON.stringify(run.steps));
    const view = run.steps.at(-1)!.value as StatusView;
    assert.equal(view.leastPrivilege, 'ok');
    // Each identity's check runs on its first path's timer only, and says so in that timer's log.
    PATH_IDS.forEach((path, i) => {
      const lines = (run.steps[i].value.logs as Array<{ message: string }>).map((l) => l.message);
      const owner = (Object.values(FIRST_PATH) as string[]).includes(path);
      assert.equal(
        lines.some((m) => /^privileges \w+ \(via .*\): ok, 6 scopes, 6 ARM requests/.test(m)),
        owner,
        `${path}: ${lines.join(' | ')}`,
      );
    });
    const { permissionsReads } = await admin<{ permissionsReads: Record<string, number> }>(
      c,
      'GET',
      '/_sandbox/counters',
    );
    for (const who of ['system', 'app', 'federated'] as const) {
      const rec = view.identities[who].privileges!;
      const r = rec.latest;
      assert.equal(r.outcome, 'ok', `${who}: ${JSON.stringify(r)}`);
      assert.equal(r.path, FIRST_PATH[who], `${who}: checked on its first path's timer only`);
      assert.equal(r.principalId, identity(c, who).principalId);
      assert.equal(r.scopes.length, 6);
      for (const s of r.scopes) {
        assert.equal(s.outcome, 'ok', `${who} ${s.scope}`);
        assert.ok(s.id, `${who} ${s.scope} has an id`);
        if (DECLARED_SCOPES.includes(s.scope)) {
          assert.ok(s.declaredRoles.length > 0, `${who} ${s.scope}: a declared role is in force`);
          assert.ok(s.entries > 0, `${who} ${s.scope}: permissions were computed (not an empty list)`);
        }
        // The sandbox saw exactly one permissions read by this identity at this scope in the timer run.
        assert.equal(permissionsReads[`${r.principalId} ${s.id!.toLowerCase()}`], 1, `${who} ${s.scope}`);
      }
      assert.equal(r.armRequests, 6, `${who}: one ARM request per scope`);
      assert.deepEqual(r.findings, []);
    }
    assert.equal(Object.keys(permissionsReads).length, 18, '3 identities x 6 scopes, nothing else');
    const perScope = Object.values(permissionsReads);
    t.diagnostic(
      `FIGURE timer run of all 6 paths: ${perScope.reduce((a, b) => a + b, 0)} permissions reads for 3 identities x 6 scopes; ARM requests per identity per scope: max ${Math.max(...perScope)}; per identity: ${['system', 'app', 'federated'].map((w) => `${w} ${view.identities[w].privileges!.latest.armRequests}`).join(', ')}`,
    );
  });

  for (const x of SCENARIOS) {
    it(`${x.scenario}: flags ${x.who} at ${x.scopes.join(', ')}; the remediation fixes it`, async () => {
      const c = sb.connection;
      await admin(c, 'POST', '/_sandbox/scenario', { name: x.scenario });
      // The operator, as an administrator would be (set after the switch: a scenario replaces all assignments).
      await admin(c, 'POST', '/_sandbox/role-assignments', {
        principalId: identity(c, 'app-probes-ci').principalId,
        roleName: 'User Access Administrator',
        scope: `/subscriptions/${c.subscriptionId}`,
      });
      const principalId = identity(c, x.who).principalId;
      const { roleAssignments } = await admin<{ roleAssignments: Array<Record<string, string>> }>(
        c,
        'GET',
        `/_sandbox/role-assignments?principalId=${principalId}`,
      );
      const grant = roleAssignments.find((a) => a.origin === 'scenario')!;

      const results = await checks(Object.values(FIRST_PATH));
      for (const r of results) {
        if (r.identity !== x.who) {
          assert.equal(r.outcome, 'ok', `${r.identity} stays clean: ${JSON.stringify(r.findings)}`);
          continue;
        }
        assert.equal(r.outcome, 'over-privileged');
        assert.deepEqual(
          r.scopes.filter((s) => s.outcome === 'over-privileged').map((s) => s.scope),
          x.scopes,
        );
        assert.equal(r.lookup, 'listed');
        assert.equal(r.findings.length, 1, JSON.stringify(r.findings));
        const [f] = r.findings;
        assert.deepEqual(f.scopes, x.scopes);
        assert.deepEqual(sorted(f.actions), sorted(x.actions));
        assert.deepEqual(sorted(f.dataActions), sorted(x.dataActions));
        assert.equal(f.assignment?.roleName, x.role);
        assert.equal(
          f.assignment?.id,
          `${grant.scope}/providers/Microsoft.Authorization/roleAssignments/${grant.id}`,
        );
        assert.equal(f.assignment?.scope, grant.scope);
        const commands = f.remediation.command!.split(' && ');
        assert.equal(commands.at(-1), `az role assignment delete --ids ${f.assignment!.id}`);
        assert.deepEqual(
          commands.slice(0, -1).map((cmd) => /--role "([^"]+)"/.exec(cmd)?.[1]),
          x.restores,
        );
        for (const cmd of commands.slice(0, -1))
          assert.match(
            cmd,
            new RegExp(`--assignee-object-id ${principalId} --assignee-principal-type ServicePrincipal`),
          );
        assert.equal(r.remediation?.command, f.remediation.command);

        const ran = await runRemediationAsOperator(c, f.remediation.command!);
        for (const step of ran)
          assert.equal(step.error, undefined, `${step.op}: ${JSON.stringify(step.error)}`);
      }
      const [next] = await checks([FIRST_PATH[x.who]]);
      assert.equal(next.outcome, 'ok', `after the remediation: ${JSON.stringify(next.findings)}`);
      const probes = await runChild(c.appSettings, [{ op: 'probe', path: FIRST_PATH[x.who] }]);
      outputs.push(probes.stdout, probes.stderr);
      for (const p of probes.steps[0].value as ProbeResult[])
        assert.equal(p.outcome, 'ok', `${p.path}/${p.target} still works: ${JSON.stringify(p.detail)}`);
    });
  }

  it('GET /api/privileges/{identity}: any declared name runs its principal check; 404 names the identities; 405', async () => {
    const c = sb.connection;
    const http = (rest: string, method = 'GET') => ({
      op: 'http' as const,
      fn: 'privileges' as const,
      method,
      params: { rest },
      url: `http://localhost/api/privileges/${rest}`,
    });
    const run = await runChild(c.appSettings, [
      http('uami-object-id'),
      http('nope'),
      http(''),
      http('federated', 'POST'),
      http('federated/extra'),
      { op: 'status' },
    ]);
    outputs.push(run.stdout, run.stderr, JSON.stringify(run.steps));
    const [okRes, unknown, none, post, extra] = run.steps.map((x) => x.value);
    assert.equal(okRes.status, 200);
    assert.equal(okRes.body.identity, 'app');
    // One principal, four declared names: checked with the first one's credential, whichever name asks.
    assert.equal(okRes.body.path, 'uami-client-id');
    assert.deepEqual(okRes.body.names, [
      'uami-client-id',
      'uami-object-id',
      'uami-resource-id',
      'default-chain',
    ]);
    assert.equal(okRes.body.outcome, 'ok');
    assert.equal(okRes.body.statusStore.recorded, true);
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.message, /Unknown identity 'nope': the declaration names system-assigned, /);
    assert.ok(unknown.body.paths.includes('federated'));
    assert.equal(none.status, 404);
    assert.equal(post.status, 405);
    assert.equal(extra.status, 404);
    assert.match(extra.body.message, /extra segment \('extra'\)/);
    const view = run.steps.at(-1)!.value as StatusView;
    assert.equal(view.identities.app.privileges?.latest.path, 'uami-client-id', 'shown beside the cells');
    assert.deepEqual(view.identities.app.paths, okRes.body.names);
  });

  it('an identity that may not list role assignments: excess reported, no assignment named, the operator told how', async () => {
    const c = sb.connection;
    const app = identity(c, 'app');
    const { roleAssignments } = await admin<{ roleAssignments: Array<Record<string, string>> }>(
      c,
      'GET',
      `/_sandbox/role-assignments?principalId=${app.principalId}`,
    );
    const reader = roleAssignments.find((a) => a.roleName === 'Reader')!;
    await admin(c, 'DELETE', `/_sandbox/role-assignments/${reader.id}?propagationDelaySeconds=0`);
    const canary = `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${c.resources.storageAccount}/blobServices/default/containers/${c.resources.canaryContainer}`;
    await admin(c, 'POST', '/_sandbox/role-assignments', {
      principalId: app.principalId,
      roleName: 'Storage Blob Data Contributor',
      scope: canary,
      propagationDelaySeconds: 0,
    });
    const [r] = await checks(['uami-client-id']);
    assert.equal(r.outcome, 'over-privileged');
    assert.equal(r.lookup, 'not-permitted');
    assert.deepEqual(
      r.scopes.filter((s) => s.outcome === 'over-privileged').map((s) => s.scope),
      ['canaryContainer'],
      'the missing Reader is not excess (the arm probe reports it as forbidden)',
    );
    const [f] = r.findings;
    assert.equal(f.assignment, undefined);
    assert.deepEqual(
      sorted(f.dataActions),
      sorted([
        `${BLOB}/containers/blobs/write`,
        `${BLOB}/containers/blobs/delete`,
        `${BLOB}/containers/blobs/move/action`,
        `${BLOB}/containers/blobs/add/action`,
      ]),
    );
    assert.match(f.remediation.summary, /may not read role assignments/);
    assert.equal(
      f.remediation.command,
      `az role assignment list --assignee ${app.principalId} --all --include-inherited -o table`,
    );
    assert.equal(r.armRequests, 7, 'six reads and the one refused listing');
  });

  it('an incomplete check is never ok: a scope the settings do not name, a Resource Manager that hangs', async () => {
    const c = sb.connection;
    // The sandbox's loopback vault URL does not name the vault: without KEY_VAULT_RESOURCE_ID that scope is unknown.
    const run = await runChild(c.appSettings, [{ op: 'privileges', path: 'system-assigned' }], {
      KEY_VAULT_RESOURCE_ID: undefined,
    });
    outputs.push(run.stdout, run.stderr, JSON.stringify(run.steps));
    const r = run.steps[0].value as PrivilegesResult;
    assert.equal(r.outcome, 'misconfigured');
    const kv = r.scopes.find((s) => s.scope === 'keyVault')!;
    assert.equal(kv.id, undefined);
    assert.match(kv.detail!.message!, /KEY_VAULT_RESOURCE_ID/);
    assert.equal(r.armRequests, 5, 'the other five scopes were still read');

    await addFault(c, { endpoint: 'arm', kind: 'hang' });
    try {
      const started = Date.now();
      const hung = await runChild(c.appSettings, [{ op: 'privileges', path: 'federated' }], {
        PROBE_TIMEOUT_MS: '1500',
      });
      outputs.push(hung.stdout, hung.stderr, JSON.stringify(hung.steps));
      const h = hung.steps[0].value as PrivilegesResult;
      assert.equal(h.outcome, 'timeout', JSON.stringify(h.detail));
      assert.ok(h.totalMs < 5_000, `bounded by PROBE_TIMEOUT_MS (${h.totalMs} ms)`);
      assert.ok(Date.now() - started < 60_000);
    } finally {
      await clearFaults(c);
    }
  });

  it('a steady over-privileged state costs one request per scope: the lookup is reused', async (t) => {
    const c = sb.connection;
    await admin(c, 'POST', '/_sandbox/scenario', { name: 'app-contributor-on-rg' });
    const [first, second] = await checks(['uami-client-id', 'uami-client-id']);
    assert.equal(first.lookup, 'listed');
    assert.equal(first.armRequests, 6 + 2, 'six scopes, the assignment list, the Contributor definition');
    assert.equal(second.lookup, 'cached');
    assert.equal(second.armRequests, 6);
    assert.deepEqual(second.findings, first.findings);
    t.diagnostic(
      `FIGURE over-privileged (app-contributor-on-rg), ARM requests for the app identity: first run ${first.armRequests} (6 scopes + assignment list + 1 role definition), next run ${second.armRequests} (1 per scope)`,
    );
  });
});
