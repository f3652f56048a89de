// Names of the wired identities (the catalog's IDENTITIES: system, app, federated), keyed by the object id the
// settings give each, so the status page can say which identity answered a probe, by name, next to the attested oid.
import { IDENTITIES, type IdentityFacts, type IdentityKey } from '../../../common/catalog.ts';
import type { Config } from '../../config.ts';

export interface WiredIdentity {
  /** The catalog's key: system, app, federated. */
  name: string;
  kind: string;
  oid: string;
}

/** How the page describes an identity: its kind, and for a user-assigned one how the app reaches it. */
function kindOf(facts: IdentityFacts): string {
  if (facts.kind !== 'user-assigned') return facts.kind;
  return `${facts.kind}, ${facts.federatedCredentials ? 'federated' : facts.attachedToApp ? 'attached' : 'detached'}`;
}

/** Every identity that serves a path and whose object id the settings give (the host plane's serves none). */
export function wiredIdentities(config: Config): WiredIdentity[] {
  return (Object.entries(IDENTITIES) as Array<[IdentityKey, IdentityFacts]>).flatMap(([name, facts]) => {
    const oid = facts.settings.principalId
      ?.map((setting) => config.values[setting as keyof Config['values']])
      .find((v) => v !== undefined);
    return facts.paths.length && oid ? [{ name, kind: kindOf(facts), oid: oid.toLowerCase() }] : [];
  });
}
