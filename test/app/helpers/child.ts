// Spawns test/app/fixtures/probe-child.ts in its own Node process with exactly the app's settings as its
// environment (plus overrides), and returns the step results and everything it printed.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, runMarkedChild } from '../../../support/child.ts';
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
export async function runChild(
  settings: Record<string, string>,
  steps: Step[],
  overrides: Record<string, string | undefined> = {},
  timeoutMs = 120_000,
): Promise<ChildRun> {
  const run = await runMarkedChild<ChildRun['steps']>(
    fixture,
    JSON.stringify(steps),
    childEnv(settings, overrides),
    MARKER,
    timeoutMs,
  );
  return { steps: run.value, stdout: run.stdout, stderr: run.stderr };
}
