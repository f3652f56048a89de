// The storage-queue kind's pure parts (src/targets/queue.ts): how a declared resource's fields become the queue
// target's settings and what the target makes of them, the shared Storage error knowledge (src/targets/storage.ts)
// read by the classifier, and the ARM target's subscription-wide scope (src/targets/arm.ts). Over the wire:
// test/app/integration/queue-target.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveConfig, loadConfig } from '../../../src/config.ts';
import type { Classification, RemediationFacts } from '../../../src/core/plugins.ts';
import { classify } from '../../../src/probes/classify.ts';
import { arm } from '../../../src/targets/arm.ts';
import { blob } from '../../../src/targets/blob.ts';
import { RESOURCE_KINDS } from '../../../src/targets/index.ts';
import { queue, queueKind } from '../../../src/targets/queue.ts';
import { RESOURCE_KINDS as DECLARED_KINDS } from '../../../common/declaration/schema.ts';
import { STORAGE_ERRORS, storageAccountName, storageRetryOptions } from '../../../src/targets/storage.ts';

const SUB = 'fede0978-e421-4650-9304-746eefba010e';
const APP = { AZURE_SUBSCRIPTION_ID: SUB, AZURE_RESOURCE_GROUP: 'rg-identity-probes' };
const ctx = {
  tokenFailed: false,
  tokenPending: false,
  managedIdentitySource: 'AppService',
  usesManagedIdentity: true,
};
const restError = (statusCode: number, code: string, message = `${code} message`) =>
  Object.assign(new Error(message), { name: 'RestError', statusCode, code });

describe('storage-queue kind: declared fields -> the queue target', () => {
  it('settings(): serviceUrl and queue become QUEUE_SERVICE_URL and QUEUE_NAME, nothing else', () => {
    assert.equal(queueKind.kind, 'storage-queue');
    assert.equal(queueKind.target, queue);
    assert.deepEqual(
      queueKind.settings(
        { kind: 'storage-queue', serviceUrl: 'https://stjobs.queue.core.windows.net/', queue: 'jobs' },
        loadConfig(APP),
      ),
      { QUEUE_SERVICE_URL: 'https://stjobs.queue.core.windows.net/', QUEUE_NAME: 'jobs' },
    );
  });

  it('the target reads them: no problems, the queue scope in the group, its facts', () => {
    // As the plan does it (src/declaration/compile.ts): the kind's settings laid over the app's config.
    const base = loadConfig(APP);
    const config = deriveConfig(
      base,
      queueKind.settings({ serviceUrl: 'https://stjobs.queue.core.windows.net/', queue: 'jobs' }, base),
    );
    assert.deepEqual(queue.problems(config), []);
    assert.equal(
      queue.scope(config),
      `/subscriptions/${SUB}/resourceGroups/rg-identity-probes/providers/Microsoft.Storage/storageAccounts/stjobs/queueServices/default/queues/jobs`,
    );
    assert.deepEqual(queue.facts(config), { account: 'stjobs', queue: 'jobs' });
    assert.equal(queue.audience(config), 'https://storage.azure.com');
    assert.equal(queue.role, 'Storage Queue Data Reader');
  });

  it('no resource, or a bad queue name: the settings are named, never the app guessing', () => {
    assert.deepEqual(
      queue.problems(loadConfig(APP)).map((p) => p.setting),
      ['QUEUE_SERVICE_URL', 'QUEUE_NAME'],
    );
    const bad = loadConfig({
      ...APP,
      QUEUE_SERVICE_URL: 'http://stjobs.queue.core.windows.net',
      QUEUE_NAME: 'Jobs_1',
    });
    assert.deepEqual(
      queue.problems(bad).map((p) => `${p.setting} ${p.problem}`),
      ['QUEUE_SERVICE_URL must be an https:// URL', 'QUEUE_NAME must be a storage queue name'],
    );
  });

  it('account names: host style per service, path style from the last segment', () => {
    assert.equal(storageAccountName('https://stjobs.queue.core.windows.net/', 'queue'), 'stjobs');
    assert.equal(storageAccountName('https://stjobs.queue.core.chinacloudapi.cn', 'queue'), 'stjobs');
    assert.equal(storageAccountName('https://127.0.0.1:10001/devstoreaccount1', 'queue'), 'devstoreaccount1');
    assert.equal(
      storageAccountName('https://127.0.0.1:9443/queue/stidentityprobes/', 'queue'),
      'stidentityprobes',
    );
    assert.equal(storageAccountName('https://stx.blob.core.windows.net/', 'blob'), 'stx');
    assert.equal(storageAccountName('not a url', 'queue'), undefined);
  });

  it('QueueNotFound: the command that creates the queue; other outcomes are left to the generic remediation', () => {
    const config = loadConfig({
      ...APP,
      QUEUE_SERVICE_URL: 'https://stjobs.queue.core.windows.net/',
      QUEUE_NAME: 'jobs',
    });
    const facts = { targetFacts: queue.facts(config) } as Partial<RemediationFacts> as RemediationFacts;
    const notFound = classify(restError(404, 'QueueNotFound'), ctx);
    assert.deepEqual([notFound.kind, notFound.reason], ['not-found', 'QueueNotFound']);
    assert.equal(
      queue.remediate!(notFound, facts)?.command,
      'az storage queue create --account-name stjobs --name jobs --auth-mode login',
    );
    const forbidden: Classification = classify(restError(403, 'AuthorizationPermissionMismatch'), ctx);
    assert.equal(queue.remediate!(forbidden, facts), undefined);
  });
});

