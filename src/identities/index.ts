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
import type { IdentityPath } from '../core/plugins.ts';
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

/**
 * The paths' credentials, each created on first use and reused; a constructor error is kept too (it depends only on
 * settings). One set per app (orchestration/app.ts), shared by the probes and the privileges check.
 */
export class Credentials {
  readonly #credentials = new Map<PathId, Promise<TokenCredential>>();

  /** The path's credential. */
  for(path: PathId, config: Config): Promise<TokenCredential> {
    let p = this.#credentials.get(path);
    if (!p) {
      const identity = IDENTITY_PATHS[path];
      p = identity.create(config).then((c) => new OneAtATimeCredential(c, identity.cacheKey(config)));
      p.catch(() => {}); // observed by every caller; this only prevents an unhandled-rejection warning
      this.#credentials.set(path, p);
    }
    return p;
  }
}

/** A new credential for the path that asks its token endpoint on every getToken (timer runs; never memoized). */
export function freshCredentialFor(path: PathId, config: Config): Promise<TokenCredential> {
  return freshCredential(IDENTITY_PATHS[path], config);
}
