// `npm start`'s least-privilege block, printed under the paths x targets matrix: each principal's privileges check
// (GET /api/privileges/{its first declared name}), one line per principal, then for anything over-privileged the
// scopes, the extra actions, the granting assignment and the command that removes it (docs/privileges.md). The
// principals are the ones /api/status lists (they follow the declaration); the catalog's when it answers none.
import { IDENTITY_KEYS, PATHS_OF_IDENTITY } from '../../src/privileges/catalog.ts';
import type { PrivilegesResult } from '../../src/privileges/types.ts';
import { getJson } from './proc.ts';
import { apiUrl } from './stack.ts';

export interface IdentityLine {
  identity: string;
  path: string;
  result?: PrivilegesResult;
  error?: string;
}

export async function sweepPrivileges(
  baseUrl: string,
  prefix: string,
  key?: string,
): Promise<IdentityLine[]> {
  const lines: IdentityLine[] = [];
  const headers: Record<string, string> = key ? { 'x-functions-key': key } : {};
  let principals: Array<[string, string]> = IDENTITY_KEYS.map((k) => [k, PATHS_OF_IDENTITY[k][0]]);
  try {
    const { status, body } = await getJson(apiUrl(baseUrl, prefix, 'status'), {
      headers,
      signal: AbortSignal.timeout(60_000),
    });
    const listed = Object.entries(
      (body as { identities?: Record<string, { paths?: string[] }> } | undefined)?.identities ?? {},
    ).flatMap(([k, v]): Array<[string, string]> => (v.paths?.[0] ? [[k, v.paths[0]]] : []));
    if (status === 200 && listed.length) principals = listed;
  } catch {
    // no status: the catalog's identities
  }
  for (const [identity, path] of principals) {
    try {
      const { status, body, text } = await getJson(apiUrl(baseUrl, prefix, `privileges/${path}`), {
        headers,
        signal: AbortSignal.timeout(60_000),
      });
      const r = body as PrivilegesResult | undefined;
      if (status !== 200 || !r?.outcome)
        throw new Error(`HTTP ${status}${text ? `: ${text.slice(0, 120)}` : ''}`);
      lines.push({ identity, path, result: r });
    } catch (err) {
      lines.push({ identity, path, error: (err as Error).message });
    }
  }
  return lines;
}

export function renderPrivileges(lines: IdentityLine[], opts: { color?: boolean } = {}): string {
  const paint = (ok: boolean, s: string) => (opts.color ? `\x1b[${ok ? 32 : 31}m${s}\x1b[0m` : s);
  const width = Math.max(...lines.map((l) => l.identity.length)) + 2;
  const out = ['  least privilege (per identity, every scope its declared probes name)'];
  for (const l of lines) {
    const r = l.result;
    const text = r
      ? `${r.outcome} (${r.scopes.filter((s) => s.outcome === 'ok').length}/${r.scopes.length} scopes clean, ${r.armRequests} ARM requests)`
      : `no-answer (${l.error})`;
    out.push(`  ${l.identity.padEnd(width)}${paint(r?.outcome === 'ok', text)}  via ${l.path}`);
  }
  for (const l of lines) {
    const r = l.result;
    if (!r || r.outcome === 'ok') continue;
    out.push('');
    out.push(`  ${l.identity}: ${r.outcome}`);
    for (const f of r.findings) {
      const grant = f.assignment
        ? `${f.assignment.roleName ?? f.assignment.roleDefinitionId} at ${f.assignment.scope}`
        : 'assignment not found';
      out.push(`      ${grant}: beyond the wiring at ${f.scopes.join(', ')}`);
      const extra = [...f.actions, ...f.dataActions.map((d) => `${d} (data)`)];
      out.push(`      extra: ${extra.join(', ')}`);
      if (f.remediation.command) out.push(`      $ ${f.remediation.command}`);
    }
    if (!r.findings.length && r.remediation) out.push(`      ${r.remediation.summary}`);
    if (!r.findings.length && !r.remediation && r.detail?.message) out.push(`      ${r.detail.message}`);
  }
  return out.join('\n');
}
