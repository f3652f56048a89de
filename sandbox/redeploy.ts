// What `npm run deploy` does again to the things an operator's fix touches, as the sandbox's Resource Manager
// sees it: one PUT per declared role assignment under the name the template gives it, per federated identity
// credential under its declared name, and of the site's identities. A real redeployment PUTs every resource of
// infra/; these are the ones a printed fix creates or changes, so they are where a fix and the next deployment can
// fight (a role assignment created under another name answers 409 RoleAssignmentExists).
//
// The declaration is the healthy world (sandbox/worlds/healthy.json: "everything wired as infra/ deploys it"),
// resolved with the running sandbox's placeholders: its role assignments carry the template's names
// (world/resolve.ts), its federated credentials the deployment's parameters. Only the assignments the sandbox
// serves are PUT (the app plane and the host-plane ones marked "sandbox"), as in the world itself.
// test/support/redeploy.ts runs the requests as the world's operator, through the real Azure SDK's REST client.
import type { World } from './world.ts';

export interface ArmPut {
  /** What it deploys, for reports: "roleAssignment Reader app -> /subscriptions/...". */
  what: string;
  kind: 'roleAssignment' | 'federatedCredential' | 'site';
  path: string;
  apiVersion: string;
  body: Record<string, unknown>;
}

/** The api-versions infra/ deploys these resource types with (role-assignments.bicep, identities.bicep, function-app.bicep). */
export const TEMPLATE_API_VERSIONS = {
  roleAssignment: '2022-04-01',
  federatedCredential: '2023-01-31',
  site: '2024-04-01',
} as const;

/** The PUTs of a redeployment of `declared` (the healthy world, resolved with the sandbox's placeholders). */
export function redeployRequests(declared: World): ArmPut[] {
  const sub = declared.subscriptionId;
  const byPrincipal = (p: string) => declared.identities.find((i) => i.principalId === p);
  const assignments: ArmPut[] = declared.roleAssignments
    .filter((a) => a.origin === 'wiring')
    .map((a) => ({
      what: `roleAssignment ${a.roleName ?? a.roleDefinitionId} ${byPrincipal(a.principalId)?.key ?? a.principalId} -> ${a.scope}`,
      kind: 'roleAssignment',
      path: `${a.scope}/providers/Microsoft.Authorization/roleAssignments/${a.id}`,
      apiVersion: TEMPLATE_API_VERSIONS.roleAssignment,
      body: {
        properties: {
          roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${a.roleDefinitionId}`,
          principalId: a.principalId,
          principalType: 'ServicePrincipal',
        },
      },
    }));
  const credentials: ArmPut[] = declared.federatedCredentials.map((f) => {
    const owner = byPrincipal(f.principalId);
    if (!owner?.resourceId)
      throw new Error(`federated credential ${f.name}: no user-assigned identity owns it`);
    return {
      what: `federatedCredential ${f.name} on ${owner.name}`,
      kind: 'federatedCredential',
      path: `${owner.resourceId}/federatedIdentityCredentials/${f.name}`,
      apiVersion: TEMPLATE_API_VERSIONS.federatedCredential,
      body: { properties: { issuer: f.issuer, subject: f.subject, audiences: f.audiences } },
    };
  });
  const app = declared.functionApp;
  const attached = app.attached.map((p) => byPrincipal(p)?.resourceId).filter((x): x is string => !!x);
  const site: ArmPut = {
    what: `site ${app.name}: identity ${app.systemAssigned ? 'SystemAssigned, ' : ''}UserAssigned (${attached.length})`,
    kind: 'site',
    path: app.resourceId,
    apiVersion: TEMPLATE_API_VERSIONS.site,
    body: {
      location: declared.location,
      kind: 'functionapp,linux',
      identity: {
        type: app.systemAssigned ? 'SystemAssigned, UserAssigned' : 'UserAssigned',
        userAssignedIdentities: Object.fromEntries(attached.map((id) => [id, {}])),
      },
    },
  };
  return [...assignments, ...credentials, site];
}
