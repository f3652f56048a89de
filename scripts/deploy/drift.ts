// The drift check: compares the one declaration (infra/identity-wiring.json) with everything that must follow it:
//   - the Bicep template text (infra/**/*.bicep, infra/main.parameters.json),
//   - the sandbox's healthy world as the sandbox's own loader resolves it (sandbox/world.ts),
//   - the settings files (local.settings.sample.json, docs/settings.md, infra/README.md, src/config.ts names).
// Used by test/infra/drift.test.ts, by `node scripts/check-wiring.ts`, and by `npm run deploy` before it deploys.
// Every problem names the side that drifted and what to change.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadWorld } from '../../sandbox/world.ts';
import type { BicepDeclaration } from './bicep-text.ts';
import { bracketBody, nestedObject, objectEntries, parseBicep, squash } from './bicep-text.ts';
import type { Wiring, WiringRoleAssignment } from './wiring.ts';
import {
  BUILT_IN_ROLES,
  STATUS_ROLE,
  TARGET_ROLES,
  TOKEN_EXCHANGE_AUDIENCE,
  planeOf,
  readWiring,
} from './wiring.ts';

export type DriftSide = 'declaration' | 'bicep' | 'sandbox' | 'settings';

export interface DriftProblem {
  side: DriftSide;
  message: string;
}

export interface DriftReport {
  root: string;
  problems: DriftProblem[];
  /** What was compared, for the summary line. */
  checked: {
    declaredAssignments: number;
    bicepAssignmentLoops: number;
    sandboxAssignments: number;
    federatedCredentials: number;
    settings: number;
  };
}

export interface DriftOptions {
  /** The names src/config.ts reads (SETTING_NAMES); compared with the declared settings when given. */
  settingNames?: readonly string[];
  /** Sandbox scenario that must match the declaration exactly. */
  world?: string;
}

/** Parameters of main.bicep that have no default and that `npm run deploy` passes on the command line. */
export const PARAMETERS_FROM_DEPLOY = ['federatedIssuer', 'federatedSubject'] as const;

/** App settings Flex Consumption rejects or replaces with functionAppConfig (Flex Consumption plan docs). */
const FLEX_FORBIDDEN_SETTINGS = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'AzureWebJobsStorage',
];

const GUID_LITERAL = /'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'/i;

class Problems {
  readonly list: DriftProblem[] = [];
  add(side: DriftSide, message: string): void {
    this.list.push({ side, message });
  }
}

const describe = (a: WiringRoleAssignment) => `${a.identity} -> '${a.role}' on ${a.scope}`;
const sameSet = (a: Iterable<string>, b: Iterable<string>) => {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
};

export function checkDrift(rootDir: string, opts: DriftOptions = {}): DriftReport {
  const root = resolve(rootDir);
  const p = new Problems();
  const checked = {
    declaredAssignments: 0,
    bicepAssignmentLoops: 0,
    sandboxAssignments: 0,
    federatedCredentials: 0,
    settings: 0,
  };
  const wiringFile = join(root, 'infra', 'identity-wiring.json');
  let w: Wiring;
  try {
    w = readWiring(wiringFile);
  } catch (err) {
    p.add('declaration', `cannot read ${wiringFile}: ${(err as Error).message}`);
    return { root, problems: p.list, checked };
  }
  checked.declaredAssignments = w.roleAssignments.length;
  checked.settings = Object.keys(w.settings).length;
  checked.federatedCredentials = Object.values(w.identities).reduce(
    (n, i) => n + (i.federatedCredentials?.length ?? 0),
    0,
  );
  checkDeclaration(w, p);
  checked.bicepAssignmentLoops = checkBicep(root, w, p);
  checked.sandboxAssignments = checkSandbox(root, w, p, opts.world ?? 'healthy');
  checkSettingsFiles(root, w, p, opts.settingNames);
  return { root, problems: p.list, checked };
}

// ---------------------------------------------------------------------------------------------------------------
// The declaration itself: references resolve, GUIDs are the built-in ones, and the app plane is exactly
// ARCHITECTURE's least-privilege table.

