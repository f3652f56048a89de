// The Bicep's role assignments: only loops over the declaration, one per scope key it uses, each deploying the
// declared identity's principal with the declared role on a resource of the declared type; main.bicep calls the
// module once per plane, with the declaration's roles and the right principal for each identity key.
import type { Wiring } from '../wiring.ts';
import { planeOf } from '../wiring.ts';
import { FA, ID, MAIN, RA, type BicepSet } from './common.ts';
import { keys, value } from './read.ts';

const LOOP = /^ *for (\w+) in filter\(assignments, (\w+) => \2\.scope == '(\w+)'\): \{$/;

/** Checks the loops and main.bicep's calls; returns the number of loops. */
export function checkRoleAssignments(set: BicepSet, w: Wiring): number {
  const loops: string[] = [];
  for (const { file, d } of set.all('resource', 'Microsoft.Authorization/roleAssignments')) {
    const where = `${file}:${d.line} resource ${d.name}`;
    const [, v, , scope] = LOOP.exec(d.body[0] ?? '') ?? [];
    if (file !== RA || !scope) {
      set.bad(
        `${where}: not a loop over filter(assignments, a => a.scope == '<key>'): an undeclared assignment`,
      );
      continue;
    }
    const [who, role, type] = [
      `principalIds[${v}.identity]`,
      `roles[${v}.role]`,
      w.scopeResourceTypes[scope],
    ];
    const atGroup = type === 'Microsoft.Resources/resourceGroups';
    const target = set.decl(`resource ${scope}`, RA)?.type ?? 'none';
    if (!atGroup && !target.startsWith(`${type}@`))
      set.bad(`${where}: resource '${scope}' must have the declared type ${type}, found ${target}`);
    const rows: Array<[string, string]> = [
      ['name', `guid(${atGroup ? 'resourceGroup()' : scope}.id, ${who}, ${role})`],
      ['scope', atGroup ? '' : scope],
      [
        'properties.roleDefinitionId',
        `subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ${role})`,
      ],
      ['properties.principalId', who],
      ['properties.principalType', "'ServicePrincipal'"],
    ];
    if (set.want(RA, `resource ${d.name}`, rows)) loops.push(scope);
  }
  for (const prm of ['assignments', 'roles', 'principalIds'])
    if (!set.decl(`param ${prm}`, RA))
      set.bad(`${RA} needs the param '${prm}' (its loops read the declaration)`);
  const declared = w.roleAssignments.map((a) => a.scope);
  for (const scope of new Set([...declared, ...loops])) {
    const [n, uses] = [loops, declared].map((l) => l.filter((s) => s === scope).length);
    if (n !== 1 || (!uses && !(scope in w.scopes)))
      // a declared scope may wait for its first assignment
      set.bad(
        `scope '${scope}' is used by ${uses} declared assignment(s) and has ${n} loop(s) in ${RA} (need 1)`,
      );
  }
  checkCalls(set, w);
  return loops.length;
}

/** main.bicep calls the module once per plane, with the declaration's roles and each identity's principal. */
function checkCalls(set: BicepSet, w: Wiring): void {
  const calls = set.all('module', 'modules/role-assignments.bicep').filter((c) => c.file === MAIN);
  for (const plane of new Set(w.roleAssignments.map(planeOf))) {
    const filter = `filter(wiring.roleAssignments, a => a.?plane == ${plane === 'host' ? "'host'" : 'null'})`;
    const mine = calls.filter(({ d }) => value(d, 'params.assignments') === filter);
    if (mine.length !== 1) {
      set.bad(`${MAIN} must call ${RA} once with assignments: ${filter}, found ${mine.length}`);
      continue;
    }
    const ids = new Set(w.roleAssignments.filter((a) => planeOf(a) === plane).map((a) => a.identity));
    const from = (k: string) => (w.identities[k]?.kind === 'system-assigned' ? 'functionApp' : 'identities');
    const rows = [...new Set([...ids, ...keys(mine[0].d, 'params.principalIds')])].map(
      (k): [string, string] => [
        `params.principalIds.${k}`,
        ids.has(k) ? `${from(k)}.outputs.${k}PrincipalId` : '(none)',
      ],
    );
    set.want(MAIN, `module ${mine[0].d.name}`, [['params.roles', 'wiring.roles'], ...rows]);
  }
  // The outputs those principals come from.
  for (const [k, id] of Object.entries(w.identities))
    if (id.kind === 'system-assigned')
      set.want(FA, `output ${k}PrincipalId`, [['', 'functionApp.identity.principalId']]);
    else set.want(ID, `output ${k}PrincipalId`, [['', `${k}Identity.properties.principalId`]]);
}
