// User-assigned identities and their federated identity credentials (Microsoft.ManagedIdentity). Reads, and the
// credential writes `az identity federated-credential create/delete` make: PUT and DELETE on
// …/userAssignedIdentities/{name}/federatedIdentityCredentials/{fic}. A write changes the world that Entra matches
// assertions against, at once (Entra's own replication delay is not reproduced).
import type { FederatedCredential } from '../../world.ts';
import { armErrors as E } from './errors.ts';
import { FIC_TYPE, UAMI_TYPE } from './model.ts';
import type { ArmModel, UserAssignedIdentity } from './model.ts';
import { eq, page, readBodyObject, requireAction, send } from './request.ts';
import type { Req } from './request.ts';

/** Entra keeps at most 20 federated identity credentials per identity or application. */
const MAX_FICS = 20;
/** Credential names: 3-120 characters, letters, digits, '-' and '_', starting with a letter or digit. */
const FIC_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/;

export function identityBody(i: UserAssignedIdentity): Record<string, unknown> {
  return {
    id: i.id,
    name: i.name,
    type: UAMI_TYPE,
    location: i.location,
    tags: {},
    properties: {
      isolationScope: 'None',
      tenantId: i.tenantId,
      principalId: i.principalId,
      clientId: i.clientId,
    },
  };
}

const rgScope = (r: Req) => `/subscriptions/${r.model.world.subscriptionId}/resourceGroups/${r.params.rg}`;
const identityId = (r: Req) => `${rgScope(r)}/providers/${UAMI_TYPE}/${r.params.name}`;

export function listIdentities(r: Req): void {
  const rg = r.params.rg as string | undefined;
  const scope = rg === undefined ? `/subscriptions/${r.model.world.subscriptionId}` : rgScope(r);
  requireAction(r, `${UAMI_TYPE}/read`, scope);
  if (rg !== undefined && !r.model.hasResourceGroup(rg)) throw E.resourceGroupNotFound(rg);
  const all = r.model.identities.filter((i) => rg === undefined || eq(i.resourceGroup, rg));
  page(r, all, () => true, identityBody);
}

function findIdentityOr404(r: Req): UserAssignedIdentity {
  const { rg, name } = r.params;
  if (!r.model.hasResourceGroup(rg)) throw E.resourceGroupNotFound(rg);
  const i = r.model.findIdentity(rg, name);
  if (!i) throw E.resourceNotFound(UAMI_TYPE, name, rg);
  return i;
}

export function getIdentity(r: Req): void {
  requireAction(r, `${UAMI_TYPE}/read`, identityId(r));
  send(r, 200, identityBody(findIdentityOr404(r)));
}

type Fic = ReturnType<ArmModel['federatedCredentials']>[number];

const ficBody = (f: Fic) => ({
  id: f.id,
  name: f.name,
  type: FIC_TYPE,
  properties: { issuer: f.issuer, subject: f.subject, audiences: f.audiences },
});

export function listFederatedCredentials(r: Req): void {
  requireAction(r, `${FIC_TYPE}/read`, identityId(r));
  page(r, r.model.federatedCredentials(findIdentityOr404(r)), () => true, ficBody);
}

export function getFederatedCredential(r: Req): void {
  requireAction(r, `${FIC_TYPE}/read`, `${identityId(r)}/federatedIdentityCredentials/${r.params.fic}`);
  const i = findIdentityOr404(r);
  const f = r.model.federatedCredentials(i).find((x) => eq(x.name, r.params.fic));
  if (!f) throw E.resourceNotFound(FIC_TYPE, `${r.params.name}/${r.params.fic}`, r.params.rg);
  send(r, 200, ficBody(f));
}

/** The issuer, subject and audiences of a PUT body, or ARM's 400 naming what is wrong. */
function ficProperties(body: Record<string, unknown>): Omit<FederatedCredential, 'name' | 'principalId'> {
  const p = body.properties as Record<string, unknown> | undefined;
  if (typeof p !== 'object' || p === null)
    throw E.badRequest(
      'BadRequest',
      "The request body must carry 'properties' with issuer, subject and audiences.",
    );
  const { issuer, subject, audiences } = p;
  let url: URL | undefined;
  try {
    url = typeof issuer === 'string' ? new URL(issuer) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:')
    throw E.badRequest('BadRequest', "The 'issuer' of a federated identity credential must be an https URL.");
  if (typeof subject !== 'string' || subject.trim() === '')
    throw E.badRequest('BadRequest', "The 'subject' of a federated identity credential is required.");
  if (
    !Array.isArray(audiences) ||
    audiences.length !== 1 ||
    typeof audiences[0] !== 'string' ||
    !audiences[0]
  )
    throw E.badRequest(
      'BadRequest',
      "The 'audiences' of a federated identity credential must hold exactly one value.",
    );
  return { issuer: issuer as string, subject, audiences: [audiences[0]] };
}

export async function putFederatedCredential(r: Req): Promise<void> {
  const { fic } = r.params;
  requireAction(r, `${FIC_TYPE}/write`, `${identityId(r)}/federatedIdentityCredentials/${fic}`);
  const identity = findIdentityOr404(r);
  if (!FIC_NAME.test(fic))
    throw E.badRequest(
      'BadRequest',
      `The federated identity credential name '${fic}' is invalid: use 3-120 letters, digits, '-' or '_', starting with a letter or digit.`,
    );
  const props = ficProperties(await readBodyObject(r));
  const world = r.model.world;
  const own = world.federatedCredentials.filter((f) => f.principalId === identity.principalId);
  const existing = own.find((f) => eq(f.name, fic));
  const clash = own.find((f) => f !== existing && f.issuer === props.issuer && f.subject === props.subject);
  if (clash)
    throw E.badRequest(
      'BadRequest',
      `The federated identity credential '${clash.name}' already has issuer '${props.issuer}' and subject '${props.subject}'.`,
    );
  if (!existing && own.length >= MAX_FICS)
    throw E.badRequest(
      'BadRequest',
      `An identity can hold at most ${MAX_FICS} federated identity credentials.`,
    );
  if (existing) Object.assign(existing, props);
  else world.federatedCredentials.push({ name: fic, principalId: identity.principalId, ...props });
  const stored = r.deps
    .model()
    .federatedCredentials(identity)
    .find((x) => eq(x.name, fic))!;
  send(r, existing ? 200 : 201, ficBody(stored));
}

export function deleteFederatedCredential(r: Req): void {
  const { fic } = r.params;
  requireAction(r, `${FIC_TYPE}/delete`, `${identityId(r)}/federatedIdentityCredentials/${fic}`);
  const identity = findIdentityOr404(r);
  const list = r.model.world.federatedCredentials;
  const at = list.findIndex((f) => f.principalId === identity.principalId && eq(f.name, fic));
  if (at < 0) return send(r, 204);
  list.splice(at, 1);
  send(r, 200);
}
