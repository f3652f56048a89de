// Where the probe declaration comes from (docs/declaration.md "Where the declaration comes from"): a JSON file in
// the deployment package (PROBES_DECLARATION, default declarations/default.json), read once per process; or a blob
// (PROBES_DECLARATION_URL) read again on each timer run, so a team changes what is probed without a redeploy. The
// caller (compile.ts) decides when to read; this module only fetches the raw JSON and says where it came from.
//
// The blob is read with a conditional GET (If-None-Match: the last ETag; a 304 reuses the last parse,
// https://learn.microsoft.com/rest/api/storageservices/specifying-conditional-headers-for-blob-service-operations),
// through the real BlobClient, with the identity PROBES_DECLARATION_CLIENT_ID names, else the host identity
// (AzureWebJobsStorage__clientId), else the system-assigned one. A failed read keeps the last good declaration and
// reports the problem beside it, so /api/status and /api/health can say what went wrong while nothing is lost; with
// no good read yet it falls back to the file in the package. Nothing here throws, and every read is bounded by a
// deadline that holds even when the managed identity endpoint never answers (docs/identity-wire.md §1.7).
//
// A token goes only where it is meant to go: the URL must be a Storage blob endpoint of an Azure cloud, or the very
// Blob service the app already sends storage tokens to (STATUS_BLOB_SERVICE_URL, BLOB_SERVICE_URL: the sandbox's,
// locally), checked before any credential is built. Redirects cannot carry it elsewhere: the pipeline follows only
// same-origin redirects and drops the Authorization header on them
// (https://github.com/Azure/azure-sdk-for-js/blob/main/sdk/core/ts-http-runtime/src/policies/redirectPolicy.ts).
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { BlobClient } from '@azure/storage-blob';
import { settingProblems, type Config } from '../config.ts';
import { newTokenRecord } from '../core/attestation.ts';
import { untrustedEndpoint } from '../core/endpoints.ts';
import { attestedCall, attestedClient, ClientMemo } from '../core/attestedCall.ts';
import { appRoot, forgetAppRoot } from './appRoot.ts';

export { appRoot } from './appRoot.ts';

export interface DeclarationSourceProblem {
  entry: 'declaration';
  /** The setting to look at: PROBES_DECLARATION or PROBES_DECLARATION_URL. */
  field?: string;
  message: string;
}

export interface DeclarationRead {
  /** The parsed JSON, not yet checked (common/declaration/parse.ts does that); absent when nothing could be read. */
  raw?: unknown;
  /** Where `raw` came from: `package:declarations/default.json`, an absolute file path, or the blob's URL. */
  source: string;
  /** The blob's ETag, when `raw` came from a blob. */
  etag?: string;
  /** When `raw` was read (ISO); a 304 counts as a read: the blob was confirmed unchanged then. */
  readAt: string;
  /** The blob answered 304 Not Modified to this read: `raw` is the last parse, still current. */
  unchanged?: boolean;
  /** Why the last read failed; `raw` is then the last good one (or the package file), when there is one. */
  problem?: DeclarationSourceProblem;
}

export interface ReadDeclarationOptions {
  /** Give up after this long; default PROBE_TIMEOUT_MS. */
  deadlineMs?: number;
  /** The app root (the folder holding host.json) relative file paths start from; default: found from this module. */
  appRoot?: string;
  /** The clock (tests). */
  now?: () => Date;
}

/** The source of a plan built from the default declaration in code (declarations/default.json is generated from it). */
export const BUILT_IN_SOURCE = 'built-in (declarations/default.json)';

/** A declaration larger than this is refused: 500 probes are about 60 KB. */
export const MAX_DECLARATION_BYTES = 4 * 1024 * 1024;

/** Short retries: a timer run must not wait long on its declaration (it runs the last good one anyway). */
const RETRY = { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000 } as const;

/**
 * Whether a token may be sent to `url`: undefined when it may, else why not. https only, no SAS or user info (the
 * identity reads it; a query would only leak into logs), and either an Azure cloud's blob endpoint on its standard
 * port or a blob under a Blob service URL the app already trusts with storage tokens (the status store's, the blob
 * target's): the same origin and account path.
 */
