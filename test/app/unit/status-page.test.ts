// The status page's pure parts: the JSON view's ETag and If-None-Match, the HTML shell (escaping, integrity,
// nothing inline but the JSON data block), and the page's formatting.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { etagMatches, statusEtag } from '../../../src/status/etag.ts';
import { jsonForScript, PAGE_CSP, renderShell } from '../../../src/status/page/shell.ts';
import { pageAssets } from '../../../src/status/page/assets.ts';
import { loadConfig } from '../../../src/config.ts';
import { wiredIdentities } from '../../../src/status/page/identities.ts';
import { duration, identityName, relative, shortId, tone } from '../../../src/status/page/client/format.ts';

const view = (outcome: string, ageMs: number, generatedAt: string) => ({
  status: outcome === 'ok' ? 'ok' : 'degraded',
  generatedAt,
  store: { reachable: true, lastSeenAgeMs: ageMs },
  paths: {
    'system-assigned': { targets: { arm: { outcome, at: '2026-11-30T10:00:00Z', ageMs, stale: false } } },
  },
});

describe('status ETag', () => {
  it('ignores what only ages, and changes with what the status says', () => {
    const a = statusEtag(view('ok', 1000, '2026-11-30T10:00:01Z'));
    assert.match(a, /^W\/"[A-Za-z0-9_-]{27}"$/);
    assert.equal(statusEtag(view('ok', 9000, '2026-11-30T10:00:09Z')), a);
    assert.notEqual(statusEtag(view('forbidden', 1000, '2026-11-30T10:00:01Z')), a);
  });

  it('matches If-None-Match weakly, in a list, and for *', () => {
    const tag = 'W/"abc"';
    assert.equal(etagMatches('W/"abc"', tag), true);
    assert.equal(etagMatches('"abc"', tag), true);
    assert.equal(etagMatches('"x", W/"abc"', tag), true);
    assert.equal(etagMatches('*', tag), true);
    assert.equal(etagMatches('W/"abd"', tag), false);
    assert.equal(etagMatches(null, tag), false);
    assert.equal(etagMatches('', tag), false);
  });
});

describe('status page shell', () => {
  const data = {
    view: { status: '<b>ok</b>' },
    etag: 'W/"x"',
    identities: [],
    paths: ['p'],
    targets: ['t'],
    refreshMs: 5000,
  };

  it('embeds the view as a JSON data block no value can close, and escapes the title', () => {
    const html = renderShell(
      { ...data, view: { status: '</script><script>alert(1)</script>' } },
      '/a',
      new Map(),
    );
    assert.doesNotMatch(html, /<\/script><script>alert/);
    assert.match(html, /<title>identity-probes: &lt;\/script&gt;/);
    const block = /<script type="application\/json" id="status-data">(.*)<\/script>/.exec(html)![1];
    assert.equal(JSON.parse(block).view.status, '</script><script>alert(1)</script>');
    assert.equal(jsonForScript('a\u2028b&<>'), '"a\\u2028b\\u0026\\u003c\\u003e"');
  });

  it('links the app’s own script and style sheet with integrity hashes; no inline script or style', () => {
    const assets = pageAssets();
    assert.ok(assets.has('main.js'), 'the page script is built (npm run build)');
    const html = renderShell(data, '/api/status/assets', assets);
    assert.match(
      html,
      /<script type="module" src="\/api\/status\/assets\/main\.js\?v=[0-9a-f]+" integrity="sha384-/,
    );
    assert.match(
      html,
      /<link rel="stylesheet" href="\/api\/status\/assets\/page\.css\?v=[0-9a-f]+" integrity="sha384-/,
    );
    assert.equal((html.match(/<script/g) ?? []).length, 2, 'main.js and the JSON data block');
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/);
    assert.doesNotMatch(html, /https?:\/\//);
    assert.match(PAGE_CSP, /default-src 'none'/);
    assert.doesNotMatch(PAGE_CSP, /unsafe|https?:/);
    for (const [name, a] of assets)
      assert.doesNotMatch(a.body.toString(), /https?:\/\/(?!www\.w3\.org)/, name);
  });
});

describe('status page formatting', () => {
  it('formats durations, relative times, ids and tones', () => {
    assert.equal(duration(4_400), '4 s');
    assert.equal(duration(90_000), '2 min');
    assert.equal(duration(3 * 3_600_000 + 20 * 60_000), '3 h 20 min');
    const now = Date.parse('2026-11-30T10:00:00Z');
    assert.equal(relative('2026-11-30T09:59:30Z', now), '30 s ago');
    assert.equal(relative('2026-11-30T10:05:00Z', now), 'in 5 min');
    assert.equal(relative('2026-11-30T10:00:00.500Z', now), 'just now');
    assert.equal(relative('not a date', now), '');
    assert.equal(shortId('63b2d18a-12b0-4881-b036-8fda3dae8b69'), '63b2d18a…8b69');
    assert.equal(tone('forbidden'), 'fail');
    assert.equal(tone('ok', true), 'stale');
    assert.equal(tone(undefined), 'none');
    const ids = [{ name: 'app', kind: 'user-assigned', oid: '63b2d18a-12b0-4881-b036-8fda3dae8b69' }];
    assert.equal(identityName(ids, '63B2D18A-12B0-4881-B036-8FDA3DAE8B69'), 'app');
    assert.equal(identityName(ids, 'other'), undefined);
  });
});

describe('wired identities (the names the page gives attested oids)', () => {
  it('are the catalog identities that serve a path, keyed by the object id their settings give', () => {
    const config = loadConfig({
      SYSTEM_PRINCIPAL_ID: '11111111-1111-1111-1111-11111111111A',
      UAMI_OBJECT_ID: '22222222-2222-2222-2222-222222222222',
    });
    assert.deepEqual(wiredIdentities(config), [
      { name: 'system', kind: 'system-assigned', oid: '11111111-1111-1111-1111-11111111111a' },
      { name: 'app', kind: 'user-assigned, attached', oid: '22222222-2222-2222-2222-222222222222' },
    ]);
    const federated = loadConfig({ FEDERATED_PRINCIPAL_ID: '33333333-3333-3333-3333-333333333333' });
    assert.deepEqual(wiredIdentities(federated), [
      { name: 'federated', kind: 'user-assigned, federated', oid: '33333333-3333-3333-3333-333333333333' },
    ]);
    assert.deepEqual(wiredIdentities(loadConfig({ SYSTEM_PRINCIPAL_ID: 'not-a-guid' })), []);
  });
});
