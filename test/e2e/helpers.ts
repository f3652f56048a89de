// End-to-end stack for the tests: scripts/lib/appStack.ts (shared with the benchmarks, which may not import tests).
export {
  appMirror,
  functionKey,
  killMentioning,
  nothingLeft,
  processesMentioning,
  startStack,
  type Stack,
} from '../../scripts/lib/appStack.ts';
