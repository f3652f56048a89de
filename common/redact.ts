// The one redactor (docs/design.md "Redaction"): the app runs everything that leaves a probe, a log line, a status
// blob or an HTTP body through it, and the dev host every line it writes. Modelled on the Functions library's
// credential sanitizer. It removes shapes (bearer and basic credentials, anything JWT-shaped, signed query and form
// parameters, connection-string keys, identity headers, URL passwords) and exact known secret values, so a message
// from any SDK or service can be passed through safely. Imports nothing: both sides may use it.

/** The one marker that stands where something was removed. */
export const REDACTED = '[REDACTED]';

const RULES: ReadonlyArray<[RegExp, string]> = [
  // Anything JWT-shaped: access tokens, federated assertions, id tokens (header.payload.signature, base64url), and
  // what is left of one that some message or log line cut short after its payload started (no signature).
  [/eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*)?/g, REDACTED],
  // Secret-bearing query / form / connection-string parameters: SAS `sig=`, OAuth `code=`, client credentials.
  [
    /\b(sig|code|client_secret|client_assertion|assertion|access_token|refresh_token|id_token|password|pwd|secret|AccountKey|SharedAccessKey|SharedAccessSignature)=([^&;\s"'<>]+)/gi,
    `$1=${REDACTED}`,
  ],
  // Header-style "name: value" / JSON "name":"value" for headers and fields that carry credentials.
  [
    /(["']?)\b(x-identity-header|x-ms-identity-header|identity_header|x-functions-key|authorization|x-ms-authorization-auxiliary|secret|msi_secret|client_secret|access_token|refresh_token|password|assertion)\1(\s*[:=]\s*)(["']?)(?:(?:Bearer|Basic|PoP)\s+)?[^"'\s,;}&]+\4/gi,
    `$1$2$1$3$4${REDACTED}$4`,
  ],
  // Bearer/Basic credentials anywhere else ("sent Bearer x").
  [/\b(Bearer|Basic|PoP)\s+[A-Za-z0-9\-._~+/=]{8,}/gi, `$1 ${REDACTED}`],
  // scheme://user:password@host
  [/\b([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^:/\s@]+):([^@/\s]+)@/g, `$1${REDACTED}@`],
];

export interface Redactor {
  /** Redacts one string. */
  text(value: string): string;
  /** Returns a deep copy of a JSON-like value with every string redacted. */
  deep<T>(value: T): T;
  /** Adds a value that must never appear verbatim (values shorter than 8 characters are ignored). */
  add(secret: string | undefined): void;
}

/** A redactor that also removes each of `knownSecrets` verbatim (values shorter than 8 chars are ignored). */
export function createRedactor(knownSecrets: Iterable<string> = []): Redactor {
  const exact = new Set<string>();
  let ordered: string[] = [];
  const add = (s: string | undefined) => {
    if (typeof s !== 'string' || s.length < 8 || exact.has(s)) return;
    exact.add(s);
    // Longest first, so a secret that contains another is removed whole.
    ordered = [...exact].sort((a, b) => b.length - a.length);
  };
  for (const s of knownSecrets) add(s);
  const text = (value: string): string => {
    let out = value;
    for (const s of ordered) if (out.includes(s)) out = out.split(s).join(REDACTED);
    for (const [re, replacement] of RULES) out = out.replace(re, replacement);
    return out;
  };
  const deep = <T>(value: T): T => walk(value, text, new WeakSet()) as T;
  return { text, deep, add };
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

/** An argument with every URL query value redacted (a token URL may carry a code or a signature in any name). */
export function redactQueryValues(arg: string): string {
  return /:\/\/[^\s?]*\?/.test(arg) ? arg.replace(/([?&][^=&#\s]+=)[^&#\s]*/g, `$1${REDACTED}`) : arg;
}