describe("the four kinds' settings(): a declared resource's fields as its target's settings", () => {
  const base = loadConfig({
    ...APP,
    KEY_VAULT_URL: 'https://kv-app.vault.azure.net/',
    KEY_VAULT_RESOURCE_ID: `/subscriptions/${SUB}/resourceGroups/rg-identity-probes/providers/Microsoft.KeyVault/vaults/kv-app`,
    BLOB_SERVICE_URL: 'https://stapp.blob.core.windows.net/',
    BLOB_CONTAINER_NAME: 'canary',
  });
  const kind = (k: string) => RESOURCE_KINDS.find((p) => p.kind === k)!;

  it('every kind the schema declares has its plug-in, the queue with its one line', () => {
    assert.deepEqual(RESOURCE_KINDS.map((k) => k.kind).sort(), [...DECLARED_KINDS].sort());
    assert.equal(kind('storage-queue'), queueKind);
  });

  it('maps each kind and leaves nothing of the app in a resource it does not own', () => {
    const s = (k: string, f: Record<string, string>) =>
      deriveConfig(base, kind(k).settings({ kind: k, ...f }, base));
    const other = s('keyvault-secret', { vaultUrl: 'https://kv-team.vault.azure.net/', secretName: 'db' });
    assert.deepEqual(other.keyVault, {
      ...base.keyVault,
      url: 'https://kv-team.vault.azure.net/',
      secretName: 'db',
      resourceId: undefined,
    });
    const own = s('keyvault-secret', { vaultUrl: 'https://kv-app.vault.azure.net', secretName: 'db' });
    assert.equal(own.keyVault.resourceId, base.keyVault.resourceId, "the app's own vault keeps its ARM id");
    const blobs = s('blob-container', {
      serviceUrl: 'https://stteam.blob.core.windows.net/',
      container: 'orders',
    });
    assert.deepEqual(blobs.blob, {
      serviceUrl: 'https://stteam.blob.core.windows.net/',
      containerName: 'orders',
    });
    const group = s('arm-scope', { scope: `/subscriptions/${SUB}/resourceGroups/rg-orders` });
    assert.deepEqual([group.arm.subscriptionId, group.arm.resourceGroup], [SUB, 'rg-orders']);
    const sub = s('arm-scope', { scope: `/subscriptions/${SUB}` });
    assert.deepEqual([sub.arm.subscriptionId, sub.arm.resourceGroup], [SUB, undefined]);
    assert.equal(arm.scope(sub), `/subscriptions/${SUB}`, 'a subscription scope runs subscription-wide');
    const jobs = s('storage-queue', { serviceUrl: 'https://stjobs.queue.core.windows.net/', queue: 'jobs' });
    assert.deepEqual(jobs.queue, { serviceUrl: 'https://stjobs.queue.core.windows.net/', name: 'jobs' });
    assert.deepEqual(jobs.blob, base.blob, 'a queue resource changes no other target');
  });
});

