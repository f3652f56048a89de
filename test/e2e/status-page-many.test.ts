// The status page with a large declaration, in a real browser (Debian's Chromium through playwright-core): 500
// declared cells (25 identities x 20 resources) in a view the status model builds from documents, answered by the
// real page code on loopback (scripts/lib/syntheticStatus.ts). Grouping by identity in declaration order with each
// group's counts, healthy groups collapsed and failing ones open, "show only failing" kept in the URL, expand and
// collapse all, the declaration and its problems, denied expectations, and names that are markup rendered as text
// under the strict CSP. The 18-cell page keeps its table.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { DeclarationInfo } from '../../src/core/plan.ts';
import type { DeclaredCell, StatusView } from '../../src/status/model.ts';
import { PAGE_CSP } from '../../src/status/page/shell.ts';
import { browserSkipReason, launch, type Browser } from '../../scripts/lib/browser.ts';
import { cells as cellsOf } from '../../scripts/lib/statusPage.ts';
import {
  declaredCells,
  servePage,
  syntheticView,
  type PageServer,
} from '../../scripts/lib/syntheticStatus.ts';

const skip = browserSkipReason();

/** Names are the declaration's text: markup in them must stay text. */
const EVIL_IDENTITY = '<img src=x onerror="document.title=\'pwned\'">';
const EVIL_RESOURCE = '"><svg onload="document.title=\'pwned\'"></svg>';
const EVIL_MESSAGE = '<script>document.title="pwned"</script> is not set';

const DECLARATION: DeclarationInfo = {
  name: 'platform-probes',
  version: '7',
  source: 'https://declarations.blob.core.windows.net/probes/platform.json',
  complete: false,
  problems: [
    { entry: 'probes[12]', probe: 'web/vault', field: 'identity.clientId', message: EVIL_MESSAGE },
    { entry: 'resources.legacy', field: 'kind', message: 'unknown kind "ftp-share"' },
  ],
  readAt: new Date().toISOString(),
};

/** 25 x 20 cells; the third identity and the fifth resource carry markup in their names. */
function manyCells(): DeclaredCell[] {
  return declaredCells(25, 20).map((c) => {
    const identity = c.identity === 'workload-03' ? EVIL_IDENTITY : c.identity;
    const resource = c.resource === 'kv-05' ? EVIL_RESOURCE : c.resource;
    return { ...c, identity, resource, probe: `${identity}/${resource}` };
  });
}

/** Failing cells: a few spread over some identities (index in declaration order), all of allowed probes. */
const FAILING = new Set([4, 45, 47, 231, 499]);

