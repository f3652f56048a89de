// The sandbox in the test process (sandbox/index.ts), plus its admin API (JSON over loopback); the shared pieces are
// in test/support/sandbox.ts.
import { startQuietSandbox, admin, identity } from '../../support/sandbox.ts';
import type { SandboxConnection } from '../../../sandbox/connection.ts';
import type { PathId } from '../../../src/ids.ts';
import { identityOfPath } from '../../../common/catalog.ts';

export { admin, identity } from '../../support/sandbox.ts';

export type Sandbox = Awaited<ReturnType<typeof startQuietSandbox>>;

export function start(scenario = 'healthy'): Promise<Sandbox> {
  return startQuietSandbox(scenario);
}

export { addFault, type Fault } from '../../../support/sandbox.ts';
export const clearFaults = (conn: SandboxConnection) => admin(conn, 'DELETE', '/_sandbox/faults');

export interface Issued {
  tokens: string[];
  assertions: string[];
  secrets: string[];
}
export const issued = (conn: SandboxConnection) => admin<Issued>(conn, 'GET', '/_sandbox/issued');

/** The world's principal id each path must attest to (the catalog's identities, common/catalog.ts). */
export function expectedPrincipal(conn: SandboxConnection, path: PathId): string {
  return identity(conn, identityOfPath(path)).principalId;
}
