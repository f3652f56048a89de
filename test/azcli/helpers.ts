// The real Azure CLI in tests: found in the project's cache (.cache/azcli, `npm run azcli -- install`) or on PATH.
// Without one the suites are skipped with that reason, except under CI=true, where they fail (CI installs it).
// Each session is one az configuration directory (its own login), so sessions run side by side.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { decodeJwt } from 'jose';
import type { SandboxConnection } from '../../sandbox/connection.ts';
import { admin, identity, useTestSandbox } from '../support/sandbox.ts';
import {
  findAz,
  loginOperator,
  registerSandboxCloud,
  runAz,
  sandboxAzEnv,
  type AzCli,
  type AzResult,
} from '../../scripts/lib/azcli.ts';

export const AZ: AzCli | undefined = findAz();
const REASON = 'no Azure CLI in .cache/azcli or on PATH (install it with `npm run azcli -- install`)';

/** `skip` option for a suite that needs az: false when az is there or under CI (where the suite then fails). */
export const SKIP: false | string = AZ || process.env.CI === 'true' ? false : REASON;

/** The CLI, or a failure that says it is missing (CI must run these suites). */
export function requireAz(): AzCli {
  if (!AZ) assert.fail(`CI=true but ${REASON}`);
  return AZ;
}

export interface AzSession {
  name: string;
  env: Record<string, string>;
  /** Every result this session got, for the leak check. */
  results: AzResult[];
  run(args: string[], timeoutMs?: number): Promise<AzResult>;
  /** Runs and asserts exit 0; returns stdout. */
  ok(args: string[], timeoutMs?: number): Promise<string>;
  close(): void;
}

/**
 * A config directory with the sandbox registered as a cloud (from its /metadata/endpoints) and active. Sessions
 * copy it, so the registration runs once per sandbox.
 */
export async function registeredConfig(conn: SandboxConnection): Promise<string> {
  const cli = requireAz();
  const dir = mkdtempSync(join(tmpdir(), 'idp-az-base-'));
  await registerSandboxCloud(cli, conn, sandboxAzEnv(cli, conn, dir));
  return dir;
}

/** A session on a copy of `base`, with `extra` in the az process environment (e.g. IDENTITY_ENDPOINT). */
export function session(
  conn: SandboxConnection,
  base: string,
  name: string,
  extra: Record<string, string> = {},
): AzSession {
  const cli = requireAz();
  const dir = mkdtempSync(join(tmpdir(), `idp-az-${name}-`));
  cpSync(base, dir, { recursive: true });
  const env = sandboxAzEnv(cli, conn, dir, extra);
  const results: AzResult[] = [];
  const run = async (args: string[], timeoutMs = 120_000) => {
    const r = await runAz(cli, args, env, timeoutMs);
    results.push(r);
    return r;
  };
  return {
    name,
    env,
    results,
    run,
    ok: async (args, timeoutMs) => {
      const r = await run(args, timeoutMs);
      assert.equal(r.code, 0, `${name}: az ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
      return r.stdout;
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A session logged in as the world's operator. */
export async function operatorSession(conn: SandboxConnection, base: string): Promise<AzSession> {
  const s = session(conn, base, 'operator');
  await loginOperator(requireAz(), conn, s.env);
  return s;
}

/** The arguments of `az login --service-principal --federated-token` as the world's federated identity. */
export function federatedLogin(conn: SandboxConnection, assertion: string): string[] {
  const fed = identity(conn, 'federated');
  return [
    'login',
    '--service-principal',
    '--username',
    fed.clientId,
    '--tenant',
    conn.tenantId,
    '--federated-token',
    assertion,
    '-o',
    'none',
  ];
}

/** The claims of the access token `az account get-access-token` gives (the token itself is never printed). */
export async function tokenClaims(s: AzSession, resource?: string): Promise<Record<string, unknown>> {
  const args = ['account', 'get-access-token', '--query', 'accessToken', '-o', 'tsv'];
  if (resource) args.push('--resource', resource);
  const r = await s.run(args);
  assert.equal(r.code, 0, `${s.name}: get-access-token exited ${r.code}:\n${r.stderr}`);
  // Keep the token out of every output: only its claims leave this function.
  const token = r.stdout.trim();
  r.stdout = '(token)';
  return decodeJwt(token);
}

export interface AzSuite {
  readonly connection: SandboxConnection;
  /** A session on the suite's registered config, closed with the suite. */
  open(name: string, extra?: Record<string, string>): AzSession;
  /** A session logged in as the world's operator, closed with the suite. */
  operator(): Promise<AzSession>;
  /** The managed identity variables the app gets (IDENTITY_ENDPOINT, IDENTITY_HEADER): MSAL picks App Service. */
  miEnv(): Record<string, string>;
}

/** A suite of Azure CLI tests on one sandbox (useAzSuite): its tests run side by side, each in its own session. */
export function describeAz(name: string, body: (suite: AzSuite) => void, timeoutMs = 300_000): void {
  describe(name, { skip: SKIP, concurrency: true, timeout: timeoutMs }, () => body(useAzSuite()));
}

/**
 * An Azure CLI suite's ground: a test sandbox, a config with it registered as a cloud (in before()), and the sessions
 * opened on it. When the suite ends, while the sandbox is still up: no token, assertion or secret the sandbox issued
 * appears in anything az printed (tokenClaims keeps get-access-token's own output out), then the sessions' and the
 * base config's directories are removed.
 */
export function useAzSuite(): AzSuite {
  let base: string | undefined;
  const sessions: AzSession[] = [];
  // Registered before the sandbox's own after() (hooks run in order), so the sandbox is still up for it.
  after(async () => {
    try {
      if (base) await noIssuedValuePrinted(sb.connection, sessions);
    } finally {
      for (const s of sessions) s.close();
      if (base) rmSync(base, { recursive: true, force: true });
    }
  });
  const sb = useTestSandbox();
  before(async () => {
    requireAz();
    base = await registeredConfig(sb.connection);
  });
  const registered = (): string => {
    if (!base) throw new Error('the Azure CLI suite is not set up yet (use it inside tests)');
    return base;
  };
  const keep = (s: AzSession): AzSession => {
    sessions.push(s);
    return s;
  };
  return {
    get connection() {
      return sb.connection;
    },
    open: (name, extra) => keep(session(sb.connection, registered(), name, extra)),
    operator: async () => keep(await operatorSession(sb.connection, registered())),
    miEnv: () => ({
      IDENTITY_ENDPOINT: sb.connection.appSettings.IDENTITY_ENDPOINT,
      IDENTITY_HEADER: sb.connection.appSettings.IDENTITY_HEADER,
    }),
  };
}

async function noIssuedValuePrinted(conn: SandboxConnection, sessions: AzSession[]): Promise<void> {
  const issued = await admin<{ tokens: string[]; assertions: string[]; secrets: string[] }>(
    conn,
    'GET',
    '/_sandbox/issued',
  );
  const printed = sessions.flatMap((s) => s.results.map((r) => r.stdout + r.stderr)).join('\n');
  assert.ok(issued.tokens.length > 0 && issued.secrets.length > 0, 'the sandbox issued nothing to look for');
  for (const v of [...issued.tokens, ...issued.assertions, ...issued.secrets])
    assert.ok(!printed.includes(v), 'an issued token, assertion or secret appeared in az output');
}
