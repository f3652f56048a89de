// Request parsing shared by the managed identity sources. Handlers translate; errors come from ../errors.ts.
import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { header, requestUrl } from '../../core/http.ts';
import type { SandboxError } from '../../core/errors.ts';
import type { ResolvedIdentity, World } from '../../world.ts';
import { selectIdentity, selectorCount } from '../compute.ts';
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

/**
 * A parameter given more than once (`resource=A&resource=B`). The identity plane never picks one of the values: each
 * server answers it as a bad request in its own format (identity/index.ts), as Entra answers AADSTS9000411.
 */
export class RepeatedParameterError extends Error {
  readonly parameter: string;
  constructor(parameter: string) {
    super(`The parameter '${parameter}' is given more than once.`);
    this.name = 'RepeatedParameterError';
    this.parameter = parameter;
  }
}

/** A query (or form) value; an empty value counts as absent (as the real endpoints treat `client_id=`). */
export function q(query: URLSearchParams, name: string): string | undefined {
  const all = query.getAll(name);
  if (all.length > 1) throw new RepeatedParameterError(name);
  const v = all[0];
  return v === undefined || v === '' ? undefined : v;
}

/** The query names a source reads each user-assigned selector from (first present wins). */
export interface SelectorNames {
  clientId: string[];
  objectId: string[];
  resourceId: string[];
}

/** The selector names of IMDS and the IMDS-shaped Arc endpoint. */
export const IMDS_SELECTOR_NAMES: SelectorNames = {
  clientId: ['client_id'],
  objectId: ['object_id'],
  resourceId: ['msi_res_id'],
};

/** The user-assigned selector of a request, from the query names a source uses. */
function selectorFrom(query: URLSearchParams, names: SelectorNames): Selector {
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

/**
 * The attached identity a request selects through its query; throws the source's error when it carries more than
 * one selector or selects no attached identity.
 */
export function requestedIdentity(
  world: World,
  query: URLSearchParams,
  names: SelectorNames,
  errors: { conflictingSelectors: () => SandboxError; identityNotFound: () => SandboxError },
): ResolvedIdentity {
  const sel = selectorFrom(query, names);
  if (selectorCount(sel) > 1) throw errors.conflictingSelectors();
  const identity = selectIdentity(world, sel);
  if (!identity) throw errors.identityNotFound();
  return identity;
}

/** Constant-time comparison of a presented secret with the expected one. */
export function safeEqual(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Constant-time comparison of a presented secret header with the expected value. */
export function secretMatches(req: IncomingMessage, name: string, expected: string): boolean {
  const got = header(req, name);
  return got !== undefined && safeEqual(got, expected);
}
