// Issue 23, "What it must show" 2: with the team declaration (3 identities x 4 kinds, two `denied`), a role granted
// through the sandbox's admin API (as a drift would) lets a denied cell in; the grant explainAccess names
// (src/privileges/unexpected.ts) comes with `az role assignment delete --ids <id>`, which, run unchanged with the REAL
// Azure CLI as the world's operator, shuts the cell again. Each identity runs in its own process with its real
// credential.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import type { SandboxConnection } from '../../sandbox/connection.ts';
import type { AccessExplanation, AccessQuestion } from '../../src/privileges/unexpected.ts';
import { TARGETS } from '../../common/catalog.ts';
import { childEnv, runMarkedChild } from '../../support/child.ts';
import { admin, useTestSandbox } from '../support/sandbox.ts';
import type { CellResult } from '../sandbox/fixtures/declaration-child.ts';
import { operatorSession, registeredConfig, requireAz, SKIP, type AzSession } from './helpers.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(HERE, '..', 'sandbox', 'fixtures', 'team-declaration.json');
const CELL_CHILD = join(HERE, '..', 'sandbox', 'fixtures', 'declaration-child.ts');
const EXPLAIN_CHILD = join(HERE, '..', 'app', 'fixtures', 'explain-child.ts');

const batchCredential = (conn: SandboxConnection) => ({
  kind: 'federated' as const,
  tenantId: conn.appSettings.AZURE_TENANT_ID,
  clientId: conn.appSettings.BATCH_CLIENT_ID,
  tokenFile: conn.appSettings.BATCH_TOKEN_FILE,
  authorityHost: conn.appSettings.AZURE_AUTHORITY_HOST,
});

const env = (conn: SandboxConnection) => childEnv({ NODE_EXTRA_CA_CERTS: conn.caCertPath });

/** batch/orders-rg as the declared identity calls it: listing the group's resources through Resource Manager. */
async function cell(conn: SandboxConnection): Promise<CellResult> {
  const spec = {
    credential: batchCredential(conn),
    cells: [
      {
        resource: 'orders-rg',
        kind: 'arm-scope',
        endpoint: conn.appSettings.ARM_ENDPOINT,
        subscriptionId: conn.appSettings.ORDERS_SUBSCRIPTION,
        resourceGroup: conn.appSettings.ORDERS_GROUP,
      },
    ],
  };
  const { value } = await runMarkedChild<CellResult[]>(
    CELL_CHILD,
    JSON.stringify(spec),
    env(conn),
    '@@DECLARATION-CELLS@@',
    90_000,
  );
  return value[0];
}

async function explain(conn: SandboxConnection): Promise<AccessExplanation> {
  const d = conn.declaration!;
  const q: AccessQuestion = {
    identity: 'batch',
    resource: 'orders-rg',
    principalId: d.identities.batch.principalId,
    scope: d.resources['orders-rg'].scope,
    role: d.resources['orders-rg'].role,
    action: TARGETS.arm.action,
  };
  const spec = { credential: batchCredential(conn), settings: conn.appSettings, questions: [q] };
  const { value } = await runMarkedChild<AccessExplanation[]>(
    EXPLAIN_CHILD,
    JSON.stringify(spec),
    env(conn),
    '@@EXPLAIN@@',
    90_000,
  );
  return value[0];
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

const refused = (r: CellResult) => r.error?.statusCode === 403 && r.error.code === 'AuthorizationFailed';

describe(
  'a denied cell let in by a drift: named, removed with the real Azure CLI',
  { skip: SKIP, timeout: 300_000 },
  () => {
    const cleanup: Array<() => unknown> = [];
    after(async () => {
      for (const f of cleanup.reverse()) await f();
    });
    const sb = useTestSandbox(() => {}, 'healthy', { declaration: FIXTURE });

    it('batch/orders-rg: refused, let in by Reader on the group, the printed delete shuts it again', async (t) => {
      requireAz();
      const conn = sb.connection;
      const d = conn.declaration!;
      const before = await cell(conn);
      assert.ok(refused(before), `healthy: refused as declared, got ${JSON.stringify(before)}`);

      const drift = await admin<{ id: string; scope: string }>(conn, 'POST', '/_sandbox/role-assignments', {
        principalId: d.identities.batch.principalId,
        roleName: 'Reader',
        scope: d.resources['orders-rg'].scope,
      });
      const driftId = `${drift.scope}/providers/Microsoft.Authorization/roleAssignments/${drift.id}`;
      const inside = await cell(conn);
      assert.ok(inside.ok, `the drift lets it in: ${JSON.stringify(inside.error)}`);
      const why = await explain(conn);
      assert.equal(why.lookup, 'listed');
      assert.deepEqual(
        why.grants.map((g) => [g.assignmentId, g.roleName, g.scope, g.inherited]),
        [[driftId, 'Reader', d.resources['orders-rg'].scope, false]],
      );
      const command = why.remediation.command!;
      assert.equal(command, `az role assignment delete --ids ${driftId}`);

      const base = await registeredConfig(conn);
      cleanup.push(() => rmSync(base, { recursive: true, force: true }));
      const operator = await operatorSession(conn, base);
      cleanup.push(() => operator.close());
      const r = await bash(operator, command);
      assert.equal(r.code, 0, `${command}\n${r.out}`);

      const afterFix = await cell(conn);
      assert.ok(refused(afterFix), `refused again: ${JSON.stringify(afterFix)}`);
      const { roleAssignments } = await admin<{ roleAssignments: Array<{ id: string }> }>(
        conn,
        'GET',
        `/_sandbox/role-assignments?principalId=${d.identities.batch.principalId}`,
      );
      assert.ok(!roleAssignments.some((a) => a.id === drift.id), 'the drift assignment is gone');
      t.diagnostic(`healthy: ${before.error?.code}; drift: ok; grant: Reader at ${why.grants[0].scope}`);
      t.diagnostic(`$ ${command}: exit 0; next: ${afterFix.error?.code}`);
    });
  },
);
