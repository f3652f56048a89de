// The Bicep's function app: the identities the site carries, Flex Consumption's runtime and deployment identity,
// and the app settings (exactly the declared ones, each identity setting carrying the declared identity's field).
import { bracketBody, nestedObject, objectEntries, squash } from '../bicep-text.ts';
import type { Wiring } from '../wiring.ts';
import { STATUS_ROLE } from '../wiring.ts';
import { FLEX_FORBIDDEN_SETTINGS, sameSet, type BicepFile, type BicepSet } from './common.ts';

/** The site: its identities, and Flex Consumption's runtime and deployment storage identity. */
export function checkSite(set: BicepSet, w: Wiring): void {
  const { main, byPath, bad: b } = set;
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
}

/** The app settings: one sites/config 'appsettings' resource whose properties are a union of object vars. */
function readAppSettings(file: BicepFile, b: (m: string) => void): Map<string, string> | undefined {
  const F = 'infra/modules/function-app.bicep';
  const cfg = file.decls.find(
    (x) => x.kind === 'resource' && x.type.startsWith('Microsoft.Web/sites/config@'),
  );
  const cfgBody = bracketBody(cfg?.value ?? '', '{') ?? '';
  if (!cfg || squash(objectEntries(cfgBody).find((e) => e.key === 'name')?.value ?? '') !== "'appsettings'") {
    b(`${F}: app settings must be one Microsoft.Web/sites/config resource named 'appsettings'`);
    return undefined;
  }
  const propsExpr = squash(objectEntries(cfgBody).find((e) => e.key === 'properties')?.value ?? '');
  const um = /^union\(([\w, ]+)\)$/.exec(propsExpr);
  if (!um) {
    b(`${F}: appsettings properties must be union(<object vars>), got '${propsExpr}'`);
    return undefined;
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
  return settings;
}

/** Every declared setting is set, nothing undeclared is, and nothing Flex Consumption forbids. */
export function checkAppSettings(set: BicepSet, w: Wiring): void {
  const file = set.byPath('modules/function-app.bicep');
  if (!file) return; // reported by checkSite
  const b = set.bad;
  const F = 'infra/modules/function-app.bicep';
  const settings = readAppSettings(file, b);
  if (!settings) return;
  for (const name of [...Object.keys(w.settings), ...Object.keys(w.hostSettings)]) {
    if (!settings.has(name)) b(`${F}: declared setting ${name} is not in the app settings`);
  }
  for (const name of settings.keys()) {
    if (!(name in w.settings) && !(name in w.hostSettings))
      b(`${F}: app setting ${name} is not declared in infra/identity-wiring.json (settings or hostSettings)`);
    if (FLEX_FORBIDDEN_SETTINGS.includes(name)) b(`${F}: ${name} must not be set on Flex Consumption`);
  }
  checkIdentitySettings(set, w, settings);
}

/** Settings that point the app at an identity carry that identity's field; the status writer follows the declaration. */
function checkIdentitySettings(set: BicepSet, w: Wiring, settings: Map<string, string>): void {
  const { main, byPath, W, bad: b } = set;
  const F = 'infra/modules/function-app.bicep';
  const file = byPath('modules/function-app.bicep')!;
  const site = file.decls.find((x) => x.kind === 'resource' && x.type.startsWith('Microsoft.Web/sites@'));
  const mod = main.decls.find((x) => x.kind === 'module' && x.type === 'modules/function-app.bicep');
  if (!site || !mod) return;
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
