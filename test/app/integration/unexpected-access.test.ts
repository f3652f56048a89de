// Why a `denied` probe got in (src/privileges/unexpected.ts explainAccess), against the sandbox's Resource Manager
// with each identity's real credential, in a world built from the team declaration (3 identities x 4 resources, two
// denied). A role the admin API grants (as a drift would) is named with its scope, its full assignment id and whether
// it is inherited, with `az role assignment delete --ids <that id>`; several grants are all named; an identity that
// may not read role assignments gets the operator's list command instead. No output carries a token.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { SandboxConnection } from '../../../sandbox/connection.ts';
import type { AccessExplanation, AccessQuestion } from '../../../src/privileges/unexpected.ts';
import { childEnv, runMarkedChild } from '../../../support/child.ts';
import { admin, useTestSandbox } from '../../support/sandbox.ts';
import type { Credential } from '../fixtures/explain-child.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(HERE, '..', '..', 'sandbox', 'fixtures', 'team-declaration.json');
const CHILD = join(HERE, '..', 'fixtures', 'explain-child.ts');
const MARKER = '@@EXPLAIN@@';

const credentialOf = (conn: SandboxConnection, who: 'app' | 'batch'): Credential =>
  who === 'app'
    ? { kind: 'managed-identity' }
    : {
        kind: 'federated',
        tenantId: conn.appSettings.AZURE_TENANT_ID,
        clientId: conn.appSettings.BATCH_CLIENT_ID,
        tokenFile: conn.appSettings.BATCH_TOKEN_FILE,
        authorityHost: conn.appSettings.AZURE_AUTHORITY_HOST,
      };

async function explain(conn: SandboxConnection, who: 'app' | 'batch', questions: AccessQuestion[]) {
  const spec = { credential: credentialOf(conn, who), settings: conn.appSettings, questions };
  const run = await runMarkedChild<AccessExplanation[]>(
    CHILD,
    JSON.stringify(spec),
    childEnv({
      NODE_EXTRA_CA_CERTS: conn.caCertPath,
      IDENTITY_ENDPOINT: conn.appSettings.IDENTITY_ENDPOINT,
      IDENTITY_HEADER: conn.appSettings.IDENTITY_HEADER,
    }),
    MARKER,
    90_000,
  );
  assert.doesNotMatch(run.stdout, /eyJ[\w-]{10,}\.[\w-]{10,}/, 'no token in the output');
  return run.value;
}

const question = (conn: SandboxConnection, identity: 'app' | 'batch', resource: string): AccessQuestion => {
  const d = conn.declaration!;
  return {
    identity,
    resource,
    principalId: d.identities[identity].principalId,
    scope: d.resources[resource].scope,
    role: d.resources[resource].role,
  };
};

const fullId = (a: { id: string; scope: string }) =>
  `${a.scope}/providers/Microsoft.Authorization/roleAssignments/${a.id}`;

describe('explainAccess: the grants that let a denied probe in', { timeout: 300_000 }, () => {
  const sb = useTestSandbox(() => {}, 'healthy', { declaration: FIXTURE });

  it('an identity that may not read role assignments: no grant named, the operator list command', async () => {
    const conn = sb.connection;
    const [r] = await explain(conn, 'batch', [question(conn, 'batch', 'orders-rg')]);
    assert.equal(r.lookup, 'not-permitted');
    assert.deepEqual(r.grants, []);
    assert.equal(
      r.remediation.command,
      `az role assignment list --assignee ${conn.declaration!.identities.batch.principalId} --all --include-inherited -o table`,
    );
    assert.match(r.remediation.summary, /may not read role assignments/);
    assert.equal(r.armRequests, 1);
  });

  it('a role granted at the resource, then one at the resource group: each named, inherited marked', async () => {
    const conn = sb.connection;
    const d = conn.declaration!;
    const vault = d.resources['orders-secret'].scope;
    const group = d.resources['orders-rg'].scope;
    const atVault = await admin<{ id: string; scope: string }>(conn, 'POST', '/_sandbox/role-assignments', {
      principalId: d.identities.app.principalId,
      roleName: 'Key Vault Secrets User',
      scope: vault,
    });
    const [one] = await explain(conn, 'app', [question(conn, 'app', 'orders-secret')]);
    assert.equal(one.lookup, 'listed');
    assert.equal(one.armRequests, 1, 'one list; built-in roles need no definition read');
    // The app's own Reader on the group (orders-rg is allowed) is in scope but grants no secret: not named.
    assert.deepEqual(one.grants, [
      {
        assignmentId: fullId(atVault),
        roleDefinitionId: one.grants[0]?.roleDefinitionId,
        roleName: 'Key Vault Secrets User',
        scope: vault,
        inherited: false,
      },
    ]);
    assert.match(one.grants[0].roleDefinitionId, /4633458b-17de-408a-b874-0445c86b69e6$/);
    assert.equal(one.remediation.command, `az role assignment delete --ids ${fullId(atVault)}`);
    assert.match(
      one.remediation.summary,
      /app got into orders-secret.*'Key Vault Secrets User' at \/subscriptions\//,
    );

    const atGroup = await admin<{ id: string; scope: string }>(conn, 'POST', '/_sandbox/role-assignments', {
      principalId: d.identities.app.principalId,
      roleName: 'Key Vault Secrets Officer',
      scope: group,
    });
    const [two] = await explain(conn, 'app', [question(conn, 'app', 'orders-secret')]);
    const byId = new Map(two.grants.map((g) => [g.assignmentId, g]));
    assert.equal(two.grants.length, 2, JSON.stringify(two.grants));
    assert.equal(byId.get(fullId(atVault))?.inherited, false);
    assert.deepEqual(
      { ...byId.get(fullId(atGroup)), roleDefinitionId: undefined },
      {
        assignmentId: fullId(atGroup),
        roleDefinitionId: undefined,
        roleName: 'Key Vault Secrets Officer',
        scope: group,
        inherited: true,
      },
    );
    assert.equal(
      two.remediation.command,
      two.grants.map((g) => `az role assignment delete --ids ${g.assignmentId}`).join(' && '),
    );
    assert.match(two.remediation.summary, /inherited from a wider scope/);
    for (const a of [atVault, atGroup]) await admin(conn, 'DELETE', `/_sandbox/role-assignments/${a.id}`);
    const [after] = await explain(conn, 'app', [question(conn, 'app', 'orders-secret')]);
    assert.deepEqual(after.grants, [], 'the deleted grants are gone');
    assert.equal(after.lookup, 'listed');
  });

  it("with the call's one action, a role granting only another part of the least role is not named", async () => {
    const conn = sb.connection;
    const d = conn.declaration!;
    // Key Vault Reader reads secrets' metadata (part of Key Vault Secrets User) but cannot get a secret's value.
    const reader = await admin<{ id: string; scope: string }>(conn, 'POST', '/_sandbox/role-assignments', {
      principalId: d.identities.app.principalId,
      roleName: 'Key Vault Reader',
      scope: d.resources['orders-secret'].scope,
    });
    const q = question(conn, 'app', 'orders-secret');
    const [byRole, byAction] = await explain(conn, 'app', [
      q,
      { ...q, action: { kind: 'dataAction', name: 'Microsoft.KeyVault/vaults/secrets/getSecret/action' } },
    ]);
    assert.deepEqual(
      byRole.grants.map((g) => g.assignmentId),
      [fullId(reader)],
    );
    assert.deepEqual(byAction.grants, []);
    assert.match(byAction.remediation.summary, /None of its role assignments/);
    await admin(conn, 'DELETE', `/_sandbox/role-assignments/${reader.id}`);
  });
});