describe('Storage error knowledge, one module for blob and queue', () => {
  it('both targets read Storage errors with it', () => {
    assert.equal(queue.errors, STORAGE_ERRORS);
    assert.equal(blob.errors, STORAGE_ERRORS);
  });

  it('403 AuthorizationPermissionMismatch -> rbac, AuthorizationFailure -> firewall', () => {
    const rbac = classify(restError(403, 'AuthorizationPermissionMismatch'), ctx);
    assert.deepEqual([rbac.kind, rbac.reason], ['forbidden', 'rbac']);
    const firewall = classify(restError(403, 'AuthorizationFailure'), ctx);
    assert.deepEqual([firewall.kind, firewall.reason], ['forbidden', 'firewall']);
  });

  it("401: the reason is read from the answer's AuthenticationErrorDetail", () => {
    const body =
      '<?xml version="1.0" encoding="utf-8"?><Error><Code>InvalidAuthenticationInfo</Code><Message>Server failed to authenticate the request.</Message><AuthenticationErrorDetail>Lifetime validation failed. The token is expired.</AuthenticationErrorDetail></Error>';
    const answers = [
      {
        source: 'call' as const,
        status: 401,
        endpoint: 'https://stjobs.queue.core.windows.net',
        at: new Date().toISOString(),
        code: 'InvalidAuthenticationInfo',
        body,
      },
    ];
    const c = classify(
      restError(401, 'InvalidAuthenticationInfo', 'Server failed to authenticate the request.'),
      {
        ...ctx,
        answers,
      },
    );
    assert.deepEqual([c.kind, c.reason], ['unauthenticated', 'expired-token']);
    assert.match(c.detail.message ?? '', /AuthenticationErrorDetail: Lifetime validation failed/);
  });
});

describe('Storage retry options', () => {
  it('a fresh object per client: the Queue client writes its per-try timeout into the one it is given', async () => {
    const { QueueServiceClient } = await import('@azure/storage-queue');
    const given = storageRetryOptions();
    const credential = { getToken: async () => null };
    new QueueServiceClient('https://stjobs.queue.core.windows.net', credential, {
      retryOptions: given,
    }).getQueueClient('jobs');
    assert.equal((given as { tryTimeoutInMs?: number }).tryTimeoutInMs, 30_000, 'the SDK wrote into it');
    assert.deepEqual(storageRetryOptions(), { maxTries: 4, retryDelayInMs: 300, maxRetryDelayInMs: 2000 });
    assert.notEqual(storageRetryOptions(), storageRetryOptions());
  });
});

describe('arm target: a resource group, or a whole subscription', () => {
  it('with AZURE_RESOURCE_GROUP: the group, as before', () => {
    const config = loadConfig(APP);
    assert.deepEqual(arm.problems(config), []);
    assert.equal(arm.scope(config), `/subscriptions/${SUB}/resourceGroups/rg-identity-probes`);
  });

  it('without it: the subscription, and only the subscription is required', () => {
    const config = loadConfig({ AZURE_SUBSCRIPTION_ID: SUB });
    assert.deepEqual(arm.problems(config), []);
    assert.equal(arm.scope(config), `/subscriptions/${SUB}`);
    assert.deepEqual(
      arm.problems(loadConfig({})).map((p) => p.setting),
      ['AZURE_SUBSCRIPTION_ID'],
    );
  });

  it('a group that is set but invalid is still named, not read as "the whole subscription"', () => {
    const config = loadConfig({ AZURE_SUBSCRIPTION_ID: SUB, AZURE_RESOURCE_GROUP: 'bad/group' });
    assert.deepEqual(
      arm.problems(config).map((p) => p.setting),
      ['AZURE_RESOURCE_GROUP'],
    );
  });
});
