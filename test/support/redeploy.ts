// Redeploys the declaration into a running sandbox as `npm run deploy` would: every PUT of sandbox/redeploy.ts
// (declared role assignments under the template's names, federated credentials, the site's identities), sent as
// the world's operator (Owner on the resource group, as a deployer is) through the Azure SDK's REST client, in a
// child process (test/sandbox/resources/fixtures/authz-child.ts). Reports every answer and the conflicts.
import type { SandboxConnection } from '../../sandbox/connection.ts';
import type { RunningSandbox } from '../../sandbox/index.ts';
import { redeployRequests, type ArmPut } from '../../sandbox/redeploy.ts';
import { loadWorld } from '../../sandbox/world.ts';
import type { AuthzCredential } from '../sandbox/resources/fixtures/authz-child.ts';
import { runAuthz } from './authz.ts';

export interface RedeployAnswer {
  what: string;
  kind: ArmPut['kind'];
  status?: number;
  code?: string;
  message?: string;
}

export interface RedeployReport {
  answers: RedeployAnswer[];
  /** 409s (RoleAssignmentExists and any other conflict). */
  conflicts: RedeployAnswer[];
  /** Every answer that is not 2xx. */
  failures: RedeployAnswer[];
}

/** The world's operator, by its client secret (what `az login --service-principal` uses in the CLI tests). */
export function operatorCredential(conn: SandboxConnection): AuthzCredential {
  const o = conn.operator;
  if (!o) throw new Error('the sandbox world declares no operator');
  return {
    kind: 'secret',
    tenantId: conn.tenantId,
    clientId: o.clientId,
    secret: conn.sourceSecrets.appSecrets[o.clientId],
    authorityHost: conn.endpoints.entra,
  };
}

/** The redeployment's requests for the running sandbox (the healthy world with its current placeholders). */
export function redeployPlan(sb: RunningSandbox): ArmPut[] {
  return redeployRequests(loadWorld('healthy', { placeholders: sb.context.world.placeholders }));
}

export async function redeploy(sb: RunningSandbox): Promise<RedeployReport> {
  const plan = redeployPlan(sb);
  const results = await runAuthz(
    sb.connection,
    operatorCredential(sb.connection),
    plan.map((p) => ({ op: 'arm.put' as const, path: p.path, apiVersion: p.apiVersion, body: p.body })),
  );
  const answers = plan.map((p, i) => {
    const r = results[i];
    const ok = r.ok as { status: number; code?: string; message?: string } | undefined;
    return {
      what: p.what,
      kind: p.kind,
      status: ok?.status ?? r.error?.statusCode,
      code: ok?.code ?? r.error?.code,
      message: ok?.message ?? r.error?.message,
    };
  });
  return {
    answers,
    conflicts: answers.filter((a) => a.status === 409),
    failures: answers.filter((a) => !(a.status !== undefined && a.status >= 200 && a.status < 300)),
  };
}
