// The Bicep text reader behind the Flex check: comments go, strings (with // and ${} inside) stay, declarations
// and object entries come out as written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { objectEntries, parseBicep, squash, stripComments } from '../../scripts/deploy/bicep-text.ts';

test('stripComments keeps strings that contain // and ${}, removes line and block comments', () => {
  const src = "var u = 'https://x/${a ? 'y' : '//z'}' // gone\n/* gone\ntoo */ var b = 1";
  const out = stripComments(src);
  assert.match(out, /var u = 'https:\/\/x\/\$\{a \? 'y' : '\/\/z'\}'/);
  assert.doesNotMatch(out, /gone|too/);
  assert.equal(out.split('\n').length, src.split('\n').length);
});

test('parseBicep reads params, vars, resources with loops, modules and outputs', () => {
  const decls = parseBicep(`@description('it\\'s a name')
param name string
param size int = 3
var settings = {
  A: 'x' // comment
  'B-c': name
}
@batchSize(1)
resource things 'Microsoft.Thing/things@2024-01-01' = [
  for t in items: {
    name: t
  }
]
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: 'kv'
}
module m 'modules/m.bicep' = {
  name: 'm'
}
output id string = vault.id
`);
  assert.deepEqual(
    decls.map((d) => [d.kind, d.name, d.type, d.existing]),
    [
      ['param', 'name', 'string', false],
      ['param', 'size', 'int', false],
      ['var', 'settings', '', false],
      ['resource', 'things', 'Microsoft.Thing/things@2024-01-01', false],
      ['resource', 'vault', 'Microsoft.KeyVault/vaults@2023-07-01', true],
      ['module', 'm', 'modules/m.bicep', false],
      ['output', 'id', 'string', false],
    ],
  );
  assert.equal(decls[0].value, '');
  assert.equal(decls[1].value, '3');
  assert.match(decls[3].value, /^\[\s*for t in items: \{/);
  assert.deepEqual(objectEntries(decls[2].value.slice(1, -1)), [
    { key: 'A', value: "'x'" },
    { key: "'B-c'", value: 'name' },
  ]);
});

test('objectEntries keeps nested objects whole; squash normalizes whitespace', () => {
  const entries = objectEntries('\n  a: {\n    b: 1\n  }\n  c: f(\n    x\n  )\n');
  assert.equal(entries.length, 2);
  assert.equal(entries[0].key, 'a');
  assert.equal(squash(entries[1].value), 'f(x)');
});
