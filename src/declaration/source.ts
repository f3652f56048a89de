// Where the declaration comes from. This first version: a JSON file named by PROBES_DECLARATION (relative to the
// app's folder, or absolute), else the default declaration built in (the canary demo, generated from the catalog:
// common/declaration/default.ts, the same as declarations/default.json). Never throws: a file that cannot be read or
// parsed is a problem of the declaration, reported with the source.
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { defaultDeclaration } from '../../common/declaration/default.ts';
import type { DeclarationProblem } from '../core/plan.ts';

export interface DeclarationRead {
  /** The parsed JSON (undefined when it could not be read). */
  raw?: unknown;
  /** Where it was read from, for the status page and the log. */
  source: string;
  etag?: string;
  readAt: string;
  problem?: DeclarationProblem;
}

export const BUILT_IN_SOURCE = 'built-in (declarations/default.json)';

/** Reads the declaration the settings name. */
export async function readDeclaration(
  env: Readonly<Record<string, string | undefined>>,
  appRoot = process.cwd(),
): Promise<DeclarationRead> {
  const readAt = new Date().toISOString();
  const file = env.PROBES_DECLARATION?.trim();
  if (!file) return { raw: defaultDeclaration(), source: BUILT_IN_SOURCE, readAt };
  const path = isAbsolute(file) ? file : resolve(appRoot, file);
  try {
    return { raw: JSON.parse(await readFile(path, 'utf8')), source: path, readAt };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const message =
      e.code === 'ENOENT'
        ? `file not found (PROBES_DECLARATION=${file})`
        : e instanceof SyntaxError
          ? `not valid JSON: ${e.message}`
          : `cannot be read: ${e.code ?? e.message}`;
    return { source: path, readAt, problem: { entry: 'declaration', message } };
  }
}
