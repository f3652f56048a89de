// Fresh acquisition for timer runs (docs/usage.md "Fresh tokens on every timer run"): a new instance of the path's
// credential, which therefore has no token of its own (the federated path: its own external token read and its own
// MSAL client), and for managed identity paths the shared msal-node cache entry taken out first (freshCache.ts).
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import type { Config } from '../config.ts';
import { FreshManagedIdentityCredential, msalSelectorId } from './freshCache.ts';
import type { IdentityPath } from '../core/plugins.ts';

/** A credential whose every getToken is a new token request for `identity`'s selector. */
export async function freshCredential(identity: IdentityPath, config: Config): Promise<TokenCredential> {
  const credential = await identity.create(config, { fresh: true });
  const selector = msalSelectorId(identity.cacheKey(config));
  return selector ? new FreshManagedIdentityCredential(credential, selector) : credential;
}

/**
 * One token request per scope for the life of this credential, which is one timer run (probes/timerRun.ts): the
 * probes of an identity whose resources share an audience (two vaults, a container and a queue) share the run's fresh
 * token, so a run costs one request per identity and audience however many resources it probes. Callers at the same
 * time share the request in flight, made with the first caller's options (the run's probes start together, with the
 * same deadline); each caller still stops waiting at its own abort signal. A request with claims (a Continuous Access
 * Evaluation challenge: https://learn.microsoft.com/entra/identity-platform/app-resilience-continuous-access-evaluation)
 * is never shared.
 */
export class OncePerScopeCredential implements TokenCredential {
  readonly #inner: TokenCredential;
  readonly #tokens = new Map<string, Promise<AccessToken | null>>();
  constructor(inner: TokenCredential) {
    this.#inner = inner;
  }
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    if (options?.claims) return this.#inner.getToken(scopes, options);
    if (options?.abortSignal?.aborted) return Promise.reject(aborted());
    const key = `${[scopes].flat().join(' ')}|${options?.tenantId ?? ''}`;
    let token = this.#tokens.get(key);
    if (!token) {
      token = this.#inner.getToken(scopes, options);
      token.catch(() => {}); // each caller observes it
      this.#tokens.set(key, token);
    }
    return untilAborted(token, options?.abortSignal);
  }
}

type Signal = NonNullable<GetTokenOptions['abortSignal']>;

/** An AbortError as the Azure SDK raises one (its retry and error handling go by the name). */
const aborted = () => Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });

function untilAborted<T>(p: Promise<T>, signal: Signal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(aborted());
    signal.addEventListener('abort', stop);
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}
