// The status page's script: renders the view embedded in the page, then keeps it fresh by polling the JSON view
// with If-None-Match (an unchanged status is a 304: no body, no storage read). The function key the page was
// opened with (`?code=`) goes with each poll as the x-functions-key header and is never put into the page.
import { h } from './dom.ts';
import { renderHeader } from './header.ts';
import { renderMatrix } from './matrix.ts';
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
const state: RefreshState = { lastOkAt: Date.now(), viewAt: Date.now() };

function render(): void {
  const now = Date.now();
  const focused = (document.activeElement as HTMLElement | null)?.dataset ?? {};
  const next = h(
    'div',
    { id: 'app' },
    renderHeader(view, state, now),
    h('main', {}, renderMatrix(data, view, { openKey, historyOpen }, now)),
  );
  root.replaceChildren(...next.childNodes);
  document.title = `identity-probes: ${view.status ?? 'unknown'}`;
  // Re-rendering replaces the buttons: give focus back to the one that had it.
  const again = focused.key
    ? root.querySelector<HTMLElement>(`[data-key="${CSS.escape(focused.key)}"]`)
    : focused.copy
      ? root.querySelector<HTMLElement>('[data-copy]')
      : null;
  again?.focus();
}

root.addEventListener('click', (e) => {
  const cell = (e.target as HTMLElement).closest<HTMLElement>('button.cell');
  if (!cell?.dataset.key) return;
  openKey = openKey === cell.dataset.key ? undefined : cell.dataset.key;
  render();
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
setInterval(render, TICK_MS);
