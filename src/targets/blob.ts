import { TARGETS as CATALOG } from '../../common/catalog.ts';
import { settingProblems } from '../config.ts';
import { endpointProblems } from '../core/endpoints.ts';
import type { RemediationHook } from '../core/plugins.ts';
import type { Target } from '../core/plugins.ts';
import { resourceGroupScope, TargetCheckError } from './shared.ts';
import {
  STORAGE_ERRORS,
  storageRetryOptions,
  storageAccountName as accountOf,
  addAnswerLog,
} from './storage.ts';

/** Account name from `https://<account>.blob.core.windows.net` or a path-style `https://host:port/<account>`. */
export function storageAccountName(url: string | undefined): string | undefined {
  return accountOf(url, 'blob');
}

/** Bytes read from the canary blob: enough to prove read access, bounded so a big blob cannot slow a probe. */
const CANARY_READ_BYTES = 4096;

const remediate: RemediationHook = (c, f) => {
  const { account, container } = f.targetFacts;
  if (c.kind !== 'not-found') return undefined;
  if (c.reason === 'ContainerNotFound')
    return {
      summary: `The container '${container}' does not exist in storage account '${account}': create it or fix BLOB_CONTAINER_NAME.`,
      command: `az storage container create --account-name ${account ?? '<account>'} --name ${container} --auth-mode login`,
    };
  if (c.reason === 'CanaryBlobNotFound')
    return {
      summary: `The container '${container}' holds no canary blob to read: upload one.`,
      command: `az storage blob upload --account-name ${account ?? '<account>'} --container-name ${container} --name canary.txt --data canary --auth-mode login`,
    };
  return undefined;
};

export const blob: Target = {
  id: 'blob',
  role: CATALOG.blob.role,
  service: 'Blob Storage',
  endpointSetting: CATALOG.blob.endpointSetting,
  facts: (config) => ({
    account: storageAccountName(config.blob.serviceUrl),
    container: config.blob.containerName,
  }),
  errors: STORAGE_ERRORS,
  remediate,
  audience: () => CATALOG.blob.audience,
  problems: (config) => [
    ...settingProblems(config, ['BLOB_SERVICE_URL', 'BLOB_CONTAINER_NAME']),
    ...endpointProblems(config, 'BLOB_SERVICE_URL', 'blob'),
  ],
  scope(config) {
    // Assumes the account lives in AZURE_RESOURCE_GROUP, as infra/ deploys it.
    const account = storageAccountName(config.blob.serviceUrl) ?? '<storage-account>';
    return `${resourceGroupScope(config)}/providers/Microsoft.Storage/storageAccounts/${account}/blobServices/default/containers/${config.blob.containerName}`;
  },
  async createCall(credential, config) {
    const { BlobServiceClient } = await import('@azure/storage-blob');
    const containerName = config.blob.containerName!;
    // The answer log (core/answerLog.ts) on the client's pipeline, as on every target's.
    const container = addAnswerLog(
      new BlobServiceClient(config.blob.serviceUrl!, credential, {
        retryOptions: storageRetryOptions(),
      }).getContainerClient(containerName),
    );
    return async (abortSignal) => {
      const [props, page] = await Promise.all([
        container.getProperties({ abortSignal }),
        container.listBlobsFlat({ abortSignal }).byPage({ maxPageSize: 1 }).next(),
      ]);
      const first = page.done ? undefined : page.value.segment.blobItems[0];
      if (!first)
        throw new TargetCheckError(
          `The container '${containerName}' holds no canary blob.`,
          'CanaryBlobNotFound',
          404,
        );
      let bytesRead = 0;
      // A ranged read of an empty blob is a 416, so only non-empty blobs are read.
      if (first.properties.contentLength) {
        const download = await container
          .getBlobClient(first.name)
          .download(0, CANARY_READ_BYTES, { abortSignal });
        // Read and discard: the content is never kept, logged or returned.
        for await (const chunk of download.readableStreamBody ?? []) bytesRead += (chunk as Buffer).length;
      }
      return {
        container: containerName,
        lastModified: props.lastModified?.toISOString() ?? null,
        blob: first.name,
        bytesRead,
      };
    };
  },
};
