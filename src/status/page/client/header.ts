// The page header: verdict, counts, the status store's state and age, the federated token, and any further
// checks the view carries (privileges, telemetry), then the refresh line.
import { facts, h, type Child } from './dom.ts';
import { clock, duration, relative, VERDICT_LABELS } from './format.ts';
import type { FederatedToken, RefreshState, View } from './types.ts';

const KNOWN_KEYS = new Set(['status', 'generatedAt', 'store', 'counts', 'paths']);

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
  const error = typeof store.error === 'string' ? h('span', { class: 'fact-note' }, store.error) : undefined;
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

/** A check the view carries that this page does not know field by field (privileges, telemetry, ...). */
function genericFact(value: unknown): Child {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object') return String(value);
  const o = value as Record<string, unknown>;
  const head = [o.status, o.state, o.verdict].find((v) => typeof v === 'string' || typeof v === 'boolean');
  const text = [o.summary, o.message, o.detail, o.error].find((v) => typeof v === 'string');
  const parts = [head === undefined ? undefined : String(head), text as string | undefined].filter(Boolean);
  if (!parts.length)
    for (const [k, v] of Object.entries(o).slice(0, 4))
      if (['string', 'number', 'boolean'].includes(typeof v)) parts.push(`${k}: ${String(v)}`);
  const bad = typeof head === 'string' && /fail|error|excess|unreach|degrad|warn|off/i.test(head);
  return h('span', { class: bad ? 'warn' : undefined }, parts.join(' · '));
}

export function renderHeader(view: View, state: RefreshState, now: number): HTMLElement {
  const verdict = view.status ?? 'unknown';
  const c = view.counts ?? {};
  const counts = [
    `${c.ok ?? 0} of ${c.total ?? 0} ok`,
    c.failing ? `${c.failing} failing` : '',
    c.unknown ? `${c.unknown} without a fresh result` : '',
  ].filter(Boolean);
  const extras: Array<[string, Child]> = Object.keys(view)
    .filter((k) => !KNOWN_KEYS.has(k))
    .map((k) => [k[0].toUpperCase() + k.slice(1), genericFact(view[k])]);
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
    ),
    facts(
      [
        ['Status store', storeFact(view, state, now)],
        ['Federated token', tokenFact(view.paths?.federated?.federatedToken, now)],
        ...extras,
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
