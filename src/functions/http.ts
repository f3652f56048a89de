// Response helpers shared by the HTTP functions: JSON bodies, 404 listing the valid ids, 405 with Allow.
import type { HttpMethod, HttpResponseInit } from '@azure/functions';
import { PATH_IDS, TARGET_IDS } from '../ids.ts';

/** Registered for every method so that a wrong one gets a JSON 405 from us rather than the host's 404. */
export const ALL_METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'cache-control': 'no-store', ...headers } };
}

export function methodNotAllowed(method: string): HttpResponseInit {
  return json(
    405,
    { error: 'method-not-allowed', message: `Method ${method} is not allowed; use GET.`, allowed: ['GET'] },
    { allow: 'GET' },
  );
}

/** 404 naming what exists: the declared identities and resources (default: the canary demo's paths and targets). */
export function notFound(
  message: string,
  names: { paths: readonly string[]; targets: readonly string[] } = { paths: PATH_IDS, targets: TARGET_IDS },
): HttpResponseInit {
  return json(404, { error: 'not-found', message, ...names });
}
