// The sandbox as tests and benchmarks drive it: in process, quiet, no connection file; its admin API; the world's
// identities. Shared by test/ and bench/ (neither reaches into the other); node:test-specific helpers stay in
// test/support/sandbox.ts.
import { startSandbox } from '../sandbox/index.ts';
import type { RunningSandbox } from '../sandbox/index.ts';
import type { SandboxConnection } from '../sandbox/connection.ts';

export type SandboxOptions = NonNullable<Parameters<typeof startSandbox>[0]>;

/** A sandbox on free loopback ports that writes no connection file and logs nothing. */
export function startQuietSandbox(scenario = 'healthy', extra: SandboxOptions = {}): Promise<RunningSandbox> {
  return startSandbox({ scenario, writeConnectionFile: false, quiet: true, ...extra });
}

/** A call to the sandbox's admin API (JSON over loopback); throws on any status but 2xx. */
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

/** The world's identity `key` (system, app, federated, app registrations). */
export function identity(conn: SandboxConnection, key: string) {
  const id = conn.identities.find((i) => i.key === key);
  if (!id) throw new Error(`no identity '${key}' in the sandbox world`);
  return id;
}

export interface Fault {
  endpoint: string;
  kind: string;
  count?: number;
  [k: string]: unknown;
}

/** Adds a fault on demand (sandbox admin API `POST /_sandbox/faults`). */
export const addFault = (conn: SandboxConnection, fault: Fault) =>
  admin<{ id: string }>(conn, 'POST', '/_sandbox/faults', fault);
