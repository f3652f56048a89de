// One test per outcome kind (besides `ok`, see healthy.test.ts), each produced for real by the sandbox: a broken
// scenario, a fault on an endpoint, or a setting. Each checks the kind and that the remediation names the real ids.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { afterEach, before, describe, it } from 'node:test';
import { roleAssignmentName } from '../../../common/arm-guid.ts';
import { ROLES, type RoleName } from '../../../common/catalog.ts';
import { PATH_IDS, TARGET_IDS, type PathId, type TargetId } from '../../../src/ids.ts';
import type { ProbeResult } from '../../../src/core/results.ts';
import { runChild } from '../helpers/child.ts';
import { addFault, admin, clearFaults, expectedPrincipal, identity, useSandbox } from '../helpers/sandbox.ts';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('outcome kinds against the sandbox', { timeout: 600_000 }, () => {
  const sb = useSandbox();
  let settings: Record<string, string>;
  before(() => {
    settings = sb.connection.appSettings;
  });
  afterEach(async () => {
    await clearFaults(sb.connection);
    await admin(sb.connection, 'POST', '/_sandbox/scenario', { name: 'healthy' });
  });

  const scenario = (name: string) => admin(sb.connection, 'POST', '/_sandbox/scenario', { name });

  /** The name the template (and the sandbox's healthy world) gives a declared assignment on the vault. */
  const declaredName = (principalId: string, role: RoleName, scope: 'keyVault') => {
    const c = sb.connection;
    const ids = {
      keyVault: `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.KeyVault/vaults/${c.resources.keyVaultName}`,
    };
    return roleAssignmentName(ids[scope], principalId, ROLES[role]);
  };

  async function probe(path: PathId, target?: TargetId, overrides: Record<string, string | undefined> = {}) {
    const run = await runChild(settings, [{ op: 'probe', path, ...(target ? { target } : {}) }], overrides);
    return run.steps[0].value as ProbeResult[];
  }

  function only(results: ProbeResult[], target: TargetId): ProbeResult {
    const r = results.find((x) => x.target === target);
    assert.ok(r, `no ${target} result`);
    return r;
  }

  it('wrong-identity: a token for another principal fails even though the call succeeds', async () => {
    const app = identity(sb.connection, 'app');
    const system = identity(sb.connection, 'system');
    // SYSTEM_PRINCIPAL_ID copied from the wrong identity: the classic copy-paste mistake.
    const results = await probe('system-assigned', undefined, { SYSTEM_PRINCIPAL_ID: app.principalId });
    for (const r of results) {
      assert.equal(r.outcome, 'wrong-identity', `${r.target}: ${JSON.stringify(r.detail)}`);
      assert.equal(r.identity?.oid, system.principalId, 'the attested oid is the real one');
      assert.match(
        r.identity!.mismatches.join(),
        new RegExp(`oid is ${system.principalId} but SYSTEM_PRINCIPAL_ID is ${app.principalId}`),
      );
      assert.match(r.remediation!.summary, new RegExp(system.principalId));
      assert.match(r.remediation!.command!, /^az functionapp identity show .* --query principalId -o tsv$/);
    }
  });

  it('no-identity-endpoint: no App Service variables and nothing answering at IMDS', async () => {
    const app = identity(sb.connection, 'app');
    const results = await probe('uami-client-id', 'arm', {
      IDENTITY_ENDPOINT: undefined,
      IDENTITY_HEADER: undefined,
      AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://127.0.0.1:${await closedPort()}`,
    });
    const r = only(results, 'arm');
    assert.equal(r.outcome, 'no-identity-endpoint', JSON.stringify(r.detail));
    assert.equal(r.detail?.phase, 'token');
    assert.match(r.remediation!.summary, /IDENTITY_ENDPOINT\/IDENTITY_HEADER are not both set/);
    assert.match(
      r.remediation!.command!,
      new RegExp(`^az functionapp identity assign .* --identities ${escape(app.resourceId!)}$`),
    );
  });

  it('identity-not-found: the user-assigned identity is not attached to the app (every selector, and the chain)', async () => {
    await scenario('uami-not-attached');
    const app = identity(sb.connection, 'app');
    const run = await runChild(settings, [
      { op: 'probe', path: 'uami-client-id', target: 'arm' },
      { op: 'probe', path: 'uami-object-id', target: 'arm' },
      { op: 'probe', path: 'uami-resource-id', target: 'arm' },
      { op: 'probe', path: 'default-chain', target: 'arm' },
      { op: 'probe', path: 'system-assigned', target: 'arm' },
    ]);
    const [byClient, byObject, byResource, chain, system] = run.steps.map(
      (s) => (s.value as ProbeResult[])[0],
    );
    for (const r of [byClient, byObject, byResource, chain]) {
      assert.equal(r.outcome, 'identity-not-found', `${r.path}: ${JSON.stringify(r.detail)}`);
      assert.match(
        r.remediation!.command!,
        new RegExp(`^az functionapp identity assign .* --identities ${escape(app.resourceId!)}$`),
      );
    }
    assert.match(byObject.remediation!.summary, new RegExp(`UAMI_OBJECT_ID ${app.principalId}`));
    assert.equal(system.outcome, 'ok', 'the other paths keep working');
  });

  it('federation-rejected: the federated credential does not match the external token (AADSTS700213)', async () => {
    await scenario('fic-subject-mismatch');
    const fed = identity(sb.connection, 'federated');
    const results = await probe('federated', 'keyvault');
    const r = only(results, 'keyvault');
    assert.equal(r.outcome, 'federation-rejected', JSON.stringify(r.detail));
    assert.equal(r.detail!.aadsts, '700213');
    assert.match(r.remediation!.summary, /has the token's subject/);
    const issuer = sb.connection.endpoints.oidcIssuer;
    assert.equal(r.federatedToken?.issuer, issuer);
    const cmd = r.remediation!.command!;
    assert.match(cmd, /^az identity federated-credential create /);
    assert.ok(cmd.includes(`--issuer '${issuer}'`), cmd);
    assert.ok(cmd.includes(`--subject '${r.federatedToken!.subject}'`), cmd);
    const name = fed.resourceId!.split('/').pop();
    assert.ok(cmd.includes(`--identity-name ${name} --resource-group ${sb.connection.resourceGroup} `), cmd);
    assert.match(cmd, /--audiences 'api:\/\/AzureADTokenExchange'$/);
  });

  it('forbidden: missing role assignments, with the exact az role assignment for each', async () => {
    const app = identity(sb.connection, 'app');
    const system = identity(sb.connection, 'system');
    const fed = identity(sb.connection, 'federated');

    await scenario('uami-no-keyvault-role');
    const kv = only(await probe('uami-client-id'), 'keyvault');
    assert.equal(kv.outcome, 'forbidden', JSON.stringify(kv.detail));
    assert.equal(kv.detail?.innerCode, 'ForbiddenByRbac');
    assert.match(
      kv.remediation!.command!,
      new RegExp(
        `^az role assignment create --name ${declaredName(app.principalId, 'Key Vault Secrets User', 'keyVault')} --assignee-object-id ${app.principalId} --assignee-principal-type ServicePrincipal --role "Key Vault Secrets User" --scope /subscriptions/${sb.connection.subscriptionId}/resourcegroups/${sb.connection.resourceGroup}/providers/microsoft.keyvault/vaults/${sb.connection.resources.keyVaultName}$`,
        'i',
      ),
    );

    await scenario('system-no-reader');
    const arm = await probe('system-assigned');
    assert.equal(only(arm, 'arm').outcome, 'forbidden');
    assert.equal(only(arm, 'arm').detail?.code, 'AuthorizationFailed');
    assert.match(
      only(arm, 'arm').remediation!.command!,
      new RegExp(
        `--assignee-object-id ${system.principalId} .*--role "Reader" --scope /subscriptions/${sb.connection.subscriptionId}/resourcegroups/${sb.connection.resourceGroup}$`,
        'i',
      ),
    );
    assert.equal(only(arm, 'keyvault').outcome, 'ok');

    await scenario('federated-no-blob-role');
    const blob = only(await probe('federated'), 'blob');
    assert.equal(blob.outcome, 'forbidden');
    assert.equal(blob.detail?.code, 'AuthorizationPermissionMismatch');
    assert.match(
      blob.remediation!.command!,
      new RegExp(
        `--assignee-object-id ${fed.principalId} .*--role "Storage Blob Data Reader" --scope /subscriptions/${sb.connection.subscriptionId}/resourceGroups/${sb.connection.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${sb.connection.resources.storageAccount}/blobServices/default/containers/${sb.connection.resources.canaryContainer}$`,
      ),
    );
  });

  it('unauthenticated: expired tokens and tokens for the wrong audience are rejected by the service', async () => {
    await addFault(sb.connection, { endpoint: 'appService', kind: 'expired-token' });
    const expired = only(await probe('system-assigned', 'arm'), 'arm');
    assert.equal(expired.outcome, 'unauthenticated', JSON.stringify(expired.detail));
    assert.equal(expired.detail?.statusCode, 401);
    assert.match(expired.remediation!.summary, /expired/);
    await clearFaults(sb.connection);
    await addFault(sb.connection, { endpoint: 'appService', kind: 'wrong-audience' });
    const aud = only(await probe('uami-object-id', 'arm'), 'arm');
    assert.equal(aud.outcome, 'unauthenticated', JSON.stringify(aud.detail));
    assert.notEqual(aud.identity?.aud, sb.connection.endpoints.arm, 'attestation shows the audience it got');
  });

  it('not-found: the canary secret does not exist', async () => {
    const results = await probe('system-assigned', undefined, { KEY_VAULT_SECRET_NAME: 'no-such-canary' });
    const kv = only(results, 'keyvault');
    assert.equal(kv.outcome, 'not-found', JSON.stringify(kv.detail));
    assert.equal(kv.detail?.code, 'SecretNotFound');
    // The sandbox vault's URL (a loopback host) does not name the vault: no command, and the summary says so.
    assert.equal(kv.remediation!.command, undefined);
    assert.match(kv.remediation!.summary, /'no-such-canary' does not exist.*the vault name is not known/);
    assert.equal(only(results, 'blob').outcome, 'ok');
    assert.equal(
      kv.identity?.oid,
      expectedPrincipal(sb.connection, 'system-assigned'),
      'authenticated as the right principal',
    );
  });

  it('throttled: 429 with Retry-After from the service, and from the identity endpoint', async () => {
    await addFault(sb.connection, {
      endpoint: 'keyVault',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 1,
    });
    const kv = only(await probe('uami-resource-id', 'keyvault'), 'keyvault');
    assert.equal(kv.outcome, 'throttled', JSON.stringify(kv.detail));
    assert.equal(kv.detail?.statusCode, 429);
    assert.equal(kv.detail?.retryAfterSeconds, 1);
    assert.match(kv.remediation!.summary, /Retry-After 1 s/);
    await clearFaults(sb.connection);
    await addFault(sb.connection, {
      endpoint: 'appService',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 1,
    });
    const mi = only(await probe('system-assigned', 'arm'), 'arm');
    assert.equal(mi.outcome, 'throttled', JSON.stringify(mi.detail));
    assert.equal(mi.detail?.phase, 'token');
  });

  it('timeout: a hung service or identity endpoint ends at PROBE_TIMEOUT_MS and never hangs a sweep', async () => {
    await addFault(sb.connection, { endpoint: 'arm', kind: 'hang' });
    const arm = only(await probe('system-assigned', undefined, { PROBE_TIMEOUT_MS: '1500' }), 'arm');
    assert.equal(arm.outcome, 'timeout');
    assert.equal(arm.detail?.phase, 'call');
    // The deadline covers token + call; a cold process's SDK loading (setupMs) comes before it.
    const waited = arm.timings.totalMs - (arm.timings.setupMs ?? 0);
    assert.ok(waited >= 1400 && waited < 2500, `${waited} ms`);
    await clearFaults(sb.connection);
    // Managed identity requests have no timeout and ignore abort signals (docs/identity-wire.md §1.7).
    await addFault(sb.connection, { endpoint: 'appService', kind: 'hang' });
    const run = await runChild(settings, [{ op: 'sweep' }], { PROBE_TIMEOUT_MS: '1500' });
    const { results, wallMs } = run.steps[0].value as { results: ProbeResult[]; wallMs: number };
    assert.ok(wallMs < 10_000, `sweep took ${wallMs} ms`);
    for (const r of results) {
      const waited = r.timings.totalMs - (r.timings.setupMs ?? 0);
      assert.ok(waited < 2500, `${r.path}/${r.target} waited ${waited} ms`);
      if (r.path === 'federated') assert.equal(r.outcome, 'ok', 'federation does not use the MI endpoint');
      else {
        assert.equal(r.outcome, 'timeout', `${r.path}/${r.target}`);
        assert.equal(r.detail?.phase, 'token');
        assert.match(
          r.remediation!.summary,
          /No token from the managed identity endpoint \(AppService\) within PROBE_TIMEOUT_MS=1500 ms/,
        );
      }
    }
  });

  it('app start builds every probe client ahead of the first request (no I/O, never throws)', async () => {
    const run = await runChild(settings, [{ op: 'warmup' }]);
    const keys = run.steps[0].value as string[];
    assert.deepEqual(keys, PATH_IDS.flatMap((p) => TARGET_IDS.map((t) => `${p}/${t}`)).sort());
    // A target whose settings are missing is left to its probe, which reports it; the warm-up never throws.
    const partial = await runChild(settings, [{ op: 'warmup' }], { KEY_VAULT_URL: undefined });
    const built = partial.steps[0].value as string[];
    assert.equal(built.length, PATH_IDS.length * (TARGET_IDS.length - 1));
    assert.ok(!built.some((k) => k.endsWith('/keyvault')), built.join(', '));
  });

  it('unreachable: the connection to the service is reset', async () => {
    await addFault(sb.connection, { endpoint: 'blob', kind: 'reset' });
    const blob = only(await probe('uami-client-id', 'blob'), 'blob');
    assert.equal(blob.outcome, 'unreachable', JSON.stringify(blob.detail));
    assert.match(blob.remediation!.summary, /BLOB_SERVICE_URL|Could not reach/);
  });

  it('misconfigured: a missing setting affects only what needs it; the rest keeps working', async () => {
    const run = await runChild(settings, [{ op: 'sweep' }], {
      KEY_VAULT_URL: undefined,
      UAMI_RESOURCE_ID: 'not-an-id',
    });
    const results = (run.steps[0].value as { results: ProbeResult[] }).results;
    for (const r of results) {
      const where = `${r.path}/${r.target}`;
      if (r.target === 'keyvault') {
        assert.equal(r.outcome, 'misconfigured', where);
        assert.match(r.remediation!.summary, /KEY_VAULT_URL \(is not set\)/, where);
      } else if (['uami-client-id', 'uami-object-id', 'uami-resource-id', 'default-chain'].includes(r.path)) {
        assert.equal(r.outcome, 'misconfigured', where);
        assert.equal(r.detail?.setting, 'UAMI_RESOURCE_ID', where);
      } else assert.equal(r.outcome, 'ok', where);
    }
  });

  it('error: the service fails with 500', async () => {
    await addFault(sb.connection, { endpoint: 'arm', kind: 'status', status: 500 });
    const arm = only(await probe('federated', 'arm'), 'arm');
    assert.equal(arm.outcome, 'error', JSON.stringify(arm.detail));
    assert.equal(arm.detail?.statusCode, 500);
    assert.match(arm.remediation!.summary, /HTTP 500/);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