function checkDeclaration(w: Wiring, p: Problems): void {
  const d = (m: string) => p.add('declaration', `infra/identity-wiring.json: ${m}`);
  for (const [name, guid] of Object.entries(w.roles)) {
    const builtIn = BUILT_IN_ROLES[name];
    if (!builtIn)
      d(
        `roles.'${name}' is not a built-in role this check knows; add it to BUILT_IN_ROLES after checking it`,
      );
    else if (builtIn !== guid.toLowerCase())
      d(`roles.'${name}' is ${guid}, but the built-in role's GUID is ${builtIn}`);
  }
  const seen = new Set<string>();
  for (const a of w.roleAssignments) {
    const id = w.identities[a.identity];
    if (!id) d(`roleAssignment ${describe(a)}: no identity '${a.identity}'`);
    if (!w.roles[a.role]) d(`roleAssignment ${describe(a)}: no role '${a.role}' in "roles"`);
    if (!(a.scope in w.scopes)) d(`roleAssignment ${describe(a)}: no scope '${a.scope}' in "scopes"`);
    if (!w.scopeResourceTypes?.[a.scope])
      d(`roleAssignment ${describe(a)}: no "scopeResourceTypes".${a.scope}`);
    if (id && planeOf(id) !== planeOf(a))
      d(
        `roleAssignment ${describe(a)} is on the ${planeOf(a)} plane but identity '${a.identity}' is ${planeOf(id)}-plane`,
      );
    const key = `${a.identity}|${a.role}|${a.scope}`;
    if (seen.has(key)) d(`roleAssignment ${describe(a)} is declared twice`);
    seen.add(key);
  }
  // Least privilege (ARCHITECTURE "Targets" and the status writer): every identity that serves a path gets exactly
  // the three target roles, and exactly one identity writes status.
  const appPlane = w.roleAssignments.filter((a) => planeOf(a) === 'app');
  for (const [key, id] of Object.entries(w.identities)) {
    if (planeOf(id) !== 'app' || id.paths.length === 0) continue;
    for (const t of TARGET_ROLES) {
      if (!appPlane.some((a) => a.identity === key && a.role === t.role && a.scope === t.scope))
        d(
          `identity '${key}' (paths ${id.paths.join(', ')}) lacks '${t.role}' on ${t.scope}, which the ${t.target} target needs`,
        );
    }
  }
  for (const a of appPlane) {
    const isTarget = TARGET_ROLES.some((t) => t.role === a.role && t.scope === a.scope);
    const isStatus = a.role === STATUS_ROLE.role && a.scope === STATUS_ROLE.scope;
    if (!isTarget && !isStatus)
      d(`roleAssignment ${describe(a)} is more than ARCHITECTURE's least-privilege table allows`);
  }
  const writers = appPlane.filter((a) => a.role === STATUS_ROLE.role && a.scope === STATUS_ROLE.scope);
  if (writers.length !== 1)
    d(
      `exactly one identity must have '${STATUS_ROLE.role}' on ${STATUS_ROLE.scope} (the status writer); found ${writers.length}`,
    );
  for (const [key, id] of Object.entries(w.identities)) {
    for (const fic of id.federatedCredentials ?? []) {
      if (JSON.stringify(fic.audiences) !== JSON.stringify([TOKEN_EXCHANGE_AUDIENCE]))
        d(
          `identities.${key}.federatedCredentials '${fic.name}': audiences must be ["${TOKEN_EXCHANGE_AUDIENCE}"]`,
        );
      for (const field of ['issuer', 'subject'] as const) {
        if (
          typeof fic[field] !== 'object' ||
          typeof (fic[field] as { parameter?: unknown }).parameter !== 'string'
        )
          d(
            `identities.${key}.federatedCredentials '${fic.name}'.${field} must be { "parameter": "<main.bicep param>" }`,
          );
      }
    }
    for (const names of Object.values(id.settings ?? {})) {
      const contract = planeOf(id) === 'host' ? w.hostSettings : w.settings;
      for (const n of names) {
        if (!(n in contract))
          d(
            `identities.${key}.settings names '${n}', which is not in "${planeOf(id) === 'host' ? 'hostSettings' : 'settings'}"`,
          );
      }
    }
  }
  const all = [
    ...Object.keys(w.settings),
    ...Object.keys(w.hostSettings),
    ...Object.keys(w.localOnlySettings),
  ];
  const dup = all.filter((n, i) => all.indexOf(n) !== i);
  if (dup.length)
    d(`settings names in more than one of settings/hostSettings/localOnlySettings: ${dup.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------------------------
// The Bicep text. The templates follow one pattern (documented in infra/README.md): role assignments and federated
// credentials are loops over the declaration; this checks the pattern holds, so the declaration is what deploys.

interface BicepFile {
  rel: string;
  text: string;
  decls: BicepDeclaration[];
}

function checkBicep(root: string, w: Wiring, p: Problems): number {
  const infra = join(root, 'infra');
  const files: BicepFile[] = listBicep(infra).map((f) => {
    const text = readFileSync(f, 'utf8');
    return { rel: relative(root, f), text, decls: parseBicep(text) };
  });
  const b = (m: string) => p.add('bicep', m);
  const main = files.find((f) => f.rel === join('infra', 'main.bicep'));
  if (!main) {
    b('infra/main.bicep is missing');
    return 0;
  }
  const byPath = (modulePath: string) => files.find((f) => f.rel === join('infra', modulePath));

  // The template reads the declaration.
  const wiringVar = main.decls.find(
    (x) => x.kind === 'var' && squash(x.value) === "loadJsonContent('identity-wiring.json')",
  );
  if (!wiringVar)
    b("infra/main.bicep must load the declaration: var wiring = loadJsonContent('identity-wiring.json')");
  const W = wiringVar?.name ?? 'wiring';

  // Role assignments: only declaration-driven loops, one per scope key.
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

  // The module invocations: each declared assignment reaches exactly one, with its principal.
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

  checkIdentitiesAndFics(main, byPath, files, w, W, b);
  checkFunctionApp(main, byPath, w, W, b);

  // No sandbox-only switch anywhere in the templates.
  for (const name of Object.keys(w.localOnlySettings)) {
    for (const f of files)
      if (f.text.includes(name))
        b(`${f.rel} mentions the sandbox-only setting ${name}; it must never be set in Azure`);
  }

  // Parameters: the file and the deploy script supply every parameter without a default.
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
  return [...loops.values()].reduce((s, n) => s + n, 0);
}

function listBicep(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listBicep(join(dir, e.name)) : e.name.endsWith('.bicep') ? [join(dir, e.name)] : [],
  );
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

function checkIdentitiesAndFics(
  main: BicepFile,
  byPath: (p: string) => BicepFile | undefined,
  files: BicepFile[],
  w: Wiring,
  W: string,
  b: (m: string) => void,
): void {
  const mod = main.decls.find((x) => x.kind === 'module' && x.type === 'modules/identities.bicep');
  const file = byPath('modules/identities.bicep');
  if (!mod || !file) {
    b('infra/main.bicep must use modules/identities.bicep for the user-assigned identities');
    return;
  }
  const uamiKeys = Object.entries(w.identities)
    .filter(([, i]) => i.kind === 'user-assigned')
    .map(([k]) => k);
  for (const f of files) {
    for (const r of f.decls.filter(
      (x) => x.kind === 'resource' && x.type.startsWith('Microsoft.ManagedIdentity/userAssignedIdentities@'),
    )) {
      const key = r.name.replace(/Identity$/, '');
      if (f !== file || !uamiKeys.includes(key) || r.existing)
        b(
          `${f.rel}:${r.line} resource ${r.name} is a user-assigned identity the declaration does not have (name it <key>Identity in modules/identities.bicep)`,
        );
    }
  }
  const outIds = file.decls.find((x) => x.kind === 'output' && x.name === 'identities');
  const outEntries = objectEntries((outIds?.value ?? '{}').slice(1, -1));
  for (const key of uamiKeys) {
    if (!file.decls.some((x) => x.kind === 'resource' && x.name === `${key}Identity`))
      b(`infra/modules/identities.bicep has no resource ${key}Identity for declared identity '${key}'`);
    const entry = outEntries.find((e) => e.key === key);
    const fields = objectEntries((entry?.value ?? '{}').slice(1, -1));
    const want: Record<string, string> = {
      clientId: `${key}Identity.properties.clientId`,
      principalId: `${key}Identity.properties.principalId`,
      resourceId: `${key}Identity.id`,
    };
    for (const [field, expr] of Object.entries(want)) {
      const got = squash(fields.find((e) => e.key === field)?.value ?? '');
      if (got !== expr)
        b(`infra/modules/identities.bicep output identities.${key}.${field} is '${got}', expected '${expr}'`);
    }
  }

  // Federated credentials: one loop over the declaration, parented to the identity that declares them.
  const params = nestedObject(bracketBody(mod.value, '{') ?? '', 'params') ?? [];
  const fics = files.flatMap((f) =>
    f.decls
      .filter((x) => x.kind === 'resource' && x.type.includes('/federatedIdentityCredentials@'))
      .map((r) => ({ f, r })),
  );
  const owners = Object.entries(w.identities).filter(([, i]) => (i.federatedCredentials?.length ?? 0) > 0);
  if (owners.length > 1)
    b('the declaration has federated credentials on more than one identity; identities.bicep supports one');
  if (owners.length === 0) {
    for (const { f, r } of fics)
      b(`${f.rel}:${r.line} resource ${r.name}: a federated credential the declaration does not have`);
    return;
  }
  const [ownerKey, owner] = owners[0];
  const passed = squash(params.find((e) => e.key === 'federatedCredentials')?.value ?? '');
  if (passed !== `${W}.identities.${ownerKey}.federatedCredentials`)
    b(
      `infra/main.bicep must pass federatedCredentials: ${W}.identities.${ownerKey}.federatedCredentials to the identities module, got '${passed}'`,
    );
  if (fics.length !== 1)
    b(`expected exactly one federatedIdentityCredentials loop in infra/, found ${fics.length}`);
  for (const { f, r } of fics) {
    const where = `${f.rel}:${r.line} resource ${r.name}`;
    const head = /^\[\s*for\s+(\w+)\s+in\s+federatedCredentials\s*:\s*\{/.exec(r.value);
    if (f !== file || !head) {
      b(`${where}: must be a loop 'for x in federatedCredentials' in modules/identities.bicep`);
      continue;
    }
    const v = head[1];
    if (!r.decorators.includes('@batchSize(1)'))
      b(`${where}: needs @batchSize(1) (Entra ID rejects concurrent credential writes on one identity)`);
    const body = bracketBody(r.value, '{') ?? '';
    const top = objectEntries(body);
    const props = nestedObject(body, 'properties') ?? [];
    const want: Array<[string, string, string]> = [
      ['parent', squash(top.find((e) => e.key === 'parent')?.value ?? ''), `${ownerKey}Identity`],
      ['name', squash(top.find((e) => e.key === 'name')?.value ?? ''), `${v}.name`],
      [
        'issuer',
        squash(props.find((e) => e.key === 'issuer')?.value ?? ''),
        `federatedParameters[${v}.issuer.parameter]`,
      ],
      [
        'subject',
        squash(props.find((e) => e.key === 'subject')?.value ?? ''),
        `federatedParameters[${v}.subject.parameter]`,
      ],
      ['audiences', squash(props.find((e) => e.key === 'audiences')?.value ?? ''), `${v}.audiences`],
    ];
    for (const [what, got, expected] of want)
      if (got !== expected) b(`${where}: ${what} is '${got}', expected '${expected}'`);
  }
  const fp = objectEntries((params.find((e) => e.key === 'federatedParameters')?.value ?? '{}').slice(1, -1));
  const mainParams = main.decls.filter((x) => x.kind === 'param').map((x) => x.name);
  for (const fic of owner.federatedCredentials ?? []) {
    for (const field of ['issuer', 'subject'] as const) {
      const prm = (fic[field] as { parameter?: string }).parameter;
      if (!prm) continue;
      const entry = fp.find((e) => e.key === prm);
      if (!entry || squash(entry.value) !== prm)
        b(
          `infra/main.bicep must pass federatedParameters.${prm}: ${prm} (the ${field} of credential '${fic.name}')`,
        );
      if (!mainParams.includes(prm))
        b(`infra/main.bicep has no param '${prm}' (the ${field} of credential '${fic.name}')`);
    }
  }
}

function checkFunctionApp(
  main: BicepFile,
  byPath: (p: string) => BicepFile | undefined,
  w: Wiring,
  W: string,
  b: (m: string) => void,
): void {
  const file = byPath('modules/function-app.bicep');
  const mod = main.decls.find((x) => x.kind === 'module' && x.type === 'modules/function-app.bicep');
  const site = file?.decls.find((x) => x.kind === 'resource' && x.type.startsWith('Microsoft.Web/sites@'));
  if (!file || !mod || !site) {
    b('infra/main.bicep must use modules/function-app.bicep with a Microsoft.Web/sites resource');
    return;
  }
  const F = 'infra/modules/function-app.bicep';
  const siteBody = bracketBody(site.value, '{') ?? '';
  const identity = nestedObject(siteBody, 'identity') ?? [];
  const idType = squash(identity.find((e) => e.key === 'type')?.value ?? '');
  const hasSystem = Object.values(w.identities).some((i) => i.kind === 'system-assigned');
  if (hasSystem !== idType.includes('SystemAssigned'))
    b(`${F}: site identity type '${idType}' does not match the declaration's system identity`);
  const attached = objectEntries(
    (identity.find((e) => e.key === 'userAssignedIdentities')?.value ?? '{}').slice(1, -1),
  ).map((e) => e.key);
  const wantAttached = Object.entries(w.identities)
    .filter(([, i]) => i.kind === 'user-assigned' && i.attachedToApp)
    .map(([k]) => `'\${identities.${k}.resourceId}'`);
  if (!sameSet(attached, wantAttached))
    b(
      `${F}: the site attaches [${attached.join(', ')}] but the declaration's attachedToApp identities are [${wantAttached.join(', ')}]`,
    );

  // Flex Consumption: Node 22, deployment storage through the identity the declaration gives the container role.
  const props = nestedObject(siteBody, 'properties') ?? [];
  const fac = props.find((e) => e.key === 'functionAppConfig')?.value ?? '{}';
  const runtime = nestedObject(fac.slice(1, -1), 'runtime') ?? [];
  if (
    squash(runtime.find((e) => e.key === 'name')?.value ?? '') !== "'node'" ||
    squash(runtime.find((e) => e.key === 'version')?.value ?? '') !== "'22'"
  )
    b(`${F}: functionAppConfig.runtime must be { name: 'node', version: '22' }`);
  const deployer = w.roleAssignments.find((a) => a.scope === 'deploymentContainer')?.identity;
  const auth = squash(/authentication:\s*\{([^}]*)\}/.exec(fac)?.[1] ?? '');
  if (deployer && w.identities[deployer]?.kind === 'user-assigned') {
    if (
      !auth.includes("type: 'UserAssignedIdentity'") ||
      !auth.includes(`userAssignedIdentityResourceId: identities.${deployer}.resourceId`)
    )
      b(
        `${F}: deployment storage must authenticate as identities.${deployer} (it holds the deploymentContainer role), got '${auth}'`,
      );
  } else if (deployer === 'system' && !auth.includes("type: 'SystemAssignedIdentity'")) {
    b(
      `${F}: deployment storage must authenticate with the system identity (it holds the deploymentContainer role)`,
    );
  }

  // App settings: one sites/config 'appsettings' resource whose properties are a union of object vars.
  const cfg = file.decls.find(
    (x) => x.kind === 'resource' && x.type.startsWith('Microsoft.Web/sites/config@'),
  );
  const cfgBody = bracketBody(cfg?.value ?? '', '{') ?? '';
  if (!cfg || squash(objectEntries(cfgBody).find((e) => e.key === 'name')?.value ?? '') !== "'appsettings'") {
    b(`${F}: app settings must be one Microsoft.Web/sites/config resource named 'appsettings'`);
    return;
  }
  const propsExpr = squash(objectEntries(cfgBody).find((e) => e.key === 'properties')?.value ?? '');
  const um = /^union\(([\w, ]+)\)$/.exec(propsExpr);
  if (!um) {
    b(`${F}: appsettings properties must be union(<object vars>), got '${propsExpr}'`);
    return;
  }
  const settings = new Map<string, string>();
  for (const name of um[1].split(',').map((s) => s.trim())) {
    const v = file.decls.find((x) => x.kind === 'var' && x.name === name);
    if (!v) {
      b(`${F}: appsettings uses '${name}', which is not a var`);
      continue;
    }
    const entries = v.value.startsWith('{')
      ? objectEntries(v.value.slice(1, -1))
      : [...v.value.matchAll(/\{\s*(\w+)\s*:\s*([^{}]+?)\s*\}/g)].map((x) => ({ key: x[1], value: x[2] }));
    for (const e of entries) {
      if (settings.has(e.key)) b(`${F}: setting ${e.key} is set twice`);
      settings.set(e.key, squash(e.value));
    }
  }
  for (const name of [...Object.keys(w.settings), ...Object.keys(w.hostSettings)]) {
    if (!settings.has(name)) b(`${F}: declared setting ${name} is not in the app settings`);
  }
  for (const name of settings.keys()) {
    if (!(name in w.settings) && !(name in w.hostSettings))
      b(`${F}: app setting ${name} is not declared in infra/identity-wiring.json (settings or hostSettings)`);
    if (FLEX_FORBIDDEN_SETTINGS.includes(name)) b(`${F}: ${name} must not be set on Flex Consumption`);
  }
  // Settings that point the app at an identity carry that identity's field.
  for (const [key, id] of Object.entries(w.identities)) {
    for (const [field, names] of Object.entries(id.settings ?? {})) {
      const want =
        id.kind === 'system-assigned' ? `${site.name}.identity.${field}` : `identities.${key}.${field}`;
      for (const n of names) {
        const got = settings.get(n);
        if (got !== undefined && got !== want)
          b(
            `${F}: ${n} is '${got}', but the declaration says it carries identity '${key}' ${field} (${want})`,
          );
      }
    }
  }
  const holder = (scope: string) => w.roleAssignments.find((a) => a.scope === scope)?.identity;
  const storageHolder = holder('hostStorage');
  if (
    storageHolder &&
    settings.get('AzureWebJobsStorage__clientId') !== `identities.${storageHolder}.clientId`
  )
    b(
      `${F}: AzureWebJobsStorage__clientId must be identities.${storageHolder}.clientId (it holds the hostStorage role)`,
    );
  const telemetryHolder = holder('appInsights');
  if (
    telemetryHolder &&
    !(settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING') ?? '').includes(
      `identities.${telemetryHolder}.clientId`,
    )
  )
    b(
      `${F}: APPLICATIONINSIGHTS_AUTHENTICATION_STRING must name identities.${telemetryHolder}.clientId (it holds the appInsights role)`,
    );
  // The status writer: STATUS_CLIENT_ID follows the declaration's statusContainer assignment.
  if (settings.get('STATUS_CLIENT_ID') !== 'identities[statusWriter].clientId')
    b(
      `${F}: STATUS_CLIENT_ID must be identities[statusWriter].clientId (set only when the writer is not 'system')`,
    );
  const params = nestedObject(bracketBody(mod.value, '{') ?? '', 'params') ?? [];
  const sw = squash(params.find((e) => e.key === 'statusWriter')?.value ?? '');
  const swVar = main.decls.find((x) => x.kind === 'var' && x.name === sw);
  const swWant = `first(filter(${W}.roleAssignments, a => a.scope == '${STATUS_ROLE.scope}'))!.identity`;
  if (!swVar || squash(swVar.value) !== swWant)
    b(`infra/main.bicep must pass statusWriter computed from the declaration: ${swWant}`);
}

