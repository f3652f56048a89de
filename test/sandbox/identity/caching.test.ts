// Two getToken calls on one credential make one token request, read from the admin counters: the sandbox answers
// so that the SDK's cache works (expires_on in Unix seconds, `resource` echoed byte for byte, Entra's expires_in;
// docs/identity-wire.md §1.4, §10.5).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { SandboxConnection } from '../../../sandbox/connection.ts';
import type { FixtureSpec } from './fixtures/get-token.ts';
import { ARM, STORAGE, VAULT, admin, identity, useTestSandbox } from '../../support/sandbox.ts';
import { counters, runFixture, sourceEnv } from './helpers.ts';

let conn: SandboxConnection;
useTestSandbox((sb) => {
  conn = sb.connection;
});

it('two getToken calls on one credential make one token request, for every kind of credential', async () => {
  const system = identity(conn, 'system');
  const app = identity(conn, 'app');
  const fed = identity(conn, 'federated');
  const entraOptions = { authorityHost: conn.endpoints.entra, disableInstanceDiscovery: true };
  // Each case has its own identity+audience pair, so concurrent runs cannot blur each other's counts.
  const cases: Array<{ key: string; spec: FixtureSpec; env: Record<string, string> }> = [
    {
      key: `${system.principalId} ${VAULT}`,
      spec: { credential: 'ManagedIdentityCredential', scope: `${VAULT}/.default`, calls: 2 },
      env: sourceEnv(conn, 'appService'),
    },
    {
      key: `${app.principalId} ${ARM}`,
      spec: {
        credential: 'ManagedIdentityCredential',
        options: { clientId: app.clientId },
        scope: ARM,
        calls: 2,
      },
      env: sourceEnv(conn, 'imds'),
    },
    {
      key: `${fed.principalId} ${VAULT}`,
      spec: {
        credential: 'WorkloadIdentityCredential',
        options: { disableInstanceDiscovery: true },
        scope: `${VAULT}/.default`,
        calls: 2,
      },
      env: sourceEnv(conn, 'aks'),
    },
    {
      key: `${fed.principalId} ${STORAGE}`,
      spec: {
        credential: 'ClientAssertionCredential',
        tenantId: conn.tenantId,
        clientId: fed.clientId,
        assertionUrl: `${conn.endpoints.oidcIssuer}/workloads/identity-probes/token`,
        options: entraOptions,
        scope: `${STORAGE}/.default`,
        calls: 2,
      },
      env: {},
    },
    {
      key: `${app.principalId} ${STORAGE}`,
      spec: { credential: 'DefaultAzureCredential', scope: `${STORAGE}/.default`, calls: 2 },
      env: { ...sourceEnv(conn, 'appService'), AZURE_CLIENT_ID: app.clientId },
    },
  ];
  await admin(conn, 'POST', '/_sandbox/counters/reset');
  const runs = await Promise.all(cases.map((c) => runFixture(conn, c.spec, c.env)));
  const after = (await counters(conn)).tokenRequests;
  runs.forEach((run, i) => {
    assert.equal(run.results.length, 2);
    const [first, second] = run.results;
    assert.ok(first.claims && second.claims, `${cases[i].spec.credential}: ${JSON.stringify(run.results)}`);
    assert.equal(second.expiresOnTimestamp, first.expiresOnTimestamp, 'the second call got the cached token');
    assert.equal(after.byIdentityAudience[cases[i].key], 1, `${cases[i].spec.credential}: ${cases[i].key}`);
  });
  assert.equal(after.total, cases.length);
});

it('a new process (a new token cache) makes a new request: the counter is not stuck at one', async () => {
  const system = identity(conn, 'system');
  await admin(conn, 'POST', '/_sandbox/counters/reset');
  const spec: FixtureSpec = { credential: 'ManagedIdentityCredential', scope: `${VAULT}/.default` };
  await Promise.all([
    runFixture(conn, spec, sourceEnv(conn, 'imds')),
    runFixture(conn, spec, sourceEnv(conn, 'imds')),
  ]);
  const c = (await counters(conn)).tokenRequests;
  assert.equal(c.byIdentityAudience[`${system.principalId} ${VAULT}`], 2);
  assert.equal(c.bySource.imds, 2);
});
