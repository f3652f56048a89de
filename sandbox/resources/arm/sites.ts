// The function app as Microsoft.Web/sites: GET, and the PUT / PATCH that `az functionapp identity assign` and
// `remove` send (GET the site, change `identity`, PUT it back). Only `identity` is writable here; the rest of the
// body is what GET answered. Attaching a user-assigned identity needs, besides `Microsoft.Web/sites/write` on the
// site, `Microsoft.ManagedIdentity/userAssignedIdentities/assign/action` on the identity (ARM's linked
// authorization). The change reaches every managed identity source at once: they serve what the world attaches.
import type { ResolvedIdentity, World } from '../../world.ts';
import { armErrors as E } from './errors.ts';
import { UAMI_TYPE } from './model.ts';
import { allowed, eq, forbidden, readBodyObject, requireAction, send } from './request.ts';
import type { Req } from './request.ts';

const A = {
  read: 'Microsoft.Web/sites/read',
  write: 'Microsoft.Web/sites/write',
  assign: `${UAMI_TYPE}/assign/action`,
};

/** The system-assigned identity a world was loaded with, kept while it is turned off (restored on assign). */
const originalSystem = new WeakMap<World, ResolvedIdentity>();

function siteOr404(r: Req) {
  const { rg, name } = r.params;
  if (!r.model.hasResourceGroup(rg)) throw E.resourceGroupNotFound(rg);
  const w = r.model.world;
  if (!eq(name, w.functionApp.name)) throw E.resourceNotFound('Microsoft.Web/sites', name, rg);
  const site = r.model.findResource(w.functionApp.resourceId);
  if (!site) throw E.resourceNotFound('Microsoft.Web/sites', name, rg);
  return site;
}

function siteBody(r: Req): Record<string, unknown> {
  const site = siteOr404(r);
  const w = r.model.world;
  const host = `${w.functionApp.name}.azurewebsites.net`;
  return {
    id: site.id,
    name: site.name,
    type: 'Microsoft.Web/sites',
    kind: site.kind,
    location: site.location,
    tags: site.tags,
    properties: {
      name: site.name,
      state: 'Running',
      hostNames: [host],
      enabledHostNames: [host, `${w.functionApp.name}.scm.azurewebsites.net`],
      defaultHostName: host,
      enabled: true,
      reserved: true,
      httpsOnly: true,
      resourceGroup: w.resourceGroup,
      provisioningState: 'Succeeded',
    },
    identity: site.identity,
  };
}

export function getSite(r: Req): void {
  requireAction(r, A.read, `${r.model.world.resourceGroupId}/providers/Microsoft.Web/sites/${r.params.name}`);
  send(r, 200, siteBody(r));
}

interface IdentityChange {
  system: boolean;
  /** Principal ids of the user-assigned identities to attach, in full. */
  attached: string[];
}

/** The identity set a PUT (the full set) or PATCH (merged; `null` removes one) asks for. */
function requestedIdentities(r: Req, body: Record<string, unknown>, patch: boolean): IdentityChange {
  const w = r.model.world;
  const current: IdentityChange = {
    system: !!w.functionApp.systemAssigned,
    attached: [...w.functionApp.attached],
  };
  const id = body.identity as { type?: unknown; userAssignedIdentities?: unknown } | undefined;
  if (id === undefined || id === null) return patch ? current : { system: false, attached: [] };
  const type = typeof id.type === 'string' ? id.type.replace(/\s/g, '').toLowerCase() : '';
  const known = ['none', 'systemassigned', 'userassigned', 'systemassigned,userassigned'];
  if (!known.includes(type))
    throw E.badRequest(
      'BadRequest',
      `The identity type '${String(id.type)}' is not valid; use None, SystemAssigned, UserAssigned or 'SystemAssigned, UserAssigned'.`,
    );
  const uais = (id.userAssignedIdentities ?? {}) as Record<string, unknown>;
  const attached = new Set(patch && type.includes('userassigned') ? current.attached : []);
  for (const [resourceId, value] of Object.entries(uais)) {
    const identity = w.identities.find((i) => i.resourceId && eq(i.resourceId, resourceId));
    if (!identity)
      throw E.badRequest(
        'BadRequest',
        `The user-assigned identity '${resourceId}' was not found; check its resource ID.`,
      );
    if (value === null) attached.delete(identity.principalId);
    else attached.add(identity.principalId);
  }
  return {
    system: type.includes('systemassigned'),
    attached: type.includes('userassigned') ? [...attached] : [],
  };
}

function applyIdentities(r: Req, change: IdentityChange): void {
  const w = r.model.world;
  const siteId = w.functionApp.resourceId;
  for (const principalId of change.attached) {
    if (w.functionApp.attached.includes(principalId)) continue;
    const identity = w.identities.find((i) => i.principalId === principalId)!;
    if (!allowed(r, A.assign, identity.resourceId!))
      throw E.linkedAuthorizationFailed(
        r.claims.appid ?? r.claims.oid,
        r.claims.oid,
        A.write,
        siteId,
        A.assign,
        identity.resourceId!,
      );
  }
  const system = w.functionApp.systemAssigned;
  if (system && !change.system) originalSystem.set(w, system);
  w.functionApp.systemAssigned = change.system ? (system ?? originalSystem.get(w)) : undefined;
  w.functionApp.attached = change.attached;
}

export async function writeSite(r: Req, patch: boolean): Promise<void> {
  const siteId = `${r.model.world.resourceGroupId}/providers/Microsoft.Web/sites/${r.params.name}`;
  if (!allowed(r, A.write, siteId)) throw forbidden(r, A.write, siteId);
  siteOr404(r);
  const change = requestedIdentities(r, await readBodyObject(r), patch);
  applyIdentities(r, change);
  send(r, 200, siteBody({ ...r, model: r.deps.model() }));
}
