// (f) One budget per answer: with each endpoint the app uses blackholed in turn (it accepts the connection and never
// answers), every HTTP answer of the app (each probe cell, each path, /api/status, /api/health), as a ratio of
// PROBE_TIMEOUT_MS. Target <= 1.0 (every answer within its budget, literally). The sandbox and the app run in their
// own processes, as `npm start` runs them, so that this process only measures. Tokens are cached for hours, so a blackholed identity endpoint matters only
// to credentials that have no token yet: for those endpoints a fresh app is warmed up (modules loaded, clients
// built) through the paths that do not use the endpoint; for the resource endpoints, through every path.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxConnection } from '../sandbox/connection.ts';
import { startSandboxProcess } from '../scripts/lib/stack.ts';
import { PATH_IDS, TARGET_IDS, type PathId } from '../src/ids.ts';
import { startAppHosts, timedGet } from '../scripts/lib/appHosts.ts';
import { addFault, admin } from '../support/sandbox.ts';

const clearFaults = (conn: SandboxConnection) => admin(conn, 'DELETE', '/_sandbox/faults');

type Case = { name: string; endpoint?: string; warm: readonly PathId[]; statusUrl?: boolean };
const ALL = PATH_IDS;
const MI_PATHS = PATH_IDS.filter((p) => p !== 'federated');
const CASES: Case[] = [
  { name: 'managed identity endpoint', endpoint: 'appService', warm: ['federated'] },
  { name: 'Entra ID', endpoint: 'entra', warm: MI_PATHS },
  { name: 'OIDC issuer (federated token)', endpoint: 'oidc', warm: MI_PATHS },
  { name: 'Key Vault', endpoint: 'keyVault', warm: ALL },
  { name: 'ARM', endpoint: 'arm', warm: ALL },
  { name: 'Blob', endpoint: 'blob', warm: ALL },
  { name: 'status store', warm: ALL, statusUrl: true },
];

const ROUTES = [
  ...PATH_IDS.flatMap((p) => TARGET_IDS.map((t) => `/api/probes/${p}/${t}`)),
  ...PATH_IDS.map((p) => `/api/probes/${p}`),
  '/api/status',
  '/api/health',
];

/** A TCP server that accepts connections and never answers (not even the TLS handshake). */
async function blackhole(): Promise<{ server: Server; port: number }> {
  const server = createServer(() => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

function line(name: string, answers: { route: string; ms: number }[], timeoutMs: number): string {
  const sorted = [...answers].sort((a, b) => a.ms - b.ms);
  const slowest = sorted[sorted.length - 1];
  const max = slowest.ms / timeoutMs;
  const median = sorted[Math.floor(sorted.length / 2)].ms / timeoutMs;
  return `    ${name.padEnd(30)} ${String(answers.length).padStart(3)} answers  median ${median.toFixed(2)}  max ${max.toFixed(2)}  (${Math.round(slowest.ms)} ms, ${slowest.route})${max <= 1.0 ? '' : '  over target'}`;
}

async function measure(
  conn: SandboxConnection,
  c: Case,
  timeoutMs: number,
  holeUrl: string,
): Promise<string> {
  const env = {
    PROBE_TIMEOUT_MS: String(timeoutMs),
    STATUS_CACHE_MS: '0',
    ...(c.statusUrl ? { STATUS_BLOB_SERVICE_URL: holeUrl } : {}),
  };
  const app = await startAppHosts(conn, 1, env);
  const base = app.hosts[0].baseUrl;
  try {
    await Promise.all([
      ...c.warm.map((p) => timedGet(base, `/api/probes/${p}`)),
      timedGet(base, '/api/status'),
    ]);
    if (c.endpoint) await addFault(conn, { endpoint: c.endpoint, kind: 'hang' });
    try {
      const answers = await Promise.all(
        ROUTES.map(async (route) => ({ route, ms: (await timedGet(base, route)).ms })),
      );
      return line(c.name, answers, timeoutMs);
    } finally {
      await clearFaults(conn);
    }
  } finally {
    await app.stop();
  }
}

export async function blackholeBench(timeoutMs = 3000): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-blackhole-'));
  const sandbox = await startSandboxProcess({ scenario: 'healthy', stateDir });
  const hole = await blackhole();
  try {
    const conn = sandbox.connection;
    const account = new URL(conn.appSettings.STATUS_BLOB_SERVICE_URL).pathname;
    const holeUrl = `https://127.0.0.1:${hole.port}${account}`;
    console.log(
      `(f) every HTTP answer (${ROUTES.length} at once) with one endpoint blackholed, as a ratio of ` +
        `PROBE_TIMEOUT_MS=${timeoutMs} (target <= 1.0)`,
    );
    for (const c of CASES) console.log(await measure(conn, c, timeoutMs, holeUrl));
    // The answers' last slice is CPU work after each deadline, all at once: a machine busy with other work shows.
    console.log(
      `    (load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${availableParallelism()} CPUs)`,
    );
  } finally {
    hole.server.close();
    await sandbox.proc.stop('SIGTERM').catch(() => sandbox.proc.kill());
    sandbox.proc.kill();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
