// Builds the deployment package in a staging folder: the compiled app (dist/src/**.js), host.json, a package.json
// without devDependencies, and the production node_modules, nothing else. The production tree is read from
// package-lock.json (packages without "dev": true, which is what `npm ls --omit=dev --all` lists) and copied from
// the installed node_modules, so staging needs no network and ships exactly the versions the tests ran against.
// No sandbox, dev host, tests, benchmarks, sources or tool binaries can get in: the folder is built from an
// allow-list and then verified.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative, sep } from 'node:path';

export interface StageResult {
  dir: string;
  files: number;
  bytes: number;
  /** Production packages copied. */
  packages: number;
  /** Biggest packages by bytes (name, bytes), largest first. */
  largest: Array<{ name: string; bytes: number }>;
  /** Bytes by top-level entry: dist, host.json, package.json, node_modules. */
  byEntry: Record<string, number>;
  /** Bare module specifiers the app imports, each resolved from the staging folder. */
  imports: string[];
  /** Bytes of type declarations, source maps and markdown left out of the copied packages. */
  prunedBytes: number;
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  link?: boolean;
}

/** Top-level entries a package may contain; anything else is a packaging bug. */
export const ALLOWED_TOP_LEVEL = ['dist', 'host.json', 'package.json', 'node_modules'];

// Never needed at run time: type declarations, source maps and docs inside the copied packages.
/** What the build emits: the app, and the redactor it shares with the dev host (common/). */
const APP_DIRS = ['src', 'common'];
const PRUNE = /(\.d\.[cm]?ts|\.map|\.md|\.markdown)$/i;

type Log = (line: string) => void;

export function stagePackage(root: string, dir: string, opts: { reuseDist: boolean; log: Log }): StageResult {
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new Error(`staging folder ${dir} is not empty; give an empty or new folder`);
  mkdirSync(dir, { recursive: true });
  buildApp(root, dir, opts);
  const pkg = writeManifest(root, dir);
  const { copied, prunedBytes, devOnly } = copyProductionModules(root, dir, opts.log);
  const imports = verifyPackage(dir, pkg, devOnly);
  return { dir, packages: copied, imports, prunedBytes, ...figures(dir) };
}

/** 1. The app: compile src/ straight into the staging folder (the repository's dist/ is left alone), or reuse it. */
function buildApp(root: string, dir: string, opts: { reuseDist: boolean; log: Log }): void {
  const { log } = opts;
  if (opts.reuseDist) {
    const built = join(root, 'dist', 'src');
    if (!existsSync(join(built, 'index.js')))
      throw new Error('--reuse-dist: dist/src/index.js does not exist; run npm run build');
    for (const part of APP_DIRS) {
      log(`- copy dist/${part}/**/*.js to ${join(dir, 'dist', part)}`);
      cpSync(join(root, 'dist', part), join(dir, 'dist', part), {
        recursive: true,
        filter: (src) => statSync(src).isDirectory() || src.endsWith('.js'),
      });
    }
  } else {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = [tsc, '-p', 'tsconfig.build.json', '--outDir', join(dir, 'dist'), '--sourceMap', 'false'];
    const node = process.execPath.startsWith(root + sep)
      ? relative(root, process.execPath)
      : process.execPath;
    log(`$ ${node} ${relative(root, tsc)} ${args.slice(1).join(' ')}`);
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`TypeScript build failed:\n${r.stdout}${r.stderr}`);
  }
}

