import { armGuid } from '../../../common/arm-guid.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config.ts';
import { IDENTITY_PATHS } from '../../../src/identities/index.ts';
import type { PathId, TargetId } from '../../../src/ids.ts';
import type { Classification } from '../../../src/probes/classify.ts';
import { remediationFacts } from '../../../src/probes/remediationFacts.ts';
import { TARGETS } from '../../../src/targets/index.ts';
import {
  remediate,
  wrongIdentityRemediation,
  type RemediationFacts,
} from '../../../src/probes/remediation.ts';

const SUB = 'fede0978-e421-4650-9304-746eefba010e';
const UAMI_RID = `/subscriptions/${SUB}/resourceGroups/rg-identity-probes/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-probes-app`;
const RAW = {
  KEY_VAULT_URL: 'https://kv-identity-probes.vault.azure.net/',
  KEY_VAULT_SECRET_NAME: 'canary',
  BLOB_SERVICE_URL: 'https://stidentityprobes.blob.core.windows.net/',
  BLOB_CONTAINER_NAME: 'canary',
  AZURE_SUBSCRIPTION_ID: SUB,
  AZURE_RESOURCE_GROUP: 'rg-identity-probes',
  UAMI_CLIENT_ID: '57b12e89-41f9-4736-aa94-667e627225ef',
  UAMI_OBJECT_ID: '63b2d18a-12b0-4881-b036-8fda3dae8b69',
  UAMI_RESOURCE_ID: UAMI_RID,
  SYSTEM_PRINCIPAL_ID: 'dc02f8ab-6df4-4829-bacd-4e730c4e42f2',
  AZURE_TENANT_ID: '0ddb16eb-3bbd-4edd-9043-81e700fd85cd',
  FEDERATED_CLIENT_ID: '115a83f8-df5d-40ef-8b07-b289488cdd0c',
  FEDERATED_PRINCIPAL_ID: '9e395a69-d650-4867-aeac-24efa03d5ea7',
  FEDERATED_RESOURCE_ID: `/subscriptions/${SUB}/resourceGroups/rg-identity-probes/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-probes-federated`,
  WEBSITE_SITE_NAME: 'func-identity-probes',
  // App Service's managed identity variables: the SDK's source is then AppService.
  IDENTITY_ENDPOINT: 'http://127.0.0.1:41741/msi/token',
  IDENTITY_HEADER: 'header-value-for-tests',
};
const config = loadConfig(RAW);

const cell = (path: PathId, target: TargetId) => ({
  path,
  target,
  pathModule: IDENTITY_PATHS[path],
  targetModule: TARGETS[target],
});

function facts(path: PathId, target: TargetId, extra: Partial<RemediationFacts> = {}): RemediationFacts {
  return {
    ...remediationFacts(cell(path, target), config, IDENTITY_PATHS[path].expected(config), undefined),
    identityEnvironment: { IDENTITY_ENDPOINT: true, IDENTITY_HEADER: true },
    ...extra,
  };
}

const c = (
  kind: Classification['kind'],
  reason: string,
  detail: Partial<Classification['detail']> = {},
): Classification => ({
  kind,
  reason,
  detail: { phase: 'call', ...detail },
});

