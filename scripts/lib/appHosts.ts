// App instances for the reliability tests and the blackhole benchmark: the built app in dev host processes (as
// `npm start` runs it) against a sandbox, each host with exactly the sandbox's app settings plus overrides as its
// environment. Several hosts share one app folder and one sandbox, as instances of one function app share its
// storage. The throw-away app folder and the last-resort process cleanup come from appStack.ts.
import { rmSync } from 'node:fs';
import type { SandboxConnection } from '../../sandbox/connection.ts';
import { childEnv } from '../../support/child.ts';
import { appMirror, killMentioning } from './appStack.ts';
import { getJson } from './proc.ts';
import { sandboxLocalSettings, startHostProcess, type HostProcess } from './stack.ts';

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
