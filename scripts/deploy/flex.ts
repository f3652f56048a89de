// What Flex Consumption does not accept, held against what the Bicep sets. Microsoft's "Flex Consumption plan
// deprecations" table (FLEX_DEPRECATIONS_URL, copied in docs/flex-consumption.md) lists the site properties and app
// settings a Flex app must not carry; ARM rejects some of them outright (error 51021 "The following site
// configuration property (Site.SiteConfig.FtpsState) for Flex Consumption sites is invalid"). This reads every
// Microsoft.Web/sites resource in infra/ (site properties, siteConfig, sites/config 'web' and 'appsettings') with
// the Bicep text reader (bicep-text.ts) and reports each property or setting on the list. Anything it cannot read
// (siteConfig given as a function call, say) is reported too, so nothing slips past unread.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { BicepDeclaration } from './bicep-text.ts';
import { bracketBody, objectEntries, parseBicep, squash } from './bicep-text.ts';

export const FLEX_DEPRECATIONS_URL =
  'https://learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations';

export interface FlexRule {
  /** As the table writes it (without the `properties.` / `properties.siteConfig.` prefix for site properties). */
  name: string;
  kind: 'site property' | 'app setting';
  /** The table's reason. */
  reason: string;
  /** The name ARM templates use when the table gives the SDK's (`isReserved` is `reserved` in a template). */
  alias?: string;
}

const site = (name: string, reason: string, alias?: string): FlexRule => ({
  name,
  kind: 'site property',
  reason,
  ...(alias ? { alias } : {}),
});
const setting = (name: string, reason: string): FlexRule => ({ name, kind: 'app setting', reason });
const RUNTIME = 'replaced by properties.functionAppConfig.runtime';
const NETWORK = 'not used for networking in Flex Consumption';

/** The table, in its order. docs/flex-consumption.md lists the same entries (test/infra/flex.test.ts checks). */
export const FLEX_UNSUPPORTED: readonly FlexRule[] = [
  setting('ENABLE_ORYX_BUILD', 'replaced by the remoteBuild parameter of a Flex deployment'),
  setting('FUNCTIONS_EXTENSION_VERSION', 'set by the platform'),
  setting('FUNCTIONS_WORKER_RUNTIME', `${RUNTIME} (name)`),
  setting('FUNCTIONS_WORKER_RUNTIME_VERSION', `${RUNTIME} (version)`),
  setting('FUNCTIONS_MAX_HTTP_CONCURRENCY', 'replaced by functionAppConfig.scaleAndConcurrency triggers'),
  setting('FUNCTIONS_WORKER_PROCESS_COUNT', 'not valid'),
  setting('FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED', 'not valid'),
  setting('SCM_DO_BUILD_DURING_DEPLOYMENT', 'replaced by the remoteBuild parameter of a Flex deployment'),
  setting('WEBSITE_CONTENTAZUREFILECONNECTIONSTRING', 'replaced by functionAppConfig.deployment'),
  setting('WEBSITE_CONTENTOVERVNET', NETWORK),
  setting('WEBSITE_CONTENTSHARE', 'replaced by functionAppConfig.deployment'),
  setting('WEBSITE_DNS_SERVER', 'DNS comes from the integrated virtual network'),
  setting(
    'WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT',
    'replaced by scaleAndConcurrency.maximumInstanceCount',
  ),
  setting('WEBSITE_NODE_DEFAULT_VERSION', `${RUNTIME} (version)`),
  setting('WEBSITE_RUN_FROM_PACKAGE', 'not used for Flex deployments'),
  setting('WEBSITE_SKIP_CONTENTSHARE_VALIDATION', 'there is no content share'),
  setting('WEBSITE_VNET_ROUTE_ALL', NETWORK),
  site('alwaysOn', 'not valid'),
  site('containerSize', 'renamed instanceMemoryMB'),
  site('ftpsState', 'FTPS not supported'),
  site('isReserved', 'not valid', 'reserved'),
  site('IsXenon', 'not valid'),
  site('javaVersion', `${RUNTIME} (version)`),
  site('LinuxFxVersion', RUNTIME),
  site('netFrameworkVersion', `${RUNTIME} (version)`),
  site('powerShellVersion', `${RUNTIME} (version)`),
  site('functionAppScaleLimit', 'renamed maximumInstanceCount'),
  site('preWarmedInstanceCount', 'renamed alwaysReadyInstances'),
  site('use32BitWorkerProcess', '32-bit not supported'),
  site('vnetBackupRestoreEnabled', NETWORK),
  site('vnetContentShareEnabled', NETWORK),
  site('vnetImagePullEnabled', NETWORK),
  site('vnetRouteAllEnabled', NETWORK),
  site('windowsFxVersion', 'not valid'),
];

