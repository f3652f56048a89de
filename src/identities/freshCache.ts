// Fresh acquisition, managed identity half: what really bypasses the caches in @azure/identity 4.14 / msal-node 7.
// - ManagedIdentityCredential.getToken passes only { resource } to msal-node's ManagedIdentityApplication.acquireToken
//   (dist/esm/credentials/managedIdentityCredential/index.js): GetTokenOptions.claims and forceRefresh never reach
//   MSAL, so no getToken option skips its cache.
// - A new credential instance does not either: ManagedIdentityApplication keeps its token cache in a *static*
//   NodeStorage (ManagedIdentityApplication.nodeStorage), shared by every instance in the process, keyed by the
//   selector (client/object/resource id, or "system_assigned_managed_identity") and the resource.
// So a fresh acquisition takes this selector's entry for this resource out of that shared cache, lets the path's
// own credential ask the identity endpoint, and, when that fails, puts the old entry back: the token the app
// already holds keeps working for the HTTP probes until it expires, exactly as it would without the timer run.
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { ManagedIdentityApplication } from '@azure/msal-node';

interface CachedToken {
  clientId?: string;
  target?: string;
  expiresOn?: string;
}
interface SharedStorage {
  getTokenKeys(): { accessToken: string[] };
  getAccessTokenCredential(key: string): CachedToken | null;
  removeItem(key: string): boolean;
  setItem(key: string, value: unknown): void;
}

/** msal-node's id for the system-assigned identity (DEFAULT_MANAGED_IDENTITY_ID in its Constants). */
const SYSTEM_ID = 'system_assigned_managed_identity';

/** The msal-node selector id a path's cache key names ('mi:system', 'mi:client_id:<id>', ...); undefined if none. */
export function msalSelectorId(cacheKey: string): string | undefined {
  if (cacheKey === 'mi:system') return SYSTEM_ID;
  const m = /^mi:(?:client_id|object_id|resource_id):(.+)$/.exec(cacheKey);
  return m?.[1];
}

function sharedStorage(): SharedStorage {
  const storage = (ManagedIdentityApplication as unknown as { nodeStorage?: SharedStorage }).nodeStorage;
  // The credential was constructed before this runs, so msal-node has created its storage: if it is not where
  // msal-node 7 keeps it, a fresh acquisition cannot be promised, and that is an error, not a silent cache hit.
  if (!storage || typeof storage.getTokenKeys !== 'function')
    throw new Error(
      'fresh token acquisition is unavailable: msal-node no longer keeps its managed identity cache in ManagedIdentityApplication.nodeStorage',
    );
  return storage;
}

const resourceOf = (scopes: string | string[]) => [scopes].flat()[0].replace(/\/\.default$/, '');

/** Removes the selector's cached tokens for the resource; returns them so that they can be put back. */
export function evictManagedIdentityTokens(
  selectorId: string,
  resource: string,
): Array<[string, CachedToken]> {
  const storage = sharedStorage();
  const id = selectorId.toLowerCase();
  const res = resource.toLowerCase().replace(/\/$/, '');
  const removed: Array<[string, CachedToken]> = [];
  for (const key of storage.getTokenKeys().accessToken) {
    const t = storage.getAccessTokenCredential(key);
    if (!t || t.clientId?.toLowerCase() !== id) continue;
    if (!(t.target ?? '').toLowerCase().replace(/\/$/, '').includes(res)) continue;
    storage.removeItem(key);
    removed.push([key, t]);
  }
  return removed;
}

/** Puts evicted entries back, unless a newer token for the same key arrived meanwhile. */
export function restoreManagedIdentityTokens(entries: Array<[string, CachedToken]>): void {
  if (!entries.length) return;
  const storage = sharedStorage();
  for (const [key, t] of entries) if (!storage.getAccessTokenCredential(key)) storage.setItem(key, t);
}

/** Wraps a managed identity path's credential: every getToken goes to the identity endpoint. */
export class FreshManagedIdentityCredential implements TokenCredential {
  readonly #inner: TokenCredential;
  readonly #selectorId: string;
  constructor(inner: TokenCredential, selectorId: string) {
    this.#inner = inner;
    this.#selectorId = selectorId;
  }
  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    const evicted = evictManagedIdentityTokens(this.#selectorId, resourceOf(scopes));
    try {
      return await this.#inner.getToken(scopes, options);
    } catch (err) {
      restoreManagedIdentityTokens(evicted);
      throw err;
    }
  }
}
