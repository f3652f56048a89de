// The world loader: every scenario loads; a bad world fails on load with an error naming the file and the field.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { listScenarios, loadWorld, WORLDS_DIR } from '../../sandbox/world.ts';

const dir = mkdtempSync(join(tmpdir(), 'idp-worlds-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const healthy = JSON.parse(readFileSync(join(WORLDS_DIR, 'healthy.json'), 'utf8')) as Record<string, unknown>;

/** A copy of the healthy world, changed, in a temp dir (its wiring path still resolves to infra/). */
function world(name: string, change: (w: Record<string, unknown>) => void): string {
  const w = structuredClone(healthy);
  change(w);
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(w));
  return name;
}

describe('world loader', () => {
  test('every scenario loads and resolves', () => {
    for (const name of listScenarios()) {
      const w = loadWorld(name, { placeholders: { OIDC_ISSUER: 'https://issuer.invalid' } });
      assert.ok(w.roleAssignments.length > 0, name);
      assert.equal(w.federatedCredentials[0].issuer, 'https://issuer.invalid', name);
    }
  });

  test('a malformed id names its field', () => {
    const name = world('bad-guid', (w) => {
      (w.userAssignedIdentities as Array<Record<string, string>>)[1].clientId = 'not-a-guid';
    });
    assert.throws(
      () => loadWorld(name, { dir }),
      /bad-guid\.json: userAssignedIdentities\[1\]\.clientId: 'not-a-guid' is not a GUID/,
    );
  });

  test('a missing field says so', () => {
    const name = world('no-tenant', (w) => delete w.tenantId);
    assert.throws(() => loadWorld(name, { dir }), /no-tenant\.json: tenantId: is missing/);
  });

  test('references that do not resolve name their field', () => {
    const role = world('bad-role', (w) => {
      w.extraRoleAssignments = [{ identity: 'app', role: 'Nonexistent Role', scope: 'resourceGroup' }];
    });
    assert.throws(
      () => loadWorld(role, { dir }),
      /extraRoleAssignments\[0\]\.role: unknown role 'Nonexistent Role'/,
    );
    const binding = world('bad-binding', (w) => {
      (w.scopeBindings as Record<string, string>).canaryContainer = 'container:stidentityprobes/nope';
    });
    assert.throws(
      () => loadWorld(binding, { dir }),
      /scopeBindings\.canaryContainer: no container 'stidentityprobes\/nope'/,
    );
    const attached = world('bad-attached', (w) => {
      (w.functionApp as { userAssignedIdentities: string[] }).userAssignedIdentities = ['id-nobody'];
    });
    assert.throws(
      () => loadWorld(attached, { dir }),
      /functionApp\.userAssignedIdentities\[0\]: no user-assigned identity named 'id-nobody'/,
    );
  });

  test('an extra assignment needs a principal', () => {
    const name = world('no-principal', (w) => {
      w.extraRoleAssignments = [{ role: 'Reader', scope: 'resourceGroup' }];
    });
    assert.throws(
      () => loadWorld(name, { dir }),
      /extraRoleAssignments\[0\]: needs identity \(a wiring key\) or principalId/,
    );
  });
});
