// The sandbox in the test process (sandbox/index.ts) as the tests use it: quiet, no connection file, optionally with
// its own temp state dir (and so its own CA); its admin API; the world's identities; and raw HTTP(S) requests that
// trust the sandbox CA. Shared by test/sandbox/identity, test/sandbox/resources and test/app helpers.
import http from 'node:http';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { RunningSandbox } from '../../sandbox/index.ts';
import type { SandboxConnection } from '../../sandbox/connection.ts';
import { identity, startQuietSandbox, type SandboxOptions } from '../../support/sandbox.ts';

export { admin, identity, startQuietSandbox, type SandboxOptions } from '../../support/sandbox.ts';

/** Audiences (resource URIs) of the three services, as the SDK asks for them. */
export const VAULT = 'https://vault.azure.net';
export const ARM = 'https://management.azure.com/';
export const STORAGE = 'https://storage.azure.com';

/**
 * How a test's child process signs in as one of the app's identities: `system` and `app` through App Service managed
 * identity (the child gets IDENTITY_ENDPOINT and IDENTITY_HEADER), `federated` through Entra with the sandbox's token
 * file. The SDK and authorization fixtures both take it.
 */
export type IdentityCredential =
  | { kind: 'managed-identity'; clientId?: string }
  | { kind: 'federated'; tenantId: string; clientId: string; tokenFile: string; authorityHost: string };

export function identityCredential(
  conn: SandboxConnection,
  who: 'system' | 'app' | 'federated',
): IdentityCredential {
  if (who === 'system') return { kind: 'managed-identity' };
  if (who === 'app') return { kind: 'managed-identity', clientId: identity(conn, 'app').clientId };
  return {
    kind: 'federated',
    tenantId: conn.tenantId,
    clientId: identity(conn, 'federated').clientId,
    tokenFile: conn.files.federatedTokenFile,
    authorityHost: conn.endpoints.entra,
  };
}

export interface TestSandbox extends RunningSandbox {
  stateDir: string;
}

/** A quiet sandbox with its own temp state dir (and so its own CA); close() removes it. */
export async function startTestSandbox(
  scenario = 'healthy',
  extra: SandboxOptions = {},
): Promise<TestSandbox> {
  const stateDir = mkdtempSync(join(tmpdir(), 'idp-sandbox-'));
  const sb = await startQuietSandbox(scenario, { stateDir, ...extra });
  return {
    ...sb,
    stateDir,
    close: async () => {
      await sb.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a test sandbox in a before() hook of the enclosing suite (or file), runs `ready` with it, and closes it in
 * after(). The returned object stands for that sandbox once before() has run: use it in tests and later hooks.
 */
export function useTestSandbox(
  ready: (sb: TestSandbox) => void | Promise<void> = () => {},
  scenario = 'healthy',
  extra: SandboxOptions = {},
): TestSandbox {
  let started: TestSandbox | undefined;
  before(async () => {
    started = await startTestSandbox(scenario, extra);
    await ready(started);
  });
  after(() => started?.close());
  const current = (): TestSandbox => {
    if (!started) throw new Error('the test sandbox is not started yet (use it inside tests and hooks)');
    return started;
  };
  return {
    get connection() {
      return current().connection;
    },
    get connectionFile() {
      return current().connectionFile;
    },
    get context() {
      return current().context;
    },
    get stateDir() {
      return current().stateDir;
    },
    close: () => current().close(),
  };
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

/**
 * A raw HTTP(S) request to a sandbox endpoint, trusting the sandbox CA explicitly (the test process was not started
 * with NODE_EXTRA_CA_CERTS). For wire-level checks the SDK cannot make (e.g. no Metadata header).
 */
export function request(
  conn: SandboxConnection,
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
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
        timeout: 15_000,
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
