// Response helpers shared by the HTTP functions: JSON bodies, 404 listing the valid ids, 405 with Allow.
import type { HttpMethod, HttpResponseInit } from '@azure/functions';
import { PATH_IDS, TARGET_IDS } from '../ids.ts';

/** Registered for every method so that a wrong one gets a JSON 405 from us rather than the host's 404. */
export const ALL_METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/**
 * The last slice of an answer's PROBE_TIMEOUT_MS kept for sending it (5 %, at most 1 s): whatever an HTTP function
 * waits for (a probe, a status write, a status read) ends that much before the answer is due, so that classifying,
 * serializing and the host's own work fit in the budget. Proportional, not fixed: on a busy machine that work
 * took up to 270 ms after the probe's deadline (the fault matrix, three sandboxes on two CPUs, at 10 s), more than
 * the 250 ms this slice was once capped at.
 */
export const answerMarginMs = (timeoutMs: number): number => Math.min(1000, Math.round(timeoutMs * 0.05));

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

export function notFound(message: string): HttpResponseInit {
  return json(404, { error: 'not-found', message, paths: PATH_IDS, targets: TARGET_IDS });
}
