// The drift check: what the catalog (common/catalog.ts) cannot generate, compared with the declaration it
// generates (infra/identity-wiring.json):
//   - the Bicep templates' use of it (drift/bicep.ts and the checks it runs, one file per concern, reading the
//     templates by lines with drift/read.ts),
//   - the sandbox's healthy world as the sandbox's own loader resolves it (drift/sandbox.ts).
// The declaration itself, local.settings.sample.json, docs/settings.md and src/config.ts's names are generated from
// or typed by the catalog (test/infra/catalog.test.ts). Used by test/infra/drift.test.ts, by
// `node scripts/check-wiring.ts`, and by `npm run deploy` before it deploys. Every problem names the side that
// drifted and what to change.
import { join, resolve } from 'node:path';
import { readWiring, type Wiring } from './wiring.ts';
import { checkBicep } from './drift/bicep.ts';
import { Problems, type DriftProblem } from './drift/common.ts';
import { checkSandbox } from './drift/sandbox.ts';

export type { DriftProblem, DriftSide } from './drift/common.ts';

export interface DriftReport {
  root: string;
  problems: DriftProblem[];
  /** What was compared, for the summary line. */
  checked: {
    declaredAssignments: number;
    bicepAssignmentLoops: number;
    sandboxAssignments: number;
    federatedCredentials: number;
    settings: number;
  };
}

export interface DriftOptions {
  /** Sandbox scenario that must match the declaration exactly. */
  world?: string;
}

export function checkDrift(rootDir: string, opts: DriftOptions = {}): DriftReport {
  const root = resolve(rootDir);
  const p = new Problems();
  const wiringFile = join(root, 'infra', 'identity-wiring.json');
  let w: Wiring;
  try {
    w = readWiring(wiringFile);
  } catch (err) {
    p.add('bicep', `cannot read ${wiringFile}: ${(err as Error).message}`);
    const none = {
      declaredAssignments: 0,
      bicepAssignmentLoops: 0,
      sandboxAssignments: 0,
      federatedCredentials: 0,
    };
    return { root, problems: p.list, checked: { ...none, settings: 0 } };
  }
  const checked = {
    declaredAssignments: w.roleAssignments.length,
    settings: Object.keys(w.settings).length,
    federatedCredentials: Object.values(w.identities).reduce(
      (n, i) => n + (i.federatedCredentials?.length ?? 0),
      0,
    ),
    bicepAssignmentLoops: checkBicep(root, w, p),
    sandboxAssignments: checkSandbox(root, w, p, opts.world ?? 'healthy'),
  };
  return { root, problems: p.list, checked };
}

/** One line per problem, grouped by side; an empty string when there is no drift. */
export function formatDrift(report: DriftReport): string {
  return report.problems.map((x) => `  [${x.side}] ${x.message}`).join('\n');
}
