// GET /api/privileges/{path}: the privileges check of the path's identity, run now with that path's credential and
// recorded (docs/privileges.md; the run is orchestration/'s). On the timers, each identity's check runs after the
// probes of its first path (orchestration/index.ts privilegesOnTimer).
import { app, type HttpHandler, type InvocationContext } from '@azure/functions';
import { isPathId, PATH_IDS } from '../ids.ts';
import type { PrivilegesResult } from '../privileges/types.ts';
import { checkAndRecord } from '../orchestration/index.ts';
import { ALL_METHODS, json, methodNotAllowed, notFound } from './http.ts';

export function logPrivileges(context: InvocationContext, r: PrivilegesResult, recordError?: string): void {
  // Results are sanitized by the check: scopes, outcomes, assignment ids and commands, never token material.
  const line = `privileges ${r.identity} (via ${r.path}): ${r.outcome}, ${r.scopes.length} scopes, ${r.armRequests} ARM requests (${r.totalMs} ms)`;
  if (r.outcome === 'ok') context.info(line);
  else context.warn(`${line}${r.remediation ? ` | ${r.remediation.summary}` : ''}`);
  if (recordError) context.warn(`status store: privileges not recorded (${recordError})`);
}

export const privilegesHandler: HttpHandler = async (request, context) => {
  if (request.method !== 'GET') return methodNotAllowed(request.method);
  const [path, ...extra] = (request.params.rest ?? '').split('/');
  if (!path) return notFound(`Name an identity path: /api/privileges/{path} (${PATH_IDS.join(', ')}).`);
  if (!isPathId(path)) return notFound(`Unknown identity path '${path}'.`);
  if (extra.length)
    return notFound(`The route has an extra segment ('${extra.join('/')}'): use /api/privileges/{path}.`);
  const { result, record } = await checkAndRecord(path);
  logPrivileges(context, result, record.error);
  const statusStore = { recorded: record.recorded, ...(record.error ? { error: record.error } : {}) };
  return json(200, { ...result, statusStore });
};

app.http('privileges', {
  route: 'privileges/{*rest}',
  methods: ALL_METHODS,
  authLevel: 'function',
  handler: privilegesHandler,
});
