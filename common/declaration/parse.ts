// Loading a probe declaration (./schema.ts) entry by entry, so one bad entry costs only the probes that use it:
// every problem names its entry and field, the valid probes are returned to run, and `complete` says whether
// anything was left out (the app reports "not fully configured" then). Nothing here throws on bad input.
import {
  DECLARATION_SCHEMA_VERSION,
  EXPECTATIONS,
  FIELD_FORMATS,
  IDENTITY_KINDS,
  identitySchema,
  optionalFields,
  NAME,
  probeSchema,
  RESOURCE_KINDS,
  resourceSchema,
  type Expectation,
  type IdentityDeclaration,
  type ResourceDeclaration,
} from './schema.ts';
import type { SettingFormat } from '../setting-facts.ts';

export interface DeclarationProblem {
  /** The entry: `probes[3]`, `identities.app`, `resources.vault`, or `declaration` for the file itself. */
  entry: string;
  /** The probe's id when the problem stops a probe. */
  probe?: string;
  /** The field within the entry (dotted), when one is to blame. */
  field?: string;
  message: string;
}

export interface ResolvedProbe {
  id: string;
  identityName: string;
  /** The identity with every `%SETTING%` resolved. */
  identity: IdentityDeclaration;
  resourceName: string;
  resource: ResourceDeclaration;
  expect: Expectation;
}

export interface LoadedDeclaration {
  name: string;
  version: string;
  /** Each identity's and resource's fields as written (with their `%SETTING%` references), by name. */
  written?: {
    identities: Record<string, Record<string, string>>;
    resources: Record<string, Record<string, string>>;
  };
  probes: ResolvedProbe[];
  problems: DeclarationProblem[];
  /** False when any entry was left out. */
  complete: boolean;
}

export interface LoadOptions {
  /** The app settings `%NAME%` references resolve from. */
  settings: Readonly<Record<string, string | undefined>>;
  /** Checks a resolved value by its format; returns the problem in words, or undefined. */
  check?: (format: SettingFormat, value: string) => string | undefined;
  /**
   * Keep an entry whose only problems are its values (a `%SETTING%` not set, a value of the wrong format): the app
   * runs its probes anyway, and they answer `misconfigured` naming the setting, as a path whose own setting is
   * missing does. The problems are still reported. Entries the schema refuses are left out either way.
   */
  keepValueProblems?: boolean;
}

/** `%NAME%` references, as in Functions binding expressions. */
const REFERENCE = /%([A-Za-z_][A-Za-z0-9_.:-]*)%/g;

/** The setting names a string refers to. */
export function referencesIn(text: string): string[] {
  return [...text.matchAll(REFERENCE)].map((m) => m[1]);
}

const OPTIONAL = new Map([...optionalFields(identitySchema), ...optionalFields(resourceSchema)]);

type Issue = { path: PropertyKey[]; message: string };

function fieldOf(path: PropertyKey[]): string | undefined {
  return path.length ? path.map(String).join('.') : undefined;
}

function describe(issue: Issue, kinds: readonly string[], raw: unknown): string {
  // zod says "Invalid input" for an unknown discriminator; say which kinds there are.
  const kind = isRecord(raw) ? raw.kind : undefined;
  if (issue.path.length === 1 && issue.path[0] === 'kind')
    return `unknown kind${typeof kind === 'string' ? ` '${kind}'` : ''}: one of ${kinds.join(', ')}`;
  return issue.message;
}

interface Checked<T> {
  value?: T;
  problems: Array<{ field?: string; message: string }>;
}

/** Validates one identity or resource, resolves its references, checks each value's format and the kind's rules. */
function checkEntry<T extends { kind: string }>(
  raw: unknown,
  schema: {
    safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Issue[] } };
  },
  kinds: readonly string[],
  options: LoadOptions,
): Checked<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    return {
      problems: parsed.error.issues.map((i) => ({
        field: fieldOf(i.path),
        message: describe(i, kinds, raw),
      })),
    };
  const problems: Checked<T>['problems'] = [];
  const resolved: Record<string, string> = {};
  for (const [field, v] of Object.entries(parsed.data)) {
    if (field === 'kind' || field === 'selectBy' || typeof v !== 'string') {
      resolved[field] = v as string;
      continue;
    }
    const only = /^%([A-Za-z_][A-Za-z0-9_.:-]*)%$/.exec(v);
    if (only && !options.settings[only[1]] && OPTIONAL.get(parsed.data.kind)?.has(field)) continue;
    let missing = false;
    const text = v.replace(REFERENCE, (all, setting: string) => {
      const s = options.settings[setting];
      if (s === undefined || s === '') {
        problems.push({ field, message: `setting ${setting} is not set` });
        missing = true;
        return all;
      }
      return s;
    });
    if (missing) continue;
    const format = FIELD_FORMATS[`${parsed.data.kind}.${field}`];
    const problem = format && options.check?.(format, text);
    if (problem)
      problems.push({ field, message: `${problem}${referencesIn(v).length ? ` (from ${v})` : ''}` });
    resolved[field] = text;
  }
  problems.push(...kindRules(resolved));
  return problems.length && !options.keepValueProblems
    ? { problems }
    : { value: resolved as unknown as T, problems };
}

