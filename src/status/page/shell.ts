// The status page's HTML: a shell that links the app's own style sheet and script (with integrity hashes) and
// embeds the first status view as a JSON data block, which the script renders and then keeps fresh. The data block
// escapes <, >, & and the line separators, so no value can close it or start markup; every other value is
// HTML-escaped. The function key is not embedded: the script reads it from its own URL.
import escapeHtml from 'escape-html';
import type { Asset } from './assets.ts';
import type { PageData } from './client/types.ts';

/** Served with the page: nothing but the app's own origin, no inline script or style, no HTML string sinks. */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
].join('; ');

export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** What the page embeds; the view is the server's StatusView (the client reads it as its own looser View). */
export type ShellData = Omit<PageData, 'view'> & { view: { status?: string } };

export function renderShell(data: ShellData, assetBase: string, assets: Map<string, Asset>): string {
  const css = assets.get('page.css');
  const js = assets.get('main.js');
  const icon = assets.get('icon.svg');
  const link = (name: string, a: Asset) =>
    `${escapeHtml(assetBase)}/${name}?v=${escapeHtml(a.etag.slice(1, 13))}`;
  const verdict = escapeHtml(String(data.view.status ?? 'unknown'));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>identity-probes: ${verdict}</title>
${icon ? `<link rel="icon" href="${link('icon.svg', icon)}" type="image/svg+xml">` : ''}
${css ? `<link rel="stylesheet" href="${link('page.css', css)}" integrity="${css.integrity}">` : ''}
${js ? `<script type="module" src="${link('main.js', js)}" integrity="${js.integrity}"></script>` : ''}
</head>
<body>
<div id="app">
<h1>identity-probes</h1>
<p>Status: <strong>${verdict}</strong>. ${js ? 'Loading the status page…' : 'The page script is not built (npm run build).'}</p>
<noscript><p>This page needs JavaScript to draw the matrix; the same status is available as JSON with ?format=json.</p></noscript>
</div>
<script type="application/json" id="status-data">${jsonForScript(data)}</script>
</body>
</html>
`;
}
