// Runs the dev host as its own process on a free port against a throw-away copy of an app folder.
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProc } from '../../scripts/lib/proc.ts';
import type { Proc } from '../../scripts/lib/proc.ts';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixtureDir = join(repoRoot, 'test', 'devhost', 'fixture-app');
const cli = join(repoRoot, 'devhost', 'cli.ts');

/**
 * A temporary app folder: the fixture (or given files), local.settings.json if given, and a node_modules link to
 * the repo's so the app resolves @azure/functions. local.settings.json is git-ignored, hence written here.
 */
export function makeApp(
  opts: { files?: Record<string, string>; localSettings?: Record<string, string> } = {},
): {
  dir: string;
  cleanup(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'devhost-app-'));
  if (opts.files) {
    for (const [name, text] of Object.entries(opts.files)) writeFileSync(join(dir, name), text);
  } else {
    cpSync(fixtureDir, dir, { recursive: true });
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  if (opts.localSettings) {
    writeFileSync(
      join(dir, 'local.settings.json'),
      JSON.stringify({ IsEncrypted: false, Values: opts.localSettings }),
    );
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface DevHost {
  proc: Proc;
  url: string;
}

/** process.env with `env` applied; an undefined value removes the variable. */
export function withEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete out[k];
  return out;
}

/** Starts `node devhost/cli.ts --port 0` and waits for "Listening on <url>". */
export async function startDevhost(
  appDir: string,
  args: string[] = [],
  env: Record<string, string | undefined> = {},
): Promise<DevHost> {
  const proc = startProc(process.execPath, [cli, '--app-dir', appDir, '--port', '0', ...args], {
    cwd: appDir,
    env: withEnv(env),
  });
  const m = await proc.waitFor(/Listening on (http:\/\/127\.0\.0\.1:\d+)/, 30_000);
  return { proc, url: m[1] };
}

/** Runs the dev host on an app expected to be refused; returns exit code and output. */
export async function runToExit(
  appDir: string,
  env: Record<string, string> = {},
): Promise<{ code: number | string; output: string }> {
  const proc = startProc(process.execPath, [cli, '--app-dir', appDir, '--port', '0'], {
    cwd: appDir,
    env: { ...process.env, ...env },
  });
  const code = await Promise.race([
    proc.exited,
    new Promise<string>((r) => setTimeout(() => r('timeout'), 20_000).unref()),
  ]);
  if (code === 'timeout') proc.kill();
  return { code, output: proc.output() };
}
