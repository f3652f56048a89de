// The last thing each service said during a probe. A pipeline policy, added to every credential and every target
// client, notes each HTTP answer (status, Retry-After, request id, error code, a bounded body) in the running
// probe's record (AsyncLocalStorage: concurrent probes keep theirs apart). When the deadline ends a probe while
// the SDK is still retrying (its retries can outlast PROBE_TIMEOUT_MS), or when an auth library reports a failure
// without the status it got, the classifier reads the answer instead of guessing from the timer.
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  createDefaultHttpClient,
  type HttpClient,
  type PipelinePolicy,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';

export interface Answer {
  /** Who asked: a credential (for a token) or a target's client (the service call). */
  source: 'token' | 'call';
  /** 0: no answer, the connection failed (`network` says how). */
  status: number;
  network?: string;
  /** A 401 to a request without credentials: the challenge step of challenge auth, not a refusal. */
  challenge?: boolean;
  /** Origin of the endpoint (no path or query). */
  endpoint: string;
  at: string;
  retryAfterSeconds?: number;
  requestId?: string;
  code?: string;
  /** The start of an error answer's body (sanitized before it leaves a probe). */
  body?: string;
}

export interface AnswerLog {
  answers: Answer[];
}

const MAX_BODY = 2048;
const MAX_ANSWERS = 20;
const store = new AsyncLocalStorage<AnswerLog>();

/** Runs `work` with a fresh answer log; returns both. */
export async function withAnswerLog<T>(work: () => Promise<T>, log: AnswerLog = { answers: [] }): Promise<T> {
  return store.run(log, work);
}

function retryAfter(headers: { get(n: string): string | undefined }): number | undefined {
  const ms = headers.get('retry-after-ms') ?? headers.get('x-ms-retry-after-ms');
  if (ms && /^\d+$/.test(ms)) return Math.ceil(Number(ms) / 1000);
  const v = headers.get('retry-after');
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** Notes one answer in the current probe's log, if there is one. */
function note(source: Answer['source'], request: PipelineRequest, response: PipelineResponse): void {
  const log = store.getStore();
  if (!log) return;
  const h = response.headers;
  const answer: Answer = {
    source,
    status: response.status,
    endpoint: URL.parse(request.url)?.origin ?? '',
    at: new Date().toISOString(),
  };
  if (source === 'call' && response.status === 401 && !request.headers.has('authorization'))
    answer.challenge = true;
  const ra = retryAfter(h);
  if (ra !== undefined) answer.retryAfterSeconds = ra;
  const requestId = h.get('x-ms-request-id') ?? h.get('x-ms-correlation-request-id');
  if (requestId) answer.requestId = requestId;
  const code = h.get('x-ms-error-code');
  if (code) answer.code = code;
  if (response.status >= 400 && typeof response.bodyAsText === 'string')
    answer.body = response.bodyAsText.slice(0, MAX_BODY);
  log.answers.push(answer);
  if (log.answers.length > MAX_ANSWERS) log.answers.shift();
}

/** Notes a request that got no answer at all (reset, refused): the last thing the service "said". */
function noteFailure(source: Answer['source'], request: PipelineRequest, err: unknown): void {
  const log = store.getStore();
  const code = (err as { code?: unknown })?.code;
  if (!log || (err as { name?: string })?.name === 'AbortError') return;
  log.answers.push({
    source,
    status: 0,
    network: typeof code === 'string' ? code : 'connection failed',
    endpoint: URL.parse(request.url)?.origin ?? '',
    at: new Date().toISOString(),
  });
  if (log.answers.length > MAX_ANSWERS) log.answers.shift();
}

async function noted(
  source: Answer['source'],
  request: PipelineRequest,
  send: (r: PipelineRequest) => Promise<PipelineResponse>,
): Promise<PipelineResponse> {
  let response: PipelineResponse;
  try {
    response = await send(request);
  } catch (err) {
    noteFailure(source, request, err);
    throw err;
  }
  note(source, request, response);
  return response;
}

/** Notes every answer of the pipeline it is in (per retry). */
function answerPolicy(source: Answer['source']): PipelinePolicy {
  return {
    name: `identityProbesLastAnswer-${source}`,
    sendRequest: (request, next) => noted(source, request, next),
  };
}

let transport: HttpClient | undefined;

/**
 * An HTTP client that notes every answer it carries. For credentials: ManagedIdentityCredential replaces the
 * additional policies it is given with its own retry policy, but hands the HTTP client to every request it makes
 * (managed identity and Entra alike), so every attempt's answer is seen.
 */
export function answeringHttpClient(source: Answer['source']): HttpClient {
  return {
    sendRequest(request) {
      transport ??= createDefaultHttpClient();
      return noted(source, request, (r) => transport!.sendRequest(r));
    },
  };
}

/** For target clients whose options take no additional policies (Storage): add it after the retry phase. */
export const lastAnswerPolicy = answerPolicy('call');

/** A target client's options that add the policy (per retry: every attempt's answer is seen). */
export const CALL_ANSWER_POLICIES = [{ policy: lastAnswerPolicy, position: 'perRetry' as const }];

/**
 * The answer that explains a failure: the last error answer (not a challenge) or failed connection of the phase
 * that failed, if the phase's last answer was one at all (a later success means the error was retried away).
 */
export function lastErrorAnswer(answers: readonly Answer[], source: Answer['source']): Answer | undefined {
  const mine = answers.filter((a) => a.source === source && !a.challenge);
  const last = mine.at(-1);
  return last && (last.status >= 400 || last.status === 0) ? last : undefined;
}
