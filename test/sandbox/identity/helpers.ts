// Shared by the identity conformance tests: the test sandbox, its admin API and raw requests (test/support/sandbox.ts,
// re-exported), the admin counters, each platform's managed identity variables, and the child-process runner for
// test/sandbox/identity/fixtures/get-token.ts.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SandboxConnection } from '../../../sandbox/connection.ts';
import { childEnv, runMarkedChild } from '../../../support/child.ts';
import { admin, identity, request } from '../../support/sandbox.ts';
import type { FixtureResult, FixtureSpec } from './fixtures/get-token.ts';

export * from '../../support/sandbox.ts';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'get-token.ts');
const MARKER = '@@RESULT@@';

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

/** The environment variables each platform sets for its managed identity source (docs/identity-wire.md §2). */
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
  return runMarkedChild<FixtureResult[]>(
    FIXTURE,
    JSON.stringify(spec),
    childEnv({ NODE_EXTRA_CA_CERTS: conn.caCertPath, ...env }),
    MARKER,
    timeoutMs,
  ).then(({ value, ...run }) => ({ results: value, ...run }));
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

/** The `value` of the external OIDC provider's token endpoint for the world's workload. */
export async function oidcToken(conn: SandboxConnection, query = ''): Promise<string> {
  const res = await request(conn, `${conn.endpoints.oidcIssuer}/workloads/identity-probes/token${query}`);
  if (res.status !== 200) throw new Error(`OIDC token endpoint answered ${res.status} ${res.text}`);
  return res.json<{ value: string }>().value;
}
