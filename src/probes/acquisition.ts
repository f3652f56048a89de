// The acquisition note of a result: fresh or cached, and when its token was issued and expires.
import type { Acquisition, Attestation } from '../core/results.ts';

export function acquisitionOf(mode: Acquisition['mode'], identity: Attestation | undefined): Acquisition {
  return {
    mode,
    ...(identity?.issuedAt ? { acquiredAt: identity.issuedAt } : {}),
    ...(identity?.expiresOn ? { expiresOn: identity.expiresOn } : {}),
  };
}

const hhmm = (iso: string) => `${iso.slice(11, 16)} UTC`;

/** "works now on a token that expires ..., fails at HH:MM UTC" when a fresh failure hides behind a cached token. */
export function failsAtNote(a: Acquisition | undefined): string | undefined {
  return a?.failsAt
    ? `Works now on the token the app already holds; fails at ${hhmm(a.failsAt)} (${a.failsAt}) when it expires.`
    : undefined;
}
