// The Application Insights ingestion endpoint ("Breeze") as the real service answers it: POST /v2.1/track (and the
// older /v2/track) with a JSON array of envelopes (or newline-delimited JSON), plain or gzip-compressed
// (Content-Encoding: gzip). With local authentication disabled, a request needs a bearer token for the Azure Monitor
// audience (https://monitor.azure.com) whose principal holds Monitoring Metrics Publisher
// (Microsoft.Insights/Telemetry/Write) on the component; otherwise 401 / 403 with the Breeze response body
// (https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication#troubleshooting). Items that are not
// valid envelopes, or carry another component's instrumentation key, are refused one by one: 206 partial success
// with one error per item (https://learn.microsoft.com/azure/azure-monitor/app/api-custom-events-metrics and the
// exporter's handling of 206 in @azure/monitor-opentelemetry-exporter baseSender).
//
// The caller is authenticated before a byte of the body is read, and a body is bounded both as sent and once
// inflated (MAX_TRACK_BODY_BYTES): a small gzip bomb sent without a token once grew the sandbox by 280 MiB (issue 24).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { SandboxContext } from '../core/context.ts';
import { SandboxError } from '../core/errors.ts';
import { header, requestUrl, sendJson } from '../core/http.ts';
import { authenticateBearer, BearerError } from '../resources/auth.ts';
import type { RoleAssignmentStore } from '../resources/rbac/store.ts';

/** Audiences the ingestion endpoint accepts (the exporter asks for https://monitor.azure.com/.default). */
export const MONITOR_AUDIENCES = ['https://monitor.azure.com', 'https://monitor.azure.com/'];
const TELEMETRY_WRITE = 'Microsoft.Insights/Telemetry/Write';

/** One accepted telemetry item, as the sandbox stores it. */
export interface ReceivedItem {
  receivedAt: string;
  /** The sender's oid (from its verified token). */
  principalId: string;
  /** Envelope name, e.g. Microsoft.ApplicationInsights.Availability. */
  envelope: string;
  /** data.baseType: AvailabilityData, EventData, MessageData... */
  baseType: string;
  /** baseData.name (the availability test name, the event name). */
  name?: string;
  time: string;
  baseData: Record<string, unknown>;
  tags: Record<string, unknown>;
}

/** One request to the track API and what it was answered. */
export interface TrackRequest {
  at: string;
  status: number;
  encoding: 'gzip' | 'identity';
  itemsReceived: number;
  itemsAccepted: number;
  principalId?: string;
}

export class TelemetryStore {
  items: ReceivedItem[] = [];
  requests: TrackRequest[] = [];
  /** Every decompressed body an authenticated sender sent (authorized or not), for the leak tests. */
  bodies: string[] = [];

  counts() {
    const byBaseType: Record<string, number> = {};
    for (const i of this.items) byBaseType[i.baseType] = (byBaseType[i.baseType] ?? 0) + 1;
    const byStatus: Record<string, number> = {};
    for (const r of this.requests) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    return { items: this.items.length, byBaseType, requests: this.requests.length, byStatus };
  }

  clear(): void {
    this.items = [];
    this.requests = [];
    this.bodies = [];
  }
}

export interface Component {
  resourceId: string;
  instrumentationKey: string;
}

type ItemError = { index: number; statusCode: number; message: string };

function breeze(received: number, accepted: number, errors: ItemError[]) {
  return { itemsReceived: received, itemsAccepted: accepted, appId: null, errors };
}

function parseItems(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as unknown[];
  // Newline-delimited JSON (what the classic SDKs send).
  return trimmed
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as unknown);
}

/**
 * The most a track request may carry, as sent and once inflated. Azure Monitor documents its limits per item (64 KB)
 * and per batch (64,000 items), not per request
 * (https://learn.microsoft.com/azure/azure-monitor/service-limits#application-insights); the sandbox holds a batch
 * to the 1 MiB every sandbox server reads of a request body (core/http.ts), whether it came compressed or not, so a
 * 100 KB gzip body cannot make it hold 100 MB. Beyond it: 413 with the Breeze response body.
 */
export const MAX_TRACK_BODY_BYTES = 1024 * 1024;

function tooLarge(): SandboxError {
  return SandboxError.json(
    413,
    breeze(0, 0, [
      {
        index: 0,
        statusCode: 413,
        message: `The request body is larger than ${MAX_TRACK_BODY_BYTES} bytes (after decompression)`,
      },
    ]),
  );
}

