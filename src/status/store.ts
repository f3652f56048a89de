// Status store: one blob per declared identity (`identities/<name>.json`) in STATUS_CONTAINER_NAME, holding all its
// cells, its federated token's state and its privileges check (document.ts), so that a status read costs one
// request per identity, not one per cell (docs/design.md "Status store"). Writes are read-modify-write with ETag
// conditions (If-Match, or If-None-Match: * on create) and retry on 412/409 until their deadline (no attempt cap: a
// busy document only slows a write down); inside one process the writes of an identity are coalesced (writer.ts),
// so one write carries all of a timer run's cells and at most one writer per identity per instance contends.
// An identity with no document yet is read from the previous layout (a blob per cell, and one per identity for
// its privileges check), and its first write folds those in, so a redeploy loses no history.
// Reads (every identity, in parallel) have one deadline, PROBE_TIMEOUT_MS; a write has its own, longer one, because
// it may go on after the probe has answered (service.ts). Either way the store waits at most that long, even when
// the managed identity endpoint never answers (its token requests have no timeout and ignore abort signals:
// docs/identity-wire.md §1.7).
import type { ContainerClient } from '@azure/storage-blob';
import type { IdentityName, ResourceName } from '../ids.ts';
import { settingProblems, type Config } from '../config.ts';
import { endpointProblems } from '../core/endpoints.ts';
import { NAME } from '../../common/declaration/names.ts';
import { newTokenRecord } from '../core/attestation.ts';
import { attestedCall, attestedClient, type AttestedClient } from '../core/attestedCall.ts';
import type { ProbeResult } from '../core/results.ts';
import type { PrivilegesResult } from '../privileges/types.ts';
import {
  foldLegacy,
  mergePrivilegesInto,
  mergeResultsInto,
  toPathDocument,
  type IdentityDocument,
  type LegacyCellDocument,
} from './document.ts';
import type { PathDocument } from './model.ts';
import type { PrivilegesRecord } from './privileges.ts';

/** Short retries: a status write must not hold a probe's answer for long (the probe answers regardless). */
const RETRY = { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000 } as const;

export class StatusStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StatusStoreError';
  }
}

/** The store did not finish an operation within its deadline (PROBE_TIMEOUT_MS). */
export class StatusStoreDeadlineError extends StatusStoreError {
  readonly timeoutMs: number;
  /** A token request was still outstanding at the deadline (the identity endpoint, not storage, was late). */
  readonly tokenPending: boolean;
  constructor(timeoutMs: number, tokenPending: boolean) {
    super(
      `no answer within PROBE_TIMEOUT_MS=${timeoutMs} ms` +
        (tokenPending ? ' (waiting for a token from the managed identity endpoint)' : ''),
    );
    this.name = 'StatusStoreDeadlineError';
    this.timeoutMs = timeoutMs;
    this.tokenPending = tokenPending;
  }
}

/** An identity's document: all its cells, its federated token's state and its privileges check (document.ts). */
export function documentBlobName(identity: IdentityName): string {
  return `identities/${identity}.json`;
}

/** The previous layout, read only to fold it into an identity's first document: one blob per cell... */
export function legacyCellBlobName(identity: IdentityName, resource: ResourceName): string {
  return `${LEGACY_CELLS}${identity}/${resource}.json`;
}
const LEGACY_CELLS = 'cells/';

/** ...and one per identity for its privileges check. */
export function legacyPrivilegesBlobName(identity: IdentityName): string {
  return `privileges/${identity}.json`;
}

/**
 * The store answered 404 for something that is not a missing blob (ContainerNotFound, or a 404 with another code
 * or none): the status container, or the account, is not there. Every read and write fails until it is back. The
 * app does not create it: the container is infrastructure (infra/modules/storage.bicep), and a write that silently
 * recreated it would hide that it was deleted, history and all.
 */
export class StatusContainerMissingError extends StatusStoreError {
  readonly container: string;
  constructor(container: string, code: string | undefined, options?: { cause?: unknown }) {
    super(
      `status container "${container}" not found (HTTP 404${code ? ` ${code}` : ''}); ` +
        'the app does not create it: deploy it again (infra/modules/storage.bicep)',
      options,
    );
    this.name = 'StatusContainerMissingError';
    this.container = container;
  }
}

interface Versioned<T> {
  doc: T;
  etag: string;
}