/** Rules that span fields of one entry. */
function kindRules(e: Record<string, string>): Array<{ field?: string; message: string }> {
  if (e.kind === 'user-assigned') {
    const field = (
      { 'client-id': 'clientId', 'object-id': 'principalId', 'resource-id': 'resourceId' } as const
    )[e.selectBy as 'client-id' | 'object-id' | 'resource-id'];
    if (!(field in e)) return [{ field, message: `selectBy '${e.selectBy}' needs ${field}` }];
  }
  if (e.kind === 'federated' && 'tokenFile' in e === 'tokenUrl' in e)
    return [{ field: 'tokenFile', message: 'exactly one of tokenFile and tokenUrl' }];
  return [];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Loads a parsed JSON declaration: the probes that can run, and a problem for every entry that cannot. */
export function loadDeclaration(raw: unknown, options: LoadOptions): LoadedDeclaration {
  const problems: DeclarationProblem[] = [];
  const fatal = (field: string, message: string): LoadedDeclaration => ({
    name: isRecord(raw) && typeof raw.name === 'string' ? raw.name : '(unnamed)',
    version: isRecord(raw) && typeof raw.version === 'string' ? raw.version : '(none)',
    probes: [],
    problems: [...problems, { entry: 'declaration', field, message }],
    complete: false,
  });
  if (!isRecord(raw)) return fatal('', 'must be a JSON object');
  if (raw.schemaVersion !== DECLARATION_SCHEMA_VERSION)
    return fatal(
      'schemaVersion',
      `must be ${DECLARATION_SCHEMA_VERSION} (this version of identity-probes reads it)`,
    );
  for (const key of ['identities', 'resources'] as const)
    if (!isRecord(raw[key])) return fatal(key, 'must be an object of named entries');
  if (!Array.isArray(raw.probes) || raw.probes.length === 0)
    return fatal('probes', 'must be a non-empty array');
  for (const key of Object.keys(raw))
    if (!['$schema', 'schemaVersion', 'name', 'version', 'identities', 'resources', 'probes'].includes(key))
      problems.push({ entry: 'declaration', field: key, message: 'unknown field' });
  for (const key of ['name', 'version'] as const)
    if (typeof raw[key] !== 'string' || (key === 'name' && !NAME.test(raw[key] as string)))
      problems.push({
        entry: 'declaration',
        field: key,
        message: key === 'name' ? 'must be a name (a-z, 0-9, -)' : 'must be a string',
      });

  const entries = <T extends { kind: string }>(
    group: 'identities' | 'resources',
    schema: Parameters<typeof checkEntry<T>>[1],
    kinds: readonly string[],
  ): Map<string, T | undefined> => {
    const out = new Map<string, T | undefined>();
    for (const [key, value] of Object.entries(raw[group] as Record<string, unknown>)) {
      const entry = `${group}.${key}`;
      if (!NAME.test(key)) problems.push({ entry, message: 'the name must be a-z, 0-9 and single hyphens' });
      const checked = checkEntry<T>(value, schema, kinds, options);
      for (const p of checked.problems) problems.push({ entry, ...p });
      out.set(key, NAME.test(key) ? checked.value : undefined);
    }
    return out;
  };
  const identities = entries<IdentityDeclaration>('identities', identitySchema, IDENTITY_KINDS);
  const resources = entries<ResourceDeclaration>('resources', resourceSchema, RESOURCE_KINDS);

  const probes: ResolvedProbe[] = [];
  const seen = new Set<string>();
  (raw.probes as unknown[]).forEach((p, i) => {
    const entry = `probes[${i}]`;
    const probeId = isRecord(p) && typeof p.id === 'string' ? p.id : undefined;
    const say = (message: string, field?: string, probe = probeId) =>
      problems.push({ entry, ...(probe ? { probe } : {}), ...(field ? { field } : {}), message });
    if (isRecord(p) && p.expect === 'denied' && p.resource === undefined)
      return say('a denied expectation needs a resource that must refuse the identity', 'resource');
    const parsed = probeSchema.safeParse(p);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        say(
          issue.path[0] === 'expect' ? `must be one of ${EXPECTATIONS.join(', ')}` : issue.message,
          fieldOf(issue.path),
        );
      return;
    }
    const { identity, resource, expect } = parsed.data;
    const id = parsed.data.id ?? `${identity}/${resource}`;
    if (seen.has(id)) return say(`duplicate probe id '${id}' (ids must be unique)`, 'id', id);
    seen.add(id);
    const refs = [
      ['identity', identity, identities, 'identities'],
      ['resource', resource, resources, 'resources'],
    ] as const;
    let ok = true;
    for (const [field, ref, map, group] of refs) {
      if (!map.has(ref)) {
        say(`no ${field} named '${ref}' in ${group}`, field, id);
        ok = false;
      } else if (map.get(ref) === undefined) {
        say(`${field} '${ref}' is invalid (see ${group}.${ref})`, field, id);
        ok = false;
      }
    }
    if (!ok) return;
    probes.push({
      id,
      identityName: identity,
      identity: identities.get(identity)!,
      resourceName: resource,
      resource: resources.get(resource)!,
      expect,
    });
  });
  const written = (group: 'identities' | 'resources') =>
    Object.fromEntries(
      Object.entries(raw[group] as Record<string, unknown>)
        .filter((e): e is [string, Record<string, unknown>] => isRecord(e[1]))
        .map(([k, v]) => [
          k,
          Object.fromEntries(
            Object.entries(v).filter((f): f is [string, string] => typeof f[1] === 'string'),
          ),
        ]),
    );
  return {
    name: typeof raw.name === 'string' ? raw.name : '(unnamed)',
    version: typeof raw.version === 'string' ? raw.version : '(none)',
    written: { identities: written('identities'), resources: written('resources') },
    probes,
    problems,
    complete: problems.length === 0,
  };
}
