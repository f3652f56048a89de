// `npm start`'s least-privilege block, printed under the paths x targets matrix: each identity's privileges check
// (GET /api/privileges/{its first path}), one line per identity, then for anything over-privileged the scopes, the
// extra actions, the granting assignment and the command that removes it (docs/privileges.md).
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
  for (const identity of IDENTITY_KEYS) {
    const path = PATHS_OF_IDENTITY[identity][0];
    try {
      const { status, body, text } = await getJson(apiUrl(baseUrl, prefix, `privileges/${path}`), {
        headers: key ? { 'x-functions-key': key } : {},
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
  const out = ['  least privilege (per identity, every scope the wiring names)'];
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
