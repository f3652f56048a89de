// The Bicep's identities and federated credentials: one resource per declared user-assigned identity with its IDs in
// the identities output, and the declared credentials deployed by one loop over the declaration on their identity.
import type { Wiring } from '../wiring.ts';
import { ID, MAIN, type BicepSet } from './common.ts';

/** The user-assigned identities: `<key>Identity` in identities.bicep, with their IDs in output `identities`. */
export function checkIdentities(set: BicepSet, w: Wiring): void {
  const keys = Object.keys(w.identities).filter((k) => w.identities[k].kind === 'user-assigned');
  const found = set.all('resource', 'Microsoft.ManagedIdentity/userAssignedIdentities');
  for (const { file, d } of found)
    if (file !== ID || d.existing || !keys.some((k) => d.name === `${k}Identity`))
      set.bad(
        `${file}:${d.line} resource ${d.name}: an identity the declaration does not have (<key>Identity in ${ID})`,
      );
  for (const k of keys) {
    if (!found.some(({ file, d }) => file === ID && d.name === `${k}Identity`))
      set.bad(`${ID} has no resource ${k}Identity for the declared identity '${k}'`);
    set.want(ID, 'output identities', [
      [`${k}.clientId`, `${k}Identity.properties.clientId`],
      [`${k}.principalId`, `${k}Identity.properties.principalId`],
      [`${k}.resourceId`, `${k}Identity.id`],
    ]);
  }
}

/** Federated credentials: one @batchSize(1) loop over the declaration's, parented to the identity that has them. */
export function checkFederatedCredentials(set: BicepSet, w: Wiring): void {
  const owners = Object.keys(w.identities).filter((k) => w.identities[k].federatedCredentials?.length);
  const fics = set.all(
    'resource',
    'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials',
  );
  if (owners.length !== 1 || fics.length !== 1)
    return set.bad(
      `${ID} has ${fics.length} credential loop(s) for ${owners.length} identities with credentials (need 1)`,
    );
  const [owner, { file, d }] = [owners[0], fics[0]];
  const v = /^ *for (\w+) in federatedCredentials: \{$/.exec(d.body[0] ?? '')?.[1];
  if (file !== ID || !v)
    return set.bad(`${file}:${d.line} ${d.name}: must be a loop 'for x in federatedCredentials'`);
  if (!d.decorators.includes('@batchSize(1)'))
    set.bad(`${ID}:${d.line} ${d.name} needs @batchSize(1) (Entra ID rejects concurrent credential writes)`);
  set.want(ID, `resource ${d.name}`, [
    ['parent', `${owner}Identity`],
    ['name', `${v}.name`],
    ['properties.issuer', `federatedParameters[${v}.issuer.parameter]`],
    ['properties.subject', `federatedParameters[${v}.subject.parameter]`],
    ['properties.audiences', `${v}.audiences`],
  ]);
  // main.bicep passes the owner's credentials, and each deployment parameter they name under its own name.
  const params = (w.identities[owner].federatedCredentials ?? []).flatMap((c) =>
    [c.issuer, c.subject].flatMap((f) => (typeof f === 'object' ? [f.parameter] : [])),
  );
  set.want(MAIN, 'module identities', [
    ['params.federatedCredentials', `wiring.identities.${owner}.federatedCredentials`],
    ...params.map((p): [string, string] => [`params.federatedParameters.${p}`, p]),
  ]);
}
