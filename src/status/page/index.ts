// HTTP answers of the status page: the page itself (for GET /api/status from a browser) and its assets
// (GET /api/status/assets/{name}, anonymous: they hold no status data). Both with a strict CSP.
import type { HttpResponseInit } from '@azure/functions';
import type { Config } from '../../config.ts';
import type { StatusView } from '../model.ts';
import { pageAssets } from './assets.ts';
import { etagMatches } from '../etag.ts';
import { wiredIdentities } from './identities.ts';
import { PAGE_CSP, renderShell } from './shell.ts';

/** The page polls no faster than this, and no faster than the status cache period. */
export const MIN_REFRESH_MS = 5_000;

const SECURITY_HEADERS = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/** `assetBase`: the URL path of the asset route, e.g. `/api/status/assets`. */
export function statusPage(
  view: StatusView,
  etag: string,
  config: Config,
  assetBase: string,
): HttpResponseInit {
  // The order the page lays cells out in: the declaration's (the client reads view.cells again on each refresh).
  const { cells } = view;
  const data = {
    view,
    etag,
    identities: wiredIdentities(config),
    paths: [...new Set(cells.map((c) => c.identity))],
    targets: [...new Set(cells.map((c) => c.resource))],
    refreshMs: Math.max(MIN_REFRESH_MS, config.status.cacheMs),
  };
  return {
    status: 200,
    body: renderShell(data, assetBase, pageAssets()),
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS },
  };
}

/** An asset by name; undefined when there is none of that name. */
export function pageAsset(name: string, ifNoneMatch: string | null): HttpResponseInit | undefined {
  const a = pageAssets().get(name);
  if (!a) return undefined;
  const headers = {
    'content-type': a.contentType,
    'cache-control': 'no-cache',
    etag: a.etag,
    ...SECURITY_HEADERS,
  };
  if (etagMatches(ifNoneMatch, a.etag)) return { status: 304, headers };
  return { status: 200, body: a.body, headers };
}

export function pageAssetNames(): string[] {
  return [...pageAssets().keys()];
}
