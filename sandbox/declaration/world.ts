// Step 2: amendWorld() adds a plan to the scenario's world before it is validated (sandbox/declaration/index.ts).
import type { ResourceDeclaration } from '../../common/declaration/schema.ts';
import { ROLES } from '../../common/built-in-roles.ts';
import { authorize } from '../resources/rbac/authorize.ts';
import type { World } from '../world.ts';
import type { DeclarationInfo } from '../connection.ts';
import {
  DeclarationError,
  LEAST_ROLE,
  type Json,
  CANARY,
  type PlannedIdentity,
  type PlannedResource,
  type DeclarationPlan,
} from './model.ts';

/** The user-assigned identities of a plan (not the system one), once each. */
export function ownIdentities(plan: DeclarationPlan): PlannedIdentity[] {
  const seen = new Set<string>();
  return Object.values(plan.identities).filter(
    (i) => i.wiring === undefined && !seen.has(i.name) && seen.add(i.name) !== undefined,
  );
}

/** A planned resource with the canary's names filled in from the world (raw or resolved). */
export function concrete(
  r: PlannedResource,
  w: {
    keyVaults?: Array<{ name: string; secrets: Array<{ name: string }> }>;
    storageAccounts?: Array<{ containers: Array<{ name: string; wiringScope?: string }> }>;
  },
): PlannedResource {
  const kv = w.keyVaults?.[0];
  const canaryContainer = w.storageAccounts?.[0]?.containers.find((c) => c.wiringScope === 'canaryContainer');
  const name = (v: string | undefined, canary: string | undefined) => (v === CANARY ? (canary ?? '') : v);
  return {
    ...r,
    ...(r.vault ? { vault: name(r.vault, kv?.name) } : {}),
    ...(r.secret ? { secret: name(r.secret, kv?.secrets[0]?.name) } : {}),
    ...(r.container ? { container: name(r.container, canaryContainer?.name) } : {}),
  };
}

/** The ARM scope of a planned resource in a world. */
export function scopeOf(
  r: PlannedResource,
  w: Pick<World, 'subscriptionId' | 'resourceGroupId'>,
  vaultIdOf: (name: string) => string,
  accountId: string,
): string {
  switch (r.kind) {
    case 'keyvault-secret':
      return vaultIdOf(r.vault!);
    case 'blob-container':
      return `${accountId}/blobServices/default/containers/${r.container}`;
    case 'storage-queue':
      return `${accountId}/queueServices/default/queues/${r.queue}`;
    case 'arm-scope':
      return r.armScope === 'subscription' ? `/subscriptions/${w.subscriptionId}` : w.resourceGroupId;
  }
}

/**
 * Adds the plan to a scenario's raw world (after `extends` and `set`): its identities, vaults, secrets, containers,
 * federated credentials and the role assignments of its `allowed` probes, as extraRoleAssignments (so a scenario's
 * removals, which name wiring assignments, still apply to the canary world and never to declared cells).
 */
