// The pure parts of explainAccess (src/privileges/unexpected.ts): which permissions make up access to a resource,
// which assignments grant them at or above its scope, and the remediation of each lookup's answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILT_IN_ROLES, ROLES } from '../../../common/built-in-roles.ts';
import {
  accessPatterns,
  grantsLettingIn,
  unexpectedRemediation,
} from '../../../src/privileges/unexpected.ts';

const SUB = '/subscriptions/00000000-0000-0000-0000-0000000000aa';
const RG = `${SUB}/resourceGroups/rg-orders`;
const VAULT = `${RG}/providers/Microsoft.KeyVault/vaults/kv-orders`;
const OTHER = `${RG}/providers/Microsoft.KeyVault/vaults/kv-other`;
const PID = '11111111-2222-3333-4444-555555555555';

const assignment = (name: string, role: keyof typeof ROLES, scope: string) => ({
  id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
  name,
  roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${ROLES[role]}`,
  principalId: PID,
  scope,
});
const rolesOf = (list: ReturnType<typeof assignment>[]) =>
  new Map(
    list.map((a) => {
      const def = BUILT_IN_ROLES.find((r) => a.roleDefinitionId.endsWith(r.id))!;
      return [a.id, { roleName: def.roleName, permissions: def.permissions }];
    }),
  );

describe('explainAccess, pure parts', () => {
  it('access is the least role data actions, or its actions for a management role', () => {
    assert.deepEqual(accessPatterns('Key Vault Secrets User'), {
      kind: 'dataAction',
      patterns: [
        'Microsoft.KeyVault/vaults/secrets/getSecret/action',
        'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
      ],
    });
    assert.deepEqual(accessPatterns('Reader'), { kind: 'action', patterns: ['*/read'] });
    assert.throws(() => accessPatterns('No Such Role'), /no definition of 'No Such Role'/);
  });

  it('names the assignments at or above the scope whose role grants the access, and only those', () => {
    const list = [
      assignment('a1', 'Key Vault Secrets User', VAULT),
      assignment('a2', 'Reader', RG), // in scope, grants no secret
      assignment('a3', 'Key Vault Administrator', SUB), // inherited, grants vaults/*
      assignment('a4', 'Key Vault Secrets User', OTHER), // another vault
    ];
    const grants = grantsLettingIn(list, rolesOf(list), VAULT, accessPatterns('Key Vault Secrets User'));
    assert.deepEqual(
      grants.map((g) => [g.assignmentId.split('/').at(-1), g.roleName, g.inherited]),
      [
        ['a1', 'Key Vault Secrets User', false],
        ['a3', 'Key Vault Administrator', true],
      ],
    );
    // Reader at the group lets an ARM scope probe in; Owner above it too (its `*` covers `*/read`).
    const arm = [assignment('r1', 'Reader', RG), assignment('o1', 'Owner', SUB)];
    assert.deepEqual(
      grantsLettingIn(arm, rolesOf(arm), RG, accessPatterns('Reader')).map((g) => g.inherited),
      [false, true],
    );
  });

  it('an assignment of unknown role counts only when it is the only one in scope', () => {
    const custom = {
      ...assignment('c1', 'Reader', VAULT),
      roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/99999999-0000-0000-0000-000000000000`,
    };
    const access = accessPatterns('Key Vault Secrets User');
    assert.equal(grantsLettingIn([custom], new Map(), VAULT, access).length, 1);
    const two = [custom, assignment('r1', 'Reader', RG)];
    assert.equal(grantsLettingIn(two, rolesOf([two[1]]), VAULT, access).length, 0);
  });

  it('remediation: every grant deleted by its id; without one, the operator list command and why', () => {
    const q = {
      identity: 'app',
      resource: 'orders-secret',
      principalId: PID,
      scope: VAULT,
      role: 'Key Vault Secrets User',
    };
    const list = [
      assignment('a1', 'Key Vault Secrets User', VAULT),
      assignment('a3', 'Key Vault Administrator', SUB),
    ];
    const grants = grantsLettingIn(list, rolesOf(list), VAULT, accessPatterns(q.role));
    const r = unexpectedRemediation(q, { grants, lookup: 'listed' });
    assert.equal(
      r.command,
      `az role assignment delete --ids ${list[0].id} && az role assignment delete --ids ${list[1].id}`,
    );
    assert.match(
      r.summary,
      /^app got into orders-secret, which the declaration says it must not reach\. These role assignments let it in: 'Key Vault Secrets User' at .*kv-orders; 'Key Vault Administrator' at \/subscriptions\/[^ ]+ \(inherited from a wider scope\)/,
    );
    const list403 = unexpectedRemediation(q, { grants: [], lookup: 'not-permitted' });
    assert.equal(
      list403.command,
      `az role assignment list --assignee ${PID} --all --include-inherited -o table`,
    );
    assert.match(list403.summary, /roleAssignments\/read/);
    assert.match(
      unexpectedRemediation(q, { grants: [], lookup: 'listed' }).summary,
      /None of its role assignments/,
    );
    assert.match(
      unexpectedRemediation(q, { grants: [], lookup: 'failed' }).summary,
      /Listing its role assignments failed/,
    );
  });
});
