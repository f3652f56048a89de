// Where the federated path's external OIDC token comes from: a file (Kubernetes-style projected token, re-read
// when it changes) or a URL (GitHub-Actions-style token endpoint). The token is decoded without verification
// (jose decodeJwt) only to learn iss/sub/aud/exp: exp schedules the refresh, iss/sub feed the
// `az identity federated-credential` remediation (docs/pain-points.md P9). The token itself never leaves here
// except as the assertion handed to ClientAssertionCredential.
import { stat, readFile } from 'node:fs/promises';
import { decodeJwt } from 'jose';
import type { FederatedTokenStatus } from '../core/results.ts';

export interface FederatedTokenSource {
  getAssertion(): Promise<string>;
  status(): FederatedTokenStatus;
}

/** A failure to obtain the external token, naming the setting that points at it. */
export class FederatedTokenSourceError extends Error {
  readonly setting: string;
  constructor(message: string, setting: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FederatedTokenSourceError';
    this.setting = setting;
  }
}

interface Parsed {
  content: string;
  issuer?: string;
  subject?: string;
  audience?: string;
  obtainedAtMs: number;
  expMs?: number;
  refreshAtMs: number;
}

const FIVE_MINUTES = 5 * 60_000;

/**
 * When to fetch a new external token: at 80 % of its lifetime or 5 minutes before it expires, whichever comes
 * first, but never before half its lifetime (short-lived tokens). Without `exp`, after 5 minutes.
 */
export function computeRefreshAt(
  obtainedAtMs: number,
  iatMs: number | undefined,
  expMs: number | undefined,
): number {
  if (expMs === undefined) return obtainedAtMs + FIVE_MINUTES;
  const start = Math.min(iatMs ?? obtainedAtMs, obtainedAtMs);
  const lifetime = Math.max(0, expMs - start);
  return Math.max(start + lifetime / 2, Math.min(start + lifetime * 0.8, expMs - FIVE_MINUTES));
}

function parse(content: string, nowMs: number, setting: string): Parsed {
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(content);
  } catch {
    // Never include the content: it may be a credential of another shape.
    throw new FederatedTokenSourceError(`${setting} did not yield a JWT`, setting);
  }
  const expMs = typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  const iatMs = typeof claims.iat === 'number' ? claims.iat * 1000 : undefined;
  return {
    content,
    issuer: claims.iss,
    subject: claims.sub,
    audience: Array.isArray(claims.aud) ? claims.aud.join(' ') : claims.aud,
    obtainedAtMs: nowMs,
    expMs,
    refreshAtMs: computeRefreshAt(nowMs, iatMs, expMs),
  };
}

function describe(source: 'file' | 'url', location: string, p: Parsed | undefined, lastError?: string) {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    source,
    location,
    ...(p
      ? {
          issuer: p.issuer,
          subject: p.subject,
          audience: p.audience,
          obtainedAt: iso(p.obtainedAtMs),
          expiresOn: iso(p.expMs),
          refreshAt: iso(p.refreshAtMs),
        }
      : {}),
    ...(lastError ? { lastError } : {}),
  } satisfies FederatedTokenStatus;
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.name : 'error';
}

/** FEDERATED_TOKEN_FILE: re-read when its mtime/size changes or the current token is due for refresh. */
export function createFileTokenSource(path: string, now: () => number = Date.now): FederatedTokenSource {
  const setting = 'FEDERATED_TOKEN_FILE';
  let current: (Parsed & { mtimeMs: number; size: number }) | undefined;
  let lastError: string | undefined;

  async function load(): Promise<string> {
    let st;
    try {
      st = await stat(path);
    } catch (err) {
      throw new FederatedTokenSourceError(`${setting} cannot be read (${errorCode(err)})`, setting, {
        cause: err,
      });
    }
    const changed = !current || st.mtimeMs !== current.mtimeMs || st.size !== current.size;
    if (!changed && now() < current!.refreshAtMs) return current!.content;
    let content: string;
    try {
      content = (await readFile(path, 'utf8')).trim();
    } catch (err) {
      throw new FederatedTokenSourceError(`${setting} cannot be read (${errorCode(err)})`, setting, {
        cause: err,
      });
    }
    if (!content) throw new FederatedTokenSourceError(`${setting} is empty`, setting);
    // Cache by content: an unchanged token keeps its parse (and its schedule); a new one is decoded once.
    const parsed = current && current.content === content ? current : parse(content, now(), setting);
    current = { ...parsed, mtimeMs: st.mtimeMs, size: st.size };
    return content;
  }

  return {
    async getAssertion() {
      try {
        const token = await load();
        lastError = undefined;
        return token;
      } catch (err) {
        lastError = (err as Error).message;
        throw err;
      }
    },
    status: () => describe('file', path, current, lastError),
  };
}

/**
 * FEDERATED_TOKEN_URL: GET it and accept a JSON body with `value` (GitHub Actions), `token` or `id_token`, or a
 * raw JWT as text. One request in flight at a time; a still-valid token is kept when a refresh fails.
 */
export function createUrlTokenSource(
  url: string,
  options: { timeoutMs: number; now?: () => number },
): FederatedTokenSource {
  const setting = 'FEDERATED_TOKEN_URL';
  const now = options.now ?? Date.now;
  const safe = new URL(url);
  const location = `${safe.origin}${safe.pathname}`;
  let current: Parsed | undefined;
  let inflight: Promise<Parsed> | undefined;
  let lastError: string | undefined;

  async function fetchToken(): Promise<Parsed> {
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { accept: 'application/json, application/jwt, text/plain' },
        // A redirect is never followed: it could carry the request (and its query) to another host, or from
        // https down to http (config.ts accepts only https, or http to loopback).
        redirect: 'error',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: unknown })?.cause ?? err;
      // undici rejects with TypeError('fetch failed', { cause: Error('unexpected redirect') }).
      if (/redirect/i.test((cause as Error)?.message ?? ''))
        throw new FederatedTokenSourceError(
          `${setting} answered with a redirect, which is not followed`,
          setting,
          { cause },
        );
      throw new FederatedTokenSourceError(`${setting} did not answer (${errorCode(cause)})`, setting, {
        cause,
      });
    }
    const body = (await res.text()).trim();
    if (!res.ok) throw new FederatedTokenSourceError(`${setting} answered HTTP ${res.status}`, setting);
    let token = body;
    if (body.startsWith('{')) {
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        throw new FederatedTokenSourceError(`${setting} returned invalid JSON`, setting);
      }
      const found = [json.value, json.token, json.id_token].find(
        (v) => typeof v === 'string' && v.length > 0,
      );
      if (typeof found !== 'string')
        throw new FederatedTokenSourceError(
          `${setting} returned JSON without value, token or id_token`,
          setting,
        );
      token = found.trim();
    }
    return parse(token, now(), setting);
  }

  return {
    async getAssertion() {
      if (current && now() < current.refreshAtMs) return current.content;
      inflight ??= fetchToken().finally(() => {
        inflight = undefined;
      });
      try {
        current = await inflight;
        lastError = undefined;
      } catch (err) {
        lastError = (err as Error).message;
        // A refresh that fails while the old token is still valid must not break the path.
        if (current && (current.expMs === undefined || now() < current.expMs - 30_000))
          return current.content;
        throw err;
      }
      return current.content;
    },
    status: () => describe('url', location, current, lastError),
  };
}
