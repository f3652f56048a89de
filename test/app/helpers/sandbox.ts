// The sandbox in the test process (sandbox/index.ts), plus its admin API (JSON over loopback).
import { startSandbox } from '../../../sandbox/index.ts';
import type { SandboxConnection } from '../../../sandbox/connection.ts';
import type { PathId } from '../../../src/ids.ts';

export type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

export function start(scenario = 'healthy'): Promise<Sandbox> {
  return startSandbox({ scenario, writeConnectionFile: false, quiet: true });
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

export interface Fault {
  endpoint: string;
  kind: string;
  count?: number;
  [k: string]: unknown;
}

export const addFault = (conn: SandboxConnection, fault: Fault) =>
  admin<{ id: string }>(conn, 'POST', '/_sandbox/faults', fault);
export const clearFaults = (conn: SandboxConnection) => admin(conn, 'DELETE', '/_sandbox/faults');

export interface Issued {
  tokens: string[];
  assertions: string[];
  secrets: string[];
}
export const issued = (conn: SandboxConnection) => admin<Issued>(conn, 'GET', '/_sandbox/issued');

/** The world's principal id each path must attest to (infra/identity-wiring.json "paths"). */
export function expectedPrincipal(conn: SandboxConnection, path: PathId): string {
  const key = path === 'system-assigned' ? 'system' : path === 'federated' ? 'federated' : 'app';
  const id = conn.identities.find((i) => i.key === key);
  if (!id) throw new Error(`no identity '${key}' in the sandbox world`);
  return id.principalId;
}

export function identity(conn: SandboxConnection, key: string) {
  const id = conn.identities.find((i) => i.key === key);
  if (!id) throw new Error(`no identity '${key}' in the sandbox world`);
  return id;
}