export function untrustedBlobUrl(url: string, config: Config): string | undefined {
  const u = URL.parse(url);
  if (!u) return 'is not an absolute URL';
  if (u.protocol !== 'https:') return 'must be an https:// URL';
  if (u.username || u.password) return 'must not carry user information';
  if (u.search || u.hash)
    return 'must not carry a query or fragment (no SAS: the identity reads the blob with its own token)';
  if (u.pathname.split('/').filter(Boolean).length < 2) return 'must name a container and a blob';
  // An Azure cloud's Blob endpoint (core/endpoints.ts, the rule every token recipient follows).
  if (untrustedEndpoint('blob', url, []) === undefined) return undefined;
  for (const base of [config.status.serviceUrl, config.blob.serviceUrl]) {
    const b = base ? URL.parse(base) : null;
    if (!b) continue;
    const prefix = b.pathname.endsWith('/') ? b.pathname : `${b.pathname}/`;
    if (b.origin === u.origin && u.pathname.startsWith(prefix)) return undefined;
  }
  return (
    "is not a Storage blob endpoint of an Azure cloud (<account>.blob.core.windows.net, ...) nor under the app's " +
    'own STATUS_BLOB_SERVICE_URL or BLOB_SERVICE_URL: no token is sent there'
  );
}

const isoNow = (options: ReadDeclarationOptions) => (options.now?.() ?? new Date()).toISOString();

// ---------------------------------------------------------------------------------------------------------------
// The file in the package: read once per process (it changes only with a deployment).

const files = new Map<string, Promise<DeclarationRead>>();

function fileSource(config: Config, root: string): { path: string; source: string } {
  const path = isAbsolute(config.declaration.file)
    ? config.declaration.file
    : resolve(root, config.declaration.file);
  const inPackage = !isAbsolute(config.declaration.file) && path.startsWith(root);
  return { path, source: inPackage ? `package:${config.declaration.file}` : path };
}

async function readFileOnce(path: string, source: string, readAt: string): Promise<DeclarationRead> {
  const fail = (message: string): DeclarationRead => ({
    source,
    readAt,
    problem: { entry: 'declaration', field: 'PROBES_DECLARATION', message: `${source}: ${message}` },
  });
  try {
    const s = await stat(path);
    if (!s.isFile()) return fail('is not a file');
    if (s.size > MAX_DECLARATION_BYTES) return fail(`is ${s.size} bytes, more than ${MAX_DECLARATION_BYTES}`);
    const text = await readFile(path, 'utf8');
    return { ...parsed(text, fail), source, readAt };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(
      code === 'ENOENT'
        ? 'file not found (PROBES_DECLARATION is relative to the app root, the folder holding host.json)'
        : `cannot be read (${code ?? (err as Error).name})`,
    );
  }
}

function parsed(
  text: string,
  fail: (m: string) => DeclarationRead,
): { raw?: unknown; problem?: DeclarationSourceProblem } {
  try {
    return { raw: JSON.parse(text.replace(/^\uFEFF/, '')) as unknown };
  } catch (err) {
    const { problem } = fail(`not valid JSON: ${(err as Error).message}`);
    return problem ? { problem } : {};
  }
}

function readPackageFile(config: Config, options: ReadDeclarationOptions): Promise<DeclarationRead> {
  const root = options.appRoot ?? appRoot();
  const { path, source } = fileSource(config, root);
  let p = files.get(path);
  if (!p) {
    p = readFileOnce(path, source, isoNow(options));
    files.set(path, p);
  }
  return p;
}

// ---------------------------------------------------------------------------------------------------------------
// The blob: read on each call, conditionally; the last good read is kept per URL and reader.

interface BlobMemo {
  /** The last good read: raw, ETag, when. */
  good?: DeclarationRead & { raw: unknown; etag: string };
  /** The read under way: the timers of every declared identity fire together and share it. */
  inflight?: Promise<DeclarationRead>;
}

const blobClients = new ClientMemo<string, BlobClient>();
const blobMemos = new Map<string, BlobMemo>();

