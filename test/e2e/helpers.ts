// End-to-end stack for the tests: scripts/lib/appStack.ts (shared with the benchmarks, which may not import tests),
// and the check that a suite's stack stops cleanly.
import assert from 'node:assert/strict';
import { nothingLeft, type Stack } from '../../scripts/lib/appStack.ts';

export {
  appMirror,
  functionKey,
  killMentioning,
  nothingLeft,
  processesMentioning,
  startStack,
  type Stack,
} from '../../scripts/lib/appStack.ts';

/** Stops a stack started by a suite (if it started): both processes exit 0 on SIGTERM and no process is left. */
export async function stopCleanly(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  assert.deepEqual(await stack.stop(), { host: 0, sandbox: 0 }, 'both processes stop cleanly on SIGTERM');
  assert.deepEqual(await nothingLeft(stack), [], 'no process is left behind');
}