describe('status page with 500 declared cells in Chromium', { skip, timeout: 120_000 }, () => {
  let server: PageServer;
  let browser: Browser;
  let page: Page;
  let view: StatusView;
  const declared = manyCells();
  const denied = declared.findIndex((c) => c.expect === 'denied' && c.identity === 'workload-02');
  const dialogs: string[] = [];
  const errors: string[] = [];

  /** The declared identities that have a failing cell (the unexpectedly allowed one included). */
  const failingIdentities = () => [
    ...new Set(declared.filter((_, i) => FAILING.has(i) || i === denied).map((c) => c.identity)),
  ];

  before(async () => {
    view = syntheticView(declared, {
      failing: (i) => FAILING.has(i),
      unexpectedlyAllowed: denied,
      declaration: DECLARATION,
    });
    assert.equal(view.counts.total, 500);
    assert.equal(view.counts.failing, FAILING.size + 1);
    server = await servePage(view);
    browser = await launch(new URL(server.url).origin);
    page = await browser.context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.clock.install();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const groupIds = () => page.$$eval('tbody.group', (els) => els.map((e) => e.getAttribute('data-identity')));

  it('groups cells by declared identity in declaration order, each with its counts', async () => {
    const res = await fetch(server.url);
    assert.equal(res.headers.get('content-security-policy'), PAGE_CSP);
    await res.arrayBuffer();
    await page.goto(server.url);
    await page.locator('#matrix').waitFor();
    assert.equal(await page.getAttribute('#matrix', 'data-layout'), 'wrap', '20 resources wrap per row');
    const identities = [...new Set(declared.map((c) => c.identity))];
    assert.deepEqual(await groupIds(), identities);
    for (const identity of identities) {
      const mine = declared.map((c, i) => ({ c, i })).filter(({ c }) => c.identity === identity);
      const failing = mine.filter(({ i }) => FAILING.has(i) || i === denied).length;
      const want = failing ? `${failing} failing · ${mine.length - failing} ok` : `${mine.length} ok`;
      const group = page.locator(`tbody.group[data-identity="${identity.replace(/"/g, '\\"')}"]`);
      assert.equal(await group.locator('.group-counts').textContent(), want, identity);
    }
    assert.match((await page.textContent('.toolbar-note')) ?? '', /25 identities · 20 resources · 500 cells/);
    // A declared identity is not in the wiring: its attested cells name it by its declared name.
    assert.equal(await page.textContent('[data-key="workload-01/kv-01"] .who-name'), 'workload-01');
  });

  it('collapses healthy groups and opens failing ones; expand and collapse all', async () => {
    const open = await page.$$eval('tbody.group[data-open="true"]', (els) =>
      els.map((e) => e.getAttribute('data-identity')),
    );
    assert.deepEqual(open, failingIdentities());
    assert.equal((await cellsOf(page)).length, open.length * 20);
    const collapsed = page.locator('tbody.group[data-identity="workload-10"]');
    assert.match(
      (await collapsed.locator('.collapsed-note').textContent()) ?? '',
      /20 cells collapsed: 20 ok/,
    );
    // A collapsed group opens with its toggle, by keyboard, and keeps focus across the re-render.
    await collapsed.locator('button.group-toggle').focus();
    await page.keyboard.press('Enter');
    await page.locator('tbody.group[data-identity="workload-10"][data-open="true"]').waitFor();
    assert.equal(await page.evaluate('document.activeElement?.getAttribute("data-group")'), 'workload-10');
    assert.equal((await cellsOf(page)).length, (open.length + 1) * 20);
    await page.click('#expand-all');
    assert.equal((await cellsOf(page)).length, 500);
    await page.click('#collapse-all');
    assert.equal((await cellsOf(page)).length, 0);
    assert.equal(await page.locator('tbody.group[data-open="true"]').count(), 0);
    await page.click('#expand-all');
    assert.equal((await cellsOf(page)).length, 500);
  });

  it('"show only failing" keeps the failing cells only, and the URL remembers it', async () => {
    await page.check('#only-failing');
    assert.deepEqual(await groupIds(), failingIdentities());
    const shown = await cellsOf(page);
    assert.equal(shown.length, FAILING.size + 1);
    assert.ok(
      shown.every((c) => c.outcome !== 'ok'),
      JSON.stringify(shown),
    );
    assert.match(new URL(page.url()).hash, /show=failing/);
    assert.match((await page.textContent('.toolbar .filter')) ?? '', /Show only failing \(6\)/);
    // A reload (or a shared link) keeps the filter.
    await page.reload();
    await page.locator('#matrix').waitFor();
    assert.equal(await page.isChecked('#only-failing'), true);
    assert.equal((await cellsOf(page)).length, FAILING.size + 1);
    await page.uncheck('#only-failing');
    assert.equal((await groupIds()).length, 25);
    assert.doesNotMatch(new URL(page.url()).hash, /show=failing/);
  });

  it('a probe that must be refused says so; one that got in shows its grant and removal command', async () => {
    await page.click('#expand-all');
    const refused = declared.find((c, i) => c.expect === 'denied' && i !== denied)!;
    const ok = page.locator(`button.cell[data-key="${refused.identity}/${refused.resource}"]`);
    assert.equal(await ok.getAttribute('data-expect'), 'denied');
    assert.match((await ok.textContent()) ?? '', /refused, as declared.*must be refused/);
    const bad = declared[denied];
    const key = `${bad.identity}/${bad.resource}`;
    const cell = page.locator(`button.cell[data-key="${key}"]`);
    assert.equal(await cell.getAttribute('data-outcome'), 'unexpectedly-allowed');
    assert.match((await cell.textContent()) ?? '', /unexpectedly allowed/);
    assert.equal(await cell.evaluate((e) => e.classList.contains('c-fail')), true);
    await cell.click();
    const detail = page.locator(`[data-detail="${key}"]`);
    await detail.waitFor();
    const text = (await detail.textContent()) ?? '';
    assert.match(text, /Reader grant on the resource group lets it in/);
    assert.match(text, /Expectedmust be refused/);
    const command = view.paths[bad.identity].targets[bad.resource].remediation!.command!;
    assert.match(command, /^az role assignment delete --ids /);
    assert.equal(await detail.locator('code.cmd').textContent(), command);
    await page.keyboard.press('Escape');
  });

  it('shows which declaration runs and, not fully loaded, each problem', async () => {
    const fact = (await page.textContent('#declaration')) ?? '';
    assert.match(fact, /platform-probes, version 7 · not fully loaded \(2 problems\)/);
    assert.match(fact, /from https:\/\/declarations\.blob\.core\.windows\.net\/probes\/platform\.json/);
    const block = page.locator('#declaration-problems');
    assert.equal(await block.getAttribute('role'), 'alert');
    assert.match((await block.locator('h2').textContent()) ?? '', /Declaration not fully loaded/);
    const rows = await block
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.deepEqual(rows, [
      ['probes[12]', 'web/vault', 'identity.clientId', EVIL_MESSAGE],
      ['resources.legacy', '–', 'kind', 'unknown kind "ftp-share"'],
    ]);
  });

  it('renders names and messages that are markup as text: nothing injected, nothing run', async () => {
    const group = page.locator('tbody.group').nth(2);
    assert.equal(await group.getAttribute('data-identity'), EVIL_IDENTITY);
    assert.equal(await group.locator('.group-name').textContent(), EVIL_IDENTITY);
    const res = await page
      .locator('button.cell .res')
      .filter({ hasText: 'svg onload' })
      .first()
      .textContent();
    assert.equal(res, EVIL_RESOURCE);
    const injected = {
      img: await page.locator('#app img').count(),
      svg: await page.locator('#app svg').count(),
      scripts: await page.locator('#app script').count(),
      title: await page.title(),
    };
    assert.deepEqual(injected, { img: 0, svg: 0, scripts: 0, title: 'identity-probes: degraded' });
    // The name survives as an attribute value too: its toggle keeps focus across the re-render it causes.
    await group.locator('button.group-toggle').focus();
    await page.keyboard.press('Enter');
    await page.locator('tbody.group[data-open="false"]').first().waitFor();
    assert.equal(await group.getAttribute('data-open'), 'false');
    assert.equal(await page.evaluate('document.activeElement?.getAttribute("data-group")'), EVIL_IDENTITY);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
  });
});

describe('status page with the 18 default cells in Chromium', { skip, timeout: 60_000 }, () => {
  let server: PageServer;
  let browser: Browser;

  before(async () => {
    server = await servePage(syntheticView(declaredCells(6, 3), { failing: (i) => i === 4 }));
    browser = await launch(new URL(server.url).origin);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('keeps the table: a column per resource, every group open, no declaration block', async () => {
    const page = await browser.context.newPage();
    await page.goto(server.url);
    await page.locator('#matrix').waitFor();
    assert.equal(await page.getAttribute('#matrix', 'data-layout'), 'table');
    const heads = await page.$$eval('#matrix thead th', (ths) => ths.map((t) => t.textContent));
    assert.deepEqual(heads, ['Identity', 'Key Vault', 'Blob Storage', 'Resource Manager']);
    assert.equal((await cellsOf(page)).length, 18);
    assert.equal(await page.locator('tbody.group[data-open="false"]').count(), 0);
    assert.equal(
      await page.locator('tr.row:has([data-key="uami-client-id/blob"]) th .group-name').textContent(),
      'uami-client-id',
    );
    assert.equal(
      await page.locator('tr.row:has([data-key="uami-client-id/blob"]) .group-counts').textContent(),
      '1 failing · 2 ok',
    );
    assert.equal(await page.locator('#declaration-problems').count(), 0);
    // The filter keeps a failing row whole (its columns), and leaves the healthy rows out.
    await page.check('#only-failing');
    assert.deepEqual(
      await page.$$eval('tbody.group', (els) => els.map((e) => e.getAttribute('data-identity'))),
      ['uami-client-id'],
    );
    await page.close();
  });
});
