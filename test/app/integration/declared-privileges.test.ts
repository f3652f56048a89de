// The privileges check reads the probe plan (src/privileges/declared.ts): each declared identity's access is the least
// role of each resource an `allowed` probe of it reaches, at that resource's scope, plus the status writer's role.
// Against the sandbox with the real credentials: the canary's plan gives the same checks as the catalog's (three
// principals for six declared names, the user-assigned identity's four names checked once with the first one's
// credential, every scope and declared role the same, all clean; an over-privileged scenario still flagged and named);
// and a probe the plan turns `denied` makes the role that still serves it excess, named with its removal.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { PrivilegesResult } from '../../../src/privileges/types.ts';
import type { DeclaredGrant } from '../../../src/privileges/declared.ts';
import { childEnv, runMarkedChild } from '../../../support/child.ts';
import { admin, useSandbox } from '../helpers/sandbox.ts';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'declared-privileges-child.ts');
const MARKER = '@@DECLARED-PRIVILEGES@@';

interface Run {
  groups: Array<{ name: string; names: string[]; grants: DeclaredGrant[] }>;
  declared: PrivilegesResult[];
  catalog: PrivilegesResult[];
}

const USER_ASSIGNED = ['uami-client-id', 'uami-object-id', 'uami-resource-id', 'default-chain'];

/** What must be equal between the two checks: everything but times, request counts and how the lookup was found. */
const comparable = (r: PrivilegesResult) => ({
  identity: r.identity,
  path: r.path,
  outcome: r.outcome,
  principalId: r.principalId,
  scopes: r.scopes,
  findings: r.findings,
  remediation: r.remediation,
});

describe('privileges follow the declaration', { timeout: 300_000 }, () => {
  const sb = useSandbox('healthy');
  const run = async (denied: string[] = []) => {
    const { value, stdout } = await runMarkedChild<Run>(
      CHILD,
      JSON.stringify({ denied }),
      childEnv(sb.connection.appSettings),
      MARKER,
      120_000,
    );
    assert.doesNotMatch(stdout, /eyJ[\w-]{10,}\.[\w-]{10,}/, 'no token in the output');
    return value;
  };

  it("the canary's plan: three principals for six names, each checked once, the catalog's result", async () => {
    const r = await run();
    assert.deepEqual(
      r.groups.map((g) => g.names),
      [['system-assigned'], USER_ASSIGNED, ['federated']],
    );
    // The status writer's role goes to the system identity only; each identity holds the three targets' roles.
    assert.deepEqual(
      r.groups.map((g) => g.grants.map((x) => x.role).sort()),
      [
        ['Key Vault Secrets User', 'Reader', 'Storage Blob Data Contributor', 'Storage Blob Data Reader'],
        ['Key Vault Secrets User', 'Reader', 'Storage Blob Data Reader'],
        ['Key Vault Secrets User', 'Reader', 'Storage Blob Data Reader'],
      ],
    );
    for (const [i, name] of ['system-assigned', ...USER_ASSIGNED, 'federated'].entries()) {
      const d = r.declared[i];
      const first = name === 'system-assigned' || name === 'federated' ? name : 'uami-client-id';
      assert.equal(d.path, first, `${name} is checked with ${first}'s credential`);
      assert.deepEqual(d.names, r.groups.find((g) => g.names.includes(name))!.names);
      assert.equal(d.outcome, 'ok', `${name}: ${JSON.stringify(d.scopes)}`);
      const c = r.catalog.find((x) => x.path === first)!;
      assert.deepEqual(comparable(d), comparable(c), `${name}: same check as the catalog's`);
    }
    assert.deepEqual(
      r.declared[0].scopes.map((s) => s.scope),
      ['subscription', 'resourceGroup', 'keyVault', 'storageAccount', 'canaryContainer', 'statusContainer'],
    );
  });

  it('over-privileged still works: a Contributor on the group is flagged and named for every name', async () => {
    await admin(sb.connection, 'POST', '/_sandbox/scenario', { name: 'app-contributor-on-rg' });
    try {
      const r = await run();
      for (const [i, name] of USER_ASSIGNED.entries()) {
        const d = r.declared[i + 1];
        assert.equal(d.outcome, 'over-privileged', name);
        assert.equal(d.findings[0]?.assignment?.roleName, 'Contributor', name);
        assert.match(d.remediation?.command ?? '', /^az role assignment delete --ids \/subscriptions\//);
        assert.deepEqual(comparable(d), comparable(r.catalog.find((x) => x.path === 'uami-client-id')!));
      }
      assert.equal(r.declared[0].outcome, 'ok');
      assert.equal(r.declared[5].outcome, 'ok');
    } finally {
      await admin(sb.connection, 'POST', '/_sandbox/scenario', { name: 'healthy' });
    }
  });

  it('a probe the plan says is denied: the role that still serves it is excess, named with its removal', async () => {
    const r = await run(['federated/keyvault']);
    const d = r.declared[5];
    assert.equal(d.outcome, 'over-privileged', JSON.stringify(d.scopes));
    assert.deepEqual(
      d.scopes.filter((s) => s.outcome !== 'ok').map((s) => s.scope),
      ['keyVault'],
    );
    assert.equal(d.findings.length, 1);
    assert.equal(d.findings[0].assignment?.roleName, 'Key Vault Secrets User');
    assert.equal(d.remediation?.command, `az role assignment delete --ids ${d.findings[0].assignment!.id}`);
    // The catalog, which knows no expectation, still finds it clean; the other identities are unchanged.
    assert.equal(r.catalog.find((x) => x.path === 'federated')!.outcome, 'ok');
    assert.equal(r.declared[0].outcome, 'ok');
  });
});
