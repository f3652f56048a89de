// Names of the wired identities (infra/identity-wiring.json "identities"), keyed by the object id the settings
// give each, so the status page can say which identity answered a probe, by name, next to the attested oid.
import type { Config } from '../../config.ts';

export interface WiredIdentity {
  /** The wiring's key: system, app, federated. */
  name: string;
  kind: string;
  oid: string;
}

export function wiredIdentities(config: Config): WiredIdentity[] {
  const all: Array<[string, string, string | undefined]> = [
    ['system', 'system-assigned', config.systemPrincipalId],
    ['app', 'user-assigned, attached', config.uami.objectId],
    ['federated', 'user-assigned, federated', config.federated.principalId],
  ];
  return all.filter(([, , oid]) => oid).map(([name, kind, oid]) => ({ name, kind, oid: oid!.toLowerCase() }));
}