/** 2. host.json and a package.json that declares only what runs. */
function writeManifest(root: string, dir: string): Record<string, unknown> {
  cpSync(join(root, 'host.json'), join(dir, 'host.json'));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const slim = {
    name: pkg.name,
    version: pkg.version,
    private: true,
    description: pkg.description,
    type: pkg.type,
    main: pkg.main,
    engines: pkg.engines,
    dependencies: pkg.dependencies,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(slim, null, 2)}\n`);
  const main = join(dir, String(pkg.main));
  if (!existsSync(main)) throw new Error(`package.json main ${String(pkg.main)} is not in the package`);

  return pkg;
}

/** 3. Production node_modules from the lockfile. */
function copyProductionModules(root: string, dir: string, log: Log) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const entries = Object.entries(lock.packages).filter(([k]) => k.startsWith('node_modules/'));
  const prod = entries.filter(([, e]) => !e.dev);
  const devOnly = new Set(entries.filter(([, e]) => e.dev).map(([k]) => k));
  let copied = 0;
  let prunedBytes = 0;
  for (const [key, entry] of prod) {
    const src = join(root, key);
    if (!existsSync(src)) {
      if (entry.optional || entry.devOptional) continue; // an optional dependency not installed on this platform
      throw new Error(
        `${key} is a production dependency in package-lock.json but is not installed; run npm ci`,
      );
    }
    const installed = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')) as { version?: string };
    if (entry.version && installed.version !== entry.version)
      throw new Error(
        `${key} is ${installed.version} but package-lock.json says ${entry.version}; run npm ci`,
      );
    const nested = join(src, 'node_modules');
    cpSync(src, join(dir, key), {
      recursive: true,
      dereference: false,
      filter: (p) => {
        // Nested node_modules hold their own lockfile entries (copied separately if they are production ones).
        if (p === nested || p.startsWith(nested + sep)) return false;
        if (PRUNE.test(p) && statSync(p).isFile()) {
          prunedBytes += statSync(p).size;
          return false;
        }
        return true;
      },
    });
    copied++;
  }
  log(
    `- copy ${copied} production packages listed in package-lock.json (${devOnly.size} dev-only packages left out)`,
  );

  return { copied, prunedBytes, devOnly };
}

/** 4. Verify: only allowed entries, no dev-only package, and every bare import resolves from the package. */
function verifyPackage(dir: string, pkg: Record<string, unknown>, devOnly: Set<string>): string[] {
  for (const name of readdirSync(dir)) {
    if (!ALLOWED_TOP_LEVEL.includes(name)) throw new Error(`unexpected ${name} in the package`);
  }
  for (const f of walk(join(dir, 'dist'))) {
    const rel = relative(dir, f).split(sep).join('/');
    if (!APP_DIRS.some((part) => rel.startsWith(`dist/${part}/`)) || !rel.endsWith('.js'))
      throw new Error(`unexpected ${rel} in the package`);
  }
  const staged = packageDirs(join(dir, 'node_modules')).map((p) => `node_modules/${p}`);
  for (const p of staged) {
    if (devOnly.has(p)) throw new Error(`dev-only package ${p} got into the package`);
  }
  const imports = bareImports(join(dir, 'dist'));
  for (const spec of imports) {
    const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
    if (!(name in ((pkg.dependencies as Record<string, string>) ?? {})))
      throw new Error(`the app imports '${spec}', which is not in package.json dependencies`);
  }
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      'for (const s of JSON.parse(process.argv[1])) import.meta.resolve(s);',
      JSON.stringify(imports),
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`an import of the app does not resolve from the package:\n${r.stderr}`);

  return imports;
}

/** 5. Figures: size by top-level entry and the largest packages. */
function figures(dir: string) {
  const byEntry: Record<string, number> = {};
  let files = 0;
  let bytes = 0;
  for (const f of walk(dir)) {
    const size = statSync(f).size;
    files++;
    bytes += size;
    const top = relative(dir, f).split(sep)[0];
    byEntry[top] = (byEntry[top] ?? 0) + size;
  }
  const perPackage = new Map<string, number>();
  for (const f of walk(join(dir, 'node_modules'))) {
    const parts = relative(join(dir, 'node_modules'), f).split(sep);
    const name = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
    perPackage.set(name, (perPackage.get(name) ?? 0) + statSync(f).size);
  }
  const largest = [...perPackage]
    .map(([name, b]) => ({ name, bytes: b }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
  return { files, bytes, largest, byEntry };
}

export function* walk(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}

/** Package folders under a node_modules folder, nested ones included ('a', '@s/b', 'a/node_modules/c'). */
export function packageDirs(nodeModules: string, prefix = ''): string[] {
  if (!existsSync(nodeModules)) return [];
  const out: string[] = [];
  for (const e of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const names = e.name.startsWith('@')
      ? readdirSync(join(nodeModules, e.name), { withFileTypes: true })
          .filter((x) => x.isDirectory())
          .map((x) => `${e.name}/${x.name}`)
      : [e.name];
    for (const n of names) {
      out.push(`${prefix}${n}`);
      out.push(...packageDirs(join(nodeModules, n, 'node_modules'), `${prefix}${n}/node_modules/`));
    }
  }
  return out;
}

/** Bare specifiers (not relative, not node: builtins) imported by the compiled app. */
export function bareImports(distDir: string): string[] {
  const specs = new Set<string>();
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;
  for (const f of walk(distDir)) {
    if (!f.endsWith('.js')) continue;
    for (const m of readFileSync(f, 'utf8').matchAll(re)) {
      const s = m[1];
      if (s.startsWith('.') || s.startsWith('/') || isBuiltin(s)) continue;
      specs.add(s);
    }
  }
  return [...specs].sort();
}

export const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);

/** Human size: KiB below 1 MiB, else MiB. */
export const size = (bytes: number) =>
  bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${mib(bytes)} MiB`;
