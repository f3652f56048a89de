// The Bicep's identities and federated credentials: exactly the declared user-assigned identities, and the
// declared federated credentials deployed by one loop over the declaration with the declared parameters.
import type { BicepDeclaration } from '../bicep-text.ts';
import { bracketBody, nestedObject, objectEntries, squash } from '../bicep-text.ts';
import type { Wiring } from '../wiring.ts';
import type { BicepFile, BicepSet } from './common.ts';

/** The user-assigned identities: one resource per declared one, named <key>Identity, with their ids as outputs. */
export function checkIdentities(set: BicepSet, w: Wiring): void {
  const { main, byPath, files, bad: b } = set;
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
}

/** Federated credentials: one loop over the declaration, parented to the identity that declares them. */
export function checkFederatedCredentials(set: BicepSet, w: Wiring): void {
  const { main, byPath, files, W, bad: b } = set;
  const mod = main.decls.find((x) => x.kind === 'module' && x.type === 'modules/identities.bicep');
  const file = byPath('modules/identities.bicep');
  if (!mod || !file) return; // reported by checkIdentities
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
  for (const { f, r } of fics) checkCredentialLoop(f, r, file, ownerKey, b);
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

function checkCredentialLoop(
  f: BicepFile,
  r: BicepDeclaration,
  file: BicepFile,
  ownerKey: string,
  b: (m: string) => void,
): void {
  const where = `${f.rel}:${r.line} resource ${r.name}`;
  const head = /^\[\s*for\s+(\w+)\s+in\s+federatedCredentials\s*:\s*\{/.exec(r.value);
  if (f !== file || !head) {
    b(`${where}: must be a loop 'for x in federatedCredentials' in modules/identities.bicep`);
    return;
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
