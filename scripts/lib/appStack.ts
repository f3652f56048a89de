// The app's stack for end-to-end tests and benchmarks: the sandbox and the dev host as separate processes, started by
// the same code as `npm start` (stack.ts), against a throw-away copy of the app folder so that a user's
// local.settings.json, keys or .sandbox/ are never touched. (test/e2e/helpers.ts re-exports it for the tests.)
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stageBuilt } from '../deploy/package.ts';
import { waitGroupGone } from './proc.ts';
import { ensureLocalSettings, hostEnv, REPO_ROOT, startHostProcess, startSandboxProcess } from './stack.ts';
import type { HostProcess, SandboxProcess } from './stack.ts';

export interface Stack {
  appDir: string;
  stateDir: string;
  sandbox: SandboxProcess;
  host: HostProcess;
  /** `${host}/api` */
  api: string;
  /** Every PID whose process group the stack started. */
  groups: number[];
  stop(): Promise<{ host: number | string; sandbox: number | string }>;
}

/**
 * The deployment package as `npm run deploy` stages it from the bundle `npm run build` made (scripts/deploy/package.ts):
 * dist/app/, host.json and package.json, and no node_modules, so what the tests run is what ships.
 */
export function appMirror(): string {
  return stageBuilt(REPO_ROOT, mkdtempSync(join(tmpdir(), 'probes-app-')));
}

/**
 * The app as it was before the bundle, for the cold start benchmark's side-by-side figures: tsc's dist/src as
 * package.json "main", loading the libraries from node_modules.
 */
export function unbundledAppMirror(): string {
  const dir = mkdtempSync(join(tmpdir(), 'probes-app-unbundled-'));
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, main: 'dist/src/index.js' }, null, 2));
  copyFileSync(join(REPO_ROOT, 'host.json'), join(dir, 'host.json'));
  symlinkSync(join(REPO_ROOT, 'dist'), join(dir, 'dist'), 'dir');
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

export async function startStack(
  opts: { scenario?: string; enableAuth?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<Stack> {
  const appDir = appMirror();
  const stateDir = join(appDir, '.sandbox');
  let sandbox: SandboxProcess | undefined;
  let host: HostProcess | undefined;
  try {
    sandbox = await startSandboxProcess({ scenario: opts.scenario ?? 'healthy', stateDir });
    const settings = ensureLocalSettings(appDir, stateDir, sandbox.connection);
    const { env } = hostEnv({ ...process.env, ...opts.env }, settings, stateDir);
    host = await startHostProcess({
      appDir,
      port: 0,
      enableAuth: opts.enableAuth ?? false,
      env,
      preferFunc: false,
    });
  } catch (err) {
    host?.proc.kill();
    sandbox?.proc.kill();
    killMentioning(appDir);
    rmSync(appDir, { recursive: true, force: true });
    throw err;
  }
  const s = sandbox;
  const h = host;
  return {
    appDir,
    stateDir,
    sandbox: s,
    host: h,
    api: `${h.baseUrl}/api`,
    groups: [s.proc.pid, h.proc.pid],
    async stop() {
      try {
        const hostCode = await h.proc.stop('SIGTERM');
        const sandboxCode = await s.proc.stop('SIGTERM');
        return { host: hostCode, sandbox: sandboxCode };
      } finally {
        h.proc.kill();
        s.proc.kill();
        rmSync(appDir, { recursive: true, force: true });
      }
    },
  };
}

/** PIDs of live processes whose command line mentions `needle` (Linux /proc). */
export function processesMentioning(needle: string): number[] {
  if (!existsSync('/proc')) return [];
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle)) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** Last resort after a failed test: SIGKILL every process whose command line names this test's temp folder. */
export function killMentioning(needle: string): void {
  for (const pid of processesMentioning(needle)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** True when no process of the stack's groups, and none naming its folders (e.g. Azurite's), remains. */
export async function nothingLeft(stack: Pick<Stack, 'groups' | 'appDir'>): Promise<string[]> {
  const left: string[] = [];
  for (const g of stack.groups) if (!(await waitGroupGone(g))) left.push(`process group ${g}`);
  for (const pid of processesMentioning(stack.appDir)) left.push(`pid ${pid} (mentions ${stack.appDir})`);
  return left;
}

export function functionKey(appDir: string): { master: string; host: string; fn: (name: string) => string } {
  const keys = JSON.parse(readFileSync(join(appDir, '.devhost', 'keys.json'), 'utf8')) as {
    masterKey: string;
    hostKeys: { default: string };
    functionKeys: Record<string, { default: string }>;
  };
  return { master: keys.masterKey, host: keys.hostKeys.default, fn: (n) => keys.functionKeys[n].default };
}
