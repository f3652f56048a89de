// Resolving a validated world into concrete ids: identities, federated credentials (from the wiring), resources,
// scope bindings and role assignments (the wiring's app plane and the host-plane entries marked "sandbox", minus
// removals, plus a scenario's extras). Every step is a small function of the validated input; a reference that does
// not resolve names its field.
import { roleAssignmentName } from '../../common/arm-guid.ts';
import {
  deterministicGuid,
  WorldError,
  type FederatedCredential,
  type ResolvedIdentity,
  type RoleAssignment,
} from './model.ts';
import { GUID, type RawWiring, type RawWorld } from './schema.ts';

/** What the steps share: the file (for errors), the world's ids and how to build resource ids. */
export interface Base {
  file: string;
  raw: RawWorld;
  rgId: string;
  providerId(type: string, name: string): string;
  /** Substitutes ${NAME} placeholders. */
  sub(s: string): string;
}

export function resolveIdentities(b: Base) {
  const { raw, file } = b;
  const fa = raw.functionApp;
  const siteId = b.providerId('Microsoft.Web/sites', fa.name);
  const system: ResolvedIdentity = {
    key: 'system',
    name: `${fa.name} (system-assigned)`,
    kind: 'system-assigned',
    clientId: fa.systemAssigned.clientId,
    principalId: fa.systemAssigned.principalId,
    miResourceId: siteId,
  };
  const uamis: ResolvedIdentity[] = raw.userAssignedIdentities.map((u) => {
    const resourceId = b.providerId('Microsoft.ManagedIdentity/userAssignedIdentities', u.name);
    const { name, clientId, principalId } = u;
    return {
      key: u.wiringKey ?? name,
      name,
      kind: 'user-assigned',
      clientId,
      principalId,
      resourceId,
      miResourceId: resourceId,
    };
  });
  const attached = fa.userAssignedIdentities.map((n, i) => {
    const found = uamis.find((u) => u.name === n);
    if (!found)
      throw new WorldError(
        file,
        `functionApp.userAssignedIdentities[${i}]`,
        `no user-assigned identity named '${n}'`,
      );
    return found.principalId;
  });
  const appRegistrations = raw.appRegistrations.map((a) => ({
    key: a.name,
    name: a.name,
    kind: 'app-registration' as const,
    clientId: a.clientId,
    principalId: a.principalId,
  }));
  const all = [system, ...uamis, ...appRegistrations];
  const dupes = all.map((x) => x.principalId).filter((p, i, arr) => arr.indexOf(p) !== i);
  if (dupes.length) throw new WorldError(file, 'identities', `duplicate principal id ${dupes[0]}`);
  const byWiringKey = (key: string, field: string): ResolvedIdentity => {
    const id = key === 'system' ? system : uamis.find((u) => u.key === key);
    if (!id)
      throw new WorldError(
        file,
        field,
        `identity '${key}' of the wiring has no identity in the world (wiringKey)`,
      );
    return id;
  };
  return { siteId, system, uamis, attached, appRegistrations, byWiringKey };
}

type ByWiringKey = ReturnType<typeof resolveIdentities>['byWiringKey'];

/** Federated identity credentials, from the wiring's identities; parameters from the world's federatedParameters. */
export function resolveFederatedCredentials(b: Base, wiring: RawWiring, byWiringKey: ByWiringKey) {
  const params = b.raw.federatedParameters;
  const out: FederatedCredential[] = [];
  for (const [key, identity] of Object.entries(wiring.identities)) {
    (identity.federatedCredentials ?? []).forEach((fic, i) => {
      const f = `identities.${key}.federatedCredentials[${i}]`;
      const value = (x: string | { parameter: string }, field: string): string => {
        if (typeof x === 'string') return b.sub(x);
        const v = params[x.parameter];
        if (typeof v !== 'string')
          throw new WorldError(
            b.file,
            `federatedParameters.${x.parameter}`,
            `missing (needed by the wiring's ${f}.${field})`,
          );
        return b.sub(v);
      };
      out.push({
        name: fic.name,
        principalId: byWiringKey(key, `wiring ${f}`).principalId,
        issuer: value(fic.issuer, 'issuer'),
        subject: value(fic.subject, 'subject'),
        audiences: fic.audiences,
      });
    });
  }
  for (const x of b.raw.extraFederatedCredentials) out.push({ ...x, issuer: b.sub(x.issuer) });
  return out;
}

export function resolveResources(b: Base) {
  const { raw } = b;
  const keyVaults = raw.keyVaults.map((k) => ({
    name: k.name,
    resourceId: b.providerId('Microsoft.KeyVault/vaults', k.name),
    secrets: k.secrets.map((s) => ({ name: s.name })),
  }));
  const storageAccounts = raw.storageAccounts.map((s) => {
    const accountId = b.providerId('Microsoft.Storage/storageAccounts', s.name);
    return {
      name: s.name,
      resourceId: accountId,
      allowSharedKeyAccess: s.allowSharedKeyAccess,
      containers: s.containers.map((c) => ({
        name: c.name,
        resourceId: `${accountId}/blobServices/default/containers/${c.name}`,
        blobs: c.blobs,
        ...(c.wiringScope !== undefined ? { wiringScope: c.wiringScope } : {}),
      })),
    };
  });
  const armResources = raw.armResources.map((r) => ({
    id: b.providerId(r.type, r.name),
    name: r.name,
    type: r.type,
    location: raw.location,
  }));
  const ai = raw.applicationInsights;
  const applicationInsights = ai && {
    name: ai.name,
    resourceId: b.providerId('Microsoft.Insights/components', ai.name),
  };
  return {
    keyVaults,
    storageAccounts,
    armResources,
    ...(applicationInsights ? { applicationInsights } : {}),
  };
}

