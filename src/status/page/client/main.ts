// The status page's script: renders the view embedded in the page, then keeps it fresh by polling the JSON view
// with If-None-Match (an unchanged status is a 304: no body, no storage read). The function key the page was
// opened with (`?code=`) goes with each poll as the x-functions-key header and is never put into the page.
import { h } from './dom.ts';
import { declarationProblems, renderHeader } from './header.ts';
import { hashFor, layout, onlyFailingFromHash } from './layout.ts';
import { nothingFailing, renderMatrix, renderToolbar, type OpenState } from './matrix.ts';
import type { PageData, RefreshState, View } from './types.ts';

const POLL_TIMEOUT_MS = 10_000;
const TICK_MS = 5_000;

const data = JSON.parse(document.getElementById('status-data')!.textContent ?? '{}') as PageData;
const key = new URLSearchParams(location.search).get('code');
const root = document.getElementById('app')!;
let view: View = data.view;
let etag = data.etag;
let openKey: string | undefined;
let historyOpen = false;
/** Groups the user opened or collapsed; the others follow the default (layout.ts isOpen). */
const groups = new Map<string, boolean>();
let onlyFailing = onlyFailingFromHash(location.hash);
const state: RefreshState = { lastOkAt: Date.now(), viewAt: Date.now() };
let rendered = false;

/** The element with focus, by what identifies it across re-renders. */
const FOCUS_KEYS = ['key', 'group', 'control', 'copy'] as const;

function render(): void {
  // Marks for the benchmark (bench/page-render.ts): how long each render takes, and when the first one ended.
  performance.clearMarks('render-start');
  performance.clearMeasures('render');
  performance.mark('render-start');
  const now = Date.now();
  const focused = (document.activeElement as HTMLElement | null)?.dataset ?? {};
  const l = layout(data, view);
  const ui: OpenState = { openKey, historyOpen, groups, onlyFailing };
  const next = h(
    'div',
    { id: 'app' },
    renderHeader(view, state, now),
    declarationProblems(view),
    h('main', {}, renderToolbar(l, ui), nothingFailing(l, ui), renderMatrix(data, l, ui, now)),
  );
  root.replaceChildren(...next.childNodes);
  document.title = `identity-probes: ${view.status ?? 'unknown'}`;
  // Re-rendering replaces the buttons: give focus back to the one that had it.
  const k = FOCUS_KEYS.find((name) => focused[name] !== undefined);
  if (k) {
    const attr = `data-${k}`;
    root.querySelector<HTMLElement>(`[${attr}="${CSS.escape(focused[k] ?? '')}"]`)?.focus();
  }
  performance.measure('render', 'render-start');
  if (!rendered) {
    rendered = true;
    performance.mark('matrix-rendered');
  }
}

function setOnlyFailing(on: boolean): void {
  onlyFailing = on;
  const hash = hashFor(on, location.hash);
  // The fragment keeps the filter across reloads and in a shared link; replaceState: no history entry per toggle.
  history.replaceState(null, '', `${location.pathname}${location.search}${hash}`);
  render();
}

root.addEventListener('click', (e) => {
  const target = e.target as HTMLElement;
  const control = target.closest<HTMLElement>('[data-control]')?.dataset.control;
  if (control === 'expand-all' || control === 'collapse-all') {
    for (const g of layout(data, view).groups) groups.set(g.identity, control === 'expand-all');
    return render();
  }
  const toggle = target.closest<HTMLElement>('button[data-group]');
  if (toggle?.dataset.group !== undefined) {
    groups.set(toggle.dataset.group, toggle.getAttribute('aria-expanded') !== 'true');
    return render();
  }
  const cell = target.closest<HTMLElement>('button.cell');
  if (!cell?.dataset.key) return;
  openKey = openKey === cell.dataset.key ? undefined : cell.dataset.key;
  render();
});

root.addEventListener('change', (e) => {
  const box = e.target as HTMLInputElement;
  if (box.dataset?.control === 'only-failing') setOnlyFailing(box.checked);
});

window.addEventListener('hashchange', () => {
  const on = onlyFailingFromHash(location.hash);
  if (on !== onlyFailing) {
    onlyFailing = on;
    render();
  }
});

// <details> state survives re-renders (toggle does not bubble: listen in the capture phase).
root.addEventListener(
  'toggle',
  (e) => {
    if ((e.target as HTMLElement).classList?.contains('history-box'))
      historyOpen = (e.target as HTMLDetailsElement).open;
  },
  true,
);

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && openKey) {
    const k = openKey;
    openKey = undefined;
    render();
    root.querySelector<HTMLElement>(`[data-key="${CSS.escape(k)}"]`)?.focus();
  }
});

async function poll(): Promise<void> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key) headers['x-functions-key'] = key;
  if (etag) headers['if-none-match'] = etag;
  try {
    const res = await fetch(`${location.pathname}?format=json`, {
      headers,
      cache: 'no-store',
      credentials: 'same-origin',
      signal: AbortSignal.timeout(POLL_TIMEOUT_MS),
    });
    if (res.status === 200) {
      view = (await res.json()) as View;
      etag = res.headers.get('etag') ?? undefined;
      state.viewAt = Date.now();
    } else if (res.status !== 304) {
      throw new Error(`HTTP ${res.status}`);
    }
    state.lastOkAt = Date.now();
    state.failure = undefined;
  } catch (err) {
    const reason =
      err instanceof Error ? (err.name === 'TimeoutError' ? 'no answer in time' : err.message) : 'error';
    state.failure = { at: Date.now(), reason };
  }
  schedule();
  render();
}

function schedule(): void {
  state.nextAt = Date.now() + data.refreshMs;
  setTimeout(() => void poll(), data.refreshMs);
}

schedule();
render();
// The tick only moves relative times ("1 min ago"): not worth a render of hundreds of cells in a hidden tab.
setInterval(() => document.hidden || render(), TICK_MS);
document.addEventListener('visibilitychange', () => document.hidden || render());
