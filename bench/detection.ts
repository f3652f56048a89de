// Benchmark (d): detection latency. The dev host runs the timers on a short schedule against the sandbox; each kind
// of break is made through the sandbox's admin API at a random phase of the schedule, and the time is measured
// until /api/status shows the failing cell (from a timer run after the break) AND the sandbox's ingestion endpoint
// has received that cell's failed availability result. Figure: (detection - propagation delay) / schedule period;
// the target is <= 1.0, i.e. the first timer run after the break (plus the run's own duration) catches it.
import { REPO_ROOT, startHostProcess } from '../scripts/lib/stack.ts';
import type { SandboxConnection } from '../sandbox/connection.ts';
import { admin, identity } from '../support/sandbox.ts';
import { childEnv } from '../support/child.ts';

export interface Break {
  name: string;
  /** The cell "<path>/<target>" that must turn failing. */
  cell: string;
  propagationS: number;
  apply(conn: SandboxConnection): Promise<void>;
}

export const BREAKS = (propagationS: number): Break[] => [
  {
    name: 'federated credential subject no longer matches (fic-subject-mismatch)',
    cell: 'federated/keyvault',
    propagationS: 0,
    apply: (c) => admin(c, 'POST', '/_sandbox/scenario', { name: 'fic-subject-mismatch' }),
  },
  {
    name: 'user-assigned identity detached from the app (uami-not-attached)',
    cell: 'uami-client-id/arm',
    propagationS: 0,
    apply: (c) => admin(c, 'POST', '/_sandbox/scenario', { name: 'uami-not-attached' }),
  },
  {
    name: `Key Vault role removed (propagation ${propagationS} s)`,
    cell: 'uami-object-id/keyvault',
    propagationS,
    async apply(c) {
      const app = identity(c, 'app');
      const { roleAssignments } = await admin<{ roleAssignments: Array<{ id: string; roleName: string }> }>(
        c,
        'GET',
        `/_sandbox/role-assignments?principalId=${app.principalId}`,
      );
      const kv = roleAssignments.find((r) => r.roleName === 'Key Vault Secrets User')!;
      await admin(c, 'DELETE', `/_sandbox/role-assignments/${kv.id}?propagationDelaySeconds=${propagationS}`);
    },
  },
];

interface Cell {
  outcome: string;
  at: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cellOf(statusUrl: string, cell: string): Promise<Cell | undefined> {
  const [path, target] = cell.split('/');
  const res = await fetch(statusUrl, { headers: { accept: 'application/json' } });
  const view = (await res.json()) as { paths?: Record<string, { targets: Record<string, Cell> }> };
  return view.paths?.[path]?.targets?.[target];
}

async function failedResultSent(conn: SandboxConnection, cell: string, sinceMs: number): Promise<boolean> {
  const { items } = await admin<{ items: Array<{ time: string; baseData: { success?: boolean } }> }>(
    conn,
    'GET',
    `/_sandbox/telemetry?kind=availability&name=${encodeURIComponent(cell)}`,
  );
  return items.some((i) => i.baseData.success === false && Date.parse(i.time) >= sinceMs);
}

/** Polls until `check` holds; returns the time it first held (ms since epoch), or undefined at the deadline. */
async function until(check: () => Promise<boolean>, deadline: number): Promise<number | undefined> {
  while (Date.now() < deadline) {
    if (await check()) return Date.now();
    await sleep(50);
  }
  return undefined;
}

export interface Trial {
  statusMs?: number;
  telemetryMs?: number;
}

async function trial(conn: SandboxConnection, statusUrl: string, b: Break, periodMs: number): Promise<Trial> {
  await admin(conn, 'POST', '/_sandbox/scenario', { name: 'healthy' });
  const healed = Date.now();
  // Healthy again, as seen by a timer run that started after the reset.
  await until(
    async () => {
      const c = await cellOf(statusUrl, b.cell);
      return c?.outcome === 'ok' && Date.parse(c.at) > healed;
    },
    healed + 6 * periodMs,
  );
  await sleep(Math.random() * periodMs); // a random phase of the schedule
  const broken = Date.now();
  await b.apply(conn);
  const deadline = broken + b.propagationS * 1000 + 4 * periodMs;
  const [status, telemetry] = await Promise.all([
    until(async () => {
      const c = await cellOf(statusUrl, b.cell);
      return c !== undefined && c.outcome !== 'ok' && Date.parse(c.at) >= broken;
    }, deadline),
    until(() => failedResultSent(conn, b.cell, broken), deadline),
  ]);
  return {
    ...(status ? { statusMs: status - broken } : {}),
    ...(telemetry ? { telemetryMs: telemetry - broken } : {}),
  };
}

/** Runs every break `trials` times against a dev host whose timers fire every `periodS` seconds. */
export async function detectionBench(
  conn: SandboxConnection,
  opts: { periodS: number; trials: number; propagationS: number },
): Promise<Array<{ b: Break; trials: Trial[] }>> {
  const env = {
    ...childEnv(conn.appSettings),
    FUNCTIONS_WORKER_RUNTIME: 'node',
    PROBE_SCHEDULE: `*/${opts.periodS} * * * * *`,
  };
  const host = await startHostProcess({
    appDir: REPO_ROOT,
    port: 0,
    enableAuth: false,
    env,
    preferFunc: false,
  });
  try {
    const statusUrl = `${host.baseUrl}/api/status`;
    const out: Array<{ b: Break; trials: Trial[] }> = [];
    for (const b of BREAKS(opts.propagationS)) {
      const trials: Trial[] = [];
      for (let i = 0; i < opts.trials; i++) trials.push(await trial(conn, statusUrl, b, opts.periodS * 1000));
      out.push({ b, trials });
    }
    await admin(conn, 'POST', '/_sandbox/scenario', { name: 'healthy' });
    return out;
  } finally {
    await host.proc.stop('SIGINT', 10_000).catch(() => host.proc.kill());
  }
}
