// Shared by the resource-plane conformance tests: the test sandbox, its admin API and raw requests
// (test/support/sandbox.ts, re-exported), the SDK child runner (fixtures/sdk-child.ts), and foreign tokens (a key the
// tenant does not know).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPair, SignJWT } from 'jose';
import type { SandboxConnection } from '../../../sandbox/connection.ts';
import { childEnv, runMarkedChild } from '../../../support/child.ts';
import { admin, identity, identityCredential } from '../../support/sandbox.ts';
import type { ChildSpec, CredentialSpec, Step, StepResult } from './fixtures/sdk-child.ts';

export * from '../../support/sandbox.ts';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'sdk-child.ts');
const MARKER = '@@SDK-RESULTS@@';

/** The credential a test names: the app's identities through App Service MI, the federated one through Entra. */
export const credentialFor: (conn: SandboxConnection, who: 'system' | 'app' | 'federated') => CredentialSpec =
  identityCredential;

export interface ChildRun {
  results: StepResult[];
  stderr: string;
  stdout: string;
  ms: number;
}

/**
 * Runs the SDK fixture in a fresh Node process with a minimal environment: PATH, HOME, the App Service managed
 * identity variables from the sandbox's app settings, NODE_EXTRA_CA_CERTS = the sandbox CA, and `env` (nothing else
 * of this process's environment, so no stray AZURE_* variable changes what the SDK does).
 */
export function runSdk(
  conn: SandboxConnection,
  credential: CredentialSpec,
  steps: Step[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 90_000,
): Promise<ChildRun> {
  const spec: ChildSpec = {
    credential,
    endpoints: {
      keyVault: conn.endpoints.keyVault,
      blob: conn.endpoints.blob,
      arm: conn.endpoints.arm,
      admin: conn.endpoints.admin,
      subscriptionId: conn.subscriptionId,
    },
    steps,
  };
  const base = {
    NODE_EXTRA_CA_CERTS: conn.caCertPath,
    IDENTITY_ENDPOINT: conn.appSettings.IDENTITY_ENDPOINT,
    IDENTITY_HEADER: conn.appSettings.IDENTITY_HEADER,
  };
  // `undefined` in `env` removes a variable (e.g. the App Service ones, to make the SDK pick IMDS).
  return runMarkedChild<StepResult[]>(
    FIXTURE,
    JSON.stringify(spec),
    childEnv(base, env),
    MARKER,
    timeoutMs,
  ).then(({ value, ...run }) => ({ results: value, ...run }));
}

/** runSdk with the credential `who` names (credentialFor). */
export function runAs(
  conn: SandboxConnection,
  who: Parameters<typeof credentialFor>[1],
  steps: Step[],
  env: Record<string, string | undefined> = {},
): Promise<ChildRun> {
  return runSdk(conn, credentialFor(conn, who), steps, env);
}

/** Runs steps with a fixed token (handed over in the child's environment, never printed). */
export function runSdkWithToken(conn: SandboxConnection, token: string, steps: Step[]): Promise<ChildRun> {
  return runSdk(conn, { kind: 'static', tokenEnv: 'SANDBOX_TEST_TOKEN' }, steps, {
    SANDBOX_TEST_TOKEN: token,
  });
}

export function ok(r: StepResult | undefined): Record<string, unknown> {
  if (!r?.ok) throw new Error(`expected success, got ${JSON.stringify(r)}`);
  return r.ok;
}

export function err(r: StepResult | undefined): NonNullable<StepResult['error']> {
  if (!r?.error) throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  return r.error;
}

/** Runs `fn` while the role assignment exists: added through the admin API, removed afterwards even when fn throws. */
export async function withRole<T>(
  conn: SandboxConnection,
  assignment: { principalId: string; roleName: string; scope: string },
  fn: () => Promise<T>,
): Promise<T> {
  const grant = await admin<{ id: string }>(conn, 'POST', '/_sandbox/role-assignments', assignment);
  try {
    return await fn();
  } finally {
    await admin(conn, 'DELETE', `/_sandbox/role-assignments/${grant.id}`);
  }
}

/** A well-formed v1 token for this tenant, signed by a key the tenant has never published. */
export async function foreignKeyToken(conn: SandboxConnection, oid: string, aud: string): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    aud,
    iss: `https://sts.windows.net/${conn.tenantId}/`,
    oid,
    sub: oid,
    tid: conn.tenantId,
    appid: identity(conn, 'app').clientId,
    idtyp: 'app',
    ver: '1.0',
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'not-a-tenant-key' })
    .setIssuedAt(now)
    .setNotBefore(now - 300)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
}

/** Whether a process exists (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
