// The page header: verdict (and the server's reasons for it), counts, the status store's state and age, the
// federated token, the further checks the view carries (extras.ts: privileges, telemetry), then the refresh line.
import { facts, h, type Child } from './dom.ts';
import { clock, duration, relative, VERDICT_LABELS } from './format.ts';
import { extraFacts, reasons, writesNote } from './extras.ts';
import type { Declaration, FederatedToken, RefreshState, View } from './types.ts';

/** Which declaration runs: name and version, where it was read from, and when. */
function declarationFact(d: Declaration | undefined, now: number): Child {
  if (!d || typeof d !== 'object') return undefined;
  const title = [d.name ?? 'unnamed', d.version ? `version ${d.version}` : undefined]
    .filter(Boolean)
    .join(', ');
  const note = [
    d.source ? `from ${d.source}` : undefined,
    d.readAt ? `read ${relative(d.readAt, now)}` : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
  const problems = Array.isArray(d.problems) ? d.problems.length : 0;
  return h(
    'span',
    { id: 'declaration', 'data-complete': String(d.complete !== false) },
    h(
      'span',
      { class: d.complete === false ? 'warn' : undefined },
      title,
      d.complete === false ? ` · not fully loaded (${problems} problem${problems === 1 ? '' : 's'})` : '',
    ),
    note ? h('span', { class: 'fact-note' }, note) : undefined,
  );
}

/**
 * When the declaration was not fully loaded: each problem (entry, probe, field, message), in sight above the
 * matrix, since the probes it names are not running.
 */
export function declarationProblems(view: View): Child {
  const d = view.declaration;
  if (!d || typeof d !== 'object' || d.complete !== false) return undefined;
  const problems = Array.isArray(d.problems) ? d.problems.filter((p) => p && typeof p === 'object') : [];
  const cell = (v: unknown) => h('td', {}, typeof v === 'string' && v ? v : '–');
  return h(
    'section',
    { class: 'problems', id: 'declaration-problems', role: 'alert', 'aria-labelledby': 'problems-title' },
    h('h2', { id: 'problems-title' }, 'Declaration not fully loaded'),
    h(
      'p',
      {},
      `${d.name ?? 'The declaration'}${d.version ? ` (version ${d.version})` : ''} has ${problems.length} ` +
        `problem${problems.length === 1 ? '' : 's'}: the entries below are left out and do not run; the valid probes do.`,
    ),
    problems.length
      ? h(
          'table',
          { class: 'problem-list' },
          h(
            'thead',
            {},
            h('tr', {}, ...['Entry', 'Probe', 'Field', 'Message'].map((t) => h('th', { scope: 'col' }, t))),
          ),
          h(
            'tbody',
            {},
            ...problems.map((p) => h('tr', {}, cell(p.entry), cell(p.probe), cell(p.field), cell(p.message))),
          ),
        )
      : undefined,
  );
}

function storeFact(view: View, state: RefreshState, now: number): Child {
  const store = view.store;
  if (!store) return undefined;
  const parts: string[] = [];
  const reachable = store.reachable;
  const named = typeof store.state === 'string' ? store.state : undefined;
  parts.push(named ?? (reachable === false ? 'unreachable' : reachable === true ? 'reachable' : 'unknown'));
  // Ages are relative to when the view was built; the page adds the time since it arrived.
  for (const [key, value] of Object.entries(store)) {
    if (typeof value !== 'number' || !/AgeMs$/i.test(key)) continue;
    if (reachable !== false && value === 0) continue;
    parts.push(`data ${duration(value + (now - state.viewAt))} old`);
  }
  const bad = reachable === false || (named !== undefined && !/^(ok|reachable|healthy)$/i.test(named));
  const noteText = [typeof store.error === 'string' ? store.error : undefined, writesNote(store)].filter(
    Boolean,
  );
  const error = noteText.length ? h('span', { class: 'fact-note' }, noteText.join(' · ')) : undefined;
  return h(
    'span',
    { id: 'store', 'data-reachable': String(reachable !== false) },
    h('span', { class: bad ? 'warn' : undefined }, parts.join(' · ')),
    error,
  );
}

function tokenFact(token: FederatedToken | undefined, now: number): Child {
  if (!token) return undefined;
  const parts: string[] = [];
  if (token.expiresOn) parts.push(`expires ${relative(token.expiresOn, now)} (${clock(token.expiresOn)})`);
  if (token.refreshAt) parts.push(`refresh ${relative(token.refreshAt, now)} (${clock(token.refreshAt)})`);
  if (!parts.length) parts.push(token.source ? `from ${token.source}` : 'not obtained yet');
  const error = token.lastError
    ? h('span', { class: 'fact-note warn' }, `last error: ${token.lastError}`)
    : undefined;
  return h('span', {}, parts.join(' · '), error);
}

export function renderHeader(view: View, state: RefreshState, now: number): HTMLElement {
  const verdict = view.status ?? 'unknown';
  const c = view.counts ?? {};
  const counts = [
    `${c.ok ?? 0} of ${c.total ?? 0} ok`,
    c.failing ? `${c.failing} failing` : '',
    c.unknown ? `${c.unknown} without a fresh result` : '',
  ].filter(Boolean);
  return h(
    'header',
    { class: 'top' },
    h(
      'div',
      { class: 'title' },
      h('h1', {}, 'identity-probes'),
      h(
        'p',
        { class: `verdict v-${verdict}`, id: 'verdict', 'data-verdict': verdict },
        h('span', { class: 'dot', 'aria-hidden': 'true' }),
        VERDICT_LABELS[verdict] ?? verdict,
      ),
      h('p', { class: 'counts' }, counts.join(' · ')),
      reasons(view),
    ),
    facts(
      [
        ['Declaration', declarationFact(view.declaration, now)],
        ['Status store', storeFact(view, state, now)],
        ['Federated token', tokenFact(view.paths?.federated?.federatedToken, now)],
        ...extraFacts(view, state, now),
      ],
      'facts header-facts',
    ),
    renderRefresh(state, now),
  );
}

export function renderRefresh(state: RefreshState, now: number): HTMLElement {
  const parts: Child[] = [`Refreshed ${relative(new Date(state.lastOkAt).toISOString(), now)}`];
  if (state.nextAt !== undefined) parts.push(` · next in ${duration(Math.max(0, state.nextAt - now))}`);
  const failed = state.failure
    ? h(
        'span',
        { class: 'refresh-failed', id: 'refresh-failed' },
        `Refresh failed at ${clock(state.failure.at)}: ${state.failure.reason}; showing the last status received.`,
      )
    : undefined;
  return h(
    'p',
    { class: 'refresh', id: 'refresh', 'data-failed': state.failure ? 'true' : 'false' },
    ...parts,
    failed,
  );
}