function statusCode(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

function errorCode(err: unknown): string | undefined {
  const c = (err as { code?: unknown })?.code;
  return typeof c === 'string' ? c : undefined;
}

class DeadlineMissed extends Error {
  readonly tokenPending: boolean;
  constructor(ms: number, tokenPending: boolean) {
    super(
      `no answer within ${ms} ms${tokenPending ? ' (waiting for a token from the managed identity endpoint)' : ''}`,
    );
    this.tokenPending = tokenPending;
  }
}

function readerName(config: Config): string {
  const d = config.declaration;
  return d.clientId
    ? `the identity with client ID ${d.clientId} (${d.reader})`
    : 'the system-assigned identity';
}

/** Why a blob read failed, in words: the status, the service's error code, what to do. Never the SDK's message. */
function describeFailure(err: unknown, config: Config): string {
  if (err instanceof DeadlineMissed) return err.message;
  const status = statusCode(err);
  const code = errorCode(err);
  const what = `HTTP ${status ?? '?'}${code ? ` ${code}` : ''}`;
  if (status === 404)
    return `${what}: ${code === 'BlobNotFound' ? 'no such blob' : 'no such container or account'}`;
  if (status === 403)
    return `${what}: ${readerName(config)} may not read it; give it Storage Blob Data Reader on the container`;
  if (status === 401) return `${what}: the service refused the token of ${readerName(config)}`;
  if (status !== undefined) return what;
  // No HTTP answer: the credential (CredentialUnavailableError, AuthenticationError) or the network.
  const name = (err as Error)?.name ?? 'Error';
  return `${name}${code ? ` ${code}` : ''} while ${readerName(config)} read it`;
}

async function readBody(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream ?? []) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_DECLARATION_BYTES)
      throw new Error(`the blob is more than ${MAX_DECLARATION_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

type BlobOutcome = { status: 'changed'; text: string; etag: string } | { status: 'unchanged' };

async function fetchBlob(
  config: Config,
  url: string,
  etag: string | undefined,
  deadlineMs: number,
): Promise<BlobOutcome> {
  const key = `${config.declaration.clientId ?? 'system'}|${url}`;
  const built = blobClients.get(key, async () => {
    const [{ ManagedIdentityCredential }, { BlobClient }] = await Promise.all([
      import('@azure/identity'),
      import('@azure/storage-blob'),
    ]);
    const clientId = config.declaration.clientId;
    const credential = clientId
      ? new ManagedIdentityCredential({ clientId, retryOptions: RETRY })
      : new ManagedIdentityCredential({ retryOptions: RETRY });
    return attestedClient(
      credential,
      (wrapper) =>
        new BlobClient(url, wrapper, {
          retryOptions: {
            maxTries: RETRY.maxRetries + 1,
            retryDelayInMs: RETRY.retryDelayInMs,
            maxRetryDelayInMs: RETRY.maxRetryDelayInMs,
          },
        }),
    );
  });
  const { client, wrapper } = await built;
  const controller = new AbortController();
  let missed: DeadlineMissed | undefined;
  try {
    return await attestedCall(
      newTokenRecord(),
      async () => {
        try {
          const res = await client.download(0, undefined, {
            abortSignal: controller.signal,
            ...(etag ? { conditions: { ifNoneMatch: etag } } : {}),
          });
          if (res.contentLength !== undefined && res.contentLength > MAX_DECLARATION_BYTES)
            throw new Error(`the blob is ${res.contentLength} bytes, more than ${MAX_DECLARATION_BYTES}`);
          return { status: 'changed', text: await readBody(res.readableStreamBody), etag: res.etag ?? '' };
        } catch (err) {
          // The SDK reports 304 Not Modified as an error of the download operation.
          if (statusCode(err) === 304) return { status: 'unchanged' };
          throw err;
        }
      },
      deadlineMs,
      () => (missed = new DeadlineMissed(deadlineMs, wrapper.pending > 0)),
    );
  } finally {
    controller.abort();
    // A token request that never answered leaves the client's token cycler waiting forever: build a new one.
    if (missed?.tokenPending) blobClients.forget(key, built);
  }
}

/** The URL as shown (source, messages): without a query or fragment, where a SAS would be. */
function shownUrl(url: string): string {
  const u = URL.parse(url);
  return u ? `${u.origin}${u.pathname}` : '(not a URL)';
}

/** Reads the blob, or joins the read of it already under way (same URL and reader). */
function readBlob(config: Config, url: string, options: ReadDeclarationOptions): Promise<DeclarationRead> {
  const memoKey = `${config.declaration.clientId ?? 'system'}|${url}`;
  const memo = blobMemos.get(memoKey) ?? {};
  blobMemos.set(memoKey, memo);
  memo.inflight ??= readBlobOnce(config, url, memo, options).finally(() => (memo.inflight = undefined));
  return memo.inflight;
}

async function readBlobOnce(
  config: Config,
  url: string,
  memo: BlobMemo,
  options: ReadDeclarationOptions,
): Promise<DeclarationRead> {
  const shown = shownUrl(url);
  const deadlineMs = options.deadlineMs ?? config.probeTimeoutMs;
  let failure: string;
  const untrusted = untrustedBlobUrl(url, config);
  if (untrusted) failure = `PROBES_DECLARATION_URL ${untrusted}`;
  else {
    try {
      const got = await fetchBlob(config, url, memo.good?.etag, deadlineMs);
      if (got.status === 'unchanged' && memo.good)
        return { ...memo.good, readAt: isoNow(options), unchanged: true };
      if (got.status === 'changed') {
        const read = parsed(got.text, (message) => ({
          source: shown,
          readAt: '',
          problem: { entry: 'declaration', field: 'PROBES_DECLARATION_URL', message },
        }));
        if (read.raw !== undefined) {
          memo.good = { raw: read.raw, source: shown, etag: got.etag, readAt: isoNow(options) };
          return memo.good;
        }
        failure = read.problem?.message ?? 'not valid JSON';
      } else failure = 'HTTP 304 without an earlier read';
    } catch (err) {
      failure =
        err instanceof Error && err.message.startsWith('the blob is ')
          ? err.message
          : describeFailure(err, config);
    }
  }
  const message = `${shown}: ${failure}`;
  if (memo.good)
    return {
      ...memo.good,
      problem: {
        entry: 'declaration',
        field: 'PROBES_DECLARATION_URL',
        message: `${message}; still running the copy read at ${memo.good.readAt}${memo.good.etag ? ` (ETag ${memo.good.etag})` : ''}`,
      },
    };
  // Never read yet: the package's file keeps the app probing, and the problem says so.
  const fallback = await readPackageFile(config, options);
  return {
    ...fallback,
    problem: {
      entry: 'declaration',
      field: 'PROBES_DECLARATION_URL',
      message:
        `${message}; running ${fallback.source} instead` +
        (fallback.problem ? `, which failed too: ${fallback.problem.message}` : ''),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * The declaration's raw JSON and where it came from. The blob (PROBES_DECLARATION_URL) when set, read on every call;
 * else the package's file (PROBES_DECLARATION), read once per process. Never throws; bounded by `deadlineMs`.
 */
export async function readDeclaration(
  config: Config,
  options: ReadDeclarationOptions = {},
): Promise<DeclarationRead> {
  try {
    const bad = settingProblems(
      config,
      [],
      ['PROBES_DECLARATION', 'PROBES_DECLARATION_URL', 'PROBES_DECLARATION_CLIENT_ID'],
    );
    const url = config.declaration.url;
    const read = url ? await readBlob(config, url, options) : await readPackageFile(config, options);
    if (!bad.length) return read;
    // A setting that is set but invalid is ignored (so the app still probes); say so, before any other problem.
    const ignored = `${bad.map((b) => `${b.setting} ${b.problem}`).join('; ')}: ignored, running ${read.source}`;
    return {
      ...read,
      problem: {
        entry: 'declaration',
        field: bad[0].setting,
        message: read.problem ? `${ignored}; ${read.problem.message}` : ignored,
      },
    };
  } catch (err) {
    // Nothing above should throw; if it does, say so instead of taking the caller down.
    return {
      source: config.declaration.url ? shownUrl(config.declaration.url) : config.declaration.file,
      readAt: isoNow(options),
      problem: {
        entry: 'declaration',
        message: `reading the declaration failed: ${(err as Error)?.name ?? err}`,
      },
    };
  }
}

/** Forgets every read and client (tests: a new process, as it were). */
export function forgetDeclarationReads(): void {
  files.clear();
  blobMemos.clear();
  for (const k of blobClients.keys()) blobClients.forget(k);
  forgetAppRoot();
}
