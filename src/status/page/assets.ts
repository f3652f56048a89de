// The page's script (compiled by tsconfig.page.json from client/*.ts into client/ beside this module) and style
// sheet, served by the app itself: no CDN, nothing from another origin. Each asset carries its SHA-384 for
// Subresource Integrity and an ETag, and is read once per process.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAGE_CSS } from './styles.ts';

export interface Asset {
  body: Buffer;
  contentType: string;
  /** `sha384-…` for an integrity attribute. */
  integrity: string;
  etag: string;
}

/** The page's icon (a browser asks for one; without it, /favicon.ico answers 404). */
const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#16794a"/>' +
  '<path d="M4.5 8.2l2.3 2.3 4.7-4.9" fill="none" stroke="#fff" stroke-width="1.8"/></svg>';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Beside this module in dist/; when this module runs from src/ (tests), the build's copy in dist/. */
const CLIENT_DIRS = [
  join(HERE, 'client'),
  join(HERE, '..', '..', '..', 'dist', 'src', 'status', 'page', 'client'),
];
let assets: Map<string, Asset> | undefined;

function asset(body: Buffer, contentType: string): Asset {
  const integrity = `sha384-${createHash('sha384').update(body).digest('base64')}`;
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"`;
  return { body, contentType, integrity, etag };
}

/** Every asset by file name: page.css, icon.svg and the compiled client modules (main.js and its imports). */
export function pageAssets(): Map<string, Asset> {
  if (assets) return assets;
  const all = new Map<string, Asset>([
    ['page.css', asset(Buffer.from(PAGE_CSS), 'text/css; charset=utf-8')],
    ['icon.svg', asset(Buffer.from(ICON_SVG), 'image/svg+xml')],
  ]);
  // Not built: no main.js, and the page says so instead of loading a script (see shell.ts).
  const dir = CLIENT_DIRS.find((d) => existsSync(join(d, 'main.js')));
  for (const f of dir ? readdirSync(dir).filter((n) => n.endsWith('.js')) : [])
    all.set(f, asset(readFileSync(join(dir!, f)), 'text/javascript; charset=utf-8'));
  assets = all;
  return all;
}
