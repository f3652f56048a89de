// The Storage queue target: the proof that a new resource kind is one module (issue 23). A declaration's
// `storage-queue` resource (common/declaration/schema.ts) is probed by peeking one message with the Azure SDK's own
// Queue client: peeking needs only Storage Queue Data Reader's data action
// (Microsoft.Storage/storageAccounts/queueServices/queues/messages/read), changes nothing (a peek does not alter a
// message's visibility: https://learn.microsoft.com/rest/api/storageservices/peek-messages), and an empty queue is
// an answer too: the question is "may this identity read it", not whether anything is queued. What Storage's errors
// mean is shared with the blob target (./storage.ts). No canary queue exists, so the queue is not a catalog target:
// its settings (QUEUE_SERVICE_URL, QUEUE_NAME) come only from a declared resource (queueKind below).
import { settingProblems } from '../config.ts';
import { endpointProblems } from '../core/endpoints.ts';
import type { RemediationHook, ResourceKindPlugin, Target } from '../core/plugins.ts';
import { resourceGroupScope } from './shared.ts';
import { STORAGE_ERRORS, storageRetryOptions, storageAccountName, addAnswerLog } from './storage.ts';

const STORAGE_AUDIENCE = 'https://storage.azure.com';

const remediate: RemediationHook = (c, f) => {
  const { account, queue } = f.targetFacts;
  if (c.kind === 'not-found' && c.reason === 'QueueNotFound')
    return {
      summary: `The queue '${queue}' does not exist in storage account '${account ?? '<account>'}': create it, or fix the declared queue name.`,
      command: `az storage queue create --account-name ${account ?? '<account>'} --name ${queue ?? '<queue>'} --auth-mode login`,
    };
  return undefined;
};

export const queue: Target = {
  id: 'queue',
  role: 'Storage Queue Data Reader',
  service: 'Queue Storage',
  endpointSetting: 'QUEUE_SERVICE_URL',
  facts: (config) => ({
    account: storageAccountName(config.queue.serviceUrl, 'queue'),
    queue: config.queue.name,
  }),
  errors: STORAGE_ERRORS,
  remediate,
  audience: () => STORAGE_AUDIENCE,
  problems: (config) => [
    ...settingProblems(config, ['QUEUE_SERVICE_URL', 'QUEUE_NAME']),
    ...endpointProblems(config, 'QUEUE_SERVICE_URL', 'queue'),
  ],
  scope(config) {
    // The settings name the account, not its group: AZURE_RESOURCE_GROUP is assumed, as for the blob target.
    const account = storageAccountName(config.queue.serviceUrl, 'queue') ?? '<storage-account>';
    return `${resourceGroupScope(config)}/providers/Microsoft.Storage/storageAccounts/${account}/queueServices/default/queues/${config.queue.name ?? '<queue>'}`;
  },
  async createCall(credential, config) {
    const { QueueServiceClient } = await import('@azure/storage-queue');
    const name = config.queue.name!;
    const client = addAnswerLog(
      new QueueServiceClient(config.queue.serviceUrl!, credential, {
        retryOptions: storageRetryOptions(),
      }).getQueueClient(name),
    );
    return async (abortSignal) => {
      const peeked = await client.peekMessages({ numberOfMessages: 1, abortSignal });
      // The message itself is the team's data: only whether there was one is reported.
      return { queue: name, messagesPeeked: peeked.peekedMessageItems.length };
    };
  },
};

/** The declaration's `storage-queue` kind: its `serviceUrl` and `queue` are the queue target's settings. */
export const queueKind: ResourceKindPlugin = {
  kind: 'storage-queue',
  target: queue,
  settings: (fields) => ({ QUEUE_SERVICE_URL: fields.serviceUrl, QUEUE_NAME: fields.queue }),
};
