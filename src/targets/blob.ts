import { lastAnswerPolicy, lastErrorAnswer } from '../core/answerLog.ts';
import { TARGETS as CATALOG } from '../../common/catalog.ts';
import { settingProblems } from '../config.ts';
import type { ClassifyRule, RemediationHook } from '../core/plugins.ts';
import type { Target } from '../core/plugins.ts';
import { RESOURCE_RETRY, resourceGroupScope, TargetCheckError } from './shared.ts';

interface StorageInternals {
  storageClientContext?: {
    pipeline?: { addPolicy(policy: typeof lastAnswerPolicy, options: { afterPhase: 'Retry' }): void };
  };
}

/**
 * Storage says why it refused a token only in the error body's AuthenticationErrorDetail ("Lifetime validation
 * failed. The token is expired."; https://learn.microsoft.com/rest/api/storageservices/status-and-error-codes2),
 * which the SDK's error does not carry: it is read from the answer itself (core/answerLog.ts).
 */
const storageAuthenticationDetail: ClassifyRule = (e) => {
  if (e.detail.statusCode !== 401 && e.detail.statusCode !== 403) return undefined;
  const body = lastErrorAnswer(e.ctx.answers ?? [], 'call')?.body ?? '';
  const detail = /<AuthenticationErrorDetail>([^<]*)<\/AuthenticationErrorDetail>/.exec(body)?.[1];
  if (!detail) return undefined;
  const message = `${e.detail.message ?? ''} AuthenticationErrorDetail: ${detail}`.trim();
  if (/expired|Lifetime validation failed/i.test(detail))
    return e.is('unauthenticated', 'expired-token', { message });
  if (/audience/i.test(detail)) return e.is('unauthenticated', 'wrong-audience', { message });
  if (/issuer|tenant|signature/i.test(detail)) return e.is('unauthenticated', 'invalid-token', { message });
  return undefined;
};

/** Account name from `https://<account>.blob.core.windows.net` or a path-style `https://host:port/<account>`. */
export function storageAccountName(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const u = new URL(url);
  if (/\.blob\./i.test(u.hostname)) return u.hostname.split('.')[0];
  return u.pathname.split('/').find(Boolean);
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
  // Storage's 403 AuthorizationFailure: the account's network rules refused the caller (docs/data-plane.md §3.6).
  errors: {
    typed: [storageAuthenticationDetail],
    forbidden: [
      (e) => (e.detail.code === 'AuthorizationFailure' ? e.is('forbidden', 'firewall') : undefined),
    ],
  },
  remediate,
  audience: () => CATALOG.blob.audience,
  problems: (config) => settingProblems(config, ['BLOB_SERVICE_URL', 'BLOB_CONTAINER_NAME']),
  scope(config) {
    // Assumes the account lives in AZURE_RESOURCE_GROUP, as infra/ deploys it.
    const account = storageAccountName(config.blob.serviceUrl) ?? '<storage-account>';
    return `${resourceGroupScope(config)}/providers/Microsoft.Storage/storageAccounts/${account}/blobServices/default/containers/${config.blob.containerName}`;
  },
  async createCall(credential, config) {
    const { BlobServiceClient } = await import('@azure/storage-blob');
    const containerName = config.blob.containerName!;
    const container = new BlobServiceClient(config.blob.serviceUrl!, credential, {
      // Storage has its own retry policy (docs/data-plane.md §0); bounded for the same reason as RESOURCE_RETRY.
      retryOptions: {
        maxTries: RESOURCE_RETRY.maxRetries + 1,
        retryDelayInMs: RESOURCE_RETRY.retryDelayInMs,
        maxRetryDelayInMs: RESOURCE_RETRY.maxRetryDelayInMs,
      },
    }).getContainerClient(containerName);
    // Storage's client options take no additional policies (StoragePipelineOptions), but the core pipeline the
    // client builds does; the policy goes after the retry phase, so it sees every attempt's answer.
    (container as unknown as StorageInternals).storageClientContext?.pipeline?.addPolicy(lastAnswerPolicy, {
      afterPhase: 'Retry',
    });
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
