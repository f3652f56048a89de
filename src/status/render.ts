// HTML rendering of the status view (the JSON view is the StatusView itself). Everything shown is already
// sanitized; every value is escaped.
import escapeHtml from 'escape-html';
import { PATH_IDS, TARGET_IDS } from '../ids.ts';
import type { StatusView } from './model.ts';

const esc = (s: unknown) => escapeHtml(String(s ?? ''));

function age(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

/** How the cell's token was obtained: "fresh token" (timer run) or "cached token from HH:MM" (HTTP probe). */
function tokenNote(c: { acquisition?: { mode: string; acquiredAt?: string } }): string {
  const a = c.acquisition;
  if (!a) return '';
  return a.mode === 'fresh'
    ? ', fresh token'
    : `, cached token${a.acquiredAt ? ` from ${a.acquiredAt.slice(11, 16)} UTC` : ''}`;
}

export function renderStatusHtml(
  view: StatusView,
  telemetry?: { state: string; lastFailure?: { message: string } },
): string {
  const rows = PATH_IDS.map((path) => {
    const cells = TARGET_IDS.map((target) => {
      const c = view.paths[path]?.targets[target];
      if (!c) return '<td class="unknown">no result</td>';
      const hint = c.remediation ? `<div class="hint">${esc(c.remediation.summary)}</div>` : '';
      const cmd = c.remediation?.command ? `<code>${esc(c.remediation.command)}</code>` : '';
      return `<td class="${c.outcome === 'ok' && !c.stale ? 'ok' : 'bad'}"><b>${esc(c.outcome)}</b>${c.stale ? ' (stale)' : ''} <small>${age(c.ageMs)} ago, ${c.timings.totalMs} ms${esc(tokenNote(c))}</small>${hint}${cmd}</td>`;
    }).join('');
    return `<tr><th>${esc(path)}</th>${cells}</tr>`;
  }).join('\n');
  const store = view.store.reachable
    ? 'status store reachable'
    : `status store unreachable (${esc(view.store.error)})${view.store.lastSeenAgeMs !== undefined ? `, showing data ${age(view.store.lastSeenAgeMs)} old` : ''}`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>identity-probes: ${esc(view.status)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.5em;vertical-align:top;text-align:left}
.ok{background:#e7f7e7}.bad{background:#fde8e8}.unknown{background:#f3f3f3}.hint{font-size:.85em;max-width:32em}code{display:block;font-size:.75em;white-space:pre-wrap;max-width:32em}</style></head>
<body><h1>identity-probes: ${esc(view.status)}</h1><p>${esc(view.generatedAt)}; ${store}${telemetry ? `; telemetry to Application Insights: ${esc(telemetry.state)}${telemetry.lastFailure ? ` (${esc(telemetry.lastFailure.message)})` : ''}` : ''}</p>
<table><tr><th>path</th>${TARGET_IDS.map((t) => `<th>${esc(t)}</th>`).join('')}</tr>
${rows}</table></body></html>`;
}
