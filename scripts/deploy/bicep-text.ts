// A small reader for the Bicep files in infra/. The Bicep compiler cannot be installed on our machines, so the
// Flex check (flex.ts) reads the template text instead: declarations (param, var, resource, module, output), balanced
// bodies, and the top-level entries of object literals. It understands the subset our templates use (strings with
// escapes and ${} interpolation, ''' multi-line strings, // and /* */ comments); it is not a Bicep parser.

export interface BicepDeclaration {
  kind: 'param' | 'var' | 'resource' | 'module' | 'output';
  name: string;
  /** resource: 'Type@apiVersion'; module: its path; param/output: the declared type. */
  type: string;
  /** resource only: declared with `existing`. */
  existing: boolean;
  /** The value text: for resource/module what follows '=', for var/param-default/output the expression. */
  value: string;
  /** 1-based line of the declaration. */
  line: number;
}

/** Replaces comments with spaces (keeping offsets and newlines), leaving strings untouched. */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  // Stack of contexts: 'code' (possibly inside ${ } of a string) or 'string'.
  const stack: Array<'code' | 'string' | 'multiline'> = ['code'];
  const braceDepth: number[] = [0];
  while (i < text.length) {
    const top = stack[stack.length - 1];
    const c = text[i];
    if (top === 'multiline') {
      if (text.startsWith("'''", i)) {
        stack.pop();
        out += "'''";
        i += 3;
      } else {
        out += c;
        i++;
      }
      continue;
    }
    if (top === 'string') {
      if (c === '\\') {
        out += text.slice(i, i + 2);
        i += 2;
      } else if (c === "'") {
        stack.pop();
        out += c;
        i++;
      } else if (text.startsWith('${', i)) {
        stack.push('code');
        braceDepth.push(0);
        out += '${';
        i += 2;
      } else {
        out += c;
        i++;
      }
      continue;
    }
    // code
    if (text.startsWith("'''", i)) {
      stack.push('multiline');
      out += "'''";
      i += 3;
    } else if (c === "'") {
      stack.push('string');
      out += c;
      i++;
    } else if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === '{') {
      braceDepth[braceDepth.length - 1]++;
      out += c;
      i++;
    } else if (c === '}') {
      if (stack.length > 1 && braceDepth[braceDepth.length - 1] === 0) {
        // closes a ${ } interpolation
        stack.pop();
        braceDepth.pop();
      } else {
        braceDepth[braceDepth.length - 1]--;
      }
      out += c;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Index just past the expression that starts at `start`: balanced brackets, strings, ends at a newline at depth 0. */
export function expressionEnd(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (text.startsWith("'''", i)) {
      const end = text.indexOf("'''", i + 3);
      i = end === -1 ? text.length : end + 3;
      continue;
    }
    if (c === "'") {
      i = stringEnd(text, i);
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth < 0) return i;
    } else if (c === '\n' && depth === 0) return i;
    i++;
  }
  return i;
}

/** Index just past the single-quoted string starting at `start` (handles escapes and ${ } with nested strings). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') {
      i += 2;
    } else if (c === "'") {
      return i + 1;
    } else if (text.startsWith('${', i)) {
      let depth = 1;
      i += 2;
      while (i < text.length && depth > 0) {
        if (text[i] === "'") {
          i = stringEnd(text, i);
          continue;
        }
        if (text[i] === '{') depth++;
        else if (text[i] === '}') depth--;
        i++;
      }
    } else {
      i++;
    }
  }
  return i;
}

const DECLARATION =
  /^[ \t]*(param|var|resource|module|output)[ \t]+([A-Za-z_]\w*)(?:[ \t]+('[^']*'|[A-Za-z_][\w.]*(?:\[\])?))?(?:[ \t]+(existing))?[ \t]*(=)?[ \t]*/gm;

/** All top-level declarations of a Bicep file (comments removed). */
export function parseBicep(source: string): BicepDeclaration[] {
  const text = stripComments(source);
  const out: BicepDeclaration[] = [];
  DECLARATION.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = DECLARATION.exec(text))) {
    const [whole, kind, name, rawType = '', existing, eq] = m;
    const valueStart = m.index + whole.length;
    const end = eq ? expressionEnd(text, valueStart) : valueStart;
    const line = text.slice(0, m.index).split('\n').length;
    out.push({
      kind: kind as BicepDeclaration['kind'],
      name,
      type: rawType.replace(/^'|'$/g, ''),
      existing: existing === 'existing',
      value: text.slice(valueStart, end).trim(),
      line,
    });
    DECLARATION.lastIndex = Math.max(end, valueStart + 1);
  }
  return out;
}

/** The text between the first `open` bracket at or after `from` and its match (exclusive), or undefined. */
export function bracketBody(text: string, open: '{' | '[' | '(', from = 0): string | undefined {
  const start = text.indexOf(open, from);
  if (start === -1) return undefined;
  const end = expressionEnd(text, start);
  return text.slice(start + 1, end - 1);
}

/**
 * Top-level `key: value` entries of an object literal body (the text between its braces). Keys may be
 * identifiers or quoted strings (kept with their quotes); values are trimmed text.
 */
export function objectEntries(body: string): Array<{ key: string; value: string }> {
  const out: Array<{ key: string; value: string }> = [];
  let i = 0;
  while (i < body.length) {
    while (i < body.length && /[\s,]/.test(body[i])) i++;
    if (i >= body.length) break;
    let key: string;
    if (body[i] === "'") {
      const e = stringEnd(body, i);
      key = body.slice(i, e);
      i = e;
    } else {
      const km = /^[A-Za-z_$][\w$]*/.exec(body.slice(i));
      if (!km) {
        // Not an entry (e.g. a spread or stray text): skip to the end of this line.
        i = expressionEnd(body, i) + 1;
        continue;
      }
      key = km[0];
      i += km[0].length;
    }
    while (i < body.length && /[ \t]/.test(body[i])) i++;
    if (body[i] !== ':') {
      i = expressionEnd(body, i) + 1;
      continue;
    }
    i++;
    while (i < body.length && /[ \t]/.test(body[i])) i++;
    const end = expressionEnd(body, i);
    out.push({ key, value: body.slice(i, end).trim() });
    i = end + 1;
  }
  return out;
}

/** Collapses whitespace so expressions can be compared as text. */
export function squash(expr: string): string {
  return expr.replace(/\s+/g, ' ').replace(/\(\s+/g, '(').replace(/\s+\)/g, ')').trim();
}
