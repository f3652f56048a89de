// The real Azure CLI against the healthy sandbox, as a user runs it (docs/local.md "The Azure CLI against the sandbox"):
// `az cloud register` from /metadata/endpoints, `az login --identity` with each of the four selectors (the az
// process gets the same IDENTITY_ENDPOINT/IDENTITY_HEADER the app gets, so MSAL picks the App Service source),
// `az login --service-principal --federated-token`, tokens for Key Vault and ARM with the right oid, and the data
// and control plane commands. No file is seeded: every session starts from an empty config directory. Sessions
// run side by side, each in its own directory.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { SANDBOX_CLOUD } from '../../scripts/lib/azcli.ts';
import { identity, VAULT } from '../support/sandbox.ts';
import { describeAz, federatedLogin, tokenClaims } from './helpers.ts';

const ARM_RESOURCE = 'https://management.core.windows.net/';

describeAz('the Azure CLI against the healthy sandbox', (suite) => {
  const c = () => suite.connection;
  const { open, miEnv: mi } = suite;

  it('az cloud register takes the endpoints from /metadata/endpoints', async () => {
    const s = open('cloud');
    const cloud = JSON.parse(await s.ok(['cloud', 'show', '--name', SANDBOX_CLOUD, '-o', 'json'])) as {
      endpoints: Record<string, string>;
      isActive: boolean;
    };
    assert.equal(cloud.isActive, true);
    const noSlash = (u: string) => u.replace(/\/$/, '');
    assert.equal(noSlash(cloud.endpoints.resourceManager), c().endpoints.arm);
    assert.equal(noSlash(cloud.endpoints.activeDirectory), c().endpoints.entra);
    assert.equal(cloud.endpoints.activeDirectoryResourceId, ARM_RESOURCE);
  });

  it('az login --identity (system-assigned): ARM token for the system oid, az resource list -g', async () => {
    const s = open('system', mi());
    const accounts = JSON.parse(await s.ok(['login', '--identity', '-o', 'json'])) as Array<{
      id: string;
      user: { name: string; type: string };
    }>;
    assert.deepEqual(
      accounts.map((a) => [a.id, a.user.name]),
      [[c().subscriptionId, 'systemAssignedIdentity']],
    );
    const system = identity(c(), 'system');
    assert.equal((await tokenClaims(s)).oid, system.principalId);
    assert.equal((await tokenClaims(s, VAULT)).oid, system.principalId);
    const names = (
      await s.ok(['resource', 'list', '-g', c().resourceGroup, '--query', '[].name', '-o', 'tsv'])
    )
      .trim()
      .split('\n')
      .sort();
    // Every resource of the group: the app, its vault and storage account, and the user-assigned identities.
    const expected = [
      'func-identity-probes',
      c().resources.keyVaultName,
      c().resources.storageAccount,
      ...c()
        .identities.filter((i) => i.kind === 'user-assigned')
        .map((i) => i.name),
    ].sort();
    assert.deepEqual(names, expected);
  });

  it('az login --identity --client-id: Key Vault token for the UAMI, keyvault secret show, storage container show', async () => {
    const s = open('client-id', mi());
    const app = identity(c(), 'app');
    await s.ok(['login', '--identity', '--client-id', app.clientId, '-o', 'none']);
    const kv = await tokenClaims(s, VAULT);
    assert.equal(kv.oid, app.principalId);
    assert.equal(kv.aud, VAULT);
    const secretId = `${c().endpoints.keyVault}secrets/${c().resources.secretName}`;
    const shown = JSON.parse(
      await s.ok([
        'keyvault',
        'secret',
        'show',
        '--id',
        secretId,
        '--query',
        '{name:name, id:id}',
        '-o',
        'json',
      ]),
    ) as { name: string; id: string };
    assert.equal(shown.name, c().resources.secretName);
    assert.ok(shown.id.startsWith(secretId), shown.id);
    const container = await s.ok([
      'storage',
      'container',
      'show',
      '--auth-mode',
      'login',
      '--blob-endpoint',
      c().endpoints.blob,
      '--name',
      c().resources.canaryContainer,
      '--query',
      'name',
      '-o',
      'tsv',
    ]);
    assert.equal(container.trim(), c().resources.canaryContainer);
  });

  it('az login --identity --object-id and --resource-id: tokens for the same UAMI', async () => {
    const app = identity(c(), 'app');
    const byObject = open('object-id', mi());
    const byResource = open('resource-id', mi());
    await Promise.all([
      byObject.ok(['login', '--identity', '--object-id', app.principalId, '-o', 'none']),
      byResource.ok(['login', '--identity', '--resource-id', app.resourceId!, '-o', 'none']),
    ]);
    assert.equal((await tokenClaims(byObject, VAULT)).oid, app.principalId);
    assert.equal((await tokenClaims(byResource)).oid, app.principalId);
  });

  it('az login --service-principal --federated-token: the federated identity, on ARM and Key Vault', async () => {
    const s = open('federated');
    const fed = identity(c(), 'federated');
    const token = readFileSync(c().files.federatedTokenFile, 'utf8').trim();
    await s.ok(federatedLogin(c(), token));
    const armClaims = await tokenClaims(s);
    assert.equal(armClaims.oid, fed.principalId);
    assert.equal(armClaims.appid, fed.clientId);
    assert.equal((await tokenClaims(s, VAULT)).oid, fed.principalId);
    // The assertion never comes back in what az prints.
    assert.ok(!s.results.some((r) => r.stdout.includes(token) || r.stderr.includes(token)));
  });

  it('as the operator: az role assignment list names principals through the sandbox Graph', async () => {
    const s = await suite.operator();
    const system = identity(c(), 'system');
    const rows = JSON.parse(
      await s.ok([
        'role',
        'assignment',
        'list',
        '--assignee',
        system.principalId,
        '--resource-group',
        c().resourceGroup,
        '--query',
        '[].{role:roleDefinitionName, principal:principalName, type:principalType}',
        '-o',
        'json',
      ]),
    ) as Array<{ role: string; principal: string; type: string }>;
    assert.deepEqual(rows, [{ role: 'Reader', principal: system.clientId, type: 'ServicePrincipal' }]);
  });
});
