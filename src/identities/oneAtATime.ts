import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';

/** How long a token request waits for another one filling the same cache entry before going ahead anyway. */
const PEER_WAIT_MS = 2000;
const inflight = new Map<string, Promise<unknown>>();

/**
 * Lets one token request per cache entry (path cacheKey + scope) run at a time, process-wide. msal-node does not
 * coalesce concurrent requests, so paths that share an entry (uami-client-id and default-chain) would each ask
 * the identity endpoint on a cold start; waiting for the first lets the second be answered from the cache
 * (docs/pain-points.md P8). The wait is bounded: a hung request must not stall the next probes.
 */
export class OneAtATimeCredential implements TokenCredential {
  readonly #inner: TokenCredential;
  readonly #key: string;
  readonly #peerWaitMs: number;
  constructor(inner: TokenCredential, key: string, peerWaitMs = PEER_WAIT_MS) {
    this.#inner = inner;
    this.#key = key;
    this.#peerWaitMs = peerWaitMs;
  }
  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    const key = `${this.#key}|${[scopes].flat().join(' ')}`;
    const previous = inflight.get(key);
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    inflight.set(key, mine);
    try {
      if (previous) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([previous, new Promise((r) => (timer = setTimeout(r, this.#peerWaitMs)))]);
        clearTimeout(timer);
      }
      return await this.#inner.getToken(scopes, options);
    } finally {
      done();
      if (inflight.get(key) === mine) inflight.delete(key);
    }
  }
}
