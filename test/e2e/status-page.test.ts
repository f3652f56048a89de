// The status page in a real browser (Debian's Chromium through playwright-core) against the real stack: the dev
// host and the sandbox, started with function keys enforced. States: healthy, broken (uami-no-keyvault-role) with a
// cell's detail open, the status store unreachable, and a failed refresh (the host stopped). In every state: no
// token, assertion, secret or function key in the rendered DOM, and no request outside the page's origin.
// Screenshots of each state go to a temp folder, or to docs/ with UPDATE_SCREENSHOTS=1 (what the README shows).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../../scripts/lib/stack.ts';
import { PATH_IDS, TARGET_IDS } from '../../src/ids.ts';
import { functionKey, nothingLeft, startStack, type Stack } from './helpers.ts';
import { browserSkipReason, launch, type Browser } from '../../scripts/lib/browser.ts';
import {
  admin,
  blobRequests,
  blobRequestsPerStatusRead,
  cells,
  issued,
  leaks,
  probeAll,
  rendered,
  TIMERS_OFF,
} from '../../scripts/lib/statusPage.ts';

/** One cell per path x target. */
const CELLS = PATH_IDS.length * TARGET_IDS.length;

const skip = browserSkipReason();
const SHOTS =
  process.env.UPDATE_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs') : mkdtempSync(join(tmpdir(), 'shots-'));
const APP_PATHS = ['uami-client-id', 'uami-object-id', 'uami-resource-id', 'default-chain'];
/** The page polls every max(5 s, STATUS_CACHE_MS); the default cache period is 5 s. */
const REFRESH_MS = 5_000;
const CACHE_MS = 5_000;
/** How long the storage reads of an open page are counted here (a minute: `npm run bench`). */
const READS_WINDOW_MS = 12_000;

