// Builds the deployment package in a staging folder: the bundled app (dist/app/: esbuild chunks, the maps of our own
// sources, the status page script; scripts/bundle.ts), host.json, the default probe declaration
// (declarations/default.json) and a package.json whose "main" is the bundle's
// entry. No node_modules: the bundle holds every library it loads, and its one import from outside,
// @azure/functions-core, is provided by the Functions worker (scripts/bundle.ts checks both). What `npm start`, the
// dev host and the end-to-end tests load is this same dist/app/ (docs/cold-start.md). No sandbox, dev host, tests,
// benchmarks, sources or tool binaries can get in: the folder is built from an allow-list and then verified.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { APP_DIR, bundleApp, PROVIDED } from '../bundle.ts';

export interface StageResult {
  dir: string;
  files: number;
  bytes: number;
  /** Bytes by top-level entry: declarations, dist, host.json, package.json. */
  byEntry: Record<string, number>;
  /** Biggest files (path in the package, bytes), largest first. */
  largest: Array<{ name: string; bytes: number }>;
  /** Imports the bundle leaves to the host (the Functions worker), beside Node's built-ins. */
  provided: string[];
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
}

/** Top-level entries a package may contain; anything else is a packaging bug. */
export const ALLOWED_TOP_LEVEL = ['declarations', 'dist', 'host.json', 'package.json'];

/**
 * The probe declarations shipped in the package: every JSON file directly in the repository's declarations/ (the
 * default one the app reads unless PROBES_DECLARATION names another, its JSON Schema, and any a team adds there and
 * names with the Bicep parameter declarationFile), at the same path under the app root, the package's root.
 */
export function packagedDeclarations(root: string): string[] {
  return readdirSync(join(root, 'declarations'), { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => `declarations/${e.name}`)
    .sort();
}

type Log = (line: string) => void;

export async function stagePackage(
  root: string,
  dir: string,
  opts: { reuseDist: boolean; log: Log },
): Promise<StageResult> {
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new Error(`staging folder ${dir} is not empty; give an empty or new folder`);
  mkdirSync(dir, { recursive: true });
  await buildApp(root, dir, opts);
  writeManifest(root, dir);
  verifyPackage(dir);
  return { dir, provided: PROVIDED, ...figures(dir) };
}

/**
 * The package from the bundle `npm run build` made, synchronously (end-to-end tests and benchmarks run the app
 * from it: what they load is what ships). Returns `dir`.
 */
export function stageBuilt(root: string, dir: string): string {
  copyBuilt(root, join(dir, APP_DIR));
  writeManifest(root, dir);
  verifyPackage(dir);
  return dir;
}

function copyBuilt(root: string, out: string): void {
  const built = join(root, APP_DIR);
  if (!existsSync(join(built, 'index.js')))
    throw new Error(`${APP_DIR}/index.js does not exist; run npm run build`);
  cpSync(built, out, { recursive: true });
}

/**
 * 1. The app: type-check, compile the status page script and bundle straight into the staging folder (the
 * repository's dist/ is left alone), or copy the bundle `npm run build` made.
 */
async function buildApp(root: string, dir: string, opts: { reuseDist: boolean; log: Log }): Promise<void> {
  const { log } = opts;
  const out = join(dir, APP_DIR);
  if (opts.reuseDist) {
    log(`- copy ${APP_DIR}/ (the bundle npm run build made) to ${out}`);
    copyBuilt(root, out);
    return;
  }
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const node = process.execPath.startsWith(root + sep) ? relative(root, process.execPath) : process.execPath;
  const page = mkdtempSync(join(tmpdir(), 'identity-probes-page-'));
  try {
    for (const args of [
      [tsc, '-p', 'tsconfig.build.json', '--noEmit'],
      [tsc, '-p', 'tsconfig.page.json', '--outDir', page],
    ]) {
      log(`$ ${node} ${relative(root, tsc)} ${args.slice(1).join(' ')}`);
      const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`TypeScript build failed:\n${r.stdout}${r.stderr}`);
    }
    log(`- bundle src/index.ts with esbuild into ${out} (scripts/bundle.ts)`);
    await bundleApp(out, { pageClient: page });
  } finally {
    rmSync(page, { recursive: true, force: true });
  }
}

