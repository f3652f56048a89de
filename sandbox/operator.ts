// The world's operator: a service principal with a client secret and Owner on the resource group, as the
// administrator who runs `az` against the subscription would have. A person (or a test) logs in as it with the
// real Azure CLI to run the app's remediation commands (`scripts/sandbox-az.ts`). It is declared in the world file
// under "operator" (inherited by every scenario that extends the healthy one) and kept apart from the world's
// role assignments, which mirror infra/identity-wiring.json and are checked against it (scripts/deploy/drift.ts):
// the operator is the person fixing the wiring, not part of it. Its secret is generated per run like every app
// registration's (sourceSecrets.appSecrets).
import { readScenario, WorldError } from './world.ts';
import type { RoleAssignment, World } from './world.ts';
import { findRole } from './resources/rbac/roles.ts';

export interface OperatorDeclaration {
  name: string;
  clientId: string;
  principalId: string;
  /** Built-in role name, e.g. Owner. */
  role: string;
  /** 'resourceGroup' or 'subscription'. */
  scope: 'resourceGroup' | 'subscription';
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The operator a scenario declares, validated; undefined when it declares none. */
export function operatorOf(scenario: string): OperatorDeclaration | undefined {
  const { raw, file } = readScenario(scenario);
  const o = raw.operator as Partial<OperatorDeclaration> | undefined;
  if (o === undefined) return undefined;
  const bad = (field: string, problem: string) => new WorldError(file, `operator.${field}`, problem);
  if (typeof o.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,89}$/.test(o.name))
    throw bad('name', 'must be a resource-style name');
  for (const f of ['clientId', 'principalId'] as const)
    if (typeof o[f] !== 'string' || !GUID.test(o[f])) throw bad(f, 'must be a GUID');
  if (typeof o.role !== 'string' || !findRole(o.role))
    throw bad('role', `'${o.role}' is not a built-in role`);
  if (o.scope !== 'resourceGroup' && o.scope !== 'subscription')
    throw bad('scope', "must be 'resourceGroup' or 'subscription'");
  return o as OperatorDeclaration;
}

/** The world with its operator added as an app registration holding its role (effective at once). */
export function withOperator(world: World, scenario: string): World {
  const o = operatorOf(scenario);
  if (!o) return world;
  const principalId = o.principalId.toLowerCase();
  if (world.appRegistrations.some((a) => a.principalId === principalId)) return world;
  const role = findRole(o.role)!;
  const scope = o.scope === 'subscription' ? `/subscriptions/${world.subscriptionId}` : world.resourceGroupId;
  const assignment: RoleAssignment = {
    id: '5f0c7a1e-0e7b-5d43-9a0f-6f7065726174',
    principalId,
    principalType: 'ServicePrincipal',
    roleDefinitionId: role.id,
    roleName: role.roleName,
    scope,
    origin: 'scenario',
    createdOn: new Date().toISOString(),
    effectiveFrom: 0,
  };
  return {
    ...world,
    appRegistrations: [
      ...world.appRegistrations,
      {
        key: o.name,
        name: o.name,
        kind: 'app-registration',
        clientId: o.clientId.toLowerCase(),
        principalId,
      },
    ],
    roleAssignments: [...world.roleAssignments, assignment],
  };
}