export function amendWorld(plan: DeclarationPlan, raw: Json): void {
  const fa = raw.functionApp as {
    systemAssigned: { principalId: string; clientId: string };
    userAssignedIdentities: string[];
  };
  const uamis = raw.userAssignedIdentities as Array<Json>;
  const sub = raw.subscriptionId as string;
  const rgId = `/subscriptions/${sub}/resourceGroups/${raw.resourceGroup as string}`;
  const accounts = (raw.storageAccounts ?? []) as Array<{ name: string; containers: Array<Json> }>;
  if (!accounts.length)
    throw new DeclarationError(
      plan.file,
      'declaration',
      undefined,
      'the scenario has no storage account for containers and queues',
    );
  const account = accounts[0];
  const accountId = `${rgId}/providers/Microsoft.Storage/storageAccounts/${account.name}`;
  const workload = ((raw.oidcWorkloads ?? []) as Array<{ subject: string }>)[0];
  const fics = (raw.extraFederatedCredentials ??= []) as Array<Json>;
  for (const id of ownIdentities(plan)) {
    uamis.push({ name: id.name, clientId: id.clientId, principalId: id.principalId });
    if (id.attached) fa.userAssignedIdentities.push(id.name);
    if (id.federated) {
      if (!workload)
        throw new DeclarationError(
          plan.file,
          'declaration',
          undefined,
          'the scenario has no OIDC workload for federated identities',
        );
      fics.push({
        name: `decl-${id.name}`,
        principalId: id.principalId,
        issuer:
          ((raw.federatedParameters as Json | undefined)?.federatedIssuer as string | undefined) ??
          '${OIDC_ISSUER}',
        subject: workload.subject,
        audiences: ['api://AzureADTokenExchange'],
      });
    }
  }
  const vaults = (raw.keyVaults ??= []) as Array<{ name: string; secrets: Array<{ name: string }> }>;
  const canaryWorld = { keyVaults: vaults, storageAccounts: accounts as never };
  for (const planned of Object.values(plan.resources)) {
    const r = concrete(planned, canaryWorld);
    if (r.kind === 'keyvault-secret') {
      let v = vaults.find((x) => x.name === r.vault);
      if (!v) vaults.push((v = { name: r.vault!, secrets: [] }));
      if (!v.secrets.some((s) => s.name === r.secret)) v.secrets.push({ name: r.secret! });
    }
    // With a canary blob, as the canary container has one: the blob target reads the first blob of its container
    // (src/targets/blob.ts), so an empty one would be `not-found` where access is all the probe is about.
    if (r.kind === 'blob-container' && !account.containers.some((c) => c.name === r.container))
      account.containers.push({ name: r.container, blobs: ['canary.txt'] });
  }
  const principalOf = (key: string) => {
    const id = plan.identities[key];
    if (id.name === 'system') return fa.systemAssigned.principalId;
    if (id.wiring) return uamis.find((u) => u.wiringKey === id.wiring)?.principalId as string;
    return id.principalId;
  };
  const extras = (raw.extraRoleAssignments ??= []) as Array<Json>;
  const vaultId = (name: string) => `${rgId}/providers/Microsoft.KeyVault/vaults/${name}`;
  const seen = new Set<string>();
  for (const g of plan.grants) {
    const r = concrete(plan.resources[g.resource], canaryWorld);
    const a = {
      principalId: principalOf(g.identity),
      role: ROLES[LEAST_ROLE[r.kind]],
      scope: scopeOf(r, { subscriptionId: sub, resourceGroupId: rgId }, vaultId, accountId),
    };
    const k = JSON.stringify(a);
    if (!seen.has(k)) extras.push(a);
    seen.add(k);
  }
}

/** The call each kind's probe makes, as RBAC sees it (docs/data-plane.md): what a `denied` probe must not hold. */
export const PROBE_ACTION: Readonly<
  Record<ResourceDeclaration['kind'], { action: string; kind: 'action' | 'dataAction' }>
> = {
  'keyvault-secret': { action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action', kind: 'dataAction' },
  // Get Container Properties as the Blob gateway authorizes it (blob/actions.ts): an action, which Reader's */read
  // covers too.
  'blob-container': {
    action: 'Microsoft.Storage/storageAccounts/blobServices/containers/read',
    kind: 'action',
  },
  'arm-scope': { action: 'Microsoft.Resources/subscriptions/resourceGroups/resources/read', kind: 'action' },
  'storage-queue': {
    action: 'Microsoft.Storage/storageAccounts/queueServices/queues/messages/read',
    kind: 'dataAction',
  },
};

/**
 * `denied` probes the world lets in anyway: a role of the scenario (the canary wiring) or of an `allowed` probe at an
 * enclosing scope covers the call. The sandbox serves the world as declared, so these cells will get in; each warning
 * names the probe and the role that lets it in.
 */
export function deniedButAllowed(
  plan: DeclarationPlan,
  w: World,
  info: Omit<DeclarationInfo, 'warnings'>,
): string[] {
  const out: string[] = [];
  for (const d of plan.denials) {
    const r = info.resources[d.resource];
    const call = PROBE_ACTION[r.kind as ResourceDeclaration['kind']];
    const decision = authorize(w.roleAssignments, {
      principalId: info.identities[d.identity].principalId,
      action: call.action,
      kind: call.kind,
      scope: r.scope,
    });
    if (decision.allowed)
      out.push(
        `${d.entry} (${d.identity} -> ${d.resource}) is declared denied, but ${decision.role?.roleName ?? 'a role'} at ${decision.assignment?.scope} lets it in: this world will show it getting in`,
      );
  }
  return out;
}