/**
 * 2. host.json, the default declaration and a package.json that declares only what runs: no dependencies, they are
 * in the bundle.
 */
function writeManifest(root: string, dir: string): void {
  cpSync(join(root, 'host.json'), join(dir, 'host.json'));
  for (const f of packagedDeclarations(root)) {
    mkdirSync(join(dir, dirname(f)), { recursive: true });
    cpSync(join(root, f), join(dir, f));
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const slim = {
    name: pkg.name,
    version: pkg.version,
    private: true,
    description: pkg.description,
    type: pkg.type,
    main: pkg.main,
    engines: pkg.engines,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(slim, null, 2)}\n`);
  if (!existsSync(join(dir, String(pkg.main))))
    throw new Error(`package.json main ${String(pkg.main)} is not in the package`);
}

/**
 * 3. Verify: only allowed entries, under declarations/ only the shipped ones, and under dist/ only the bundle
 * (scripts, their maps, the page script).
 */
function verifyPackage(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (!ALLOWED_TOP_LEVEL.includes(name)) throw new Error(`unexpected ${name} in the package`);
  }
  for (const f of walk(join(dir, 'declarations'))) {
    const rel = relative(dir, f).split(sep).join('/');
    if (!/^declarations\/[^/]+\.json$/.test(rel)) throw new Error(`unexpected ${rel} in the package`);
  }
  for (const f of walk(join(dir, 'dist'))) {
    const rel = relative(dir, f).split(sep).join('/');
    if (!rel.startsWith(`${APP_DIR}/`) || !/\.js(\.map)?$/.test(rel))
      throw new Error(`unexpected ${rel} in the package`);
  }
}

/** 4. Figures: size by top-level entry and the largest files. */
function figures(dir: string) {
  const byEntry: Record<string, number> = {};
  const sizes: Array<{ name: string; bytes: number }> = [];
  let bytes = 0;
  for (const f of walk(dir)) {
    const size = statSync(f).size;
    bytes += size;
    sizes.push({ name: relative(dir, f).split(sep).join('/'), bytes: size });
    const top = relative(dir, f).split(sep)[0];
    byEntry[top] = (byEntry[top] ?? 0) + size;
  }
  const largest = sizes.sort((a, b) => b.bytes - a.bytes).slice(0, 4);
  return { files: sizes.length, bytes, largest, byEntry };
}

// Type declarations, source maps and docs: the unbundled package left them out of the copied packages.
const PRUNE = /(\.d\.[cm]?ts|\.map|\.md|\.markdown)$/i;

/**
 * What the package was without a bundle, for the benchmark's side-by-side figures: the compiled app
 * (dist/src and dist/common *.js), host.json, package.json and the production node_modules from package-lock.json
 * without .d.ts/.map/.md, counted in place (nothing is copied).
 */
export function unbundledFigures(root: string): { files: number; bytes: number } {
  let files = 2;
  let bytes = statSync(join(root, 'host.json')).size + statSync(join(root, 'package.json')).size;
  for (const part of ['src', 'common'])
    for (const f of walk(join(root, 'dist', part)))
      if (f.endsWith('.js')) {
        files++;
        bytes += statSync(f).size;
      }
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith('node_modules/') || entry.dev) continue;
    const src = join(root, key);
    if (!existsSync(src)) continue; // an optional dependency not installed on this platform
    const nested = join(src, 'node_modules');
    for (const f of walk(src)) {
      if (f.startsWith(nested + sep) || PRUNE.test(f)) continue;
      files++;
      bytes += statSync(f).size;
    }
  }
  return { files, bytes };
}

export function* walk(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}

export const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);

/** Human size: KiB below 1 MiB, else MiB. */
export const size = (bytes: number) =>
  bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${mib(bytes)} MiB`;
