// What the privileges check derives from the catalog (src/privileges/catalog.ts) is what infra/ deploys: the
// generated infra/identity-wiring.json (app plane: identities' paths, role assignments, role GUIDs); and its pinned
// role definitions equal the sandbox's built-in roles, so neither can drift from the other unnoticed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { findRole } from '../../../sandbox/resources/rbac/roles.ts';
import {
  DECLARED_ASSIGNMENTS,
  DECLARED_ROLES,
  IDENTITY_KEYS,
  PATHS_OF_IDENTITY,
  SCOPE_KEYS,
} from '../../../src/privileges/catalog.ts';

const wiring = JSON.parse(
  readFileSync(new URL('../../../infra/identity-wiring.json', import.meta.url), 'utf8'),
) as {
  identities: Record<string, { paths: string[]; plane?: string }>;
  roles: Record<string, string>;
  roleAssignments: Array<{ identity: string; role: string; scope: string; plane?: string }>;
};

describe('privileges catalog', () => {
  it('matches the wiring: app-plane identities, their paths and their role assignments', () => {
    const appPlane = Object.entries(wiring.identities).filter(([, i]) => (i.plane ?? 'app') === 'app');
    assert.deepEqual(
      IDENTITY_KEYS.map((k) => [k, [...PATHS_OF_IDENTITY[k]]]),
      appPlane.map(([k, i]) => [k, i.paths]),
    );
    const declared = wiring.roleAssignments
      .filter((a) => (a.plane ?? 'app') === 'app')
      .map(({ identity, role, scope }) => ({ identity, role, scope }));
    assert.deepEqual([...DECLARED_ASSIGNMENTS], declared);
    for (const a of declared) assert.ok((SCOPE_KEYS as readonly string[]).includes(a.scope), a.scope);
  });

  it('pins each declared role with the wiring GUID and the same permissions as the sandbox built-in', () => {
    const used = new Set(DECLARED_ASSIGNMENTS.map((a) => a.role));
    assert.deepEqual(DECLARED_ROLES.map((r) => r.roleName).sort(), [...used].sort());
    for (const r of DECLARED_ROLES) {
      assert.equal(r.id, wiring.roles[r.roleName], r.roleName);
      assert.deepEqual(r.permissions, findRole(r.id)?.permissions, r.roleName);
    }
  });
});
