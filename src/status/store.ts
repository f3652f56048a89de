// Status store: one blob per identity path (`paths/<path-id>.json`) in STATUS_CONTAINER_NAME, so every instance and
// the status endpoint see the same results, and each path writes only its own blob. Writes are read-modify-write
// with ETag conditions (If-Match, or If-None-Match: * on create) and retry on 412/409, so concurrent invocations
// (timer + HTTP, several instances) lose nothing.
import type { ContainerClient } from '@azure/storage-blob';
import { getConfig, settingProblems, type Config } from '../config.ts';
import type { PathId } from '../ids.ts';
import type { ProbeResult } from '../probes/types.ts';
import { mergeResults, type PathDocument } from './model.ts';

const MAX_WRITE_ATTEMPTS = 10;
/** Short retries: a status write must not hold a probe's answer for long (the probe answers regardless). */
const RETRY = { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000 } as const;

export class StatusStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StatusStoreError';
  }
}

export function blobName(path: PathId): string {
  return `paths/${path}.json`;
}

interface Versioned {
  doc: PathDocument;
  etag: string;
}

function statusCode(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

export class StatusStore {
  readonly #container: ContainerClient;
  readonly #timeoutMs: number;

  constructor(container: ContainerClient, timeoutMs: number) {
    this.#container = container;
    this.#timeoutMs = timeoutMs;
  }

  async read(path: PathId): Promise<Versioned | undefined> {
    try {
      const res = await this.#container
        .getBlockBlobClient(blobName(path))
        .download(0, undefined, { abortSignal: AbortSignal.timeout(this.#timeoutMs) });
      const chunks: Buffer[] = [];
      for await (const chunk of res.readableStreamBody ?? []) chunks.push(chunk as Buffer);
      return { doc: JSON.parse(Buffer.concat(chunks).toString('utf8')) as PathDocument, etag: res.etag! };
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }

  async readAll(paths: readonly PathId[]): Promise<Record<PathId, PathDocument | undefined>> {
    const docs = await Promise.all(paths.map(async (p) => [p, (await this.read(p))?.doc] as const));
    return Object.fromEntries(docs) as Record<PathId, PathDocument | undefined>;
  }

  /** Merges `results` into the path's document; returns the document written. */
  async record(path: PathId, results: ProbeResult[]): Promise<PathDocument> {
    const blob = this.#container.getBlockBlobClient(blobName(path));
    for (let attempt = 1; ; attempt++) {
      const current = await this.read(path);
      const doc = mergeResults(current?.doc, path, results);
      const body = JSON.stringify(doc);
      try {
        await blob.upload(body, Buffer.byteLength(body), {
          conditions: current ? { ifMatch: current.etag } : { ifNoneMatch: '*' },
          blobHTTPHeaders: { blobContentType: 'application/json' },
          abortSignal: AbortSignal.timeout(this.#timeoutMs),
        });
        return doc;
      } catch (err) {
        // 412 ConditionNotMet: someone wrote since we read; 409 BlobAlreadyExists: someone created it first.
        const s = statusCode(err);
        if ((s === 412 || s === 409) && attempt < MAX_WRITE_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, 10 + Math.random() * 40 * attempt));
          continue;
        }
        throw err;
      }
    }
  }
}

let store: Promise<StatusStore> | undefined;

/** The process-wide store, its client built once with the status identity (STATUS_CLIENT_ID or system). */
export function statusStore(config: Config = getConfig()): Promise<StatusStore> {
  store ??= (async () => {
    const problems = settingProblems(
      config,
      ['STATUS_BLOB_SERVICE_URL', 'STATUS_CONTAINER_NAME'],
      ['STATUS_CLIENT_ID'],
    );
    if (problems.length)
      throw new StatusStoreError(
        `status store not configured: ${problems.map((p) => `${p.setting} ${p.problem}`).join('; ')}`,
      );
    const [{ ManagedIdentityCredential }, { BlobServiceClient }] = await Promise.all([
      import('@azure/identity'),
      import('@azure/storage-blob'),
    ]);
    const credential = config.status.clientId
      ? new ManagedIdentityCredential({ clientId: config.status.clientId, retryOptions: RETRY })
      : new ManagedIdentityCredential({ retryOptions: RETRY });
    const container = new BlobServiceClient(config.status.serviceUrl!, credential, {
      retryOptions: { maxTries: RETRY.maxRetries + 1, retryDelayInMs: 200, maxRetryDelayInMs: 1000 },
    }).getContainerClient(config.status.containerName!);
    return new StatusStore(container, config.probeTimeoutMs);
  })();
  return store;
}
