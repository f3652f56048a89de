// Runs a test fixture in its own Node process and reads back the one line it prints after `marker` (JSON). Shared by
// the identity and resource conformance tests and the app's integration tests.
import { spawn } from 'node:child_process';
import { basename } from 'node:path';

/**
 * The child's whole environment: PATH and HOME of this process, then `base`, then `overrides`, where `undefined`
 * removes a variable. Nothing else of this process's environment is passed on, so no stray AZURE_*, IDENTITY_* or
 * MSI_* variable changes what the SDK does.
 */
export function childEnv(
  base: Record<string, string>,
  overrides: Record<string, string | undefined> = {},
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    ...base,
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface MarkedRun<T> {
  /** The JSON after `marker` on the first line that starts with it. */
  value: T;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * `node <fixture> <arg>` with exactly `env`; killed after `timeoutMs`. Rejects, with everything the child printed,
 * when it exits without a `marker` line.
 */
export function runMarkedChild<T>(
  fixture: string,
  arg: string,
  env: Record<string, string>,
  marker: string,
  timeoutMs: number,
): Promise<MarkedRun<T>> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, arg], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(marker));
      if (!line)
        return reject(
          new Error(
            `child ${basename(fixture)} exited ${code} without results\nstdout:\n${stdout}\nstderr:\n${stderr}`,
          ),
        );
      resolve({
        value: JSON.parse(line.slice(marker.length)) as T,
        stdout,
        stderr,
        ms: Date.now() - started,
      });
    });
  });
}
