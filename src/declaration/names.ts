// The declared identities' names, known at start-up without loading the declaration machinery (no zod, no SDK):
// the Functions host needs every function registered when the app's entry module loads, and each declared identity
// has an HTTP function and a timer of its own (functions/probes.ts). They are the identities the probes of the
// declaration file (PROBES_DECLARATION, default declarations/default.json) use, read with JSON.parse alone (the full
// load, with its checks, comes later: an identity whose entry is invalid then has no probes and its timer does
// nothing).
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { NAME } from '../../common/declaration/names.ts';
import { getConfig, type Config } from '../config.ts';
import { appRoot } from './appRoot.ts';

export function declaredIdentityNames(config: Config = getConfig(), root = appRoot()): string[] {
  const file = config.declaration.file;
  try {
    const raw = JSON.parse(readFileSync(isAbsolute(file) ? file : resolve(root, file), 'utf8')) as {
      probes?: Array<{ identity?: unknown }>;
    };
    const names = (Array.isArray(raw.probes) ? raw.probes : [])
      .map((p) => p?.identity)
      .filter((n): n is string => typeof n === 'string' && NAME.test(n));
    return [...new Set(names)];
  } catch {
    // Unreadable: no functions of its own; the load reports why (the status and the start-up log).
    return [];
  }
}
