// One way to issue an access token for an identity, shared by every managed identity source and by Entra:
// apply this endpoint's token faults, sign with the tenant's key (sandbox/core/tokens.ts), and count it.
import type { SandboxContext } from '../core/context.ts';
import type { EndpointName } from '../core/faults.ts';
import { TOKEN_FAULT_KINDS } from '../core/faults.ts';
import type { IssuedToken } from '../core/tokens.ts';
import type { ResolvedIdentity } from '../world.ts';

/** The audience a `wrong-audience` fault puts into tokens. */
export const WRONG_AUDIENCE = 'https://wrong-audience.invalid';

/** Counter key per source (admin /_sandbox/counters `bySource`). */
export type TokenSource =
  'appService' | 'imds' | 'arc' | 'cloudShell' | 'serviceFabric' | 'azureMl' | 'entra';

export interface IssueRequest {
  source: TokenSource;
  /** Endpoint whose token faults apply (same name as the source). */
  endpoint: EndpointName;
  identity: ResolvedIdentity;
  /** The resource exactly as requested: becomes `aud` (docs/identity-wire.md §11). */
  resource: string;
  lifetimeSeconds?: number;
  /** Entra: "1" for a client secret, "2" for an assertion or managed identity (default). */
  appidacr?: '1' | '2';
}

export async function issueAccessToken(ctx: SandboxContext, r: IssueRequest): Promise<IssuedToken> {
  const fault = ctx.faults.take(r.endpoint, TOKEN_FAULT_KINDS);
  const issued = await ctx.tokens.issue({
    subject: {
      principalId: r.identity.principalId,
      clientId: r.identity.clientId,
      // xms_mirid only for managed identities (docs/identity-wire.md §11); app registrations have none.
      ...(r.identity.kind !== 'app-registration' && r.identity.miResourceId
        ? { miResourceId: r.identity.miResourceId }
        : {}),
    },
    audience: fault?.kind === 'wrong-audience' ? WRONG_AUDIENCE : r.resource,
    lifetimeSeconds: r.lifetimeSeconds,
    expired: fault?.kind === 'expired-token',
    appidacr: r.appidacr ?? '2',
  });
  ctx.counters.tokenIssued({ source: r.source, principalId: r.identity.principalId, audience: r.resource });
  return issued;
}

/** Seconds left until `expiresOn` (never negative), for `expires_in` fields. */
export function secondsLeft(expiresOn: number): number {
  return Math.max(0, expiresOn - Math.floor(Date.now() / 1000));
}