describe('remediation', () => {
  it('forbidden: exact role assignment with the real principal id, role and scope', () => {
    const r = remediate(
      c('forbidden', 'rbac', { statusCode: 403, code: 'Forbidden', innerCode: 'ForbiddenByRbac' }),
      facts('uami-client-id', 'keyvault'),
    );
    // --name: the template's guid(keyVault.id, principalId, role GUID), so the next deployment updates this
    // assignment instead of failing with 409 RoleAssignmentExists.
    const kvId = `/subscriptions/${SUB}/resourceGroups/rg-identity-probes/providers/Microsoft.KeyVault/vaults/kv-identity-probes`;
    const name = armGuid(
      kvId,
      '63b2d18a-12b0-4881-b036-8fda3dae8b69',
      '4633458b-17de-408a-b874-0445c86b69e6',
    );
    assert.equal(
      r.command,
      `az role assignment create --name ${name} --assignee-object-id 63b2d18a-12b0-4881-b036-8fda3dae8b69 --assignee-principal-type ServicePrincipal --role "Key Vault Secrets User" --scope ${kvId}`,
    );
    assert.match(r.summary, /lacks 'Key Vault Secrets User'/);
    // Redeploying first, the exact command second.
    assert.match(
      r.summary,
      /`npm run deploy` restores every declared role assignment.*or run the command below/,
    );
    // A 403 that names the scope in lowercase (Key Vault's) gives the same name: the name is computed from the
    // scope as the template spells it.
    const lower = remediate(
      c('forbidden', 'rbac', { statusCode: 403 }),
      facts('uami-client-id', 'keyvault', { scope: kvId.toLowerCase() }),
    );
    assert.equal(lower.command, `${r.command!.replace(kvId, kvId.toLowerCase())}`);
    const blob = remediate(c('forbidden', 'rbac'), facts('system-assigned', 'blob'));
    assert.match(
      blob.command!,
      /--assignee-object-id dc02f8ab-6df4-4829-bacd-4e730c4e42f2 .*--role "Storage Blob Data Reader" --scope \/subscriptions\/.*\/storageAccounts\/stidentityprobes\/blobServices\/default\/containers\/canary$/,
    );
    const arm = remediate(
      c('forbidden', 'rbac'),
      facts('system-assigned', 'arm', { scope: '/subscriptions/s/resourcegroups/from-service' }),
    );
    assert.match(arm.command!, /--role "Reader" --scope \/subscriptions\/s\/resourcegroups\/from-service$/);
  });

  it('identity-not-found: assign the identity the path selects to the app', () => {
    const r = remediate(c('identity-not-found', 'not-assigned'), facts('uami-object-id', 'arm'));
    assert.equal(
      r.command,
      `az functionapp identity assign --name func-identity-probes --resource-group rg-identity-probes --identities ${UAMI_RID}`,
    );
    assert.match(r.summary, /UAMI_OBJECT_ID 63b2d18a/);
    const sys = remediate(c('identity-not-found', 'not-assigned'), facts('system-assigned', 'arm'));
    assert.match(sys.command!, /--identities \[system\]$/);
  });

  it('federation-rejected: names the field Entra named, and the credential command with the issuer, subject and audience of the token', () => {
    const fed = {
      clientId: '115a83f8-df5d-40ef-8b07-b289488cdd0c',
      issuer: 'https://oidc.example/issuer',
      subject: 'system:serviceaccount:probes:other',
      audience: 'api://AzureADTokenExchange',
      resourceId: config.federated.resourceId,
    };
    const run = (reason: string, aadsts: string) =>
      remediate(
        c('federation-rejected', reason, { aadsts }),
        facts('federated', 'keyvault', { pathFacts: fed }),
      );
    const r = run('fic-subject', '700213');
    // The template's credential name, so the next deployment updates this credential instead of meeting a second
    // one with the same issuer and subject.
    assert.match(r.command!, /^az identity federated-credential create --name external-workload /);
    assert.match(r.summary, /`npm run deploy` with --federated-issuer and --federated-subject/);
    assert.match(
      r.command!,
      /--issuer 'https:\/\/oidc.example\/issuer' --subject 'system:serviceaccount:probes:other' --audiences 'api:\/\/AzureADTokenExchange'$/,
    );
    assert.match(
      r.command!,
      new RegExp(
        `--identity-name id-probes-federated --resource-group rg-identity-probes --subscription ${SUB} `,
      ),
    );
    assert.doesNotMatch(r.command!, /\$\(/, 'no lookup that could come back empty');
    assert.match(
      r.summary,
      /AADSTS700213\): no federated credential with this issuer has the token's subject 'system:serviceaccount:probes:other'/,
    );
    assert.match(
      run('fic-subject-case', '7002138').summary,
      /only in another letter case \(matching is case-sensitive\)/,
    );
    assert.match(
      run('fic-issuer', '700211').summary,
      /has the token's issuer 'https:\/\/oidc.example\/issuer'/,
    );
    assert.match(
      run('fic-audience', '700212').summary,
      /does not list the token's audience 'api:\/\/AzureADTokenExchange'/,
    );
    assert.match(run('fic-mismatch', '70021').summary, /exact and case-sensitive/);
    // Without the token's subject the command cannot be exact: no command, and the summary says what is missing.
    const unknown = remediate(
      c('federation-rejected', 'fic-subject', { aadsts: '700213' }),
      facts('federated', 'keyvault', { pathFacts: { ...fed, subject: undefined } }),
    );
    assert.equal(unknown.command, undefined);
    assert.match(unknown.summary, /No exact az command can be printed: the subject is not known/);
    // Without FEDERATED_RESOURCE_ID the identity's name and group are not known: said, not looked up.
    const noId = remediate(
      c('federation-rejected', 'fic-subject', { aadsts: '700213' }),
      facts('federated', 'keyvault', { pathFacts: { ...fed, resourceId: undefined } }),
    );
    assert.equal(noId.command, undefined);
    assert.match(noId.summary, /set FEDERATED_RESOURCE_ID/);
    assert.match(
      noId.summary,
      /the federated identity name, federated identity resource group are not known/,
    );
  });

  it('federation-rejected by the issuer: points at its discovery document, or at the token source', () => {
    const fed = {
      clientId: '115a83f8-df5d-40ef-8b07-b289488cdd0c',
      issuer: 'https://oidc.example/issuer/',
      source: 'file' as const,
    };
    const keys = remediate(
      c('federation-rejected', 'issuer-unreachable', { aadsts: '50166' }),
      facts('federated', 'blob', { pathFacts: fed }),
    );
    assert.match(keys.summary, /AADSTS50166/);
    assert.equal(keys.command, `curl -fsS 'https://oidc.example/issuer/.well-known/openid-configuration'`);
    const entra = remediate(
      c('federation-rejected', 'entra-assertion', { aadsts: '700222' }),
      facts('federated', 'blob', { pathFacts: fed }),
    );
    assert.match(
      entra.summary,
      /FEDERATED_TOKEN_FILE must yield a token from the external identity provider/,
    );
    assert.equal(entra.command, undefined);
  });

  it('misconfigured: names every setting at fault; prints no command, since the right value is not known', () => {
    const r = remediate(
      c('misconfigured', 'setting', { phase: 'config' }),
      facts('federated', 'arm', {
        settingProblems: [{ setting: 'FEDERATED_TOKEN_FILE', problem: 'is not set' }],
      }),
    );
    assert.match(r.summary, /FEDERATED_TOKEN_FILE \(is not set\)/);
    assert.match(r.summary, /No exact az command can be printed: the value is not known/);
    assert.equal(r.command, undefined);
  });

  it('forbidden on a vault whose URL does not name it: no broken lookup, the vault name is said to be missing', () => {
    const local = loadConfig({ ...RAW, KEY_VAULT_URL: 'https://127.0.0.1:8443/' });
    const f = {
      ...remediationFacts(
        cell('uami-client-id', 'keyvault'),
        local,
        IDENTITY_PATHS['uami-client-id'].expected(local),
        undefined,
      ),
      identityEnvironment: { IDENTITY_ENDPOINT: true, IDENTITY_HEADER: true },
    };
    const r = remediate(c('forbidden', 'rbac', { statusCode: 403 }), f);
    assert.equal(r.command, undefined);
    assert.match(r.summary, /the vault name is not known/);
    // Key Vault's 403 names the vault: then the scope is exact.
    const named = remediate(c('forbidden', 'rbac', { statusCode: 403 }), {
      ...f,
      scope: `/subscriptions/${SUB}/resourceGroups/rg-identity-probes/providers/Microsoft.KeyVault/vaults/kv-identity-probes`,
    });
    assert.match(
      named.command!,
      new RegExp(
        `^az role assignment create --name [0-9a-f-]{36} --assignee-object-id 63b2d18a-12b0-4881-b036-8fda3dae8b69 --assignee-principal-type ServicePrincipal --role "Key Vault Secrets User" --scope /subscriptions/${SUB}/resourceGroups/rg-identity-probes/providers/Microsoft.KeyVault/vaults/kv-identity-probes$`,
      ),
    );
  });

  it('not-found, throttled, timeout, unreachable, unauthenticated, no-identity-endpoint and error each say what to do', () => {
    assert.match(
      remediate(c('not-found', 'SecretNotFound'), facts('system-assigned', 'keyvault')).command!,
      /az keyvault secret set --vault-name kv-identity-probes --name canary/,
    );
    assert.match(
      remediate(c('not-found', 'ResourceGroupNotFound'), facts('system-assigned', 'arm')).command!,
      /az group show --name rg-identity-probes/,
    );
    assert.match(
      remediate(c('throttled', 'service', { retryAfterSeconds: 7 }), facts('system-assigned', 'keyvault'))
        .summary,
      /Retry-After 7 s/,
    );
    assert.match(
      remediate(c('timeout', 'token', { phase: 'token' }), facts('uami-client-id', 'blob')).summary,
      /PROBE_TIMEOUT_MS=10000/,
    );
    assert.match(
      remediate(
        c('unreachable', 'network', { code: 'ECONNREFUSED', endpoint: 'https://127.0.0.1:9' }),
        facts('system-assigned', 'arm'),
      ).summary,
      /https:\/\/127.0.0.1:9 \(ECONNREFUSED\)/,
    );
    assert.match(
      remediate(
        c('unauthenticated', 'wrong-audience'),
        facts('system-assigned', 'arm', { attested: { aud: 'https://storage.azure.com' } }),
      ).summary,
      /'https:\/\/storage.azure.com'; it expects https:\/\/management.azure.com/,
    );
    const noEndpoint = remediate(
      c('no-identity-endpoint', 'imds-unreachable', { phase: 'token' }),
      facts('uami-client-id', 'arm', { managedIdentitySource: 'Imds', identityEnvironment: {} }),
    );
    assert.match(
      noEndpoint.command!,
      new RegExp(`az functionapp identity assign .* --identities ${UAMI_RID}`),
    );
    assert.match(
      remediate(
        c('error', 'http-500', { statusCode: 500, requestId: 'r-1' }),
        facts('system-assigned', 'blob'),
      ).summary,
      /request id r-1/,
    );
  });

  it('wrong-identity shows what came back, what was expected, and how to look the identity up', () => {
    const f = facts('uami-client-id', 'arm', {
      attested: {
        oid: 'dc02f8ab-6df4-4829-bacd-4e730c4e42f2',
        appid: 'be07ed9d-8589-42f9-a11a-d79c0ce84e91',
      },
      mismatches: [
        'oid is dc02f8ab-6df4-4829-bacd-4e730c4e42f2 but UAMI_OBJECT_ID is 63b2d18a-12b0-4881-b036-8fda3dae8b69',
      ],
    });
    const r = wrongIdentityRemediation(f);
    assert.match(r.summary, /oid dc02f8ab.*not the user-assigned identity.*UAMI_OBJECT_ID is 63b2d18a/);
    assert.equal(
      r.command,
      `az identity show --ids ${UAMI_RID} --query "{clientId:clientId, principalId:principalId}"`,
    );
  });
});
