// Small request/response helpers shared by every sandbox server. Handlers translate; they do not format errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SandboxError } from './errors.ts';

const MAX_BODY = 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw SandboxError.json(413, { error: 'request_too_large' });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const buf = await readBody(req);
  if (buf.length === 0) return {};
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    throw SandboxError.json(400, { error: 'invalid_json', message: 'The request body is not valid JSON.' });
  }
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams((await readBody(req)).toString('utf8'));
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * The query of a request with percent-encoded *names* decoded too: the Key Vault client sends `api%2Dversion`
 * (docs/identity-wire.md §13.2). URLSearchParams decodes names and values alike.
 */
export function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? '/';
  // Resolve origin-form targets by concatenation: `new URL('//metadata/…', base)` would read "metadata" as a host,
  // and the IMDS client sends exactly that path when AZURE_POD_IDENTITY_AUTHORITY_HOST ends in '/' (identity §3.1).
  if (target.startsWith('/')) return new URL(`http://sandbox.invalid${target}`);
  return new URL(target, 'http://sandbox.invalid');
}

/**
 * A query parameter read the way the .NET front ends of Key Vault and Resource Manager read one: every occurrence,
 * joined with ',' (NameValueCollection.Get, https://learn.microsoft.com/dotnet/api/system.collections.specialized.namevaluecollection.get),
 * so `?api-version=7.6&api-version=7.6` is the version `7.6,7.6`, which no service serves, never silently the first.
 * null when absent.
 */
export function joinedParam(url: URL, name: string): string | null {
  const all = url.searchParams.getAll(name);
  return all.length ? all.join(',') : null;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const auth = header(req, 'authorization');
  if (!auth) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  return m ? m[1] : undefined;
}
