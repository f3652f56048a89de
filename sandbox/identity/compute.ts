// Which compute resource each managed identity source represents, and which identities are attached to it.
//
// Decision (also stated in sandbox/worlds/healthy.json): every source represents the world's function app, so
// each exposes the same identity set: the app's system-assigned identity plus the user-assigned identities in
// `functionApp.userAssignedIdentities`. One world then drives every source the same way (a scenario that detaches an
// identity detaches it everywhere), and `xms_mirid` of the system identity is the site's resource id everywhere.
// Cloud Shell and Service Fabric serve the system identity only, because their protocols cannot select another
// (docs/identity-wire.md §6, §8). Identities not attached (e.g. the federated one) are reachable only through Entra.
import type { ResolvedIdentity, World } from '../world.ts';

export interface Selector {
  clientId?: string;
  objectId?: string;
  resourceId?: string;
}

/** The identities attached to the compute resource every managed identity source represents. */
export function attachedIdentities(world: World): ResolvedIdentity[] {
  const system = world.functionApp.systemAssigned;
  const uamis = world.identities.filter(
    (i) => i.kind === 'user-assigned' && world.functionApp.attached.includes(i.principalId),
  );
  return system ? [system, ...uamis] : uamis;
}

/**
 * The attached identity a request selects, or undefined ("Identity not found"). GUIDs and ARM resource ids
 * compare case-insensitively, as Azure compares them. No selector means the system-assigned identity.
 */
export function selectIdentity(world: World, sel: Selector): ResolvedIdentity | undefined {
  const attached = attachedIdentities(world);
  const eq = (a: string | undefined, b: string | undefined) =>
    a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
  if (sel.clientId !== undefined) return attached.find((i) => eq(i.clientId, sel.clientId));
  if (sel.objectId !== undefined) return attached.find((i) => eq(i.principalId, sel.objectId));
  if (sel.resourceId !== undefined) return attached.find((i) => eq(i.resourceId, sel.resourceId));
  return attached.find((i) => i.kind === 'system-assigned');
}

/** How many user-assigned selectors a request carries (more than one is a client error). */
export function selectorCount(sel: Selector): number {
  return [sel.clientId, sel.objectId, sel.resourceId].filter((x) => x !== undefined).length;
}

/** A `resource` the token endpoints accept: an absolute URI or an application id (GUID). */
export function isValidResource(resource: string): boolean {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(resource)) return true;
  try {
    const u = new URL(resource);
    return u.protocol === 'https:' || u.protocol === 'http:' || u.protocol === 'api:';
  } catch {
    return false;
  }
}
