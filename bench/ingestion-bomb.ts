// (g) The sandbox's memory under decompression bombs sent to its telemetry ingestion (issue 24, item 5): the
// sandbox runs in its own process (as `npm run sandbox` runs it) and its resident set (VmRSS) is read before and
// after 10 bombs sent without a token, and after 10 more sent with the host identity's valid token. Each bomb is
// ~100 KB of gzip that inflates to 100 MiB of zeros. Printed: the RSS figures side by side and the status each
// request got (401 without a token, 413 with one). `npm run bench:bomb` (options: --count N, --inflated-mib N).
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import type { SandboxConnection } from '../sandbox/connection.ts';
import { startSandboxProcess } from '../scripts/lib/stack.ts';
import { identity } from '../support/sandbox.ts';

const { values: opts } = parseArgs({
  options: { count: { type: 'string', default: '10' }, 'inflated-mib': { type: 'string', default: '100' } },
});
const COUNT = Number(opts.count);
const INFLATED_MIB = Number(opts['inflated-mib']);

/** gzip of `mib` MiB of zeros, produced a MiB at a time (this process never holds the inflated form). */
function bomb(mib: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const gz = createGzip({ level: 9 });
    const out: Buffer[] = [];
    gz.on('data', (d: Buffer) => out.push(d));
    gz.on('end', () => resolve(Buffer.concat(out)));
    gz.on('error', reject);
    const zeros = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < mib; i++) gz.write(zeros);
    gz.end();
  });
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) / 1024;
}

function post(
  conn: SandboxConnection,
  url: string,
  body: Buffer | undefined,
  headers: Record<string, string>,
  method = 'POST',
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const tls = url.startsWith('https:');
    const req = (tls ? https : http).request(
      url,
      { method, headers, ...(tls ? { ca: readFileSync(conn.caCertPath, 'utf8') } : {}), timeout: 60_000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The host identity's token for Azure Monitor, from the sandbox's App Service managed identity endpoint. */
async function hostToken(conn: SandboxConnection): Promise<string> {
  const u = new URL(conn.appSettings.IDENTITY_ENDPOINT);
  u.searchParams.set('resource', 'https://monitor.azure.com');
  u.searchParams.set('api-version', '2019-08-01');
  u.searchParams.set('client_id', identity(conn, 'host').clientId);
  const r = await post(
    conn,
    u.href,
    undefined,
    { 'x-identity-header': conn.appSettings.IDENTITY_HEADER },
    'GET',
  );
  if (r.status !== 200) throw new Error(`host token: HTTP ${r.status}`);
  return (JSON.parse(r.text) as { access_token: string }).access_token;
}

const stateDir = mkdtempSync(join(tmpdir(), 'idp-bench-bomb-'));
const sandbox = await startSandboxProcess({ scenario: 'healthy', stateDir });
try {
  const conn = sandbox.connection;
  const url = `${conn.endpoints.monitor}/v2.1/track`;
  const body = await bomb(INFLATED_MIB);
  const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
  const settle = () => new Promise((r) => setTimeout(r, 500));
  await settle();
  const before = rssMiB(sandbox.proc.pid);
  const anonymous: number[] = [];
  for (let i = 0; i < COUNT; i++) anonymous.push((await post(conn, url, body, headers)).status);
  await settle();
  const afterAnonymous = rssMiB(sandbox.proc.pid);
  const token = await hostToken(conn);
  const authenticated: number[] = [];
  for (let i = 0; i < COUNT; i++)
    authenticated.push(
      (await post(conn, url, body, { ...headers, authorization: `Bearer ${token}` })).status,
    );
  await settle();
  const after = rssMiB(sandbox.proc.pid);
  const tally = (xs: number[]) =>
    Object.entries(xs.reduce<Record<number, number>>((a, s) => ((a[s] = (a[s] ?? 0) + 1), a), {}))
      .map(([s, n]) => `${n} x ${s}`)
      .join(', ');
  console.log(
    `(g) decompression bombs: ${COUNT} + ${COUNT} requests of ${(body.length / 1024).toFixed(0)} KiB gzip inflating to ${INFLATED_MIB} MiB`,
  );
  console.log(`    sandbox RSS before                      ${before.toFixed(1)} MiB`);
  console.log(
    `    after ${COUNT} without a token (${tally(anonymous)})   ${afterAnonymous.toFixed(1)} MiB  (+${(afterAnonymous - before).toFixed(1)})`,
  );
  console.log(
    `    after ${COUNT} with the host's token (${tally(authenticated)})  ${after.toFixed(1)} MiB  (+${(after - before).toFixed(1)} in all)`,
  );
} finally {
  await sandbox.proc.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
