// Spawns test/app/fixtures/probe-child.ts in its own Node process with exactly the app's settings as its
// environment (plus overrides), and returns the step results and everything it printed.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Step } from '../fixtures/probe-child.ts';

const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'probe-child.ts');
const MARKER = '@@STEPS@@';

export interface ChildRun {
  steps: { op: string; ms: number; value: any }[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  stdout: string;
  stderr: string;
}

/**
 * `settings` is the sandbox's appSettings; `overrides` adds or (with undefined) removes variables. Nothing else of
 * the parent's environment is passed on, so no stray AZURE_* variable changes what the SDK does.
 */
export function runChild(
  settings: Record<string, string>,
  steps: Step[],
  overrides: Record<string, string | undefined> = {},
  timeoutMs = 120_000,
): Promise<ChildRun> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    ...settings,
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, JSON.stringify(steps)], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
      if (!line)
        return reject(
          new Error(`child exited ${code} without results\nstdout:\n${stdout}\nstderr:\n${stderr}`),
        );
      resolve({ steps: JSON.parse(line.slice(MARKER.length)), stdout, stderr });
    });
  });
}
