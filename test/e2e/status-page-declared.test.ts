// The status page on the view the real app builds for a team's declaration (issue 23), in Debian's Chromium: the
// sandbox builds its world from test/sandbox/fixtures/team-declaration.json (3 identities x 4 resource kinds, two
// `denied`; here without its queue) plus two bad entries, grants one role the declaration forbids, and the app (a child process with the
// sandbox's settings, PROBES_DECLARATION) runs each identity's timer and answers /api/status. That view, served by the page code on
// loopback, must show the identities as groups in declaration order with a column per resource, the refused cell as
// "refused, as declared", the forbidden grant as "unexpectedly allowed" with its remediation, who answered by the
// declared name, and the declaration's name, version and problems.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { PathId } from '../../src/ids.ts';
import type { StatusView } from '../../src/status/model.ts';
import { admin, startQuietSandbox } from '../../support/sandbox.ts';
import { browserSkipReason, launch, type Browser } from '../../scripts/lib/browser.ts';
import { cells as cellsOf, rendered } from '../../scripts/lib/statusPage.ts';
import { servePage, type PageServer } from '../../scripts/lib/syntheticStatus.ts';
import { runChild } from '../app/helpers/child.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const TEAM = join(HERE, '..', 'sandbox', 'fixtures', 'team-declaration.json');
const skip = browserSkipReason();
/** The page with the forbidden grant's detail open: to a temp folder, or to docs/ with UPDATE_SCREENSHOTS=1. */
const SHOTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? join(HERE, '..', '..', 'docs')
    : mkdtempSync(join(tmpdir(), 'shots-'));

describe("status page for a team's declaration, from the real app's view", { skip, timeout: 300_000 }, () => {
  let sb: Awaited<ReturnType<typeof startQuietSandbox>>;
  let dir: string;
  let view: StatusView;
  let server: PageServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    sb = await startQuietSandbox('healthy', { declaration: TEAM });
    // The team's declaration with two entries the app must leave out (and say so).
    const d = JSON.parse(readFileSync(TEAM, 'utf8')) as {
      resources: Record<string, unknown>;
      probes: Array<Record<string, unknown>>;
    };
    d.resources['orders-table'] = { kind: 'table-entity', table: 'orders' };
    d.probes.push({ identity: 'nobody', resource: 'orders-rg' });
    // Key Vault, Blob and ARM: the kinds every version probes (the queue is a kind of its own, tested with it).
    delete d.resources['orders-queue'];
    d.probes = d.probes.filter((p) => p.resource !== 'orders-queue');
    dir = mkdtempSync(join(tmpdir(), 'page-declared-'));
    const file = join(dir, 'team.json');
    writeFileSync(file, JSON.stringify(d));
    const decl = sb.connection.declaration!;
    const grant = await admin<{ id: string }>(sb.connection, 'POST', '/_sandbox/role-assignments', {
      principalId: decl.identities.app.principalId,
      roleName: 'Key Vault Secrets User',
      scope: decl.resources['orders-secret'].scope,
    });
    try {
      const run = await runChild(
        sb.connection.appSettings,
        [
          { op: 'warmup' },
          // Timer runs record what they find, as in production, so the status has results to show.
          ...['app', 'api', 'batch'].map((path) => ({ op: 'timer' as const, path: path as PathId })),
          { op: 'writes-idle', timeoutMs: 20_000 },
          { op: 'http', fn: 'status' },
        ],
        { PROBES_DECLARATION: file },
      );
      view = run.steps.at(-1)!.value.body as StatusView;
    } finally {
      await admin(sb.connection, 'DELETE', `/_sandbox/role-assignments/${grant.id}`).catch(() => {});
    }
    server = await servePage(view);
    browser = await launch(new URL(server.url).origin);
    page = await browser.context.newPage();
    await page.goto(server.url);
    await page.locator('#matrix').waitFor();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await sb?.close();
  });

  it('groups the declared identities in order, a column per declared resource', async () => {
    assert.equal(view.cells.length, 9, JSON.stringify(view.declaration?.problems));
    // The forbidden grant fails its cell; the refused cell is ok; the others are whatever the world gives them.
    assert.equal(view.paths.app.targets['orders-secret'].outcome, 'unexpectedly-allowed');
    assert.equal(view.paths.batch.targets['orders-rg'].outcome, 'ok');
    assert.equal(await page.getAttribute('#matrix', 'data-layout'), 'table');
    assert.deepEqual(
      await page.$$eval('tbody.group', (els) => els.map((e) => e.getAttribute('data-identity'))),
      ['app', 'api', 'batch'],
    );
    assert.deepEqual(await page.$$eval('#matrix thead th', (ths) => ths.map((t) => t.textContent)), [
      'Identity',
      'orders-secret',
      'orders-blobs',
      'orders-rg',
    ]);
    assert.equal((await cellsOf(page)).length, 9);
    // Each group's counts are its cells', as the server counts them.
    for (const identity of ['app', 'api', 'batch']) {
      const mine = Object.values(view.paths[identity].targets).filter((c) => !c.stale);
      const failing = mine.filter((c) => c.outcome !== 'ok').length;
      const ok = mine.length - failing;
      const want = [failing ? `${failing} failing` : '', ok ? `${ok} ok` : ''].filter(Boolean).join(' · ');
      assert.equal(await page.textContent(`tbody.group[data-identity="${identity}"] .group-counts`), want);
    }
    // The app identity answered as declared: named by its declared name beside its oid.
    assert.equal(await page.textContent('[data-key="app/orders-blobs"] .who-name'), 'app');
  });

  it('a refused cell reads "refused, as declared"; the forbidden grant "unexpectedly allowed" with its fix', async () => {
    const refused = page.locator('[data-key="batch/orders-rg"]');
    assert.equal(await refused.getAttribute('data-outcome'), 'ok');
    assert.equal(await refused.getAttribute('data-expect'), 'denied');
    assert.match((await refused.textContent()) ?? '', /refused, as declared.*must be refused/);
    const got = page.locator('[data-key="app/orders-secret"]');
    assert.equal(await got.getAttribute('data-outcome'), 'unexpectedly-allowed');
    assert.match((await got.textContent()) ?? '', /unexpectedly allowed.*must be refused/);
    await got.click();
    const detail = page.locator('[data-detail="app/orders-secret"]');
    await detail.waitFor();
    const remediation = view.paths.app.targets['orders-secret'].remediation!;
    assert.equal(await detail.locator('.remedy').textContent(), remediation.summary);
    if (remediation.command)
      assert.equal(await detail.locator('code.cmd').textContent(), remediation.command);
    else assert.equal(await detail.locator('code.cmd').count(), 0);
    assert.match((await detail.textContent()) ?? '', /Expectedmust be refused/);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'status-declared.png'), fullPage: true });
  });

  it('names the declaration and lists what was left out', async () => {
    assert.match(
      (await page.textContent('#declaration')) ?? '',
      /team-orders, version 2026-12-05 · not fully loaded \(2 problems\)/,
    );
    const rows = await page
      .locator('#declaration-problems tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.equal(rows.length, 2);
    assert.ok(
      rows.some((r) => r[0] === 'resources.orders-table' && r[2] === 'kind'),
      JSON.stringify(rows),
    );
    assert.ok(
      rows.some((r) => r[1] === 'nobody/orders-rg' && r[2] === 'identity'),
      JSON.stringify(rows),
    );
    // What the page shows came through the app's sanitizer: no secret value of the vault in it.
    assert.doesNotMatch(await rendered(page), /db-password-value/);
  });
});
