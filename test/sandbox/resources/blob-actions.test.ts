// The Blob gateway's operation -> RBAC permission map and ARM's $filter parser, pure.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blobOperation } from '../../../sandbox/resources/blob/actions.ts';
import { parseResourceFilter } from '../../../sandbox/resources/arm/server.ts';
import type { ArmResource } from '../../../sandbox/resources/arm/model.ts';

const P = 'Microsoft.Storage/storageAccounts/blobServices';
const q = (s = '') => new URLSearchParams(s);
const of = (method: string, container: string | undefined, blob: string | undefined, query = '') => {
  const o = blobOperation(method, container, blob, q(query));
  return o && `${o.kind}:${o.permission.replace(`${P}/`, '')}@${o.level}`;
};

describe('blob operation map', () => {
  it('container operations are control-plane actions at container scope', () => {
    assert.equal(of('GET', 'c', undefined, 'restype=container'), 'action:containers/read@container');
    assert.equal(
      of('HEAD', 'c', undefined, 'restype=container&comp=metadata'),
      'action:containers/read@container',
    );
    assert.equal(of('PUT', 'c', undefined, 'restype=container'), 'action:containers/write@container');
    assert.equal(of('DELETE', 'c', undefined, 'restype=container'), 'action:containers/delete@container');
    assert.equal(
      of('PUT', 'c', undefined, 'restype=container&comp=lease'),
      'action:containers/write@container',
    );
  });

  it('listing and reading blobs are data actions at container scope', () => {
    assert.equal(
      of('GET', 'c', undefined, 'restype=container&comp=list'),
      'dataAction:containers/blobs/read@container',
    );
    assert.equal(of('GET', 'c', 'a/b.txt'), 'dataAction:containers/blobs/read@container');
    assert.equal(of('HEAD', 'c', 'b'), 'dataAction:containers/blobs/read@container');
    assert.equal(of('PUT', 'c', 'b'), 'dataAction:containers/blobs/write@container');
    assert.equal(of('PUT', 'c', 'b', 'comp=block&blockid=AA'), 'dataAction:containers/blobs/write@container');
    assert.equal(of('PUT', 'c', 'b', 'comp=appendblock'), 'dataAction:containers/blobs/add/action@container');
    assert.equal(of('DELETE', 'c', 'b'), 'dataAction:containers/blobs/delete@container');
    assert.equal(of('GET', 'c', 'b', 'comp=tags'), 'dataAction:containers/blobs/tags/read@container');
  });

  it('service operations are at account scope', () => {
    assert.equal(of('GET', undefined, undefined, 'comp=list'), 'action:containers/read@account');
    assert.equal(
      of('POST', undefined, undefined, 'restype=service&comp=userdelegationkey'),
      'action:generateUserDelegationKey/action@account',
    );
    assert.equal(of('GET', undefined, undefined, 'restype=service&comp=properties'), 'action:read@account');
  });

  it('refuses what it does not know instead of forwarding it unauthorized', () => {
    assert.equal(of('POST', 'c', 'b'), undefined);
    assert.equal(of('GET', 'c', undefined), undefined, 'a container URL without restype is no operation');
    assert.equal(of('PATCH', undefined, undefined, 'comp=list'), undefined);
  });
});

describe('ARM $filter', () => {
  const r = (type: string, name: string): ArmResource => ({
    id: `/x/${name}`,
    name,
    type,
    location: 'westeurope',
    resourceGroup: 'rg',
    tags: {},
    createdTime: '',
  });
  const all = [
    r('Microsoft.KeyVault/vaults', 'kv1'),
    r('Microsoft.Web/sites', 'app'),
    r('Microsoft.KeyVault/vaults', 'kv2'),
  ];
  const names = (f: string) => all.filter(parseResourceFilter(f)!).map((x) => x.name);

  it('filters on resourceType and name, case-insensitively, with and/or', () => {
    assert.deepEqual(names("resourceType eq 'microsoft.keyvault/VAULTS'"), ['kv1', 'kv2']);
    assert.deepEqual(names("resourceType eq 'Microsoft.KeyVault/vaults' and name eq 'kv2'"), ['kv2']);
    assert.deepEqual(names("name eq 'app' or name eq 'kv1'"), ['kv1', 'app']);
    assert.deepEqual(names("substringof('kv', name)"), ['kv1', 'kv2']);
  });

  it('rejects what it cannot evaluate', () => {
    assert.equal(parseResourceFilter("location eq 'westeurope'"), undefined);
    assert.equal(parseResourceFilter('resourceType eq vaults'), undefined);
  });
});
