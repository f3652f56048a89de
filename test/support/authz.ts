// Runs test/sandbox/resources/fixtures/authz-child.ts (the real @azure/arm-authorization client and the generic ARM
// client) in its own process as one of the sandbox world's principals: the app's identities through App Service
// managed identity, the federated one through Entra, the operator (app registration app-probes-ci) by its secret.
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SandboxConnection } from '../../sandbox/connection.ts';
import type { AuthzCredential, AuthzResult, AuthzStep } from '../sandbox/resources/fixtures/authz-child.ts';
import { childEnv, runMarkedChild } from '../../support/child.ts';
import { identity, identityCredential } from './sandbox.ts';

const AUTHZ_MARKER = '@@AUTHZ-RESULTS@@'; // what the fixture prints before its results
const FIXTURE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'sandbox',
  'resources',
  'fixtures',
  'authz-child.ts',
);

export function runAuthz(conn: SandboxConnection, credential: AuthzCredential, steps: AuthzStep[]) {
  const spec = { credential, arm: conn.endpoints.arm, subscriptionId: conn.subscriptionId, steps };
  const env = childEnv(
    {
      NODE_EXTRA_CA_CERTS: conn.caCertPath,
      IDENTITY_ENDPOINT: conn.appSettings.IDENTITY_ENDPOINT,
      IDENTITY_HEADER: conn.appSettings.IDENTITY_HEADER,
    },
    {},
  );
  return runMarkedChild<AuthzResult[]>(FIXTURE, JSON.stringify(spec), env, AUTHZ_MARKER, 90_000).then(
    (r) => r.value,
  );
}

export function as(
  conn: SandboxConnection,
  who: 'system' | 'app' | 'federated' | 'operator',
): AuthzCredential {
  if (who !== 'operator') return identityCredential(conn, who);
  const ci = identity(conn, 'app-probes-ci');
  return {
    kind: 'secret',
    tenantId: conn.tenantId,
    clientId: ci.clientId,
    secret: conn.sourceSecrets.appSecrets[ci.clientId],
    authorityHost: conn.endpoints.entra,
  };
}

/**
 * Runs an `az role assignment create/delete` remediation (commands joined by ` && `) through Resource Manager as
 * the operator, the way the CLI sends it: the role name looked up with `roleName eq`, then PUT under its --name (or a new GUID without one), and
 * DELETE by id. Until the CLI tests exist, this is how a remediation is proven to fix the world.
 */
export async function runRemediationAsOperator(
  conn: SandboxConnection,
  command: string,
  credential: AuthzCredential = as(conn, 'operator'),
): Promise<AuthzResult[]> {
  const commands = command.split(' && ').map((c) => c.trim());
  const parsed = commands.map((c) => {
    const create =
      /^az role assignment create(?: --name (\S+))? --assignee-object-id (\S+) --assignee-principal-type ServicePrincipal --role "([^"]+)" --scope (\S+)$/.exec(
        c,
      );
    if (create)
      return {
        kind: 'create' as const,
        name: create[1],
        principalId: create[2],
        role: create[3],
        scope: create[4],
      };
    const del = /^az role assignment delete --ids (\S+)$/.exec(c);
    if (del) return { kind: 'delete' as const, id: del[1] };
    throw new Error(`not a role assignment command this helper runs: ${c}`);
  });
  const creates = parsed.filter((p) => p.kind === 'create');
  const roles = creates.length
    ? await runAuthz(
        conn,
        credential,
        creates.map((p) => ({ op: 'roleDefinitions.byName', scope: p.scope, roleName: p.role })),
      )
    : [];
  const steps: AuthzStep[] = parsed.map((p) => {
    if (p.kind === 'delete') return { op: 'assignments.deleteById', id: p.id };
    const found = roles[creates.indexOf(p)].ok as Array<{ id: string }> | undefined;
    if (!found?.[0]) throw new Error(`role '${p.role}' not found at ${p.scope}`);
    return {
      op: 'assignments.create',
      scope: p.scope,
      // The CLI's --name when the command gives one, else a new GUID (what the CLI does without it).
      name: p.name ?? randomUUID(),
      roleDefinitionId: found[0].id,
      principalId: p.principalId,
    };
  });
  return runAuthz(conn, credential, steps);
}
