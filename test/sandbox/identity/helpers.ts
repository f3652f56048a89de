// Shared by the identity conformance tests: a sandbox in this process (temp state dir), the admin API, and the
// child-process runner for test/sandbox/identity/fixtures/get-token.ts.
import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSandbox } from '../../../sandbox/index.ts';
import type { RunningSandbox } from '../../../sandbox/index.ts';
import type { SandboxConnection } from '../../../sandbox/connection.ts';
import type { FixtureResult, FixtureSpec } from './fixtures/get-token.ts';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'get-token.ts');
const MARKER = '@@RESULT@@';

export const VAULT = 'https://vault.azure.net';
export const ARM = 'https://management.azure.com/';
export const STORAGE = 'https://storage.azure.com';

export interface TestSandbox extends RunningSandbox {
  stateDir: string;
}

/** A sandbox on free loopback ports with its own temp state dir (and so its own CA); close() removes it. */
export async function startTestSandbox(scenario = 'healthy', extra: Parameters<typeof startSandbox>[0] = {}) {
  const stateDir = mkdtempSync(join(tmpdir(), 'idp-sandbox-'));
  const sb = await startSandbox({ scenario, writeConnectionFile: false, quiet: true, stateDir, ...extra });
  return {
    ...sb,
    stateDir,
    close: async () => {
      await sb.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  } satisfies TestSandbox;
}

export async function admin<T = unknown>(
  conn: SandboxConnection,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${conn.endpoints.admin}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface CounterSnapshot {
  tokenRequests: {
    total: number;
    bySource: Record<string, number>;
    byIdentity: Record<string, number>;
    byAudience: Record<string, number>;
    byIdentityAudience: Record<string, number>;
  };
  requestsByEndpoint: Record<string, number>;
}

export const counters = (conn: SandboxConnection) =>
  admin<CounterSnapshot>(conn, 'GET', '/_sandbox/counters');

export function identity(conn: SandboxConnection, key: string) {
  const id = conn.identities.find((i) => i.key === key);
  if (!id) throw new Error(`no identity '${key}' in the sandbox world`);
  return id;
}

/** The environment variables each platform sets for its managed identity source (identity-protocols.md §2). */
export function sourceEnv(
  conn: SandboxConnection,
  source: 'appService' | 'imds' | 'arc' | 'cloudShell' | 'serviceFabric' | 'azureMl' | 'aks',
  clientId?: string,
): Record<string, string> {
  const e = conn.endpoints;
  const s = conn.sourceSecrets;
  switch (source) {
    case 'appService':
      return { IDENTITY_ENDPOINT: e.appService, IDENTITY_HEADER: s.identityHeader };
    case 'imds':
      return { AZURE_POD_IDENTITY_AUTHORITY_HOST: e.imds };
    case 'arc':
      return { IDENTITY_ENDPOINT: e.arc, IMDS_ENDPOINT: e.arcImds };
    case 'cloudShell':
      return { MSI_ENDPOINT: e.cloudShell };
    case 'serviceFabric':
      return {
        IDENTITY_ENDPOINT: e.serviceFabric,
        IDENTITY_HEADER: s.serviceFabricSecret,
        IDENTITY_SERVER_THUMBPRINT: s.serviceFabricThumbprint,
      };
    case 'azureMl':
      return { MSI_ENDPOINT: e.azureMl, MSI_SECRET: s.msiSecret };
    case 'aks':
      return {
        AZURE_CLIENT_ID: clientId ?? identity(conn, 'federated').clientId,
        AZURE_TENANT_ID: conn.tenantId,
        AZURE_FEDERATED_TOKEN_FILE: conn.files.aksTokenFile,
        AZURE_AUTHORITY_HOST: conn.endpoints.entra,
      };
  }
}

export interface ChildRun {
  results: FixtureResult[];
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs the fixture in a fresh Node process with a minimal environment: PATH, HOME, the sandbox CA through
 * NODE_EXTRA_CA_CERTS, and exactly `env`. Nothing else of this process's environment (no AZURE_*, IDENTITY_*,
 * MSI_*) is passed on.
 */
export function runFixture(
  conn: SandboxConnection,
  spec: FixtureSpec,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ChildRun> {
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    NODE_EXTRA_CA_CERTS: conn.caCertPath,
    ...env,
  };
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE, JSON.stringify(spec)], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
      if (!line)
        return reject(
          new Error(`child exited ${code} without a result\nstdout:\n${stdout}\nstderr:\n${stderr}`),
        );
      resolve({
        results: JSON.parse(line.slice(MARKER.length)) as FixtureResult[],
        stdout,
        stderr,
        ms: Date.now() - started,
      });
    });
  });
}

/** The one result of a single-call run, failing loudly with the child's error when there is none. */
export function claimsOf(run: ChildRun): Record<string, unknown> {
  const r = run.results[0];
  if (!r?.claims) throw new Error(`expected a token, got ${JSON.stringify(r)}\nstderr:\n${run.stderr}`);
  return r.claims;
}

export function errorOf(run: ChildRun): { name: string; message: string } {
  const r = run.results[0];
  if (!r?.error) throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  return r.error;
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

/**
 * A raw HTTP(S) request to a sandbox endpoint, trusting the sandbox CA explicitly (this test process was not
 * started with NODE_EXTRA_CA_CERTS). For wire-level checks the SDK cannot make (e.g. no Metadata header).
 */
export function request(
  conn: SandboxConnection,
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpResult> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      u,
      {
        method: opts.method ?? 'GET',
        headers: opts.headers,
        ...(u.protocol === 'https:' ? { ca: readFileSync(conn.caCertPath, 'utf8') } : {}),
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The `value` of the external OIDC provider's token endpoint for the world's workload. */
export async function oidcToken(conn: SandboxConnection, query = ''): Promise<string> {
  const res = await request(conn, `${conn.endpoints.oidcIssuer}/workloads/identity-probes/token${query}`);
  if (res.status !== 200) throw new Error(`OIDC token endpoint answered ${res.status} ${res.text}`);
  return res.json<{ value: string }>().value;
}