/** A property or app setting a site resource sets, as `file:line resource path`. */
export interface SetProperty {
  file: string;
  line: number;
  resource: string;
  /** e.g. `properties.siteConfig.minTlsVersion`, `appsettings.KEY_VAULT_URL`. */
  path: string;
  kind: 'site property' | 'app setting';
  name: string;
}

export interface FlexReport {
  /** Everything read, so a caller can see the reader found what it should. */
  read: SetProperty[];
  /** One line per property or setting on the list, and per expression that could not be read. */
  problems: string[];
}

const SITE = /^Microsoft\.Web\/sites(\/slots)?@/;
const SITE_CONFIG = /^Microsoft\.Web\/sites(\/slots)?\/config@/;

function bicepFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? bicepFiles(p) : e.name.endsWith('.bicep') ? [p] : [];
  });
}

/** Reads every .bicep file under infraDir (paths in the report are relative to rootDir). */
export function checkFlexProperties(rootDir: string, infraDir = join(rootDir, 'infra')): FlexReport {
  const report: FlexReport = { read: [], problems: [] };
  for (const path of bicepFiles(infraDir).sort()) {
    const file = relative(rootDir, path).split('\\').join('/');
    readSites(file, readFileSync(path, 'utf8'), report);
  }
  return report;
}

export function ruleFor(p: Pick<SetProperty, 'kind' | 'name'>): FlexRule | undefined {
  const n = p.name.toLowerCase();
  return FLEX_UNSUPPORTED.find(
    (r) => r.kind === p.kind && (r.name.toLowerCase() === n || r.alias?.toLowerCase() === n),
  );
}

/** Site properties, siteConfig entries and app settings of every site and sites/config resource in one file. */
export function readSites(file: string, source: string, report: FlexReport): void {
  const decls = parseBicep(source);
  const add = (d: BicepDeclaration, kind: SetProperty['kind'], path: string, name: string) => {
    const line = lineOf(source, kind === 'app setting' ? 1 : d.line, path, kind);
    const p = { file, line, resource: d.name, path, kind, name: unquote(name) };
    report.read.push(p);
    const rule = ruleFor(p);
    if (rule)
      report.problems.push(
        `${file}:${line}: ${d.name} sets ${path}: Flex Consumption does not support ${kind} ${rule.name} (${rule.reason}; ${FLEX_DEPRECATIONS_URL})`,
      );
  };
  const unreadable = (d: BicepDeclaration, what: string, expr: string) =>
    report.problems.push(
      `${file}:${d.line}: ${d.name}: cannot read ${what} '${squash(expr).slice(0, 80)}'; write it as an object literal or an object var so the Flex check can read it`,
    );
  for (const d of decls) {
    if (d.kind !== 'resource' || d.existing) continue;
    const body = bracketBody(d.value, '{') ?? '';
    const props = objectEntries(body).find((e) => e.key === 'properties')?.value;
    if (props === undefined) continue;
    if (SITE.test(d.type)) {
      const entries = resolveObject(props, decls);
      if (!entries) {
        unreadable(d, 'properties', props);
        continue;
      }
      for (const e of entries) {
        add(d, 'site property', `properties.${unquote(e.key)}`, e.key);
        if (e.key === 'siteConfig') readSiteConfig(d, e.value, decls, add, unreadable);
      }
    } else if (SITE_CONFIG.test(d.type)) {
      const name = squash(objectEntries(body).find((e) => e.key === 'name')?.value ?? '');
      if (name === "'web'") {
        const entries = resolveObject(props, decls);
        if (!entries) unreadable(d, "config 'web' properties", props);
        for (const e of entries ?? []) add(d, 'site property', `properties.${unquote(e.key)}`, e.key);
      } else if (name === "'appsettings'") {
        for (const key of settingKeys(props, decls))
          add(d, 'app setting', `appsettings.${unquote(key)}`, key);
      }
    }
  }
}

type Add = (d: BicepDeclaration, kind: SetProperty['kind'], path: string, name: string) => void;

