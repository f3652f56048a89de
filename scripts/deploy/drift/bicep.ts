// The Bicep's use of the declaration (infra/identity-wiring.json, generated from the catalog): the one part of the
// wiring the catalog cannot generate. The templates follow one pattern (infra/README.md): role assignments and
// federated credentials are loops over the declaration, settings carry the declared identities' fields; this checks
// the pattern holds, so the declaration is what deploys.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { squash } from '../bicep-text.ts';
import type { Wiring } from '../wiring.ts';
import { checkRoleAssignments } from './assignments.ts';
import { PARAMETERS_FROM_DEPLOY, readBicepFiles, type BicepSet, type Problems } from './common.ts';
import { checkAppSettings, checkSite } from './function-app.ts';
import { checkFederatedCredentials, checkIdentities } from './identities.ts';

/** Runs every Bicep check; returns the number of role-assignment loops found. */
export function checkBicep(root: string, w: Wiring, p: Problems): number {
  const files = readBicepFiles(root);
  const bad = (m: string) => p.add('bicep', m);
  const main = files.find((f) => f.rel === join('infra', 'main.bicep'));
  if (!main) {
    bad('infra/main.bicep is missing');
    return 0;
  }
  // The template reads the declaration.
  const wiringVar = main.decls.find(
    (x) => x.kind === 'var' && squash(x.value) === "loadJsonContent('identity-wiring.json')",
  );
  if (!wiringVar)
    bad("infra/main.bicep must load the declaration: var wiring = loadJsonContent('identity-wiring.json')");
  const set: BicepSet = {
    files,
    main,
    byPath: (modulePath) => files.find((f) => f.rel === join('infra', modulePath)),
    W: wiringVar?.name ?? 'wiring',
    bad,
  };
  const loops = checkRoleAssignments(set, w);
  checkIdentities(set, w);
  checkFederatedCredentials(set, w);
  checkSite(set, w);
  checkAppSettings(set, w);
  checkNoLocalSwitches(set, w);
  checkParameters(root, set);
  return loops;
}

/** No sandbox-only switch anywhere in the templates. */
function checkNoLocalSwitches(set: BicepSet, w: Wiring): void {
  for (const name of Object.keys(w.localOnlySettings))
    for (const f of set.files)
      if (f.text.includes(name))
        set.bad(`${f.rel} mentions the sandbox-only setting ${name}; it must never be set in Azure`);
}

/** The parameters file and the deploy script supply every parameter without a default. */
function checkParameters(root: string, set: BicepSet): void {
  const { main, bad: b } = set;
  const infra = join(root, 'infra');
  const paramsFile = join(infra, 'main.parameters.json');
  const mainParams = main.decls.filter((x) => x.kind === 'param');
  let fileParams: Record<string, unknown> = {};
  try {
    fileParams = (JSON.parse(readFileSync(paramsFile, 'utf8')) as { parameters: Record<string, unknown> })
      .parameters;
  } catch (err) {
    b(`infra/main.parameters.json: ${(err as Error).message}`);
  }
  for (const k of Object.keys(fileParams)) {
    if (!mainParams.some((x) => x.name === k))
      b(`infra/main.parameters.json sets '${k}', which infra/main.bicep does not declare`);
  }
  for (const prm of mainParams) {
    if (
      prm.value === '' &&
      !(prm.name in fileParams) &&
      !(PARAMETERS_FROM_DEPLOY as readonly string[]).includes(prm.name)
    )
      b(
        `infra/main.bicep param '${prm.name}' has no default and neither main.parameters.json nor npm run deploy supplies it`,
      );
  }
}
