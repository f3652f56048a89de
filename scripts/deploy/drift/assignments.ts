// The Bicep's role assignments: only loops over the declaration, one per scope key, each reached by exactly one
// module invocation with the right principals. So what deploys is the declaration (generated from the catalog).
import type { BicepDeclaration } from '../bicep-text.ts';
import { bracketBody, nestedObject, objectEntries, squash } from '../bicep-text.ts';
import type { Wiring, WiringRoleAssignment } from '../wiring.ts';
import { planeOf } from '../wiring.ts';
import { describe, GUID_LITERAL, type BicepFile, type BicepSet } from './common.ts';

/** Checks the assignment loops and the module invocations; returns the number of loops found. */
export function checkRoleAssignments(set: BicepSet, w: Wiring): number {
  const loops = checkLoops(set, w);
  checkInvocations(set, w);
  return [...loops.values()].reduce((s, n) => s + n, 0);
}

function checkLoops(set: BicepSet, w: Wiring): Map<string, number> {
  const { files, bad: b } = set;
  const loops = new Map<string, number>();
  for (const f of files) {
    for (const r of f.decls.filter(
      (x) => x.kind === 'resource' && x.type.startsWith('Microsoft.Authorization/roleAssignments@'),
    )) {
      const where = `${f.rel}:${r.line} resource ${r.name}`;
      if (GUID_LITERAL.test(r.value))
        b(`${where} writes a role GUID by hand; roles come from the declaration's "roles"`);
      const key = checkAssignmentLoop(f, r, w, (m) => b(`${where}: ${m}`));
      if (key) loops.set(key, (loops.get(key) ?? 0) + 1);
    }
  }
  for (const scope of new Set(w.roleAssignments.map((a) => a.scope))) {
    const n = loops.get(scope) ?? 0;
    if (n !== 1)
      b(
        `scope '${scope}' is used by ${w.roleAssignments.filter((a) => a.scope === scope).length} declared assignment(s) but infra/modules/role-assignments.bicep has ${n} loop(s) for it (need exactly 1), so ${n === 0 ? 'they would never be deployed' : 'they would be deployed twice'}`,
      );
  }
  for (const scope of loops.keys()) {
    if (!(scope in w.scopes))
      b(
        `infra/modules/role-assignments.bicep has a loop for scope '${scope}', which the declaration does not know`,
      );
  }

  return loops;
}

function checkInvocations(set: BicepSet, w: Wiring): void {
  const { main, byPath, W, bad: b } = set;
  const invocations = main.decls.filter(
    (x) => x.kind === 'module' && x.type === 'modules/role-assignments.bicep',
  );
  const picked = new Map<WiringRoleAssignment, number>();
  for (const inv of invocations) {
    const where = `infra/main.bicep:${inv.line} module ${inv.name}`;
    const params = nestedObject(bracketBody(inv.value, '{') ?? '', 'params') ?? [];
    const get = (k: string) => params.find((e) => e.key === k)?.value;
    const filterExpr = squash(get('assignments') ?? '');
    const fm = new RegExp(
      `^filter\\(${W}\\.roleAssignments, (\\w+) => \\1\\.\\?plane == (null|'(\\w+)')\\)$`,
    ).exec(filterExpr);
    if (!fm) {
      b(
        `${where}: assignments must be filter(${W}.roleAssignments, a => a.?plane == 'host' | null), got '${filterExpr}'`,
      );
      continue;
    }
    const plane = fm[3] ?? 'app';
    if (squash(get('roles') ?? '') !== `${W}.roles`) b(`${where}: roles must be ${W}.roles`);
    const principals = objectEntries((get('principalIds') ?? '{}').slice(1, -1));
    const mine = w.roleAssignments.filter((a) => planeOf(a) === plane);
    for (const a of mine) picked.set(a, (picked.get(a) ?? 0) + 1);
    for (const key of new Set(mine.map((a) => a.identity))) {
      const entry = principals.find((e) => e.key === key);
      if (!entry) {
        b(
          `${where}: principalIds has no '${key}', so ${mine
            .filter((a) => a.identity === key)
            .map(describe)
            .join('; ')} cannot be deployed`,
        );
        continue;
      }
      checkPrincipalSource(main, byPath, entry.value, key, w, (m) =>
        b(`${where}: principalIds.${key}: ${m}`),
      );
    }
    for (const e of principals) {
      if (!w.identities[e.key]) b(`${where}: principalIds.${e.key} is not a declared identity`);
    }
  }
  for (const a of w.roleAssignments) {
    const n = picked.get(a) ?? 0;
    if (n !== 1)
      b(
        `declared assignment ${describe(a)} reaches ${n} role-assignments module invocation(s) in infra/main.bicep (need 1)`,
      );
  }
}

