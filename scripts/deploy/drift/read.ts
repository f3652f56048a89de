// Reads the Bicep in infra/ by lines, in the layout `bicep format` writes and the templates keep: declarations at
// column 0 (decorators on the lines above), one `key: value` entry per line, nested entries indented deeper than
// their key, closing brackets on their own line. It reads nothing else: an entry written otherwise is reported
// missing by the check that needed it, never passed unread.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Decl {
  kind: 'param' | 'var' | 'resource' | 'module' | 'output';
  name: string;
  /** resource: 'Type@apiVersion'; module: its path; param/output: the type. */
  type: string;
  existing: boolean;
  /** 1-based line of the declaration. */
  line: number;
  /** What follows ' = ' on the declaration's line. */
  head: string;
  /** The lines after it, through the closing bracket at column 0 ([] for a one-line declaration). */
  body: string[];
  decorators: string[];
}

export interface Entry {
  key: string;
  value: string;
  nested: string[];
}

const HEAD = /^(param|var|resource|module|output) (\w+)(?: '?([\w./@[\]-]+)'?)?( existing)?(?: = (.*))?$/;
const KEY = /^(\s*)([A-Za-z_]\w*|'[^']*'):\s*(.*)$/;

/** A line without its // comment (a // inside a '...' string stays). */
function code(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === "'") quoted = !quoted;
    else if (!quoted && line.startsWith('//', i)) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

export function declarations(source: string): Decl[] {
  const lines = source.split('\n').map(code);
  return lines.flatMap((text, i) => {
    const m = HEAD.exec(text);
    if (!m) return [];
    let end = i + 1;
    if (/[[{(]$/.test(text)) while (end < lines.length && !/^[\]})]/.test(lines[end++]));
    let top = i;
    while (top > 0 && lines[top - 1].startsWith('@')) top--;
    const [, kind, name, type = '', existing, head = ''] = m;
    const [body, decorators] = [lines.slice(i + 1, end), lines.slice(top, i)];
    return [
      { kind: kind as Decl['kind'], name, type, existing: !!existing, line: i + 1, head, body, decorators },
    ];
  });
}

const indent = (l: string) => (l.trim() ? l.length - l.trimStart().length : Infinity);

/** The entries at the outermost level of some lines, each with the lines nested under it. */
export function entries(lines: string[]): Entry[] {
  const keyed = lines.map((l) => KEY.exec(l));
  const top = Math.min(...keyed.map((m) => m?.[1].length ?? Infinity));
  return keyed.flatMap((m, i) => {
    if (!m || m[1].length !== top) return [];
    let end = i + 1;
    while (end < lines.length && indent(lines[end]) > top) end++;
    return [{ key: m[2], value: m[3], nested: lines.slice(i + 1, end) }];
  });
}

/** The entry at a dotted path (e.g. 'properties.principalId') in a declaration's body. */
export function entry(d: Decl | undefined, path: string): Entry | undefined {
  let found: Entry | undefined = { key: '', value: '', nested: d?.body ?? [] };
  for (const key of path.split('.')) found = entries(found?.nested ?? []).find((e) => e.key === key);
  return found;
}

/** The value at a path ('' when there is none); the empty path is the declaration's own value. */
export const value = (d: Decl | undefined, path: string): string =>
  path ? (entry(d, path)?.value ?? '') : (d?.head ?? '');

/** The keys nested under a path. */
export const keys = (d: Decl | undefined, path: string): string[] =>
  entries(entry(d, path)?.nested ?? []).map((e) => e.key);

/** Every .bicep file under infra/ by its path from the repository root ('infra/main.bicep'), and its text. */
export function readInfra(root: string, dir = 'infra'): Array<{ file: string; text: string }> {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const file = `${dir}/${e.name}`;
    if (e.isDirectory()) return readInfra(root, file);
    return e.name.endsWith('.bicep') ? [{ file, text: readFileSync(join(root, file), 'utf8') }] : [];
  });
}
