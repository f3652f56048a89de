// Pure formatting for the status page (no DOM): durations, ages, outcome words and symbols, short ids.
import type { WiredIdentity } from './types.ts';

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.round(h / 24)} d`;
}

/** "12 s ago", "in 5 min", or "just now". */
export function relative(iso: string | undefined, now: number): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const d = now - t;
  if (Math.abs(d) < 1500) return 'just now';
  return d > 0 ? `${duration(d)} ago` : `in ${duration(-d)}`;
}

/** Local wall-clock time, e.g. "16:04:05". */
export function clock(iso: string | number | undefined): string {
  if (iso === undefined) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

export type Tone = 'ok' | 'fail' | 'stale' | 'none';

export function tone(outcome: string | undefined, stale?: boolean): Tone {
  if (!outcome) return 'none';
  if (stale) return 'stale';
  return outcome === 'ok' ? 'ok' : 'fail';
}

/** A symbol per tone, so that the state reads without colour. */
export const SYMBOL: Record<Tone, string> = { ok: '✓', fail: '✕', stale: '◷', none: '–' };

export const TARGET_LABELS: Record<string, string> = {
  keyvault: 'Key Vault',
  blob: 'Blob Storage',
  arm: 'Resource Manager',
};

/**
 * What a cell's outcome means, in words: a probe that must be refused reads `ok` as "refused, as declared", and
 * the outcome of one that got in has its own words.
 */
export function outcomeWord(outcome: string | undefined, expect?: string, stale?: boolean): string {
  if (!outcome) return 'no result';
  const word =
    outcome === 'ok' && expect === 'denied'
      ? 'refused, as declared'
      : outcome === 'unexpectedly-allowed'
        ? 'unexpectedly allowed'
        : outcome;
  return stale ? `stale (${word})` : word;
}

/** The line a cell that must be refused carries. */
export const DENIED_LABEL = 'must be refused';

export const VERDICT_LABELS: Record<string, string> = {
  ok: 'All identity paths healthy',
  degraded: 'Degraded',
  failing: 'Failing',
  unknown: 'No results yet',
};

/** "3f2a9c1e…b7d4": enough to recognise an object id, the full one is in the detail and the title. */
export function shortId(id: string | undefined): string {
  if (!id) return '';
  return id.length > 14 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

/** The wiring's name of the identity with this object id (system, app, federated), if it is one of them. */
export function identityName(identities: WiredIdentity[], oid: string | undefined): string | undefined {
  if (!oid) return undefined;
  return identities.find((i) => i.oid === oid.toLowerCase())?.name;
}

/**
 * Who answered a cell: the wiring's name for its oid, else the declared identity's name when the attestation
 * matched what the declaration expects of it (a declared identity is not in the wiring).
 */
export function answeredBy(
  identities: WiredIdentity[],
  declared: string,
  attestation: { oid?: string; matches?: boolean } | undefined,
): string | undefined {
  return (
    identityName(identities, attestation?.oid) ??
    (attestation?.oid && attestation.matches === true ? declared : undefined)
  );
}
