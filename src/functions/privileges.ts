// GET /api/privileges/{identity}: the privileges check of a declared identity, run now with the credential of its
// principal's first declared name and recorded (docs/privileges.md "Declared access"; the run is orchestration/'s). On
// the timers, each principal's check runs after the probes of its first name (orchestration/index.ts
// privilegesOnTimer).
import { app, type HttpHandler, type InvocationContext } from '@azure/functions';
import type { PrivilegesResult } from '../privileges/types.ts';
import { checkAndRecord, planNames } from '../orchestration/index.ts';
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
  const [name, ...extra] = (request.params.rest ?? '').split('/');
  const names = await planNames();
  const known = names.paths.join(', ') || 'none';
  if (!name) return notFound(`Name a declared identity: /api/privileges/{identity} (${known}).`, names);
  if (extra.length)
    return notFound(
      `The route has an extra segment ('${extra.join('/')}'): use /api/privileges/{identity}.`,
      names,
    );
  const checked = await checkAndRecord(name);
  if (!checked) return notFound(`Unknown identity '${name}': the declaration names ${known}.`, names);
  const { result, record } = checked;
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
