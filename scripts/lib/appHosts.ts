// App instances for the reliability tests and the blackhole benchmark: the built app in dev host processes (as
// `npm start` runs it) against a sandbox, each host with exactly the sandbox's app settings plus overrides as its
// environment. Several hosts share one app folder and one sandbox, as instances of one function app share its
// storage. Also the throw-away app folder and the last-resort process cleanup the end-to-end tests use.
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxConnection } from '../../sandbox/connection.ts';
import { childEnv } from '../../support/child.ts';
import { getJson } from './proc.ts';
import { REPO_ROOT, sandboxLocalSettings, startHostProcess, type HostProcess } from './stack.ts';

/** A deployment-like app folder: package.json and host.json copied, dist/ and node_modules linked. */
export function appMirror(): string {
  const dir = mkdtempSync(join(tmpdir(), 'probes-app-'));
  copyFileSync(join(REPO_ROOT, 'package.json'), join(dir, 'package.json'));
  copyFileSync(join(REPO_ROOT, 'host.json'), join(dir, 'host.json'));
  symlinkSync(join(REPO_ROOT, 'dist'), join(dir, 'dist'), 'dir');
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
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

export interface AppHosts {
  hosts: HostProcess[];
  stop(): Promise<void>;
}

/** No timer fires by itself during a test (1 January, midnight); tests run timers through the admin API. */
export const NEVER = '0 0 0 1 1 *';

export async function startAppHosts(
  conn: SandboxConnection,
  count: number,
  overrides: Record<string, string | undefined> = {},
): Promise<AppHosts> {
  const appDir = appMirror();
  const env = childEnv(sandboxLocalSettings(conn), { PROBE_SCHEDULE: NEVER, ...overrides });
  const hosts: HostProcess[] = [];
  const stop = async () => {
    await Promise.all(hosts.map((h) => h.proc.stop('SIGTERM', 10_000).catch(() => h.proc.kill())));
    for (const h of hosts) h.proc.kill();
    killMentioning(appDir);
    rmSync(appDir, { recursive: true, force: true });
  };
  try {
    for (const _ of Array.from({ length: count }))
      hosts.push(await startHostProcess({ appDir, port: 0, enableAuth: false, env, preferFunc: false }));
  } catch (err) {
    await stop();
    throw err;
  }
  return { hosts, stop };
}

/** GET `${host}${path}` as JSON, with how long the answer took. */
export async function timedGet(base: string, path: string, init?: RequestInit) {
  const started = performance.now();
  const r = await getJson(`${base}${path}`, init);
  return { ...r, ms: performance.now() - started };
}

/** Runs a timer function now (POST /admin/functions/{name}: 202, runs in the background). */
export async function runTimer(base: string, name: string): Promise<number> {
  const r = await fetch(`${base}/admin/functions/${name}`, { method: 'POST', body: '{"input":""}' });
  await r.arrayBuffer();
  return r.status;
}