type Resources = ReturnType<typeof resolveResources>;

/** Scope bindings: a wiring scope key -> the ARM scope it stands for in this world. */
export function scopeResolver(b: Base, res: Resources) {
  return (key: string, field: string): string => {
    const binding = b.raw.scopeBindings[key];
    const bad = (problem: string) => new WorldError(b.file, `scopeBindings.${key}`, problem);
    if (binding === undefined) throw bad(`missing (needed by ${field})`);
    if (binding === 'resourceGroup') return b.rgId;
    if (binding === 'subscription') return `/subscriptions/${b.raw.subscriptionId}`;
    const [kind, ref] = [binding.slice(0, binding.indexOf(':')), binding.slice(binding.indexOf(':') + 1)];
    if (kind === 'keyVault') {
      const kv = res.keyVaults.find((k) => k.name === ref);
      if (!kv) throw bad(`no key vault named '${ref}'`);
      return kv.resourceId;
    }
    if (kind === 'storageAccount') {
      const sa = res.storageAccounts.find((s) => s.name === ref);
      if (!sa) throw bad(`no storage account named '${ref}'`);
      return sa.resourceId;
    }
    if (kind === 'container') {
      const [acct, cont] = ref.split('/');
      const c = res.storageAccounts.find((s) => s.name === acct)?.containers.find((x) => x.name === cont);
      if (!c) throw bad(`no container '${ref}'`);
      return c.resourceId;
    }
    if (kind === 'appInsights') {
      if (res.applicationInsights?.name !== ref) throw bad(`no Application Insights component '${ref}'`);
      return res.applicationInsights.resourceId;
    }
    if (kind === 'raw') return ref;
    throw bad(
      `unknown binding kind '${kind}' (resourceGroup, subscription, keyVault:, storageAccount:, container:, appInsights:, raw:)`,
    );
  };
}

/**
 * The wiring's app-plane assignments and the host-plane ones the sandbox serves too ("sandbox": true: telemetry
 * ingestion), minus the scenario's removals, plus its extras; effective at once.
 */
export function resolveRoleAssignments(
  b: Base,
  wiring: RawWiring,
  byWiringKey: ByWiringKey,
  scopeOf: ReturnType<typeof scopeResolver>,
): RoleAssignment[] {
  const roleGuid = (role: string, field: string): string => {
    if (GUID.test(role)) return role.toLowerCase();
    const g = wiring.roles[role];
    if (!g)
      throw new WorldError(
        b.file,
        field,
        `unknown role '${role}' (the wiring's roles: ${Object.keys(wiring.roles).join(', ')})`,
      );
    return g;
  };
  const roleNameOf = (guid: string) => Object.entries(wiring.roles).find(([, g]) => g === guid)?.[0];
  type Ref = { identity: string; role: string; scope: string };
  const same = (a: Ref, x: Ref) => a.identity === x.identity && a.role === x.role && a.scope === x.scope;
  const declared = wiring.roleAssignments.filter((d) => (d.plane ?? 'app') === 'app' || d.sandbox === true);
  b.raw.removeRoleAssignments.forEach((r, i) => {
    if (!declared.some((d) => same(d, r)))
      throw new WorldError(
        b.file,
        `removeRoleAssignments[${i}]`,
        `no such assignment in the wiring: ${JSON.stringify(r)}`,
      );
  });
  const createdOn = new Date().toISOString();
  let seq = 0;
  const assignment = (
    principalId: string,
    guid: string,
    scope: string,
    origin: RoleAssignment['origin'],
  ) => ({
    // The declared ones under the name the template gives them (infra/modules/role-assignments.bicep:
    // guid(scope id, principal, role GUID)), so a redeployment PUTs the same assignments; a scenario's extras were
    // granted by hand under a name of their own.
    id:
      origin === 'wiring'
        ? roleAssignmentName(scope, principalId, guid)
        : deterministicGuid(`${principalId}|${guid}|${scope.toLowerCase()}|${seq++}`),
    principalId,
    principalType: 'ServicePrincipal' as const,
    roleDefinitionId: guid,
    roleName: roleNameOf(guid),
    scope,
    origin,
    createdOn,
    // World assignments exist "since deploy": they are effective at once.
    effectiveFrom: 0,
  });
  const out: RoleAssignment[] = [];
  declared.forEach((d, i) => {
    if (b.raw.removeRoleAssignments.some((r) => same(d, r))) return;
    const f = `wiring roleAssignments[${i}]`;
    out.push(
      assignment(byWiringKey(d.identity, f).principalId, roleGuid(d.role, f), scopeOf(d.scope, f), 'wiring'),
    );
  });
  b.raw.extraRoleAssignments.forEach((x, i) => {
    const f = `extraRoleAssignments[${i}]`;
    const principalId =
      x.identity !== undefined ? byWiringKey(x.identity, `${f}.identity`).principalId : x.principalId!;
    const scope = x.scope.startsWith('/') ? x.scope : scopeOf(x.scope, f);
    out.push(assignment(principalId, roleGuid(x.role, `${f}.role`), scope, 'scenario'));
  });
  return out;
}
