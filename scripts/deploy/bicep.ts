// Step 1 of `npm run deploy` and all of `npm run infra:check`: compile infra/main.bicep and lint it with the
// operator's Bicep CLI, check infra/main.parameters.json against the template's parameters, and stop before anything
// in Azure changes when one of them fails. The linter runs with infra/bicepconfig.json (the default rules) and every
// warning counts as an error: `bicep lint` exits 0 on warnings, so its diagnostics are read here.
//
// Which Bicep: $BICEP_PATH (a path to the bicep executable), else `bicep` on the PATH, else the Azure CLI's own
// (`az bicep`, installed by `az bicep install`). None found: say so and how to get one.
// https://learn.microsoft.com/azure/azure-resource-manager/bicep/install
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBicep } from './bicep-text.ts';
import type { Exec } from './exec.ts';

export const TEMPLATE = 'infra/main.bicep';
export const PARAMETERS = 'infra/main.parameters.json';

export interface BicepCli {
  /** How it was found, for the output. */
  how: string;
  build: string[];
  lint: string[];
  version: string[];
}

export const INSTALL_HINT =
  'no Bicep CLI found: install it with `az bicep install` (the Azure CLI then runs it as `az bicep`), or put `bicep` on the PATH (https://learn.microsoft.com/azure/azure-resource-manager/bicep/install), or set BICEP_PATH to the bicep executable';

export class BicepError extends Error {}

const standalone = (exe: string, how: string): BicepCli => ({
  how,
  build: [exe, 'build', TEMPLATE, '--stdout'],
  lint: [exe, 'lint', TEMPLATE],
  version: [exe, '--version'],
});

const viaAz: BicepCli = {
  how: 'the Azure CLI (az bicep)',
  build: ['az', 'bicep', 'build', '--file', TEMPLATE, '--stdout'],
  lint: ['az', 'bicep', 'lint', '--file', TEMPLATE],
  version: ['az', 'bicep', 'version'],
};

/** The candidates in order of preference; `onPath(name)` says whether an executable is on the PATH. */
export function bicepCandidates(env: NodeJS.ProcessEnv, onPath: (name: string) => boolean): BicepCli[] {
  const out: BicepCli[] = [];
  if (env.BICEP_PATH) out.push(standalone(env.BICEP_PATH, `BICEP_PATH (${env.BICEP_PATH})`));
  if (onPath('bicep')) out.push(standalone('bicep', '`bicep` on the PATH'));
  if (onPath('az')) out.push(viaAz);
  return out;
}

/** Whether `name` is an executable file in one of PATH's folders (no process is started). */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const exts = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  return (env.PATH ?? '')
    .split(process.platform === 'win32' ? ';' : ':')
    .filter(Boolean)
    .some((dir) => exts.some((e) => existsSync(join(dir, name + e))));
}

/** The first candidate whose version command answers; BicepError with the install hint when none does. */
export async function findBicep(
  exec: Exec,
  candidates: BicepCli[],
): Promise<{ cli: BicepCli; version: string }> {
  const tried: string[] = [];
  for (const cli of candidates) {
    try {
      const r = await exec(cli.version);
      if (r.status === 0) return { cli, version: (r.stdout.trim() || r.stderr.trim()).split('\n')[0] };
      tried.push(`${cli.how}: exit ${r.status}`);
    } catch (err) {
      tried.push(`${cli.how}: ${(err as Error).message}`);
    }
  }
  throw new BicepError(`${INSTALL_HINT}${tried.length ? ` (tried ${tried.join('; ')})` : ''}`);
}

export interface Diagnostic {
  level: 'Error' | 'Warning' | 'Info';
  text: string;
}

/** Diagnostics in Bicep's default format: `<file>(line,col) : Warning <code>: <message>`. */
export function diagnostics(output: string): Diagnostic[] {
  return output
    .split('\n')
    .map((l) => l.trim())
    .flatMap((text) => {
      const m = /\) : (Error|Warning|Info) /.exec(text);
      return m ? [{ level: m[1] as Diagnostic['level'], text }] : [];
    });
}

export interface CompileReport {
  version: string;
  how: string;
  templateBytes: number;
  parameters: string[];
}

/**
 * Compiles and lints the template, checks the parameters file; throws BicepError naming what failed. Warnings of the
 * build or of the linter are errors here.
 */
