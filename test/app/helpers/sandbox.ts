// The sandbox in the test process (sandbox/index.ts), plus its admin API (JSON over loopback); useSandbox() gives a
// suite its sandbox and admin steps for the child fixture; the shared pieces are in test/support/sandbox.ts.
import { after, before } from 'node:test';
import { startQuietSandbox, admin, identity } from '../../support/sandbox.ts';
import type { SandboxConnection } from '../../../sandbox/connection.ts';
import type { PathId } from '../../../src/ids.ts';
import { identityOfPath } from '../../../common/catalog.ts';
import type { Step } from '../fixtures/probe-child.ts';

export { admin, identity } from '../../support/sandbox.ts';

export type Sandbox = Awaited<ReturnType<typeof startQuietSandbox>>;

export function start(scenario = 'healthy'): Promise<Sandbox> {
  return startQuietSandbox(scenario);
}

export interface SuiteSandbox {
  readonly connection: SandboxConnection;
  /** The sandbox's own state (world, counters), for what the admin API does not show. */
  readonly context: Sandbox['context'];
  /** A child step (test/app/fixtures/probe-child.ts) that calls this sandbox's admin API. */
  adminStep(path: string, method?: string, body?: unknown): Step;
}

/** A sandbox for the enclosing suite: started in its before(), closed in its after(); use it inside tests. */
export function useSandbox(scenario = 'healthy'): SuiteSandbox {
  let sb: Sandbox | undefined;
  before(async () => {
    sb = await start(scenario);
  });
  after(() => sb?.close());
  const current = (): Sandbox => {
    if (!sb) throw new Error('the sandbox is not started yet (use it inside tests and hooks)');
    return sb;
  };
  const connection = () => current().connection;
  return {
    get connection() {
      return connection();
    },
    get context() {
      return current().context;
    },
    adminStep: (path, method = 'GET', body) => ({
      op: 'admin',
      url: `${connection().endpoints.admin}${path}`,
      method,
      ...(body !== undefined ? { body } : {}),
    }),
  };
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
