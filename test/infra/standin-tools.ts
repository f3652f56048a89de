// Puts stand-in `az` and `func` (test/infra/fixtures/standin-tools.mjs, run by this Node) first on a PATH of their
// own, with a scenario, and reads back what they were asked.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'standin-tools.mjs');

export interface Scenario {
  deletedVaults?: unknown[];
  listDeletedError?: boolean;
  roleAfterPolls?: number;
  publish403?: number;
  publishError?: boolean;
}

export interface StandIns {
  /** The folder holding az, func, scenario.json and calls.log; put it on PATH and in STANDIN_DIR. */
  dir: string;
  /** Every call so far: "<tool> <args>" and the working directory. */
  calls(): Array<{ command: string; cwd: string }>;
}

export function standIns(scenario: Scenario = {}): StandIns {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-standins-'));
  for (const tool of ['az', 'func']) {
    writeFileSync(join(dir, tool), `#!/bin/sh\nexec "${process.execPath}" "${FIXTURE}" ${tool} "$@"\n`);
    chmodSync(join(dir, tool), 0o755);
  }
  writeFileSync(join(dir, 'scenario.json'), JSON.stringify(scenario));
  return {
    dir,
    calls: () => {
      const log = join(dir, 'calls.log');
      if (!existsSync(log)) return [];
      return readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => {
          const [command, cwd] = l.split(' ||| ');
          return { command, cwd };
        });
    },
  };
}