export async function compileAndLint(
  exec: Exec,
  root: string,
  candidates: BicepCli[],
  out: (line: string) => void,
): Promise<CompileReport> {
  const parameters = checkParametersFile(root);
  const { cli, version } = await findBicep(exec, candidates);
  out(`   Bicep: ${version}, from ${cli.how}`);
  const build = await exec(cli.build);
  const buildDiags = diagnostics(`${build.stderr}\n${build.stdout}`);
  // The build prints the linter's warnings too; the lint step below reports them as its own.
  if (build.status !== 0 || buildDiags.some((d) => d.level === 'Error'))
    throw new BicepError(
      `${TEMPLATE} does not compile (exit ${build.status}):\n${listed(
        buildDiags.filter((d) => d.level === 'Error'),
        build.stderr,
      )}`,
    );
  const template = parseTemplate(build.stdout);
  const lint = await exec(cli.lint);
  const lintDiags = diagnostics(`${lint.stderr}\n${lint.stdout}`).filter((d) => d.level !== 'Info');
  if (lint.status !== 0 || lintDiags.length)
    throw new BicepError(
      `the linter (infra/bicepconfig.json, warnings are errors) found ${lintDiags.length} problem(s) in ${TEMPLATE}:\n${listed(lintDiags, lint.stderr)}`,
    );
  const undeclared = parameters.filter((p) => template && !(p in template));
  if (undeclared.length)
    throw new BicepError(
      `${PARAMETERS} sets parameters the compiled template lacks: ${undeclared.join(', ')}`,
    );
  return { version, how: cli.how, templateBytes: Buffer.byteLength(build.stdout), parameters };
}

const listed = (d: Diagnostic[], fallback: string) =>
  d.length ? d.map((x) => `   ${x.text}`).join('\n') : `   ${fallback.trim() || '(no diagnostics printed)'}`;

/** The compiled template's parameters, or undefined when stdout is not a template (an old CLI, a stand-in). */
function parseTemplate(stdout: string): Record<string, unknown> | undefined {
  try {
    const t = JSON.parse(stdout) as { parameters?: Record<string, unknown> };
    return t.parameters;
  } catch {
    return undefined;
  }
}

/**
 * infra/main.parameters.json against the template's own parameter declarations (read from the Bicep text, so it
 * runs without a compiler too): every parameter it sets is declared, with a value of the declared type, inside the
 * declared @allowed, @minValue/@maxValue and @minLength/@maxLength. Returns the names it sets.
 */
export function checkParametersFile(root: string): string[] {
  const file = JSON.parse(readFileSync(join(root, PARAMETERS), 'utf8')) as {
    parameters?: Record<string, { value?: unknown }>;
  };
  const source = readFileSync(join(root, TEMPLATE), 'utf8');
  const lines = source.split('\n');
  const params = parseBicep(source).filter((d) => d.kind === 'param');
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(file.parameters ?? {})) {
    const d = params.find((p) => p.name === name);
    if (!d) {
      problems.push(`${name}: not a parameter of ${TEMPLATE}`);
      continue;
    }
    const v = entry?.value;
    const type = d.type.replace(/\?$/, '');
    const ok =
      (type === 'string' && typeof v === 'string') ||
      (type === 'int' && Number.isInteger(v)) ||
      (type === 'bool' && typeof v === 'boolean') ||
      (type === 'object' && typeof v === 'object' && v !== null && !Array.isArray(v)) ||
      (type === 'array' && Array.isArray(v));
    if (!ok) {
      problems.push(`${name}: ${JSON.stringify(v)} is not a ${type}`);
      continue;
    }
    const decorators: string[] = [];
    for (let i = d.line - 2; i >= 0 && lines[i].trim().startsWith('@'); i--) decorators.push(lines[i].trim());
    for (const dec of decorators) {
      const allowed = /^@allowed\((\[.*\])\)$/.exec(dec);
      if (allowed) {
        const values = JSON.parse(allowed[1].replace(/'/g, '"')) as unknown[];
        if (!values.includes(v)) problems.push(`${name}: ${JSON.stringify(v)} is not one of ${allowed[1]}`);
      }
      const bound = /^@(min|max)(Value|Length)\((-?\d+)\)$/.exec(dec);
      if (bound) {
        const n = bound[2] === 'Value' ? (v as number) : (v as string).length;
        const limit = Number(bound[3]);
        if (bound[1] === 'min' ? n < limit : n > limit)
          problems.push(`${name}: ${JSON.stringify(v)} breaks ${dec}`);
      }
    }
  }
  if (problems.length)
    throw new BicepError(`${PARAMETERS} does not fit ${TEMPLATE}:\n   ${problems.join('\n   ')}`);
  return Object.keys(file.parameters ?? {});
}
