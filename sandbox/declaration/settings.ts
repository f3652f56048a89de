// Step 3: the values of the declaration's `%SETTING%` references, and what the connection file shows of it
// (sandbox/declaration/index.ts).
import { loadDeclaration } from '../../common/declaration/parse.ts';
import type { World } from '../world.ts';
import type { DeclarationInfo } from '../connection.ts';
import { DeclarationError, LEAST_ROLE, QUEUE_STUB_PREFIX, type DeclarationPlan } from './model.ts';
import { concrete, scopeOf, deniedButAllowed } from './world.ts';

/** What the connection file shows: each declared identity's ids, each resource's scope, the derived grants. */
export function declarationInfo(plan: DeclarationPlan, w: World): DeclarationInfo {
  const identityOf = (key: string) => {
    const p = plan.identities[key];
    const id =
      p.name === 'system'
        ? w.functionApp.systemAssigned!
        : w.identities.find((i) => (p.wiring ? i.key === p.wiring : i.name === p.name))!;
    return {
      principalId: id.principalId,
      clientId: id.clientId,
      ...(id.resourceId ? { resourceId: id.resourceId } : {}),
      attached: p.attached,
    };
  };
  const account = w.storageAccounts[0];
  const vaultId = (name: string) => w.keyVaults.find((k) => k.name === name)?.resourceId ?? '';
  const resources = Object.fromEntries(
    Object.entries(plan.resources).map(([k, r]) => [
      k,
      {
        kind: r.kind,
        scope: scopeOf(concrete(r, w), w, vaultId, account.resourceId),
        role: LEAST_ROLE[r.kind],
      },
    ]),
  );
  const info = {
    file: plan.file,
    name: plan.name,
    version: plan.version,
    identities: Object.fromEntries(Object.keys(plan.identities).map((k) => [k, identityOf(k)])),
    resources,
    grants: plan.grants.map((g) => ({
      identity: g.identity,
      resource: g.resource,
      principalId: identityOf(g.identity).principalId,
      role: resources[g.resource].role,
      scope: resources[g.resource].scope,
    })),
  };
  return { ...info, warnings: deniedButAllowed(plan, w, info) };
}

/** Where the sandbox serves things, for the settings. */
export interface ServedEndpoints {
  arm: string;
  blob: string;
  stub: string;
  oidcIssuer: string;
  federatedTokenFile: string;
  vaultUri(name: string): string | undefined;
  workload: string;
}

/** The value of every `%SETTING%` the declaration refers to, as this sandbox serves it. */
export function declarationSettings(
  plan: DeclarationPlan,
  w: World,
  e: ServedEndpoints,
): Record<string, string> {
  const info = declarationInfo(plan, w);
  const out: Record<string, string> = {};
  for (const [name, s] of Object.entries(plan.references)) {
    switch (s.from) {
      case 'identity': {
        const v = info.identities[s.identity][s.field];
        if (v) out[name] = v;
        break;
      }
      case 'tenant':
        out[name] = w.tenantId;
        break;
      case 'subscription':
        out[name] = w.subscriptionId;
        break;
      case 'resourceGroup':
        out[name] = w.resourceGroup;
        break;
      case 'resourceGroupId':
        out[name] = w.resourceGroupId;
        break;
      case 'arm':
        out[name] = e.arm;
        break;
      case 'armAudience':
        out[name] = 'https://management.azure.com';
        break;
      case 'blob':
        out[name] = e.blob;
        break;
      case 'queueService':
        out[name] = `${e.stub}/${QUEUE_STUB_PREFIX}/${w.storageAccounts[0].name}`;
        break;
      case 'tokenFile':
        out[name] = e.federatedTokenFile;
        break;
      case 'tokenUrl':
        out[name] = `${e.oidcIssuer}/workloads/${e.workload}/token`;
        break;
      case 'vault':
        out[name] = e.vaultUri(s.vault) ?? '';
        break;
      case 'literal':
        out[name] = s.value;
        break;
    }
  }
  return out;
}

/**
 * The last check: the declaration, resolved against these settings by the same loader the app uses, loads every
 * probe. A problem here is a bug in the planning above or a reference the sandbox cannot give a value (named).
 */
export function checkResolves(plan: DeclarationPlan, settings: Record<string, string>): void {
  const loaded = loadDeclaration(plan.raw, { settings });
  const p = loaded.problems[0];
  if (p) throw new DeclarationError(plan.file, p.entry, p.field, p.message);
}

/** The declared queues the stub serves: `<account>/<queue>` -> the queue's ARM scope. */
export function declaredQueues(plan: DeclarationPlan | undefined, w: World): Map<string, string> {
  const out = new Map<string, string>();
  const account = w.storageAccounts[0];
  if (!plan || !account) return out;
  for (const r of Object.values(plan.resources))
    if (r.kind === 'storage-queue')
      out.set(`${account.name}/${r.queue}`, `${account.resourceId}/queueServices/default/queues/${r.queue}`);
  return out;
}
