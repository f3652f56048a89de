// The canary's probe plan (src/core/plan.ts) built straight from the catalog, for tests of parts that read a plan
// before the declaration compiler gives them one: every identity path against every target, all `allowed`, each with
// the app's own settings (what the default declaration compiles to).
import type { Config } from '../../../src/config.ts';
import type { Plan, PlannedIdentity, PlannedProbe, PlannedResource } from '../../../src/core/plan.ts';
import { PATH_IDS, TARGET_IDS } from '../../../src/ids.ts';
import { IDENTITY_PATHS } from '../../../src/identities/index.ts';
import { TARGETS } from '../../../src/targets/index.ts';

export function catalogPlan(
  config: Config,
  expect: (identity: string, resource: string) => 'allowed' | 'denied' = () => 'allowed',
): Plan {
  const identities = new Map<string, PlannedIdentity>(
    PATH_IDS.map((p) => [p, { name: p, kind: p, path: IDENTITY_PATHS[p], config }]),
  );
  const resources = new Map<string, PlannedResource>(
    TARGET_IDS.map((t) => [t, { name: t, kind: t, target: TARGETS[t], config }]),
  );
  const probes: PlannedProbe[] = PATH_IDS.flatMap((p) =>
    TARGET_IDS.map((t) => ({ id: `${p}/${t}`, identity: p, resource: t, expect: expect(p, t), config })),
  );
  return {
    declaration: {
      name: 'canary',
      version: 'catalog',
      source: 'test',
      complete: true,
      problems: [],
      readAt: new Date().toISOString(),
    },
    identities,
    resources,
    probes,
  };
}