/** Checks one role assignment resource against the loop pattern; returns its scope key when it follows it. */
function checkAssignmentLoop(
  f: BicepFile,
  r: BicepDeclaration,
  w: Wiring,
  bad: (m: string) => void,
): string | undefined {
  const head =
    /^\[\s*for\s+(\w+)\s+in\s+filter\(\s*(\w+)\s*,\s*(\w+)\s*=>\s*\3\.scope\s*==\s*'(\w+)'\s*\)\s*:\s*\{/.exec(
      r.value,
    );
  if (!head) {
    bad(
      "not a loop over the declaration (for x in filter(assignments, a => a.scope == '<scope key>')): an undeclared role assignment",
    );
    return undefined;
  }
  const [, v, arr, , scope] = head;
  const arrParam = f.decls.find((x) => x.kind === 'param' && x.name === arr);
  if (!arrParam || arrParam.type !== 'array')
    bad(`loops over '${arr}', which is not an array param of ${f.rel}`);
  const body = objectEntries(bracketBody(r.value, '{') ?? '');
  const get = (k: string) => squash(body.find((e) => e.key === k)?.value ?? '');
  const props = nestedObject(bracketBody(r.value, '{') ?? '', 'properties') ?? [];
  const prop = (k: string) => squash(props.find((e) => e.key === k)?.value ?? '');
  const principal = `principalIds[${v}.identity]`;
  const roleGuid = `roles[${v}.role]`;
  let ok = true;
  const expect = (what: string, got: string, want: string) => {
    if (got !== want) {
      bad(`${what} is ${got || '(missing)'}, expected ${want}`);
      ok = false;
    }
  };
  expect(
    'roleDefinitionId',
    prop('roleDefinitionId'),
    `subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ${roleGuid})`,
  );
  expect('principalId', prop('principalId'), principal);
  expect('principalType', prop('principalType'), "'ServicePrincipal'");
  for (const prm of ['principalIds', 'roles']) {
    if (!f.decls.some((x) => x.kind === 'param' && x.name === prm && x.type === 'object')) {
      bad(`${f.rel} needs an object param '${prm}'`);
      ok = false;
    }
  }
  const type = w.scopeResourceTypes?.[scope];
  if (scope === 'resourceGroup' || type === 'Microsoft.Resources/resourceGroups') {
    expect('scope', get('scope'), '');
    expect('name', get('name'), `guid(resourceGroup().id, ${principal}, ${roleGuid})`);
  } else {
    // The loop for scope key K is scoped to the resource symbol named K, declared with the declared type.
    expect('scope', get('scope'), scope);
    const target = f.decls.find((x) => x.kind === 'resource' && x.name === scope);
    if (!target) {
      bad(`no resource '${scope}' in ${f.rel} to scope to`);
      ok = false;
    } else if (!type || !target.type.startsWith(`${type}@`)) {
      bad(
        `resource '${scope}' is a ${target.type.split('@')[0]}, but the declaration says scope '${scope}' is a ${type}`,
      );
      ok = false;
    }
    expect('name', get('name'), `guid(${scope}.id, ${principal}, ${roleGuid})`);
  }
  return ok ? scope : undefined;
}

/** principalIds.<key> must come from the output that carries that identity's principal ID. */
function checkPrincipalSource(
  main: BicepFile,
  byPath: (p: string) => BicepFile | undefined,
  value: string,
  key: string,
  w: Wiring,
  bad: (m: string) => void,
): void {
  const m = /^(\w+)\.outputs\.(\w+)$/.exec(squash(value));
  if (!m || m[2] !== `${key}PrincipalId`) {
    bad(`must be <module>.outputs.${key}PrincipalId, got '${squash(value)}'`);
    return;
  }
  const mod = main.decls.find((x) => x.kind === 'module' && x.name === m[1]);
  const file = mod && byPath(mod.type);
  const out = file?.decls.find((x) => x.kind === 'output' && x.name === m[2]);
  if (!out) {
    bad(`module '${m[1]}' has no output ${m[2]}`);
    return;
  }
  const expr = squash(out.value);
  if (w.identities[key]?.kind === 'system-assigned') {
    const site = file!.decls.find((x) => x.kind === 'resource' && x.type.startsWith('Microsoft.Web/sites@'));
    if (!site || expr !== `${site.name}.identity.principalId`)
      bad(`output ${m[2]} must be the site's identity.principalId, got '${expr}'`);
  } else if (expr !== `${key}Identity.properties.principalId`) {
    bad(`output ${m[2]} must be ${key}Identity.properties.principalId, got '${expr}'`);
  }
}
