// The fault matrix's oracle: for a scenario, a fault (kind) on one endpoint and a cell (path x target), the outcome
// kind the app must report. Pure: from which endpoints a cell uses in which phase (token, then call), what each
// broken scenario breaks, and what each fault means to whoever meets it first.
export const SCENARIOS = [
  'healthy',
  'uami-not-attached',
  'fic-subject-mismatch',
  'uami-no-keyvault-role',
  'system-no-reader',
  'federated-no-blob-role',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const ENDPOINTS = ['appService', 'entra', 'oidc', 'keyVault', 'arm', 'blob'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export interface FaultCase {
  name: string;
  spec: { kind: string; status?: number; retryAfterSeconds?: number; ms?: number };
}

/**
 * Every fault kind the sandbox has (latency, status, reset, hang, expired-token, wrong-audience), the status kind
 * with one code per way of failing (throttled, server error, refused authentication). MATRIX_STATUSES=all adds
 * 500, 403 and 404 (a longer run, not part of npm test's budget).
 */
export const FAULTS: FaultCase[] = [
  { name: 'latency 200 ms', spec: { kind: 'latency', ms: 200 } },
  { name: '429 Retry-After 1', spec: { kind: 'status', status: 429, retryAfterSeconds: 1 } },
  { name: '503', spec: { kind: 'status', status: 503 } },
  { name: '401', spec: { kind: 'status', status: 401 } },
  ...(process.env.MATRIX_STATUSES === 'all'
    ? [
        { name: '500', spec: { kind: 'status', status: 500 } },
        { name: '403', spec: { kind: 'status', status: 403 } },
        { name: '404', spec: { kind: 'status', status: 404 } },
      ]
    : []),
  { name: 'reset', spec: { kind: 'reset' } },
  { name: 'hang', spec: { kind: 'hang' } },
  { name: 'expired-token', spec: { kind: 'expired-token' } },
  { name: 'wrong-audience', spec: { kind: 'wrong-audience' } },
];

const MI_PATHS = ['system-assigned', 'uami-client-id', 'uami-object-id', 'uami-resource-id', 'default-chain'];
const UAMI_PATHS = ['uami-client-id', 'uami-object-id', 'uami-resource-id', 'default-chain'];
const CALL_ENDPOINT: Record<string, Endpoint> = { keyvault: 'keyVault', blob: 'blob', arm: 'arm' };

/** The cell's outcome in the scenario with no fault, and the phase that decides it. */
export function baseline(
  scenario: Scenario,
  path: string,
  target: string,
): { outcome: string; phase?: 'token' | 'call' } {
  switch (scenario) {
    case 'uami-not-attached':
      return UAMI_PATHS.includes(path)
        ? { outcome: 'identity-not-found', phase: 'token' }
        : { outcome: 'ok' };
    case 'fic-subject-mismatch':
      return path === 'federated' ? { outcome: 'federation-rejected', phase: 'token' } : { outcome: 'ok' };
    case 'uami-no-keyvault-role':
      return UAMI_PATHS.includes(path) && target === 'keyvault'
        ? { outcome: 'forbidden', phase: 'call' }
        : { outcome: 'ok' };
    case 'system-no-reader':
      return path === 'system-assigned' && target === 'arm'
        ? { outcome: 'forbidden', phase: 'call' }
        : { outcome: 'ok' };
    case 'federated-no-blob-role':
      return path === 'federated' && target === 'blob'
        ? { outcome: 'forbidden', phase: 'call' }
        : { outcome: 'ok' };
    default:
      return { outcome: 'ok' };
  }
}

/** How long the sandbox's Entra waits for an issuer's OIDC metadata before answering AADSTS50166. */
const ENTRA_ISSUER_FETCH_MS = 5000;

/**
 * What a fault on an endpoint that issues this cell's token does. The app never calls the OIDC issuer: the
 * federated token comes from FEDERATED_TOKEN_FILE, and Entra fetches the issuer's metadata and keys to check it,
 * so an issuer that fails makes Entra refuse the assertion (AADSTS50166: federation-rejected), and the issuer's
 * token faults (applied to tokens it issues over HTTP) never reach the app. A hung issuer makes Entra wait
 * ENTRA_ISSUER_FETCH_MS: with a deadline that close, either name is right (the race is real).
 */
function tokenFault(f: FaultCase, endpoint: Endpoint, timeoutMs: number): string | string[] | undefined {
  const { kind, status } = f.spec;
  if (kind === 'latency') return undefined;
  if (endpoint === 'oidc') {
    if (kind === 'expired-token' || kind === 'wrong-audience') return undefined;
    if (kind === 'hang')
      return timeoutMs > ENTRA_ISSUER_FETCH_MS + 1000
        ? 'federation-rejected'
        : ['timeout', 'federation-rejected'];
    return 'federation-rejected';
  }
  if (kind === 'hang') return 'timeout';
  if (kind === 'reset') return 'unreachable';
  // A bad access token is refused by the service.
  if (kind === 'expired-token' || kind === 'wrong-audience') return 'unauthenticated';
  if (status === 429) return 'throttled';
  // The token endpoint refused the app's own authentication: not transient.
  if (status === 401 || status === 403) return 'unauthenticated';
  return 'error';
}

/** What a fault on the service a cell calls does (applied before the service authenticates). */
function callFault(f: FaultCase): string | undefined {
  const { kind, status } = f.spec;
  if (kind === 'latency' || kind === 'expired-token' || kind === 'wrong-audience') return undefined;
  if (kind === 'hang') return 'timeout';
  if (kind === 'reset') return 'unreachable';
  if (status === 429) return 'throttled';
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  return 'error';
}

/** The outcome (or, where a real race decides, the outcomes) the cell may report. */
export function expectedOutcome(
  scenario: Scenario,
  fault: FaultCase | undefined,
  endpoint: Endpoint | undefined,
  path: string,
  target: string,
  timeoutMs: number,
): string | string[] {
  const base = baseline(scenario, path, target);
  if (!fault || !endpoint) return base.outcome;
  const tokenEndpoints: Endpoint[] = MI_PATHS.includes(path) ? ['appService'] : ['entra', 'oidc'];
  if (tokenEndpoints.includes(endpoint)) {
    const t = tokenFault(fault, endpoint, timeoutMs);
    // A token-kind fault changes the token, not the scenario's own token failure.
    if (t === undefined) return base.outcome;
    if (
      base.phase === 'token' &&
      (fault.spec.kind === 'expired-token' || fault.spec.kind === 'wrong-audience')
    )
      return base.outcome;
    return t;
  }
  if (endpoint === CALL_ENDPOINT[target]) {
    // Key Vault's client authenticates by challenge: its first request goes out without a token, so a fault there
    // is met before the token is asked for. Elsewhere a failed token means the call is never made.
    if (base.phase === 'token' && target !== 'keyvault') return base.outcome;
    if (
      base.phase === 'token' &&
      (fault.spec.kind === 'latency' ||
        fault.spec.kind === 'expired-token' ||
        fault.spec.kind === 'wrong-audience')
    )
      return base.outcome;
    return callFault(fault) ?? base.outcome;
  }
  return base.outcome;
}
