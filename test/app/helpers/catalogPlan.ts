// The default declaration's plan (src/declaration/ defaultPlan: the canary's every path x target), with the probes
// `denied` says turned `denied`, for tests of the parts that read a plan.
import type { Config } from '../../../src/config.ts';
import type { Plan } from '../../../src/core/plan.ts';
import { defaultPlan } from '../../../src/declaration/index.ts';

export function catalogPlan(
  config: Config,
  expect: (identity: string, resource: string) => 'allowed' | 'denied' = () => 'allowed',
): Plan {
  const plan = defaultPlan(config);
  return { ...plan, probes: plan.probes.map((p) => ({ ...p, expect: expect(p.identity, p.resource) })) };
}
