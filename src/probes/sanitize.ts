// One sanitizer for everything that leaves a probe: result details, log lines, status blobs, HTTP bodies
// (docs/design.md "Redaction", after the Functions library's src/utils/credentialSanitizer.ts). It redacts shapes
// (bearer tokens, JWTs, signed query parameters, connection-string keys, identity headers) and exact known secret
// values, so a message from any SDK or service can be passed through safely.

import { secretEnvValues } from '../config.ts';

const REDACTED = '[REDACTED]';

const RULES: ReadonlyArray<[RegExp, string]> = [
  // Anything JWT-shaped: access tokens, federated assertions, id tokens (header.payload.signature, base64url), and
  // what is left of one that some message or log line cut short after its payload started (no signature).
  [/eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*)?/g, '[REDACTED-JWT]'],
  // Secret-bearing query / form / connection-string parameters: SAS `sig=`, OAuth `code=`, client credentials.
  [
    /\b(sig|code|client_secret|client_assertion|assertion|access_token|refresh_token|id_token|password|secret|AccountKey|SharedAccessKey|SharedAccessSignature)=([^&;\s"'<>]+)/gi,
    `$1=${REDACTED}`,
  ],
  // Header-style "name: value" / JSON "name":"value" for headers that carry credentials.
  [
    /(["']?)\b(x-identity-header|identity_header|authorization|x-ms-authorization-auxiliary|secret|msi_secret|client_secret|access_token|assertion)\1(\s*[:=]\s*)(["']?)(?:(?:Bearer|Basic|PoP)\s+)?[^"'\s,;}]+\4/gi,
    `$1$2$1$3$4${REDACTED}$4`,
  ],
  // Bearer/Basic credentials anywhere else ("sent Bearer x").
  [/\b(Bearer|Basic|PoP)\s+[A-Za-z0-9\-._~+/=]{8,}/gi, `$1 ${REDACTED}`],
];

export type Sanitizer = {
  /** Redacts one string. */
  text(value: string): string;
  /** Returns a deep copy of a JSON-like value with every string redacted. */
  deep<T>(value: T): T;
};

/** Builds a sanitizer that also removes each of `knownSecrets` verbatim (values shorter than 8 chars are ignored). */
export function createSanitizer(knownSecrets: Iterable<string> = []): Sanitizer {
  const exact = [...new Set([...knownSecrets].filter((s) => typeof s === 'string' && s.length >= 8))].sort(
    (a, b) => b.length - a.length,
  );
  const text = (value: string): string => {
    let out = value;
    for (const s of exact) if (out.includes(s)) out = out.split(s).join(REDACTED);
    for (const [re, replacement] of RULES) out = out.replace(re, replacement);
    return out;
  };
  const deep = <T>(value: T): T => walk(value, text, new WeakSet()) as T;
  return { text, deep };
}

function walk(value: unknown, text: (s: string) => string, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return text(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, text, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = walk(v, text, seen);
  return out;
}

let processSanitizer: Sanitizer | undefined;

/** The process-wide sanitizer: shape rules plus the secret values found in the environment (config.ts). */
export function sanitizer(): Sanitizer {
  processSanitizer ??= createSanitizer(secretEnvValues());
  return processSanitizer;
}
