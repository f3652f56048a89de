// What the catalog (common/catalog.ts) generates: infra/identity-wiring.json, local.settings.sample.json, the
// settings tables of docs/settings.md, and the default probe declaration with its JSON Schema (declarations/). Each output
// is formatted with the repository's Prettier settings, so a generated file and a committed one compare equal exactly
// when nothing drifted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import prettier from 'prettier';
import {
  HOST_ASSIGNMENTS,
  IDENTITIES,
  ROLES,
  SCOPES,
  SETTINGS,
  settingsOf,
  STATUS_WRITER,
  TARGET_IDS,
  TARGETS,
  type IdentityKey,
  type SettingName,
} from '../../common/catalog.ts';
import { defaultDeclaration } from '../../common/declaration/default.ts';
import { declarationJsonSchema } from '../../common/declaration/schema.ts';

const WIRING_COMMENT =
  'Generated from common/catalog.ts by `npm run catalog`; do not edit. infra/main.bicep reads it with loadJsonContent() and deploys every role assignment and federated credential from it; the sandbox worlds read it too (sandbox/worlds/healthy.json). Entries with "plane": "host" are Azure-only wiring the Functions platform itself needs (host storage, deployment package, telemetry); the sandbox does not emulate them. Entries without "plane" are the app plane (the probes).';

/** App-plane assignments: every identity that serves a path gets each target's role, and the status writer its. */
function roleAssignments() {
  const out: Array<{
    identity: string;
    role: string;
    scope: string;
    plane?: 'host';
    sandbox?: true;
    why: string;
  }> = [];
  for (const key of Object.keys(IDENTITIES) as IdentityKey[]) {
    if (IDENTITIES[key].paths.length === 0) continue;
    for (const t of TARGET_IDS)
      out.push({
        identity: key,
        role: TARGETS[t].role,
        scope: TARGETS[t].scope,
        why: `${t} target: ${TARGETS[t].why}`,
      });
    if (STATUS_WRITER.identity === key) {
      const { role, scope, why } = STATUS_WRITER;
      out.push({ identity: key, role, scope, why });
    }
  }
  for (const { sandbox, ...a } of HOST_ASSIGNMENTS)
    out.push({ ...a, plane: 'host', ...(sandbox ? { sandbox } : {}) });
  return out;
}

const describeAll = (names: SettingName[]) => Object.fromEntries(names.map((n) => [n, SETTINGS[n].meaning]));

/** infra/identity-wiring.json as an object. */
export function wiring() {
  return {
    $comment: WIRING_COMMENT,
    identities: IDENTITIES,
    // Target ids, in catalog order: main.bicep names the availability tests '<path>/<target>' from them.
    targets: TARGET_IDS,
    roles: Object.fromEntries(
      Object.entries(ROLES).filter(([name]) => roleAssignments().some((a) => a.role === name)),
    ),
    scopes: Object.fromEntries(Object.entries(SCOPES).map(([k, s]) => [k, s.description])),
    roleAssignments: roleAssignments(),
    // Settings infra/ sets: a setting only a declaration's resource fills (setBy) is not part of the wiring.
    settings: describeAll(settingsOf('app').filter((n) => !('setBy' in SETTINGS[n]))),
    scopeResourceTypes: Object.fromEntries(Object.entries(SCOPES).map(([k, s]) => [k, s.resourceType])),
    hostSettings: describeAll(settingsOf('host')),
    localOnlySettings: describeAll(settingsOf('local')),
  };
}

/** local.settings.sample.json as an object. */
export function sampleSettings() {
  const names = (Object.keys(SETTINGS) as SettingName[]).filter((n) => 'sample' in SETTINGS[n]);
  const order = ['file', 'app', 'local'];
  names.sort((a, b) => order.indexOf(SETTINGS[a].group) - order.indexOf(SETTINGS[b].group));
  return {
    IsEncrypted: false,
    Values: Object.fromEntries(names.map((n) => [n, (SETTINGS[n] as { sample: string }).sample])),
  };
}

const cell = (s: string | undefined) => (s ?? '').replace(/\|/g, '\\|');

/** The markdown table of one group of settings. */
export function settingsTable(group: 'app' | 'host' | 'local'): string {
  const names = group === 'local' ? [...settingsOf('local'), ...settingsOf('file')] : settingsOf(group);
  const columns: Array<[string, (n: SettingName) => string | undefined]> =
    group === 'app'
      ? [
          ['Path / part', (n) => (SETTINGS[n] as { usedBy?: string }).usedBy],
          ['In Azure (from infra/)', (n) => (SETTINGS[n] as { inAzure?: string }).inAzure],
          ['In the sandbox', (n) => (SETTINGS[n] as { inSandbox?: string }).inSandbox],
        ]
      : group === 'host'
        ? [['In Azure', (n) => (SETTINGS[n] as { inAzure?: string }).inAzure]]
        : [['Where', (n) => (SETTINGS[n] as { inSandbox?: string }).inSandbox]];
  const head = ['Setting', ...columns.map(([h]) => h), 'Meaning'];
  const rows = names.map((n) => [
    `\`${n}\``,
    ...columns.map(([, f]) => cell(f(n))),
    cell(SETTINGS[n].meaning),
  ]);
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

const MARK = (name: string) => [`<!-- catalog:${name} -->`, `<!-- /catalog:${name} -->`] as const;

/** `text` with the block between the `name` markers replaced by `table`. */
function replaceBlock(text: string, file: string, name: string, table: string): string {
  const [open, close] = MARK(name);
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`${file} has no ${open} ... ${close} block`);
  return `${text.slice(0, start + open.length)}\n\n${table}\n\n${text.slice(end)}`;
}

/** docs/settings.md with its three tables replaced by the generated ones. */
export function settingsDoc(current: string): string {
  let out = current;
  for (const group of ['app', 'host', 'local'] as const)
    out = replaceBlock(out, 'docs/settings.md', `${group}-settings`, settingsTable(group));
  return out;
}

async function format(text: string, filepath: string): Promise<string> {
  const options = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.format(text, { ...options, filepath });
}

/** Every generated file: repository-relative path -> its content as it must be. */
export async function generated(root: string): Promise<Record<string, string>> {
  const docPath = join(root, 'docs', 'settings.md');
  return {
    'infra/identity-wiring.json': await format(
      JSON.stringify(wiring(), null, 2),
      join(root, 'infra/identity-wiring.json'),
    ),
    'local.settings.sample.json': await format(
      JSON.stringify(sampleSettings(), null, 2),
      join(root, 'local.settings.sample.json'),
    ),
    'docs/settings.md': await format(settingsDoc(readFileSync(docPath, 'utf8')), docPath),
    'declarations/default.json': await format(
      JSON.stringify(defaultDeclaration(), null, 2),
      join(root, 'declarations/default.json'),
    ),
    'declarations/probes.schema.json': await format(
      JSON.stringify(declarationJsonSchema(), null, 2),
      join(root, 'declarations/probes.schema.json'),
    ),
  };
}
