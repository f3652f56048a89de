// Request parsing shared by the managed identity sources. Handlers translate; errors come from ../errors.ts.
import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { header, requestUrl } from '../../core/http.ts';
import type { Selector } from '../compute.ts';

export interface ParsedRequest {
  method: string;
  /** Path with repeated slashes collapsed, no trailing slash, lower-cased (the IMDS client lower-cases it). */
  path: string;
  rawPath: string;
  query: URLSearchParams;
}

export function parseRequest(req: IncomingMessage): ParsedRequest {
  const url = requestUrl(req);
  const path = url.pathname
    .replace(/\/{2,}/g, '/')
    .replace(/(.)\/$/, '$1')
    .toLowerCase();
  return { method: req.method ?? 'GET', path, rawPath: url.pathname, query: url.searchParams };
}

/** A query value; an empty value counts as absent (as the real endpoints treat `client_id=`). */
export function q(query: URLSearchParams, name: string): string | undefined {
  const v = query.get(name);
  return v === null || v === '' ? undefined : v;
}

/** The user-assigned selector of a request, from the query names a source uses. */
export function selectorFrom(
  query: URLSearchParams,
  names: { clientId: string[]; objectId: string[]; resourceId: string[] },
): Selector {
  const first = (list: string[]) => list.map((n) => q(query, n)).find((v) => v !== undefined);
  const sel: Selector = {};
  const c = first(names.clientId);
  const o = first(names.objectId);
  const r = first(names.resourceId);
  if (c !== undefined) sel.clientId = c;
  if (o !== undefined) sel.objectId = o;
  if (r !== undefined) sel.resourceId = r;
  return sel;
}

/** Constant-time comparison of a presented secret header with the expected value. */
export function secretMatches(req: IncomingMessage, name: string, expected: string): boolean {
  const got = header(req, name);
  if (got === undefined) return false;
  const a = Buffer.from(got);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
