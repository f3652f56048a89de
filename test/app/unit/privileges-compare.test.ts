// The pure comparison of effective permissions with declared ones (src/privileges/compare.ts): pattern coverage
// with wildcards, own notActions, declared notActions honoured conservatively, control and data plane apart.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { covers, excessOf, grantsPattern, mayOverlap } from '../../../src/privileges/compare.ts';
import type { PermissionBlock } from '../../../src/privileges/catalog.ts';

const b = (p: Partial<PermissionBlock>): PermissionBlock => ({
  actions: p.actions ?? [],
  notActions: p.notActions ?? [],
  dataActions: p.dataActions ?? [],
  notDataActions: p.notDataActions ?? [],
});
const READER = b({ actions: ['*/read'] });
const KV_SECRETS_USER = b({
  dataActions: [
    'Microsoft.KeyVault/vaults/secrets/getSecret/action',
    'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  ],
});

describe('privileges comparison', () => {
  it('covers: a pattern covers another when it matches it read literally (wildcards absorb wildcards)', () => {
    assert.ok(covers('*/read', 'Microsoft.KeyVault/vaults/*/read'));
    assert.ok(covers('*', '*/read'));
    assert.ok(covers('microsoft.keyvault/*', 'Microsoft.KeyVault/vaults/read'), 'case-insensitive');
    assert.ok(!covers('*/read', '*'));
    assert.ok(!covers('*/read', 'Microsoft.Support/*'));
    assert.ok(!covers('Microsoft.KeyVault/vaults/secrets/getSecret/action', 'Microsoft.KeyVault/vaults/*'));
  });

  it('mayOverlap: false only when fixed prefixes or suffixes cannot meet', () => {
    assert.ok(mayOverlap('Microsoft.Authorization/*/Delete', '*'));
    assert.ok(
      mayOverlap('Microsoft.Authorization/*/Delete', 'Microsoft.Authorization/roleAssignments/delete'),
    );
    assert.ok(!mayOverlap('Microsoft.Authorization/*/Delete', 'Microsoft.Storage/*'));
    assert.ok(!mayOverlap('Microsoft.Authorization/*/Delete', '*/read'));
  });

  it('the declared roles themselves are no excess, whatever the order or duplicates', () => {
    assert.equal(excessOf([READER, KV_SECRETS_USER, READER], [KV_SECRETS_USER, READER]), undefined);
    assert.equal(excessOf([], [READER]), undefined, 'missing rights are not excess');
  });

  it('Contributor beyond Reader: "*" is the excess, reported with its own notActions', () => {
    const contributor = b({ actions: ['*'], notActions: ['Microsoft.Authorization/*/Delete'] });
    assert.deepEqual(excessOf([READER, contributor], [READER]), {
      actions: ['*'],
      notActions: ['Microsoft.Authorization/*/Delete'],
      dataActions: [],
      notDataActions: [],
    });
  });

  it('Key Vault Administrator beyond Secrets User + Reader: management writes and every data action', () => {
    const admin = b({
      actions: ['Microsoft.Authorization/*/read', 'Microsoft.Support/*', 'Microsoft.KeyVault/vaults/*/read'],
      dataActions: ['Microsoft.KeyVault/vaults/*'],
    });
    const x = excessOf([admin, READER], [READER, KV_SECRETS_USER]);
    assert.deepEqual(x?.actions, ['Microsoft.Support/*']);
    assert.deepEqual(x?.dataActions, ['Microsoft.KeyVault/vaults/*']);
  });

  it('a pattern its own block excludes grants nothing; actions never stand in for data actions', () => {
    assert.equal(excessOf([b({ actions: ['x/write'], notActions: ['x/*'] })], []), undefined);
    const x = excessOf([b({ dataActions: ['a/read'] })], [b({ actions: ['*'] })]);
    assert.deepEqual(x?.dataActions, ['a/read'], 'a control-plane "*" does not cover a data action');
  });

  it('a declared role with notActions covers only what it does not exclude (or the effective one excludes too)', () => {
    const declared = b({ actions: ['*'], notActions: ['Microsoft.Authorization/*/Write'] });
    assert.deepEqual(excessOf([b({ actions: ['*'] })], [declared])?.actions, ['*']);
    assert.equal(excessOf([declared], [declared]), undefined);
    assert.equal(excessOf([b({ actions: ['Microsoft.Storage/*'] })], [declared]), undefined);
  });

  it('grantsPattern: which role grants an excess pattern', () => {
    assert.ok(grantsPattern([b({ actions: ['*'] })], '*', 'action'));
    assert.ok(!grantsPattern([READER], '*', 'action'));
    assert.ok(!grantsPattern([b({ actions: ['*'], notActions: ['*'] })], 'x/read', 'action'));
  });
});
