// What bench/declaration.ts gives its worker (bench/declaration-worker.ts) and reads back from it.

export const MARKER = '@@DECLARATION-BENCH@@';

export interface WorkerInput {
  adminUrl: string;
  /** Timer runs measured after the first (cold) one. */
  runs: number;
  /** Status reads measured. */
  reads: number;
  /** Open the status page in Chromium (skipped with a reason when it is missing). */
  page: boolean;
}

export interface Counted {
  tokens: number;
  /** Distinct principal x audience pairs the sandbox issued tokens for. */
  pairs: number;
  blob: number;
  /** TLS handshakes the sandbox's servers completed: new connections the app opened. */
  tls: number;
}

export interface TimerRun {
  ms: number;
  counted: Counted;
  notOk: number;
  /** Cells by `<resource kind> <outcome>`, and the first remediation summary of each not ok. */
  outcomes: Record<string, number>;
  why: Record<string, string>;
}

export interface WorkerOutput {
  /** Identities and probes of the plan the app runs: an entry with a problem is left out, and named in `problems`. */
  identities: number;
  probes: number;
  /** Declared identity x token audience pairs of those probes: one timer run's floor of token requests. */
  pairs: number;
  problems: string[];
  probeTimeoutMs: number;
  cold: TimerRun;
  warm: TimerRun[];
  status: Array<{ ms: number; bytes: number; blob: number; cells: number }>;
  html: { bytes: number };
  page:
    | { skipped: string }
    | {
        toMatrixMs: number[];
        loadMs: number[];
        /** The page's own `matrix-rendered` mark (ms from navigation start), where the page sets it. */
        markMs: number[];
        /** Cells drawn (`[data-key]`): healthy groups may start collapsed. */
        cells: number;
      };
}
