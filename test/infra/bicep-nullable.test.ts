// BCP318: current Bicep types first(), last() and tryGet() as `null | T`, so `first(xs).name` warns that the value
// may be null at the start of the deployment. The Bicep CLI cannot run here (infra/README.md "Compiling and linting
// the Bicep"), so this holds the one pattern from the text: such a call followed by `.x` or `[i]` must say `!`
// (it is never null) or `.?` / `[?i]` (it may be).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stripComments } from '../../scripts/deploy/bicep-text.ts';
import { closeOf } from '../../scripts/deploy/flex.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `file:line: call` for each nullable call result dereferenced without ! or a safe-dereference. */
function nullableAccesses(file: string, source: string): string[] {
  // Comments out; string contents blanked (same length), so a call written inside a string is not code.
  const plain = stripComments(source);
  const text = plain.replace(/'(?:[^'\\\n]|\\.)*'/g, (q) => `'${' '.repeat(q.length - 2)}'`);
  const out: string[] = [];
  for (const m of text.matchAll(/\b(first|last|tryGet)\s*\(/g)) {
    const open = m.index + m[0].length - 1;
    const end = closeOf(text, open);
    const next = text.slice(end, end + 2);
    if ((next[0] === '.' || next[0] === '[') && next[1] !== '?')
      out.push(`${file}:${text.slice(0, m.index).split('\n').length}: ${plain.slice(m.index, end)}`);
  }
  return out;
}

const bicepFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? bicepFiles(join(dir, e.name)) : e.name.endsWith('.bicep') ? [join(dir, e.name)] : [],
  );

describe(
  'Bicep: no nullable function result dereferenced without ! or .? (BCP318)',
  { timeout: 30_000 },
  () => {
    test('infra/ has none', () => {
      const files = bicepFiles(join(ROOT, 'infra'));
      assert.ok(files.length >= 7, files.join(', '));
      const found = files.flatMap((f) => nullableAccesses(relative(ROOT, f), readFileSync(f, 'utf8')));
      assert.deepEqual(found, []);
      // The one such call main.bicep has is asserted non-null.
      assert.match(
        readFileSync(join(ROOT, 'infra', 'main.bicep'), 'utf8'),
        /first\(filter\([^\n]*\)\)!\.identity/,
      );
    });

    test('finds the pattern (the line main.bicep had) and accepts !, .? and [?]', () => {
      const bad = `var w = first(filter(wiring.roleAssignments, a => a.scope == 'statusContainer')).identity
var x = last(split(id, '/'))[0]
var y = tryGet(obj, 'a').b // a comment with first(x).y is not code`;
      assert.deepEqual(nullableAccesses('t.bicep', bad), [
        "t.bicep:1: first(filter(wiring.roleAssignments, a => a.scope == 'statusContainer'))",
        "t.bicep:2: last(split(id, '/'))",
        "t.bicep:3: tryGet(obj, 'a')",
      ]);
      const good = `var w = first(filter(xs, a => a.scope == 's'))!.identity
var x = last(split(id, '/'))[?0]
var y = tryGet(obj, 'a').?b
var z = first(xs)
var s = 'first(x).y in a string'`;
      assert.deepEqual(nullableAccesses('t.bicep', good), []);
    });
  },
);
