// The attested call: how the probes (probes/runner.ts), the privileges check (privileges/check.ts) and the status
// store (status/store.ts) call a service with a managed identity. Each keeps one SDK client per key, built once
// around an attesting wrapper of its credential (docs/design.md "Credentials are built once per process"); a call
// runs with a token record under a deadline that holds even when the token request ignores its abort signal
// (managed identity requests have no timeout: docs/identity-wire.md §1.7); the claims to attest are this call's
// token's, else those the client was still sending; and a client whose token request hung is forgotten, because its
// token cycler would wait on that request forever.
import type { TokenCredential } from '@azure/identity';
import { AttestingCredential, withTokenRecord, type TokenRecord } from './attestation.ts';
import { raceDeadline } from './deadline.ts';
import type { Claims } from './results.ts';

/** An SDK client and the attesting wrapper of the credential it was built with. */
export interface AttestedClient<C> {
  wrapper: AttestingCredential;
  client: C;
}

/** Wraps `credential` and builds the client around the wrapper. */
export async function attestedClient<C>(
  credential: TokenCredential,
  make: (credential: AttestingCredential) => C | Promise<C>,
): Promise<AttestedClient<C>> {
  const wrapper = new AttestingCredential(credential);
  return { wrapper, client: await make(wrapper) };
}

/** Clients built once per key and reused; a failure to build is kept too (it depends only on settings). */
export class ClientMemo<K, C> {
  readonly #clients = new Map<K, Promise<AttestedClient<C>>>();

  /** The key's client, built by `build` on first use. */
  get(key: K, build: () => Promise<AttestedClient<C>>): Promise<AttestedClient<C>> {
    let p = this.#clients.get(key);
    if (!p) {
      p = build();
      p.catch(() => {}); // every caller awaits it; this only avoids an unhandled-rejection warning
      this.#clients.set(key, p);
    }
    return p;
  }

  /** Forgets the key's client (its token request hung), unless it has been replaced since (`only`). */
  forget(key: K, only?: Promise<AttestedClient<C>>): void {
    if (only === undefined || this.#clients.get(key) === only) this.#clients.delete(key);
  }

  /** The keys of the clients built so far. */
  keys(): K[] {
    return [...this.#clients.keys()];
  }
}

/** What a call attests: the claims of the token it obtained, else (no token error) those the client is sending. */
export function claimsOf(record: TokenRecord, wrapper: AttestingCredential | undefined): Claims | undefined {
  return record.claims.at(-1) ?? (record.error === undefined ? wrapper?.lastClaims : undefined);
}

/**
 * Runs `work` with `record` as its token record, rejecting at the deadline (`onDeadline()`) even if `work` is
 * stuck in token acquisition (no `deadlineMs`: `work` bounds itself); the record is closed when it settles, so late
 * token events are ignored.
 */
export async function attestedCall<T>(
  record: TokenRecord,
  work: () => Promise<T>,
  deadlineMs?: number,
  onDeadline?: () => Error,
): Promise<T> {
  try {
    const call = withTokenRecord(record, work);
    return await (deadlineMs === undefined ? call : raceDeadline(call, deadlineMs, onDeadline));
  } finally {
    record.closed = true;
  }
}