describe('status page in Chromium', { skip, timeout: 120_000 }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let origin: string;
  let keys: ReturnType<typeof functionKey>;
  const requested: string[] = [];
  const doms: Array<[string, string]> = [];

  /** Keeps the rendered DOM of a state for the leak check, and a screenshot of it (small: a part when enough). */
  const snapshot = async (state: string, file: string, part: 'page' | 'viewport' | 'header' = 'page') => {
    doms.push([state, await rendered(page)]);
    mkdirSync(SHOTS, { recursive: true });
    const path = join(SHOTS, file);
    if (part === 'header') await page.locator('header.top').screenshot({ path });
    else await page.screenshot({ path, fullPage: part === 'page' });
  };

  before(async () => {
    stack = await startStack({ scenario: 'healthy', enableAuth: true, env: TIMERS_OFF });
    origin = new URL(stack.api).origin;
    keys = functionKey(stack.appDir);
    browser = await launch(origin);
    // Nothing may leave the origin: record every request, and refuse those that would.
    browser.context.on('request', (r) => requested.push(r.url()));
    await browser.context.route('**/*', (route) =>
      new URL(route.request().url()).origin === origin ? route.continue() : route.abort('blockedbyclient'),
    );
    page = await browser.context.newPage();
    // The page's own timers and Date run on Playwright's clock: it flows with real time, and a test moves it a
    // refresh period forward instead of waiting for the page's next poll.
    await page.clock.install();
  });

  after(async () => {
    await browser?.close();
    if (!stack) return;
    await stack.stop();
    assert.deepEqual(await nothingLeft(stack), []);
  });

  it('healthy: every path x target cell ok, each naming the identity that answered by its oid', async () => {
    await probeAll(stack, keys.host); // cold: the SDKs load
    await probeAll(stack, keys.host); // warm: a second result in each cell's history
    await page.goto(`${stack.api}/status?code=${encodeURIComponent(keys.fn('status'))}`);
    await page.waitForSelector('button.cell');
    const all = await cells(page);
    assert.equal(all.length, CELLS);
    for (const c of all) {
      assert.equal(c.outcome, 'ok', c.key);
      assert.match(c.oid ?? '', /^[0-9a-f-]{36}$/, `${c.key} shows an oid`);
    }
    assert.equal(await page.getAttribute('#verdict', 'data-verdict'), 'ok');
    const oids = new Map(stack.sandbox.connection.identities.map((i) => [i.principalId, i.key]));
    for (const c of all) assert.ok(oids.has(c.oid!), `${c.key}: ${c.oid} is a wired identity`);
    assert.equal(await page.textContent('[data-key="federated/arm"] .who-name'), 'federated');
    // What the view adds beside the cells is shown when present: the store, the federated token, telemetry.
    const header = (await page.textContent('.header-facts')) ?? '';
    for (const fact of ['Status store', 'Federated token', 'expires in', 'refresh in', 'Telemetry'])
      assert.ok(header.includes(fact), `header shows ${fact}: ${header}`);
    await snapshot('healthy', 'status-healthy.png');
    assert.ok(page.url().includes(keys.fn('status')), 'the page was opened with its function key');
  });

  it('an unchanged status is answered 304, and the open page reads storage at most once per cache period', async () => {
    const headers = { 'x-functions-key': keys.fn('status') };
    const first = await fetch(`${stack.api}/status?format=json`, { headers });
    const etag = first.headers.get('etag') ?? '';
    assert.match(etag, /^W\/"/);
    await first.arrayBuffer();
    const again = await fetch(`${stack.api}/status?format=json`, {
      headers: { ...headers, 'if-none-match': etag },
    });
    assert.equal(again.status, 304);
    assert.equal((await again.arrayBuffer()).byteLength, 0);
    // What one status read costs, measured while no page polls; then the page again, counted from its opening.
    const url = page.url();
    await page.goto('about:blank');
    const perRead = await blobRequestsPerStatusRead(stack, keys.fn('status'), CACHE_MS);
    assert.ok(perRead > 0, 'a status read reaches the Blob gateway');
    await blobRequests(stack, true);
    await page.goto(url);
    const polls: number[] = [];
    const onResponse = (r: { url(): string; status(): number }) => {
      if (r.url().includes('format=json')) polls.push(r.status());
    };
    page.on('response', onResponse);
    await page.waitForTimeout(READS_WINDOW_MS);
    page.off('response', onResponse);
    const reads = (await blobRequests(stack)) / perRead;
    const allowed = Math.ceil(READS_WINDOW_MS / CACHE_MS) + 1;
    assert.ok(polls.length >= 2 && polls.every((s) => s === 304), `the page polled: ${polls.join(', ')}`);
    assert.ok(reads <= allowed, `${reads} status reads in ${READS_WINDOW_MS} ms (at most ${allowed})`);
  });

  it('broken: after a scenario switch the page updates by itself within one refresh period', async () => {
    await admin(stack, 'POST', '/_sandbox/scenario', { name: 'uami-no-keyvault-role' });
    await probeAll(stack, keys.host);
    await page.clock.fastForward(REFRESH_MS);
    // Waited for through the locator API: the page's CSP (rightly) refuses the eval behind waitForFunction. The
    // bound covers a poll that was already under way when the clock moved (its successor is due a period later).
    await page
      .locator('button.cell[data-outcome="forbidden"]')
      .nth(APP_PATHS.length - 1)
      .waitFor({ timeout: REFRESH_MS + 3000 });
    const failing = (await cells(page)).filter((c) => c.outcome !== 'ok').map((c) => c.key);
    assert.deepEqual(failing.sort(), APP_PATHS.map((p) => `${p}/keyvault`).sort());
    assert.equal(await page.getAttribute('#verdict', 'data-verdict'), 'degraded');
  });

  it('broken: a failing cell opens its detail, and the copy button copies the exact command', async () => {
    const status = await fetch(`${stack.api}/status`, { headers: { 'x-functions-key': keys.fn('status') } });
    const view = (await status.json()) as {
      paths: Record<string, { targets: Record<string, { remediation?: { command?: string } }> }>;
    };
    const command = view.paths['uami-client-id'].targets.keyvault.remediation?.command ?? '';
    assert.match(command, /^az role assignment create /);
    // Keyboard: focus the cell and press Enter.
    await page.focus('[data-key="uami-client-id/keyvault"]');
    await page.keyboard.press('Enter');
    const detail = page.locator('[data-detail="uami-client-id/keyvault"]');
    await detail.waitFor();
    const text = (await detail.textContent()) ?? '';
    for (const want of ['Service error code', 'ForbiddenByRbac', 'HTTP status403', 'Request id'])
      assert.ok(text.includes(want), `detail shows ${want}: ${text}`);
    assert.match(text, /Request id[0-9a-f-]{36}/);
    assert.equal(await detail.locator('code.cmd').textContent(), command);
    await detail.locator('button.copy').click();
    await page.waitForSelector('.copy-status:text("Copied.")');
    const clipboard = await page.evaluate(() =>
      (
        globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
      ).navigator.clipboard.readText(),
    );
    assert.equal(clipboard, command);
    await snapshot('broken', 'status-broken.png', 'viewport');
    // Phone width, dark: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: 'dark' });
    assert.ok(await page.evaluate('document.documentElement.scrollWidth <= 390'), 'no horizontal scrolling');
    await page
      .locator('tr.row:has([data-key="uami-client-id/keyvault"]) th')
      .evaluate((e) => e.scrollIntoView());
    await snapshot('broken-phone-dark', 'status-broken-phone-dark.png', 'viewport');
    await page.setViewportSize({ width: 1180, height: 900 });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('[data-detail]').count(), 0);
  });

  it('store unreachable: the header says so and the page keeps the last results', async () => {
    await admin(stack, 'POST', '/_sandbox/faults', {
      endpoint: 'blob',
      kind: 'status',
      status: 503,
      count: 200,
    });
    try {
      await page.waitForSelector('#store[data-reachable="false"]', { timeout: 3 * REFRESH_MS });
      assert.match((await page.textContent('#store')) ?? '', /^unreachable · data \d+ s old.*HTTP 503/);
      assert.equal((await cells(page)).length, CELLS);
      await snapshot('store-unreachable', 'status-store-unreachable.png', 'header');
    } finally {
      await admin(stack, 'DELETE', '/_sandbox/faults');
    }
    await page.waitForSelector('#store[data-reachable="true"]', { timeout: 3 * REFRESH_MS });
  });

  it('refresh failed: with the host gone the page says when its refresh failed', async () => {
    await stack.host.proc.stop('SIGTERM');
    await page.clock.fastForward(REFRESH_MS);
    await page.waitForSelector('#refresh-failed', { timeout: 2 * REFRESH_MS + 3000 });
    assert.match((await page.textContent('#refresh-failed')) ?? '', /Refresh failed at \d\d:\d\d:\d\d/);
    await snapshot('refresh-failed', 'status-refresh-failed.png', 'header');
  });

  it('no request left the origin, and no state rendered a token, assertion, secret or key', async () => {
    const outside = requested.filter((u) => new URL(u).origin !== origin);
    assert.deepEqual(outside, []);
    assert.ok(requested.some((u) => u.includes('/api/status/assets/main.js')));
    // The key rides in the page's own address only: polls send it as a header, assets need none.
    const polls = requested.filter((u) => u.includes('format=json'));
    assert.ok(polls.length >= 4, `${polls.length} polls`);
    const withKey = requested.filter((u) => u.includes(encodeURIComponent(keys.fn('status'))));
    assert.ok(withKey.length > 0 && withKey.every((u) => /\/api\/status\?code=/.test(u)), withKey.join('\n'));
    const secrets = [...(await issued(stack)), keys.master, keys.host, keys.fn('status')];
    assert.ok(secrets.length > 10, `the sandbox issued ${secrets.length} values`);
    assert.deepEqual(
      doms.map(([s]) => s),
      ['healthy', 'broken', 'broken-phone-dark', 'store-unreachable', 'refresh-failed'],
    );
    for (const [state, dom] of doms) assert.deepEqual(leaks(dom, secrets), [], state);
  });
});