// ---------------------------------------------------------------------------------------------------------------
// The sandbox: the healthy world, resolved by the sandbox's own loader, must grant exactly the declared app-plane
// assignments, at scopes of the declared types, and hold the declared federated credentials and attachments.

function checkSandbox(root: string, w: Wiring, p: Problems, scenario: string): number {
  const s = (m: string) => p.add('sandbox', m);
  const dir = join(root, 'sandbox', 'worlds');
  const file = join(dir, `${scenario}.json`);
  let raw: {
    wiring?: string;
    federatedParameters?: Record<string, string>;
    storageAccounts?: Array<{ name: string; containers: Array<{ name: string; wiringScope?: string }> }>;
  };
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    s(`cannot read ${file}: ${(err as Error).message}`);
    return 0;
  }
  const rel = `sandbox/worlds/${scenario}.json`;
  if (!raw.wiring || resolve(dir, raw.wiring) !== join(root, 'infra', 'identity-wiring.json'))
    s(`${rel}: "wiring" must point at infra/identity-wiring.json (got '${raw.wiring}')`);
  let world: ReturnType<typeof loadWorld>;
  try {
    world = loadWorld(scenario, { dir });
  } catch (err) {
    s(`the sandbox cannot load ${rel}: ${(err as Error).message}`);
    return 0;
  }
  const principalOf = (key: string) =>
    key === 'system'
      ? world.functionApp.systemAssigned?.principalId
      : world.identities.find((i) => i.key === key)?.principalId;
  const keyOfPrincipal = (pid: string) =>
    world.identities.find((i) => i.principalId === pid)?.key ??
    world.appRegistrations.find((a) => a.principalId === pid)?.name ??
    pid;
  const roleName = (guid: string) => Object.entries(w.roles).find(([, g]) => g === guid)?.[0] ?? guid;

  // Where each scope key must land, worked out from the world's resources and the declared type, not from the
  // world's scopeBindings (so a binding to the wrong resource shows up).
  const scopeIds = new Map<string, string>();
  const scopeKeyOf = (id: string) => [...scopeIds].find(([, v]) => v === id.toLowerCase())?.[0] ?? id;
  for (const scope of new Set(w.roleAssignments.filter((a) => planeOf(a) === 'app').map((a) => a.scope))) {
    const type = w.scopeResourceTypes?.[scope];
    let id: string | undefined;
    if (type === 'Microsoft.Resources/resourceGroups') id = world.resourceGroupId;
    else if (type === 'Microsoft.KeyVault/vaults') {
      if (world.keyVaults.length !== 1)
        s(`${rel}: scope '${scope}' needs exactly one key vault, found ${world.keyVaults.length}`);
      id = world.keyVaults[0]?.resourceId;
    } else if (type === 'Microsoft.Storage/storageAccounts/blobServices/containers') {
      const marked = (raw.storageAccounts ?? []).flatMap((a) =>
        a.containers.filter((c) => c.wiringScope === scope).map((c) => ({ account: a.name, name: c.name })),
      );
      if (marked.length !== 1)
        s(`${rel}: exactly one container must carry "wiringScope": "${scope}", found ${marked.length}`);
      const acct = world.storageAccounts.find((a) => a.name === marked[0]?.account);
      id = acct?.containers.find((c) => c.name === marked[0]?.name)?.resourceId;
    } else {
      s(`scope '${scope}' has type '${type}', which the sandbox comparison does not know`);
    }
    if (id) scopeIds.set(scope, id.toLowerCase());
  }

  const fmt = (principalId: string, guid: string, scope: string) =>
    `${keyOfPrincipal(principalId)} -> '${roleName(guid)}' on ${scopeKeyOf(scope)}`;
  const expected = new Map<string, string>();
  for (const a of w.roleAssignments.filter((x) => planeOf(x) === 'app')) {
    const pid = principalOf(a.identity);
    if (!pid) {
      s(`${rel}: no identity for declared identity '${a.identity}' (wiringKey), needed by ${describe(a)}`);
      continue;
    }
    const scope = scopeIds.get(a.scope);
    if (!scope || !w.roles[a.role]) continue;
    expected.set(`${pid}|${w.roles[a.role]}|${scope}`, describe(a));
  }
  const actual = new Map<string, string>();
  for (const ra of world.roleAssignments) {
    const k = `${ra.principalId}|${ra.roleDefinitionId}|${ra.scope.toLowerCase()}`;
    if (actual.has(k))
      s(`${rel}: the sandbox grants ${fmt(ra.principalId, ra.roleDefinitionId, ra.scope)} twice`);
    actual.set(k, fmt(ra.principalId, ra.roleDefinitionId, ra.scope));
    if (ra.principalType !== 'ServicePrincipal')
      s(`${rel}: ${actual.get(k)} has principalType ${ra.principalType}`);
  }
  for (const [k, d] of expected)
    if (!actual.has(k))
      s(
        `${rel}: the sandbox does not grant declared assignment ${d} (as resolved: ${fmt(...(k.split('|') as [string, string, string]))})`,
      );
  for (const [k, d] of actual)
    if (!expected.has(k)) s(`${rel}: the sandbox grants ${d}, which the declaration does not`);

  // Federated credentials.
  const declaredFics = Object.entries(w.identities).flatMap(([key, i]) =>
    (i.federatedCredentials ?? []).map((f) => ({ key, f })),
  );
  for (const { key, f } of declaredFics) {
    const got = world.federatedCredentials.find((x) => x.name === f.name);
    if (!got) {
      s(`${rel}: the sandbox has no federated credential '${f.name}'`);
      continue;
    }
    if (got.principalId !== principalOf(key))
      s(`${rel}: federated credential '${f.name}' is not on identity '${key}'`);
    if (JSON.stringify(got.audiences) !== JSON.stringify(f.audiences))
      s(
        `${rel}: federated credential '${f.name}' audiences ${JSON.stringify(got.audiences)} differ from the declaration`,
      );
    for (const field of ['issuer', 'subject'] as const) {
      const prm = typeof f[field] === 'object' ? (f[field] as { parameter: string }).parameter : undefined;
      const want = prm ? raw.federatedParameters?.[prm] : (f[field] as string);
      if (got[field] !== want)
        s(
          `${rel}: federated credential '${f.name}' ${field} '${got[field]}' is not the declared ${prm ? `parameter ${prm}` : 'value'} ('${want}')`,
        );
    }
  }
  for (const got of world.federatedCredentials) {
    if (!declaredFics.some(({ f }) => f.name === got.name))
      s(`${rel}: federated credential '${got.name}' is not declared`);
  }

  // Attachments: the app-plane user-assigned identities marked attachedToApp (host-plane ones are not emulated).
  const wantAttached = Object.entries(w.identities)
    .filter(([, i]) => i.kind === 'user-assigned' && i.attachedToApp && planeOf(i) === 'app')
    .map(([k]) => principalOf(k) ?? k);
  if (!sameSet(world.functionApp.attached, wantAttached))
    s(
      `${rel}: the function app attaches [${world.functionApp.attached.map(keyOfPrincipal).join(', ')}] but the declaration attaches [${wantAttached.map(keyOfPrincipal).join(', ')}]`,
    );
  return world.roleAssignments.length;
}

