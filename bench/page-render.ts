// The status page's render cost by declaration size (figures, not pass/fail): status views of 18, 100 and 500 cells
// (6 x 3 with the default declaration's names, 10 x 10, 25 x 20), each built by the status model from documents
// (scripts/lib/syntheticStatus.ts: mergeResults, buildStatusView; about 3 % failing, one `denied` probe that got in,
// 20 results per cell), served by the real page code on loopback and loaded --page-loads times (default 5) in
// Debian's Chromium. Printed side by side per size: the HTML and JSON sizes, the time from navigation start to the
// first render of the matrix (the page's `matrix-rendered` mark: HTML, script, JSON parse and render), that
// render's own duration, how many cells it drew (healthy groups start collapsed above 36 cells), and one render
// with every group expanded (after "Expand all").
// `node bench/page-render.ts` (after `npm run build`), `npm run bench -- page`, or part (h) of `npm run bench`.
import { parseArgs } from 'node:util';
import { browserSkipReason, launch } from '../scripts/lib/browser.ts';
import { declaredCells, servePage, syntheticView } from '../scripts/lib/syntheticStatus.ts';

const SIZES: Array<[number, number]> = [
  [6, 3],
  [10, 10],
  [25, 20],
];

interface Load {
  firstMs: number;
  renderMs: number;
  drawn: number;
  expandedMs: number;
  expandedDrawn: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchPageRender(loads: number): Promise<void> {
  console.log(
    `(h) status page render in Chromium by declaration size (median of ${loads} loads; view built by the status model)`,
  );
  const skip = browserSkipReason();
  if (skip) return console.log(`    skipped: ${skip}\n`);
  const rows: string[][] = [
    [
      'cells',
      'ids x res',
      'HTML (gzip)',
      'JSON (gzip)',
      'first render',
      'render()',
      'cells drawn',
      'all expanded render()',
    ],
  ];
  const servers = [];
  try {
    for (const [identities, resources] of SIZES) {
      const cells = declaredCells(identities, resources);
      const firstDenied = cells.findIndex((c) => c.expect === 'denied');
      const view = syntheticView(cells, { unexpectedlyAllowed: firstDenied });
      const server = await servePage(view);
      servers.push(server);
      const browser = await launch(new URL(server.url).origin);
      const runs: Load[] = [];
      try {
        for (let i = 0; i < loads; i++) {
          const page = await browser.context.newPage();
          await page.goto(server.url);
          await page.locator('#matrix').waitFor();
          const first = {
            ...(await page.evaluate(() => ({
              firstMs: performance.getEntriesByName('matrix-rendered')[0]?.startTime ?? NaN,
              renderMs: performance.getEntriesByName('render')[0]?.duration ?? NaN,
            }))),
            drawn: await page.locator('button.cell').count(),
          };
          await page.click('#expand-all');
          await page.locator('tbody.group[data-open="false"]').first().waitFor({ state: 'detached' });
          const expanded = {
            expandedMs: await page.evaluate(() => performance.getEntriesByName('render')[0]?.duration ?? NaN),
            expandedDrawn: await page.locator('button.cell').count(),
          };
          runs.push({ ...first, ...expanded });
          await page.close();
        }
      } finally {
        await browser.close();
      }
      const { html, json, htmlGzip, jsonGzip } = server.sizes();
      const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      const m = (k: keyof Load) => median(runs.map((r) => r[k]));
      rows.push([
        String(cells.length),
        `${identities} x ${resources}`,
        `${kib(html)} (${kib(htmlGzip)})`,
        `${kib(json)} (${kib(jsonGzip)})`,
        `${m('firstMs').toFixed(0)} ms`,
        `${m('renderMs').toFixed(1)} ms`,
        String(m('drawn')),
        `${m('expandedMs').toFixed(1)} ms (${m('expandedDrawn')})`,
      ]);
    }
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(`    ${r.map((v, c) => v.padStart(widths[c])).join('  ')}`);
  console.log(
    '    first render: navigation start -> matrix in the DOM; render(): building and inserting the page (header, ' +
      'toolbar, matrix); HTML embeds the view, JSON is one poll\n',
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { 'page-loads': { type: 'string', default: '5' } } });
  await benchPageRender(Number(values['page-loads']));
}
