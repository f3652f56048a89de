// The six identity paths (docs/design.md "Identity paths"), and their credentials: built once per process and reused, because the
// SDK caches tokens per credential instance and a credential per request gets throttled (docs/pain-points.md P8).
import type { TokenCredential } from '@azure/identity';
import type { Config } from '../config.ts';
import type { PathId } from '../ids.ts';
import { defaultChain } from './defaultChain.ts';
import { federated } from './federated.ts';
import { freshCredential } from './fresh.ts';
import { OneAtATimeCredential } from './oneAtATime.ts';
import { systemAssigned } from './systemAssigned.ts';
import type { IdentityKindPlugin, IdentityPath } from '../core/plugins.ts';
import { uamiClientId } from './uamiClientId.ts';
import { uamiObjectId } from './uamiObjectId.ts';
import { uamiResourceId } from './uamiResourceId.ts';

export { federatedTokenStatus } from './federated.ts';

export const IDENTITY_PATHS: Readonly<Record<PathId, IdentityPath>> = Object.freeze({
  'system-assigned': systemAssigned,
  'uami-client-id': uamiClientId,
  'uami-object-id': uamiObjectId,
  'uami-resource-id': uamiResourceId,
  'default-chain': defaultChain,
  federated,
});

/** Something that can be given a credential: a declared identity (core/plan.ts), or a catalog path by its id. */
export interface CredentialOwner {
  name: string;
  path: IdentityPath;
  config: Config;
}

function ownerOf(who: PathId | CredentialOwner, config?: Config): CredentialOwner {
  if (typeof who !== 'string') return who;
  if (!config) throw new Error('a path id needs its config');
  return { name: who, path: IDENTITY_PATHS[who], config };
}

/**
 * The identities' credentials, by declared name, each created on first use and reused; a constructor error is kept
 * too (it depends only on settings). One set per app (orchestration/app.ts), shared by the probes and the privileges
 * check.
 */
export class Credentials {
  readonly #credentials = new Map<string, Promise<TokenCredential>>();

  /** The identity's credential (a catalog path id with its config, or a declared identity). */
  for(who: PathId | CredentialOwner, config?: Config): Promise<TokenCredential> {
    const { name, path: identity, config: settings } = ownerOf(who, config);
    let p = this.#credentials.get(name);
    if (!p) {
      p = identity.create(settings).then((c) => new OneAtATimeCredential(c, identity.cacheKey(settings)));
      p.catch(() => {}); // observed by every caller; this only prevents an unhandled-rejection warning
      this.#credentials.set(name, p);
    }
    return p;
  }
}

/** A new credential for the identity that asks its token endpoint on every getToken (timer runs; never memoized). */
export function freshCredentialFor(who: PathId | CredentialOwner, config?: Config): Promise<TokenCredential> {
  const { path, config: settings } = ownerOf(who, config);
  return freshCredential(path, settings);
}

const field = (fields: Readonly<Record<string, string>>, name: string): string | undefined => fields[name];

/** The user-assigned path by its declared `selectBy`. */
const BY_SELECTOR: Readonly<Record<string, IdentityPath>> = {
  'client-id': uamiClientId,
  'object-id': uamiObjectId,
  'resource-id': uamiResourceId,
};

/**
 * Declared identity kinds (common/declaration/schema.ts IDENTITY_KINDS): the path module each runs on, and the
 * settings its fields become (core/plugins.ts IdentityKindPlugin).
 */
export const IDENTITY_KINDS: readonly IdentityKindPlugin[] = [
  {
    kind: 'system-assigned',
    path: () => systemAssigned,
    settings: (f) => ({ SYSTEM_PRINCIPAL_ID: field(f, 'principalId') }),
  },
  {
    kind: 'user-assigned',
    path: (f) => BY_SELECTOR[f.selectBy] ?? uamiClientId,
    // Every id is the declared one or none: the app's own UAMI_* must not be attested against another identity.
    settings: (f) => ({
      UAMI_CLIENT_ID: field(f, 'clientId'),
      UAMI_OBJECT_ID: field(f, 'principalId'),
      UAMI_RESOURCE_ID: field(f, 'resourceId'),
    }),
  },
  {
    kind: 'default-chain',
    path: () => defaultChain,
    settings: (f) => {
      const clientId = field(f, 'clientId');
      const principalId = field(f, 'principalId');
      // The oid to attest: given, it is the identity's whether AZURE_CLIENT_ID names a user-assigned one (then as
      // that identity's UAMI_*: identities/expected.ts defaultChainIdentity) or not (the system-assigned one).
      // Not given, the app's settings say it, as they do for the canary demo's chain.
      const oid = principalId
        ? clientId
          ? { UAMI_CLIENT_ID: clientId, UAMI_OBJECT_ID: principalId, UAMI_RESOURCE_ID: undefined }
          : { SYSTEM_PRINCIPAL_ID: principalId }
        : {};
      return {
        AZURE_CLIENT_ID: clientId,
        AZURE_TOKEN_CREDENTIALS: field(f, 'tokenCredentials'),
        ...oid,
      };
    },
  },
  {
    kind: 'federated',
    path: () => federated,
    settings: (f, base) => ({
      AZURE_TENANT_ID: field(f, 'tenantId'),
      FEDERATED_CLIENT_ID: field(f, 'clientId'),
      FEDERATED_PRINCIPAL_ID: field(f, 'principalId'),
      FEDERATED_TOKEN_FILE: field(f, 'tokenFile'),
      FEDERATED_TOKEN_URL: field(f, 'tokenUrl'),
      // Only remediation reads the identity's resource id (its name and group); it is the app's own identity's.
      FEDERATED_RESOURCE_ID:
        field(f, 'clientId')?.toLowerCase() === base.federated.clientId?.toLowerCase()
          ? base.federated.resourceId
          : undefined,
    }),
  },
];
