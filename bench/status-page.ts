// Storage reads made by open status pages (figures, not pass/fail): the real stack (sandbox + dev host, timers
// off), status pages open in Debian's Chromium for --page-seconds (default 60), once with one page and once with
// five, counting the requests the sandbox's Blob gateway answered and dividing by what one status read costs.
// Target: at most one status read per status cache period (STATUS_CACHE_MS, 5 s by default), however many pages.
// `node bench/status-page.ts` (after `npm run build`), or as part (e) of `npm run bench`.
import { parseArgs } from 'node:util';
import { functionKey, startStack } from '../scripts/lib/appStack.ts';
import { browserSkipReason, launch } from '../scripts/lib/browser.ts';
import { blobRequests, blobRequestsPerStatusRead, probeAll, TIMERS_OFF } from '../scripts/lib/statusPage.ts';

const CACHE_MS = 5_000;

export async function benchStatusPage(seconds: number): Promise<void> {
  console.log(
    `(e) storage reads of open status pages over ${seconds} s (status cache period ${CACHE_MS / 1000} s)`,
  );
  const skip = browserSkipReason();
  if (skip) return console.log(`    skipped: ${skip}\n`);
  const stack = await startStack({ scenario: 'healthy', enableAuth: true, env: TIMERS_OFF });
  const browser = await launch(new URL(stack.api).origin);
  try {
    const keys = functionKey(stack.appDir);
    await probeAll(stack, keys.host);
    const perRead = await blobRequestsPerStatusRead(stack, keys.fn('status'), CACHE_MS);
    console.log(`    one status read = ${perRead} Blob requests`);
    for (const pages of [1, 5]) {
      const open = await Promise.all(Array.from({ length: pages }, () => browser.context.newPage()));
      const polls = { 200: 0, 304: 0, other: 0 };
      for (const p of open)
        p.on('response', (r) => {
          if (!r.url().includes('format=json')) return;
          const s = r.status();
          if (s === 200 || s === 304) polls[s]++;
          else polls.other++;
        });
      await blobRequests(stack, true);
      const started = Date.now();
      const url = `${stack.api}/status?code=${encodeURIComponent(keys.fn('status'))}`;
      await Promise.all(open.map((p) => p.goto(url)));
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const blob = await blobRequests(stack);
      const windowMs = Date.now() - started;
      await Promise.all(open.map((p) => p.close()));
      const reads = blob / perRead;
      // Reads may come at the start of the window and then once per period: at most floor(window / period) + 1.
      const bound = Math.floor(windowMs / CACHE_MS) + 1;
      console.log(
        `    ${pages} page(s): ${polls[200] + polls[304] + polls.other} polls (${polls[304]} x 304, ${polls[200]} x 200, ` +
          `${polls.other} other) + ${pages} page load(s); ${blob} Blob requests = ${reads.toFixed(1)} status reads ` +
          `in ${(windowMs / 1000).toFixed(1)} s (one per ${(windowMs / Math.max(reads, 1) / 1000).toFixed(1)} s; ` +
          `bound: ${bound}, one per period)`,
      );
      await new Promise((r) => setTimeout(r, CACHE_MS + 200));
    }
    console.log('');
  } finally {
    await browser.close();
    await stack.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { 'page-seconds': { type: 'string', default: '60' } } });
  await benchStatusPage(Number(values['page-seconds']));
}
