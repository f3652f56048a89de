// The scale bench's generated declarations (support/scale-declaration.ts): valid declarations of the size asked for,
// with every identity kind and all four resource kinds, a few `denied`, and a sandbox world that grants each allowed
// probe and lets no denied one in (planned and loaded; no servers).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { declarationSchema } from '../../common/declaration/schema.ts';
import { amendWorld, declarationInfo, planDeclaration } from '../../sandbox/declaration/index.ts';
import { loadWorld } from '../../sandbox/world.ts';
import { benchDeclarations, scaleDeclaration } from '../../support/scale-declaration.ts';

describe('the scale bench declarations', () => {
  it('are the default (18), 5 x 20 (100) and 25 x 20 (500)', () => {
    const sizes = benchDeclarations().map(({ declaration: d }) => [
      Object.keys(d.identities).length,
      Object.keys(d.resources).length,
      d.probes.length,
    ]);
    assert.deepEqual(sizes, [
      [6, 3, 18],
      [5, 20, 100],
      [25, 20, 500],
    ]);
  });

  for (const [identities, resources, denied] of [
    [5, 20, 2],
    [25, 20, 10],
  ])
    it(`${identities} x ${resources}: every kind, ${denied} denied, and a world that honours each expectation`, () => {
      const d = scaleDeclaration(identities, resources);
      assert.ok(declarationSchema.safeParse(d).success, 'valid against the schema');
      const kinds = (xs: Record<string, { kind: string }>) => new Set(Object.values(xs).map((x) => x.kind));
      assert.deepEqual([...kinds(d.identities)].sort(), [
        'default-chain',
        'federated',
        'system-assigned',
        'user-assigned',
      ]);
      assert.deepEqual([...kinds(d.resources)].sort(), [
        'arm-scope',
        'blob-container',
        'keyvault-secret',
        'storage-queue',
      ]);
      const ids = new Set(d.probes.map((p) => `${p.identity}/${p.resource}`));
      assert.equal(ids.size, identities * resources, 'one probe per identity and resource');
      assert.equal(d.probes.filter((p) => p.expect === 'denied').length, denied);

      const plan = planDeclaration(d, 'scale.json');
      const w = loadWorld('healthy', { amend: (raw) => amendWorld(plan, raw) });
      assert.deepEqual(declarationInfo(plan, w).warnings, [], 'no denied cell is let in by the world');
      // Every allowed probe has its grant but the system identity's on canary resources (none here): the wiring's.
      assert.equal(plan.grants.length, identities * resources - denied);
      assert.equal(plan.denials.length, denied);
      assert.equal(
        w.identities.filter((i) => i.name.startsWith('id-decl-')).length,
        identities - 1,
        "each identity but the app's own system-assigned one is an identity of its own",
      );
    });
});
