// The app root, which relative declaration paths (PROBES_DECLARATION) start from: the nearest folder above this
// module holding host.json. In the package that is its root (the module is in dist/app/), whatever the worker's
// working directory; here, the repository. Imports nothing but Node: the function names are read at start-up with
// it (names.ts), before the declaration machinery loads.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findAppRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'host.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

let cached: string | undefined;

/** The folder holding host.json above this module, found once. */
export function appRoot(): string {
  return (cached ??= findAppRoot());
}

/** Forgets it (tests). */
export function forgetAppRoot(): void {
  cached = undefined;
}
