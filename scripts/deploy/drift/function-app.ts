// The Bicep's function app: the identities the site carries, the identity its deployment storage uses, and the app
// settings (exactly the declared ones, each identity setting carrying the declared identity's field).
import type { Wiring } from '../wiring.ts';
import { STATUS_ROLE } from '../wiring.ts';
import { FA, MAIN, sameSet, type BicepSet } from './common.ts';
import { entries, keys, value } from './read.ts';

const holder = (w: Wiring, scope: string) => w.roleAssignments.find((a) => a.scope === scope)?.identity ?? '';
const SITE = 'resource functionApp';

/** The site: the system identity, the attached user-assigned ones, Node, and the deployment storage identity. */
export function checkSite(set: BicepSet, w: Wiring, nodeMajor: string): void {
  const ids = Object.entries(w.identities);
  const attached = ids.filter(([, i]) => i.kind === 'user-assigned' && i.attachedToApp).map(([k]) => k);
  const type = [
    ids.some(([, i]) => i.kind === 'system-assigned') && 'SystemAssigned',
    attached[0] && 'UserAssigned',
  ];
  // Flex Consumption writes the package with the identity the declaration gives the deployment container's role.
  const deployer = holder(w, 'deploymentContainer');
  const auth = 'properties.functionAppConfig.deployment.storage.authentication';
  const byUser = w.identities[deployer]?.kind === 'user-assigned';
  set.want(MAIN, 'module functionApp', [['params.identities', 'identities.outputs.identities']]);
  set.want(FA, SITE, [
    ['identity.type', `'${type.filter(Boolean).join(', ')}'`],
    ['properties.functionAppConfig.runtime.name', "'node'"],
    ['properties.functionAppConfig.runtime.version', `'${nodeMajor}'`],
    [`${auth}.type`, byUser ? "'UserAssignedIdentity'" : "'SystemAssignedIdentity'"],
    ...(byUser
      ? [[`${auth}.userAssignedIdentityResourceId`, `identities.${deployer}.resourceId`] as [string, string]]
      : []),
  ]);
  const got = keys(set.decl(SITE, FA), 'identity.userAssignedIdentities');
  const want = attached.map((k) => `'\${identities.${k}.resourceId}'`);
  if (!sameSet(got, want))
    set.bad(
      `${FA}: the site attaches [${got.join(', ')}] but the declaration's attachedToApp identities are [${want.join(', ')}]`,
    );
}

/** The one sites/config 'appsettings' resource: union(<vars>), read as setting -> expression. */
function readAppSettings(set: BicepSet): Map<string, string> | undefined {
  const settings = new Map<string, string>();
  const cfg = set
    .all('resource', 'Microsoft.Web/sites/config')
    .find((c) => value(c.d, 'name') === "'appsettings'");
  const vars = /^union\(([\w, ]+)\)$/.exec(value(cfg?.d, 'properties'))?.[1].split(', ');
  if (cfg?.file !== FA || !vars)
    return void set.bad(
      `${FA}: the app settings must be one resource 'appsettings' with properties: union(<vars>)`,
    );
  for (const name of vars) {
    const v = set.decl(`var ${name}`, FA);
    const inline = [...[v?.head, ...(v?.body ?? [])].join('\n').matchAll(/\{ (\w+): ([^{}]+?) \}/g)];
    const pairs = v?.head === '{' ? entries(v.body) : inline.map(([, key, value]) => ({ key, value }));
    if (!pairs.length) set.bad(`${FA}: the app settings use '${name}', which is not a var holding settings`);
    for (const { key, value: expr } of pairs) {
      if (settings.has(key)) set.bad(`${FA}: setting ${key} is set twice`);
      settings.set(key, expr);
    }
  }
  return settings;
}

/** Every declared setting and nothing else; identity settings carry the declared identity's field. */
export function checkAppSettings(set: BicepSet, w: Wiring): void {
  const settings = readAppSettings(set);
  if (!settings) return;
  const declared = [...Object.keys(w.settings), ...Object.keys(w.hostSettings)];
  for (const n of declared)
    if (!settings.has(n)) set.bad(`${FA}: declared setting ${n} is not in the app settings`);
  for (const n of settings.keys())
    if (!declared.includes(n)) set.bad(`${FA}: app setting ${n} is not declared (settings, hostSettings)`);
  const is = (n: string, want: string) =>
    settings.get(n) === want ||
    set.bad(`${FA}: app setting ${n} is ${settings.get(n) ?? '(missing)'}, expected ${want}`);
  for (const [k, id] of Object.entries(w.identities))
    for (const [field, names] of Object.entries(id.settings ?? {}))
      for (const n of names.filter((x) => settings.has(x)))
        is(n, id.kind === 'system-assigned' ? `functionApp.identity.${field}` : `identities.${k}.${field}`);
  is(
    'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
    `'ClientId=\${identities.${holder(w, 'appInsights')}.clientId};Authorization=AAD'`,
  );
  // The status writer: whoever the declaration gives the status role; STATUS_CLIENT_ID only when not 'system'.
  is('STATUS_CLIENT_ID', 'identities[statusWriter].clientId');
  set.want(MAIN, 'module functionApp', [['params.statusWriter', 'statusWriter']]);
  const first = `first(filter(wiring.roleAssignments, a => a.scope == '${STATUS_ROLE.scope}'))!.identity`;
  set.want(MAIN, 'var statusWriter', [['', first]]);
}
