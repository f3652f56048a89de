// The scenarios that break authorization, each through the identity path it breaks (App Service managed identity
// for the app's identities, workload identity federation for the federated one), switched at run time on one
// sandbox: only the named target fails, with its real 403, and switching back to healthy heals it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listScenarios } from '../../../sandbox/world.ts';
import { admin, credentialFor, err, identity, ok, runSdk, startTestSandbox } from './helpers.ts';
import type { TestSandbox } from './helpers.ts';

describe('authorization scenarios', () => {
  let sb: TestSandbox;
  let calls: Record<'kv' | 'arm' | 'blob', Record<string, unknown> & { op: string }>;
  before(async () => {
    sb = await startTestSandbox();
    const c = sb.connection;
    calls = {
      kv: { op: 'kv.get', name: c.resources.secretName },
      arm: { op: 'arm.listRg', rg: c.resourceGroup, top: 10, firstPageOnly: true },
      blob: { op: 'blob.listBlobs', container: c.resources.canaryContainer },
    };
  });
  after(() => sb.close());
  const use = (name: string) => admin(sb.connection, 'POST', '/_sandbox/scenario', { name });

  it('are all available', () => {
    for (const s of ['uami-no-keyvault-role', 'system-no-reader', 'federated-no-blob-role'])
      assert.ok(listScenarios().includes(s), s);
  });

  it('uami-no-keyvault-role: the user-assigned identity gets 403 ForbiddenByRbac from Key Vault only', async () => {
    const c = sb.connection;
    await use('uami-no-keyvault-role');
    const app = identity(c, 'app');
    const [kv, arm, blob] = (await runSdk(c, credentialFor(c, 'app'), [calls.kv, calls.arm, calls.blob]))
      .results;
    assert.equal(err(kv).statusCode, 403);
    assert.equal(err(kv).code, 'Forbidden');
    assert.equal(err(kv).innerCode, 'ForbiddenByRbac');
    assert.match(
      err(kv).message,
      new RegExp(
        `\\r\\nCaller: appid=${app.clientId};oid=${app.principalId};iss=https://sts\\.windows\\.net/${c.tenantId}/\\r\\n`,
      ),
    );
    ok(arm);
    ok(blob);
  });

  it('system-no-reader: the system-assigned identity gets 403 AuthorizationFailed from ARM only', async () => {
    const c = sb.connection;
    await use('system-no-reader');
    const system = identity(c, 'system');
    const [kv, arm, blob] = (await runSdk(c, credentialFor(c, 'system'), [calls.kv, calls.arm, calls.blob]))
      .results;
    ok(kv);
    ok(blob);
    assert.equal(err(arm).statusCode, 403);
    assert.equal(err(arm).code, 'AuthorizationFailed');
    assert.equal(
      JSON.parse(err(arm).body!).error.message,
      `The client '${system.clientId}' with object id '${system.principalId}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourcegroups/resources/read' over scope '/subscriptions/${c.subscriptionId}/resourcegroups/${c.resourceGroup}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  });

  it('federated-no-blob-role: the federated identity gets 403 AuthorizationPermissionMismatch from Blob only', async () => {
    const c = sb.connection;
    await use('federated-no-blob-role');
    const run = await runSdk(c, credentialFor(c, 'federated'), [
      { op: 'token', scope: 'https://storage.azure.com/.default' },
      calls.kv,
      calls.arm,
      calls.blob,
      { op: 'blob.containerProps', container: c.resources.canaryContainer },
    ]);
    const [token, kv, arm, blob, props] = run.results;
    assert.equal(ok(token).oid, identity(c, 'federated').principalId, 'federation itself works');
    ok(kv);
    ok(arm);
    assert.equal(err(blob).statusCode, 403);
    assert.equal(err(blob).code, 'AuthorizationPermissionMismatch');
    ok(props); // Reader on the group still allows the container's control-plane read.
  });

  it('healthy again: every path reaches every target', async () => {
    const c = sb.connection;
    await use('healthy');
    const runs = await Promise.all(
      (['system', 'app', 'federated'] as const).map((who) =>
        runSdk(c, credentialFor(c, who), [calls.kv, calls.arm, calls.blob]),
      ),
    );
    for (const run of runs) for (const r of run.results) ok(r);
  });
});
