// The JSON status view as the page reads it: every field optional, so that the page renders whatever a server
// version sends and leaves out what it does not (newer fields such as privileges or telemetry included).

export interface HistoryEntry {
  at: string;
  outcome: string;
  totalMs?: number;
}

export interface Cell {
  path?: string;
  target?: string;
  outcome?: string;
  at?: string;
  stale?: boolean;
  since?: string;
  lastOkAt?: string;
  timeToGreenMs?: number;
  history?: HistoryEntry[];
  timings?: { totalMs?: number; tokenMs?: number; callMs?: number };
  identity?: {
    oid?: string;
    appid?: string;
    matches?: boolean;
    mismatches?: string[];
    tokenFrom?: string;
    expiresOn?: string;
  };
  detail?: {
    phase?: string;
    errorName?: string;
    statusCode?: number;
    code?: string;
    innerCode?: string;
    aadsts?: string;
    requestId?: string;
    clientRequestId?: string;
    correlationId?: string;
    endpoint?: string;
    setting?: string;
    message?: string;
  };
  remediation?: { summary?: string; command?: string };
  /** How the token was obtained: fresh (timer run) or cached (HTTP probe), and when a fresh one fails. */
  acquisition?: { mode?: string; acquiredAt?: string; expiresOn?: string; failsAt?: string };
  /** The declared probe's id. */
  probe?: string;
  /** `denied`: the probe must be refused (ok means the service refused the identity). */
  expect?: string;
}

/** A declared cell (identity x resource), in declaration order. */
export interface DeclaredCell {
  identity: string;
  resource: string;
  probe?: string;
  expect?: string;
}

export interface DeclarationProblem {
  entry?: string;
  probe?: string;
  field?: string;
  message?: string;
}

/** Which declaration the app runs. */
export interface Declaration {
  name?: string;
  version?: string;
  source?: string;
  complete?: boolean;
  problems?: DeclarationProblem[];
  readAt?: string;
  etag?: string;
}

export interface FederatedToken {
  source?: string;
  location?: string;
  issuer?: string;
  subject?: string;
  obtainedAt?: string;
  expiresOn?: string;
  refreshAt?: string;
  lastError?: string;
}

export interface View {
  status?: string;
  generatedAt?: string;
  store?: Record<string, unknown>;
  counts?: { ok?: number; failing?: number; unknown?: number; total?: number };
  paths?: Record<string, { targets?: Record<string, Cell>; federatedToken?: FederatedToken } | undefined>;
  /** Every declared cell in declaration order (older servers: absent, the page's paths x targets instead). */
  cells?: DeclaredCell[];
  declaration?: Declaration;
  [extra: string]: unknown;
}

export interface WiredIdentity {
  name: string;
  kind: string;
  oid: string;
}

/** What the page's HTML embeds (a JSON data block): the first view and what the page needs to refresh it. */
export interface PageData {
  view: View;
  etag?: string;
  identities: WiredIdentity[];
  /** The identities and resources in declaration order, for a view without `cells`. */
  paths: string[];
  targets: string[];
  refreshMs: number;
}

/** What the page knows about its own refreshes. */
export interface RefreshState {
  /** When the page last got an answer (200 or 304). */
  lastOkAt: number;
  /** When a view (200) last arrived: the view's relative fields are relative to this. */
  viewAt: number;
  failure?: { at: number; reason: string };
  nextAt?: number;
}
