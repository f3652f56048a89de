// Fresh acquisition for timer runs (docs/usage.md "Fresh tokens on every timer run"): a new instance of the path's
// credential, which therefore has no token of its own (the federated path: its own external token read and its own
// MSAL client), and for managed identity paths the shared msal-node cache entry taken out first (freshCache.ts).
import type { TokenCredential } from '@azure/identity';
import type { Config } from '../config.ts';
import { FreshManagedIdentityCredential, msalSelectorId } from './freshCache.ts';
import type { IdentityPath } from '../core/plugins.ts';

/** A credential whose every getToken is a new token request for `identity`'s selector. */
export async function freshCredential(identity: IdentityPath, config: Config): Promise<TokenCredential> {
  const credential = await identity.create(config, { fresh: true });
  const selector = msalSelectorId(identity.cacheKey(config));
  return selector ? new FreshManagedIdentityCredential(credential, selector) : credential;
}