// ---------------------------------------------------------------------------------------------------------------
// Settings files and docs.

function checkSettingsFiles(root: string, w: Wiring, p: Problems, settingNames?: readonly string[]): void {
  const s = (m: string) => p.add('settings', m);
  const contract = Object.keys(w.settings);
  const local = Object.keys(w.localOnlySettings);
  const sampleFile = join(root, 'local.settings.sample.json');
  try {
    const sample = JSON.parse(readFileSync(sampleFile, 'utf8')) as {
      IsEncrypted?: unknown;
      Values?: Record<string, unknown>;
    };
    if (sample.IsEncrypted !== false) s('local.settings.sample.json: IsEncrypted must be false');
    const values = sample.Values ?? {};
    if (values.FUNCTIONS_WORKER_RUNTIME !== 'node')
      s('local.settings.sample.json: FUNCTIONS_WORKER_RUNTIME must be "node"');
    if (typeof values.AzureWebJobsStorage !== 'string')
      s('local.settings.sample.json: needs an AzureWebJobsStorage placeholder');
    for (const n of [...contract, ...local])
      if (!(n in values)) s(`local.settings.sample.json: declared setting ${n} is missing`);
    for (const n of Object.keys(values)) {
      if (![...contract, ...local, 'FUNCTIONS_WORKER_RUNTIME', 'AzureWebJobsStorage'].includes(n))
        s(`local.settings.sample.json: ${n} is not a declared setting`);
    }
  } catch (err) {
    s(`local.settings.sample.json: ${(err as Error).message}`);
  }
  if (settingNames) {
    for (const n of settingNames)
      if (!contract.includes(n) && !local.includes(n))
        s(`src/config.ts reads ${n}, which infra/identity-wiring.json does not declare`);
    for (const n of [...contract, ...local])
      if (!settingNames.includes(n))
        s(`infra/identity-wiring.json declares ${n}, which src/config.ts does not read`);
  }
  const docs = join(root, 'docs', 'settings.md');
  if (existsSync(docs)) {
    const text = readFileSync(docs, 'utf8');
    for (const n of [...contract, ...Object.keys(w.hostSettings), ...local])
      if (!text.includes(`\`${n}\``)) s(`docs/settings.md does not explain ${n}`);
  }
  const readme = join(root, 'infra', 'README.md');
  if (existsSync(readme)) {
    const text = readFileSync(readme, 'utf8');
    for (const [key, id] of Object.entries(w.identities)) {
      for (const path of id.paths)
        if (!text.includes(`\`${path}\``))
          p.add('settings', `infra/README.md does not describe path ${path}`);
      for (const names of Object.values(id.settings ?? {}))
        for (const n of names)
          if (!text.includes(n)) s(`infra/README.md does not name ${n} (identity ${key})`);
    }
    for (const role of new Set(w.roleAssignments.map((a) => a.role)))
      if (!text.includes(role)) s(`infra/README.md does not name role '${role}'`);
  }
}

/** One line per problem, grouped by side; an empty string when there is no drift. */
export function formatDrift(report: DriftReport): string {
  return report.problems.map((x) => `  [${x.side}] ${x.message}`).join('\n');
}
