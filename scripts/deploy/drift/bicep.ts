// The Bicep's use of the declaration (infra/identity-wiring.json, generated from the catalog), the one part of the
// wiring the catalog cannot generate. What the templates take from the declaration in loops (role GUIDs, role
// assignments, federated credentials) deploys as declared; these checks hold the hand-written parts that name its
// keys (one loop per scope key, one resource per identity, one app setting per name) to it. infra/README.md.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Wiring } from '../wiring.ts';
import { checkRoleAssignments } from './assignments.ts';
import { MAIN, type BicepSet, type Problems } from './common.ts';
import { checkAppSettings, checkSite } from './function-app.ts';
import { checkFederatedCredentials, checkIdentities } from './identities.ts';
import { declarations, readInfra, value } from './read.ts';

/** Runs every Bicep check; returns the number of role-assignment loops found. */
export function checkBicep(root: string, w: Wiring, p: Problems): number {
  const files = readInfra(root).map((f) => ({ ...f, decls: declarations(f.text) }));
  const bad = (m: string) => p.add('bicep', m);
  const decl = (name: string, file = MAIN) =>
    files.find((f) => f.file === file)?.decls.find((d) => `${d.kind} ${d.name}` === name);
  const set: BicepSet = {
    decl,
    bad,
    all: (kind, type) =>
      files.flatMap(({ file, decls }) =>
        decls.filter((d) => d.kind === kind && d.type.split('@')[0] === type).map((d) => ({ file, d })),
      ),
    want: (file, name, rows) => {
      const d = decl(name, file);
      const where = `${file}${d ? `:${d.line}` : ''} ${name}`;
      const wrong = rows.filter(([path, want]) => value(d, path) !== want);
      for (const [path, want] of wrong)
        bad(`${where}${path && ` ${path}`} is ${value(d, path) || '(missing)'}, expected ${want}`);
      return !wrong.length;
    },
  };
  // Everything else assumes the template reads the declaration, under this name.
  set.want(MAIN, 'var wiring', [['', "loadJsonContent('identity-wiring.json')"]]);
  for (const name of Object.keys(w.localOnlySettings))
    for (const { file } of files.filter((f) => f.text.includes(name)))
      bad(`${file} mentions the sandbox-only setting ${name}; it must never be set in Azure`);
  const loops = checkRoleAssignments(set, w);
  checkIdentities(set, w);
  checkFederatedCredentials(set, w);
  checkSite(set, w, nodeMajor(root, bad));
  checkAppSettings(set, w);
  return loops;
}

/** The Node major version the project runs on: its `node` devDependency (package.json). */
function nodeMajor(root: string, bad: (m: string) => void): string {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      devDependencies?: { node?: string };
    };
    return /\d+/.exec(pkg.devDependencies?.node ?? '')?.[0] ?? '(no node devDependency in package.json)';
  } catch (err) {
    bad(`cannot read package.json: ${(err as Error).message}`);
    return '(unknown)';
  }
}
