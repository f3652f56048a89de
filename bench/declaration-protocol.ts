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
}

export interface WorkerOutput {
  identities: number;
  probeTimeoutMs: number;
  cold: { ms: number; counted: Counted; notOk: number };
  warm: Array<{ ms: number; counted: Counted; notOk: number; outcomes: Record<string, number> }>;
  status: Array<{ ms: number; bytes: number; blob: number; cells: number }>;
  html: { bytes: number };
  page: { skipped: string } | { toMatrixMs: number[]; loadMs: number[]; cells: number };
}
