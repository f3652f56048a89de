// Redaction applied to every line the dev host writes (invocation logs, system logs, console output of the app,
// errors). Modelled on the Functions library's src/utils/credentialSanitizer.ts and the host's log Sanitizer:
// bearer tokens, JWTs, `sig=`, `AccountKey=`, `code=` and friends never reach a terminal or a log file.

const REDACTED = '[redacted]';

const patterns: [RegExp, string][] = [
  // Authorization: Bearer <anything up to whitespace or quote>
  [/\b(Bearer|Basic|PoP)\s+[A-Za-z0-9\-._~+/]+=*/gi, `$1 ${REDACTED}`],
  // Any JWT (access tokens, federated assertions), even without a Bearer prefix.
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // key=value credentials in connection strings, SAS URLs and query strings.
  [
    /\b(sig|AccountKey|SharedAccessKey|SharedAccessSignature|code|client_secret|client_assertion|password|pwd|access_token|refresh_token|id_token)=([^&;\s"'<]+)/gi,
    `$1=${REDACTED}`,
  ],
  // "name": "value" / name: value for secret-named fields (JSON bodies, header dumps).
  [
    /(["']?(?:x-functions-key|x-identity-header|identity_header|x-ms-identity-header|secret|client_secret|access_token|refresh_token|password|assertion)["']?\s*[:=]\s*["']?)([^"',\s}&]+)/gi,
    `$1${REDACTED}`,
  ],
  // scheme://user:password@host
  [/\b([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^:/\s@]+):([^@/\s]+)@/g, `$1${REDACTED}@`],
];

const knownSecrets = new Set<string>();

/** Values that must never be printed verbatim (function keys, the identity header...). */
export function addSecret(value: string | undefined): void {
  if (value && value.length >= 8) knownSecrets.add(value);
}

export function sanitize(text: string): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const [re, replacement] of patterns) out = out.replace(re, replacement);
  return out;
}
