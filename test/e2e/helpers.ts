// End-to-end stack: the sandbox and the dev host as separate processes, started by the same code as `npm start`
// (scripts/lib/stack.ts), against a throw-away copy of the app folder so that a user's local.settings.json, keys
// or .sandbox/ are never touched.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { appMirror, killMentioning, processesMentioning } from '../../scripts/lib/appHosts.ts';
import { waitGroupGone } from '../../scripts/lib/proc.ts';
import {
  ensureLocalSettings,
  hostEnv,
  startHostProcess,
  startSandboxProcess,
} from '../../scripts/lib/stack.ts';
import type { HostProcess, SandboxProcess } from '../../scripts/lib/stack.ts';

export { appMirror, killMentioning, processesMentioning } from '../../scripts/lib/appHosts.ts';

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

export async function startStack(opts: { scenario?: string; enableAuth?: boolean } = {}): Promise<Stack> {
  const appDir = appMirror();
  const stateDir = join(appDir, '.sandbox');
  let sandbox: SandboxProcess | undefined;
  let host: HostProcess | undefined;
  try {
    sandbox = await startSandboxProcess({ scenario: opts.scenario ?? 'healthy', stateDir });
    const settings = ensureLocalSettings(appDir, stateDir, sandbox.connection);
    const { env } = hostEnv(process.env, settings, stateDir);
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
