// Header facts for what newer servers add to the view, each shown when present and left out when absent: the
// verdict's reasons and the newest result's age (status store rework), telemetry (Application Insights), and the
// least-privilege check per identity. Any other extra field gets a plain generic line.
import { h, type Child } from './dom.ts';
import { duration, relative } from './format.ts';
import type { RefreshState, View } from './types.ts';

/** Fields the header shows elsewhere, or that only configure (not worth a line). */
const SHOWN_ELSEWHERE = new Set([
  'status',
  'generatedAt',
  'store',
  'counts',
  'paths',
  'staleAfterMs',
  'reasons',
  'cells',
  'declaration',
]);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const BAD = /fail|error|misconfig|over-privileged|unreach|degrad|excess/i;

function line(text: string, note?: string, bad = BAD.test(text)): Child {
  return h(
    'span',
    {},
    h('span', { class: bad ? 'warn' : undefined }, text),
    note ? h('span', { class: 'fact-note' }, note) : undefined,
  );
}

function telemetry(t: unknown, now: number): Child {
  if (!isObj(t)) return undefined;
  const state = str(t.state) ?? 'unknown';
  const failure = isObj(t.lastFailure) ? t.lastFailure : undefined;
  const note = [
    str(t.problem),
    str(t.lastSuccessAt) ? `last sent ${relative(str(t.lastSuccessAt), now)}` : undefined,
    failure ? `last failure ${relative(str(failure.at), now)}: ${str(failure.message) ?? ''}` : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
  return line(state, note || undefined, /failing|misconfigured/.test(state));
}

/** Least privilege: the verdict, then each identity's latest check (outcome, since when, findings). */
function privileges(view: View, now: number): Child {
  const verdict = str(view.leastPrivilege);
  const ids = isObj(view.identities) ? view.identities : undefined;
  if (!verdict && !ids) return undefined;
  const per: string[] = [];
  const commands: string[] = [];
  for (const [key, value] of Object.entries(ids ?? {})) {
    const p = isObj(value) && isObj(value.privileges) ? value.privileges : undefined;
    const latest = p && isObj(p.latest) ? p.latest : undefined;
    if (!latest) {
      per.push(`${key}: no check yet`);
      continue;
    }
    const findings = Array.isArray(latest.findings) ? latest.findings.filter(isObj) : [];
    const stale = p?.stale === true ? ', stale' : '';
    per.push(
      `${key}: ${str(latest.outcome) ?? '?'}${findings.length ? ` (${findings.length} finding(s))` : ''}${stale}`,
    );
    for (const f of findings) {
      const cmd = isObj(f.remediation) ? str(f.remediation.command) : undefined;
      if (cmd) commands.push(cmd);
    }
    if (str(latest.at)) per[per.length - 1] += `, ${relative(str(latest.at), now)}`;
  }
  const note = h(
    'span',
    { class: 'fact-note' },
    per.join(' · '),
    ...commands.map((c) => h('code', { class: 'fact-cmd' }, c)),
  );
  return h('span', { id: 'privileges' }, line(verdict ?? 'unknown'), note);
}

function generic(value: unknown): Child {
  if (value === null || value === undefined) return undefined;
  if (!isObj(value)) return Array.isArray(value) ? value.map(String).join(' · ') : String(value);
  const head = [value.status, value.state, value.verdict].find((v) =>
    ['string', 'boolean'].includes(typeof v),
  );
  const text = [value.summary, value.message, value.detail, value.error].find((v) => typeof v === 'string');
  const parts = [head === undefined ? undefined : String(head), text as string | undefined].filter(Boolean);
  if (!parts.length)
    for (const [k, v] of Object.entries(value).slice(0, 4))
      if (['string', 'number', 'boolean'].includes(typeof v)) parts.push(`${k}: ${String(v)}`);
  return line(parts.join(' · '));
}

/** The store's background writes, when the server reports them: only what needs attention. */
export function writesNote(store: Obj | undefined): string | undefined {
  const w = store && isObj(store.writes) ? store.writes : undefined;
  if (!w) return undefined;
  const parts: string[] = [];
  if (typeof w.pending === 'number' && w.pending > 0) parts.push(`${w.pending} write(s) pending`);
  if (typeof w.failed === 'number' && w.failed > 0) {
    const last = isObj(w.lastFailure) ? str(w.lastFailure.error) : undefined;
    parts.push(`${w.failed} write(s) failed${last ? `, last: ${last}` : ''}`);
  }
  return parts.join(' · ') || undefined;
}

/** [term, value] pairs for the header's fact list. */
export function extraFacts(view: View, state: RefreshState, now: number): Array<[string, Child]> {
  const out: Array<[string, Child]> = [];
  if (typeof view.newestResultAgeMs === 'number')
    out.push(['Newest result', `${duration(view.newestResultAgeMs + (now - state.viewAt))} ago`]);
  if ('leastPrivilege' in view || 'identities' in view) out.push(['Least privilege', privileges(view, now)]);
  if ('telemetry' in view) out.push(['Telemetry', telemetry(view.telemetry, now)]);
  for (const key of Object.keys(view)) {
    if (
      SHOWN_ELSEWHERE.has(key) ||
      ['newestResultAgeMs', 'leastPrivilege', 'identities', 'telemetry'].includes(key)
    )
      continue;
    out.push([
      key[0].toUpperCase() +
        key
          .slice(1)
          .replace(/([a-z])([A-Z])/g, '$1 $2')
          .toLowerCase(),
      generic(view[key]),
    ]);
  }
  return out;
}

/** Why the verdict is not what the cells alone say (when the server says). */
export function reasons(view: View): Child {
  const list = Array.isArray(view.reasons) ? view.reasons.filter((r) => typeof r === 'string') : [];
  if (!list.length) return undefined;
  return h('ul', { class: 'reasons', id: 'reasons' }, ...list.map((r) => h('li', {}, r)));
}
