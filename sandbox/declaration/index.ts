// A sandbox world built from a probe declaration (common/declaration/schema.ts; docs/declaration.md "Trying a
// declaration locally"): `startSandbox({ declaration })` and `npm run sandbox -- --declaration FILE`.
//
// Three steps. planDeclaration() reads the file and decides what the world needs: an identity for each declared one,
// a vault, container or queue for each declared resource, and the least role of the resource's kind at its scope for
// every `allowed` probe (none for a `denied` one). amendWorld() adds that plan to the scenario's world before it is
// validated, so every plane serves it as it serves the canary world, and a scenario's own removals and extras still
// apply to the canary part. declarationSettings() then gives each `%SETTING%` the declaration refers to the value this
// sandbox serves (an identity's ids, a vault URL, a service URL, a name), for the connection file's appSettings.
//
// A value the sandbox cannot serve (a literal vault or service URL, a token file it does not write, a subscription
// it does not have) is refused with a DeclarationError that names the entry and the field: write it as a
// `%SETTING%` reference and the sandbox fills it in (and Azure's app settings do there).
//
// The parts: model.ts (types, errors, constants), plan.ts (step 1), world.ts (step 2), settings.ts (step 3 and the
// connection file's view).
export { DeclarationError, LEAST_ROLE, QUEUE_STUB_PREFIX, type DeclarationPlan } from './model.ts';
export { planDeclaration, planDeclarationFile } from './plan.ts';
export { amendWorld } from './world.ts';
export {
  checkResolves,
  declarationInfo,
  declarationSettings,
  declaredQueues,
  type ServedEndpoints,
} from './settings.ts';