function statusCode(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** The service's error code (x-ms-error-code, as RestError.code carries it). */
function errorCode(err: unknown): string | undefined {
  const c = (err as { code?: unknown })?.code;
  return typeof c === 'string' ? c : undefined;
}

export class StatusStore {
  readonly #container: ContainerClient;
  readonly #timeoutMs: number;
  readonly #credential: { readonly pending: number };
  readonly #onTokenHang: () => void;
  /** Identities found to have no document of the previous layout (#legacy). */
  readonly #noLegacy = new Set<string>();

  /**
   * `credential` is the one the container's client uses (for its count of outstanding token requests);
   * `onTokenHang` is called when an operation missed its deadline while a token request was outstanding.
   */
  constructor(
    container: ContainerClient,
    timeoutMs: number,
    credential: { readonly pending: number },
    onTokenHang: () => void,
  ) {
    this.#container = container;
    this.#timeoutMs = timeoutMs;
    this.#credential = credential;
    this.#onTokenHang = onTokenHang;
  }

  /**
   * Runs `work` under one deadline: its abort signal is aborted at the deadline (stopping blob calls and retries),
   * and the returned promise rejects then even if `work` is stuck in token acquisition, which no signal reaches.
   * `budgetMs` is the budget the error names (a read waits only for what is left of its answer's budget).
   */
  async #withinDeadline<T>(
    work: (signal: AbortSignal) => Promise<T>,
    timeoutMs = this.#timeoutMs,
    budgetMs = timeoutMs,
  ): Promise<T> {
    const controller = new AbortController();
    let missed: StatusStoreDeadlineError | undefined;
    try {
      return await attestedCall(
        newTokenRecord(),
        () => work(controller.signal),
        Math.max(0, timeoutMs),
        () => {
          missed = new StatusStoreDeadlineError(budgetMs, this.#credential.pending > 0);
          return missed;
        },
      );
    } finally {
      controller.abort();
      // The client's token cycler waits forever on a token request that never answers (as in runner.ts): the
      // next operation needs a fresh credential and client.
      if (missed?.tokenPending) this.#onTokenHang();
    }
  }

  async #read<T>(name: string, signal: AbortSignal): Promise<Versioned<T> | undefined> {
    try {
      const res = await this.#container
        .getBlockBlobClient(name)
        .download(0, undefined, { abortSignal: signal });
      const chunks: Buffer[] = [];
      for await (const chunk of res.readableStreamBody ?? []) chunks.push(chunk as Buffer);
      return { doc: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T, etag: res.etag! };
    } catch (err) {
      // Only a missing blob is "no result yet"; any other 404 means the store itself is not there (issue 24: a
      // deleted container read as an empty store, and /api/health said the store was reachable).
      if (statusCode(err) === 404) {
        if (errorCode(err) === 'BlobNotFound') return undefined;
        throw new StatusContainerMissingError(this.#container.containerName, errorCode(err), { cause: err });
      }
      throw err;
    }
  }

  /** The names of the blobs under `prefix` (every page). */
  async #list(prefix: string, signal: AbortSignal): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const page of this.#container
        .listBlobsFlat({ prefix, abortSignal: signal })
        .byPage({ maxPageSize: 5000 }))
        for (const item of page.segment.blobItems) names.push(item.name);
    } catch (err) {
      if (statusCode(err) === 404)
        throw new StatusContainerMissingError(this.#container.containerName, errorCode(err), { cause: err });
      throw err;
    }
    return names;
  }

  /**
   * The documents of `layout`'s identities (each with the cells of its resources only), one request per identity,
   * in parallel within one deadline: `waitMs` (what is left of the answer's budget) or else PROBE_TIMEOUT_MS. An
   * identity with no document yet is read from the previous layout's blobs, if it has any (foldLegacy).
   */
  readAll(
    layout: Readonly<Record<IdentityName, readonly ResourceName[]>>,
    waitMs = this.#timeoutMs,
  ): Promise<Record<IdentityName, PathDocument | undefined>> {
    const identities = Object.keys(layout);
    for (const identity of identities) checkName(identity);
    return this.#withinDeadline(
      async (signal) => {
        const docs = await Promise.all(
          identities.map(async (identity) => {
            const doc =
              (await this.#read<IdentityDocument>(documentBlobName(identity), signal))?.doc ??
              (await this.#legacy(identity, signal));
            return [identity, doc && toPathDocument(doc, layout[identity])] as const;
          }),
        );
        return Object.fromEntries(docs);
      },
      waitMs,
      this.#timeoutMs,
    );
  }

  /**
   * Merges `results` (of one identity, any of its resources) into the identity's document in ONE conditional write;
   * returns the document written. All attempts share one deadline, `timeoutMs`.
   */
  recordResults(
    identity: IdentityName,
    results: readonly ProbeResult[],
    timeoutMs: number,
  ): Promise<IdentityDocument> {
    checkName(identity);
    return this.#withinDeadline(
      (signal) => this.#update(identity, (d) => mergeResultsInto(d, identity, results), signal),
      timeoutMs,
    );
  }

  /** Merges a privileges check into the identity's document; returns the record written. */
  async recordPrivileges(identity: IdentityName, result: PrivilegesResult): Promise<PrivilegesRecord> {
    checkName(identity);
    const doc = await this.#withinDeadline((signal) =>
      this.#update(identity, (d) => mergePrivilegesInto(d, identity, result), signal),
    );
    return doc.privileges!;
  }

  /**
   * The identity's document folded from the previous layout, or undefined when it has none: one listing of its cell
   * blobs, a read of each, and a read of its privileges blob. After one answer that it has none, the identity is not
   * asked again by this process (a status read stays one request per identity before the first write); its first
   * write still folds in whatever is there by then.
   */
  async #legacy(
    identity: string,
    signal: AbortSignal,
    remember = true,
  ): Promise<IdentityDocument | undefined> {
    if (remember && this.#noLegacy.has(identity)) return undefined;
    const names = (await this.#list(`${LEGACY_CELLS}${identity}/`, signal)).filter((n) =>
      n.endsWith('.json'),
    );
    const [cells, privileges] = await Promise.all([
      Promise.all(names.map(async (n) => (await this.#read<LegacyCellDocument>(n, signal))?.doc)),
      this.#read<PrivilegesRecord>(legacyPrivilegesBlobName(identity), signal),
    ]);
    const doc = foldLegacy(identity, cells, privileges?.doc);
    if (!doc) this.#noLegacy.add(identity);
    return doc;
  }

  /**
   * Read, merge, conditional write (If-Match, or If-None-Match: * on create, then from the previous layout's
   * documents); again on a concurrent write, until the deadline (`signal`).
   */
  async #update(
    identity: string,
    merge: (current: IdentityDocument | undefined) => IdentityDocument,
    signal: AbortSignal,
  ): Promise<IdentityDocument> {
    const name = documentBlobName(identity);
    const blob = this.#container.getBlockBlobClient(name);
    for (let attempt = 1; ; attempt++) {
      const current = await this.#read<IdentityDocument>(name, signal);
      const doc = merge(current ? current.doc : await this.#legacy(identity, signal, false));
      const body = JSON.stringify(doc);
      try {
        await blob.upload(body, Buffer.byteLength(body), {
          conditions: current ? { ifMatch: current.etag } : { ifNoneMatch: '*' },
          blobHTTPHeaders: { blobContentType: 'application/json' },
          abortSignal: signal,
        });
        return doc;
      } catch (err) {
        // 412 ConditionNotMet: someone wrote since we read; 409 BlobAlreadyExists: someone created it first.
        // Retried until the deadline (its signal), with a jittered backoff that grows to half a second.
        const s = statusCode(err);
        if ((s === 412 || s === 409) && !signal.aborted) {
          await new Promise((r) => setTimeout(r, Math.random() * Math.min(500, 20 * attempt)));
          continue;
        }
        throw err;
      }
    }
  }
}

/** Identity names go into blob names: only what a declaration may name (common/declaration/schema.ts NAME). */
function checkName(identity: string): void {
  if (!NAME.test(identity)) throw new StatusStoreError(`not an identity name: ${JSON.stringify(identity)}`);
}

/**
 * Builds the store's client with the status identity (STATUS_CLIENT_ID or system); `onTokenHang` is called when an
 * operation missed its deadline while a token request was outstanding (then build a new one: its token cycler would
 * wait forever). The status service (service.ts) holds it.
 */
export async function openStatusStore(config: Config, onTokenHang: () => void): Promise<StatusStore> {
  return (await buildStore(config, onTokenHang)).client;
}

async function buildStore(config: Config, onTokenHang: () => void): Promise<AttestedClient<StatusStore>> {
  const problems = [
    ...settingProblems(config, ['STATUS_BLOB_SERVICE_URL', 'STATUS_CONTAINER_NAME'], ['STATUS_CLIENT_ID']),
    ...endpointProblems(config, 'STATUS_BLOB_SERVICE_URL', 'blob'),
  ];
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
  return attestedClient(credential, (wrapper) => {
    const container = new BlobServiceClient(config.status.serviceUrl!, wrapper, {
      retryOptions: {
        maxTries: RETRY.maxRetries + 1,
        retryDelayInMs: RETRY.retryDelayInMs,
        maxRetryDelayInMs: RETRY.maxRetryDelayInMs,
      },
    }).getContainerClient(config.status.containerName!);
    return new StatusStore(container, config.probeTimeoutMs, wrapper, onTokenHang);
  });
}