function readSiteConfig(
  d: BicepDeclaration,
  expr: string,
  decls: BicepDeclaration[],
  add: Add,
  unreadable: (d: BicepDeclaration, what: string, expr: string) => void,
): void {
  const entries = resolveObject(expr, decls);
  if (!entries) return unreadable(d, 'siteConfig', expr);
  for (const e of entries) {
    add(d, 'site property', `properties.siteConfig.${unquote(e.key)}`, e.key);
    if (e.key !== 'appSettings') continue;
    // siteConfig.appSettings: [ { name: 'X', value: ... }, ... ]
    for (const m of e.value.matchAll(/\bname\s*:\s*('(?:[^'\\]|\\.)*')/g))
      add(d, 'app setting', `properties.siteConfig.appSettings.${unquote(m[1])}`, m[1]);
  }
}

/** Entries of an object literal, or of the object literal a var holds; undefined when it is neither. */
export function resolveObject(
  expr: string,
  decls: BicepDeclaration[],
): Array<{ key: string; value: string }> | undefined {
  const e = expr.trim();
  if (e.startsWith('{')) return objectEntries(e.slice(1, -1));
  const v = /^[A-Za-z_]\w*$/.test(e) ? decls.find((x) => x.kind === 'var' && x.name === e) : undefined;
  return v && v.value.trim().startsWith('{') ? objectEntries(v.value.trim().slice(1, -1)) : undefined;
}

/**
 * Keys of every object literal in an app-settings expression and in the vars it names, recursively (`union(a, b)`,
 * `cond ? {} : { K: v }`), which is how a sites/config 'appsettings' resource is usually written.
 */
export function settingKeys(expr: string, decls: BicepDeclaration[], seen = new Set<string>()): string[] {
  const keys: string[] = [];
  let outside = '';
  for (let i = 0; i < expr.length;) {
    if (expr[i] === "'") {
      i = skipString(expr, i);
      outside += "''";
    } else if (expr[i] === '{') {
      const end = closeOf(expr, i);
      keys.push(...objectEntries(expr.slice(i + 1, end - 1)).map((x) => x.key));
      i = end;
    } else outside += expr[i++];
  }
  for (const m of outside.matchAll(/\b([A-Za-z_]\w*)\b/g)) {
    const v = decls.find((x) => x.kind === 'var' && x.name === m[1]);
    if (!v || seen.has(v.name)) continue;
    seen.add(v.name);
    keys.push(...settingKeys(v.value, decls, seen));
  }
  return keys;
}

/** Index just past the bracket that closes the one at `open` (strings skipped). */
export function closeOf(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length;) {
    if (text[i] === "'") {
      i = skipString(text, i);
      continue;
    }
    const c = text[i++];
    if (c === '{' || c === '[' || c === '(') depth++;
    else if ((c === '}' || c === ']' || c === ')') && --depth === 0) return i;
  }
  return text.length;
}

/** Index just past the '...' string at `start`, ${ } interpolations (with their own strings) included. */
function skipString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== "'") {
    if (text[i] === '\\') i += 2;
    else if (text.startsWith('${', i)) {
      let depth = 1;
      for (i += 2; i < text.length && depth > 0;) {
        if (text[i] === "'") {
          i = skipString(text, i);
          continue;
        }
        const c = text[i++];
        if (c === '{') depth++;
        else if (c === '}') depth--;
      }
    } else i++;
  }
  return i + 1;
}

/**
 * 1-based line where a path is written: each segment after `properties` is looked for from the line the previous
 * one was found on (app settings: the key, or `name: 'KEY'`, from the top of the file). Falls back to `from`.
 */
function lineOf(source: string, from: number, path: string, kind: SetProperty['kind']): number {
  const lines = source.split('\n');
  const segments = path.split('.').slice(kind === 'app setting' ? -1 : 1);
  let at = from - 1;
  for (const seg of segments) {
    const k = seg.replace(/[$()*+.?[\\\]^{|}]/g, '\\$&');
    const re = new RegExp(`^\\s*('?)${k}\\1\\s*:|\\bname\\s*:\\s*'${k}'`);
    const i = lines.findIndex((l, n) => n >= at && re.test(l));
    if (i === -1) return from;
    at = i;
  }
  return at + 1;
}

const unquote = (key: string) => key.replace(/^'(.*)'$/, '$1');

/** The report as lines for a terminal. */
export function formatFlex(report: FlexReport): string {
  return report.problems.map((p) => `  - ${p}`).join('\n');
}
