// How a failure to reach a service reads: the Node system error codes and the message texts of network and TLS
// failures. Shared by the generic classifier (probes/classify.ts) and the paths' own rules
// (identities/federatedKnowledge.ts).

// Node system errors that mean "could not talk to it" (tsp retryStrategies/exponentialRetryStrategy.js list,
// plus the DNS/route ones).
export const NETWORK_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
];
export const NETWORK_TEXT =
  /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ESOCKETTIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE)\b|socket hang up|network_error|Network unreachable|fetch failed/i;
export const TLS_TEXT =
  /unable to verify the first certificate|self[- ]signed certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|CERT_HAS_EXPIRED|ERR_TLS_CERT_ALTNAME_INVALID|certificate has expired|Hostname\/IP does not match/i;