/** Reads the raw body, refusing it (413) as soon as it passes the limit, without keeping the rest. */
async function readTrackBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(header(req, 'content-length'));
  if (Number.isFinite(declared) && declared > MAX_TRACK_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_TRACK_BODY_BYTES) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function decode(req: IncomingMessage, body: Buffer): { text: string; encoding: TrackRequest['encoding'] } {
  const enc = (header(req, 'content-encoding') ?? '').toLowerCase();
  if (enc === 'gzip') {
    try {
      // zlib stops inflating once the output passes maxOutputLength (RangeError ERR_BUFFER_TOO_LARGE).
      return {
        text: gunzipSync(body, { maxOutputLength: MAX_TRACK_BODY_BYTES }).toString('utf8'),
        encoding: 'gzip',
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
      throw SandboxError.json(
        400,
        breeze(0, 0, [{ index: 0, statusCode: 400, message: 'Invalid gzip body' }]),
      );
    }
  }
  return { text: body.toString('utf8'), encoding: 'identity' };
}

/** Checks one envelope; returns the stored item or the per-item error message. */
function validate(
  raw: unknown,
  component: Component,
): Omit<ReceivedItem, 'receivedAt' | 'principalId'> | string {
  if (typeof raw !== 'object' || raw === null) return 'Invalid envelope: not an object';
  const e = raw as Record<string, unknown>;
  const data = e.data as Record<string, unknown> | undefined;
  if (typeof e.name !== 'string' || !e.name) return "Field 'name' on type 'Envelope' is required but missing";
  if (typeof e.time !== 'string' || Number.isNaN(Date.parse(e.time)))
    return "Field 'time' on type 'Envelope' is required but missing or invalid";
  if (typeof e.iKey !== 'string' || e.iKey.toLowerCase() !== component.instrumentationKey)
    return 'Invalid instrumentation key';
  if (!data || typeof data.baseType !== 'string' || typeof data.baseData !== 'object' || !data.baseData)
    return "Field 'data' on type 'Envelope' is required but missing or invalid";
  const baseData = data.baseData as Record<string, unknown>;
  if (data.baseType === 'AvailabilityData' && (typeof baseData.name !== 'string' || !baseData.duration))
    return "Field 'name' and 'duration' on type 'AvailabilityData' are required";
  return {
    envelope: e.name,
    baseType: data.baseType,
    ...(typeof baseData.name === 'string' ? { name: baseData.name } : {}),
    time: e.time,
    baseData,
    tags: (e.tags as Record<string, unknown>) ?? {},
  };
}

/** The sender's oid, from a valid token for the Azure Monitor audience; 401 otherwise (nothing read yet). */
async function authenticateSender(ctx: SandboxContext, req: IncomingMessage): Promise<string> {
  try {
    const claims = await authenticateBearer(ctx, req, MONITOR_AUDIENCES);
    return String(claims.oid ?? '');
  } catch (err) {
    if (!(err instanceof BearerError)) throw err;
    const message =
      err.kind === 'missing'
        ? 'Authorization header is missing; this resource accepts only Microsoft Entra authenticated telemetry'
        : `Invalid token: ${err.message}`;
    throw SandboxError.json(401, breeze(0, 0, [{ index: 0, statusCode: 401, message }]));
  }
}

function authorizeSender(
  oid: string,
  rbac: RoleAssignmentStore,
  component: Component,
  received: number,
): void {
  const decision = rbac.authorize({
    principalId: oid,
    action: TELEMETRY_WRITE,
    kind: 'dataAction',
    scope: component.resourceId,
  });
  if (!decision.allowed)
    throw SandboxError.json(
      403,
      breeze(received, 0, [
        {
          index: 0,
          statusCode: 403,
          message: 'The provided credentials have insufficient access to perform the requested operation',
        },
      ]),
    );
}

/** The track API handler. */
export function ingestionHandler(
  ctx: SandboxContext,
  store: TelemetryStore,
  rbac: RoleAssignmentStore,
  component: () => Component | undefined,
) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    if (url.pathname !== '/v2.1/track' && url.pathname !== '/v2/track')
      throw SandboxError.json(404, { error: 'not_found', message: `No route ${url.pathname}` });
    if (req.method !== 'POST') throw SandboxError.json(405, { error: 'method_not_allowed' });
    const c = component();
    if (!c)
      throw SandboxError.json(404, { error: 'not_found', message: 'The world has no Application Insights' });
    const at = new Date().toISOString();
    const encoding: TrackRequest['encoding'] =
      (header(req, 'content-encoding') ?? '').toLowerCase() === 'gzip' ? 'gzip' : 'identity';
    const refused = (status: number, itemsReceived = 0) =>
      store.requests.push({ at, status, encoding, itemsReceived, itemsAccepted: 0 });
    let principalId: string;
    let text: string;
    try {
      // Who is calling comes first: an unauthenticated body is never read, let alone inflated or kept.
      principalId = await authenticateSender(ctx, req);
      text = decode(req, await readTrackBody(req)).text;
    } catch (err) {
      refused(err instanceof SandboxError ? err.status : 500);
      throw err;
    }
    // Kept for the leak scan: what an authenticated sender sent, bounded, even when it is then refused (403).
    store.bodies.push(text);
    let raw: unknown[];
    try {
      raw = parseItems(text);
    } catch {
      refused(400);
      throw SandboxError.json(400, breeze(0, 0, [{ index: 0, statusCode: 400, message: 'Invalid JSON' }]));
    }
    try {
      authorizeSender(principalId, rbac, c, raw.length);
    } catch (err) {
      refused(err instanceof SandboxError ? err.status : 500, raw.length);
      throw err;
    }
    const errors: ItemError[] = [];
    raw.forEach((r, index) => {
      const v = validate(r, c);
      if (typeof v === 'string') errors.push({ index, statusCode: 400, message: v });
      else store.items.push({ ...v, receivedAt: at, principalId });
    });
    const accepted = raw.length - errors.length;
    const status = errors.length === 0 ? 200 : accepted > 0 ? 206 : 400;
    store.requests.push({
      at,
      status,
      encoding,
      itemsReceived: raw.length,
      itemsAccepted: accepted,
      principalId,
    });
    sendJson(res, status, breeze(raw.length, accepted, errors));
  };
}
