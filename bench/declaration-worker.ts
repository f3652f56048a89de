// The app side of the declaration scale bench (bench/declaration.ts), in a child process whose environment is the
// app's settings for one sandbox world (managed identity source, token caches and NODE_EXTRA_CA_CERTS are per
// process). Uses the built app (dist/, `prebench` builds it) through its function handlers: every identity's timer
// handler at once, as the host fires the timers on one schedule; the status HTTP function; and the status page it
// serves, opened in Chromium. Counts what the sandbox saw through its admin API. Prints one JSON line.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as Functions from '@azure/functions';
import type { HttpResponseInit, Timer } from '@azure/functions';
import type * as ProbesFunctions from '../src/functions/probes.ts';
import type * as StatusFunctions from '../src/functions/status.ts';
import type * as AppModule from '../src/orchestration/app.ts';
import type * as Browser from '../scripts/lib/browser.ts';
import { MARKER, type Counted, type WorkerInput, type WorkerOutput } from './declaration-protocol.ts';

const input = JSON.parse(process.argv[2]) as WorkerInput;
const dist = (p: string) => new URL(`../dist/src/${p}`, import.meta.url).href;
const { HttpRequest, InvocationContext } = (await import('@azure/functions')).default as typeof Functions;
const { timerHandler } = (await import(dist('functions/probes.js'))) as typeof ProbesFunctions;
const { statusHandler, statusAssetHandler } = (await import(
  dist('functions/status.js')
)) as typeof StatusFunctions;
const { currentApp } = (await import(dist('orchestration/app.js'))) as typeof AppModule;

// The declaration the settings name (PROBES_DECLARATION), compiled as the app does: one timer per declared identity.
const plan = await currentApp().plan();
const identities = [...plan.identities.keys()];
// What one timer run must ask tokens for, once each: every declared identity with the audience of each of its
// resources (the target module's own audience, as the SDK requests it).
const pairs = new Set(
  plan.probes.map((p) => {
    const r = plan.resources.get(p.resource)!;
    return `${p.identity} ${r.target.audience(r.config)}`;
  }),
).size;

async function counters(reset = false): Promise<Counted> {
  const res = await fetch(`${input.adminUrl}/_sandbox/counters${reset ? '/reset' : ''}`, {
    method: reset ? 'POST' : 'GET',
  });
  const c = (await res.json()) as {
    tokenRequests: { total: number; byIdentityAudience: Record<string, number> };
    requestsByEndpoint: Record<string, number>;
    tlsHandshakes: Record<string, number>;
  };
  return {
    tokens: c.tokenRequests.total,
    pairs: Object.keys(c.tokenRequests.byIdentityAudience).length,
    blob: c.requestsByEndpoint.blob ?? 0,
    tls: Object.values(c.tlsHandshakes).reduce((a, b) => a + b, 0),
  };
}

const quiet = () => new InvocationContext({ functionName: 'bench', logHandler: () => {} });
const timer: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: false },
  scheduleStatus: { last: '', next: '', lastUpdated: '' },
};

/** A handler's answer as bytes or text, as the host would send it. */
function bodyOf(r: HttpResponseInit): string | Buffer {
  if (r.jsonBody !== undefined) return JSON.stringify(r.jsonBody);
  if (r.body === undefined || r.body === null) return '';
  if (typeof r.body === 'string') return r.body;
  if (r.body instanceof Uint8Array) return Buffer.from(r.body);
  throw new Error(`a body the bench does not send: ${Object.prototype.toString.call(r.body)}`);
}

/** The results the status store holds after a run, by outcome (what the timer handlers recorded). */
interface Cell {
  outcome: string;
  target: string;
  remediation?: { summary?: string };
}

async function statusView(): Promise<{ cells: Cell[]; body: string }> {
  const res = (await statusHandler(
    new HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/status?format=json' }),
    quiet(),
  )) as HttpResponseInit;
  const body = String(bodyOf(res));
  const view = JSON.parse(body) as {
    paths?: Record<string, { targets: Record<string, Cell> }>;
  };
  const cells = Object.values(view.paths ?? {}).flatMap((p) => Object.values(p.targets));
  return { cells, body };
}

/** Every identity's timer at once; the wall time until the last one ends. */
async function timerRun() {
  await counters(true);
  const started = performance.now();
  await Promise.all(identities.map((name) => timerHandler(name)(timer, quiet())));
  const ms = performance.now() - started;
  const counted = await counters();
  const { cells } = await statusView();
  // By resource kind and outcome, with the first remediation of each: what a cell not ok needs.
  const outcomes: Record<string, number> = {};
  const why: Record<string, string> = {};
  for (const c of cells) {
    const key = `${plan.resources.get(c.target)?.kind ?? c.target} ${c.outcome}`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    if (c.outcome !== 'ok') why[key] ??= c.remediation?.summary ?? '';
  }
  return { ms, counted, notOk: cells.filter((c) => c.outcome !== 'ok').length, outcomes, why };
}

const cold = await timerRun();
const warm = [];
for (let i = 0; i < input.runs; i++) warm.push(await timerRun());

// Status reads: STATUS_CACHE_MS=0 in this process, so every read goes to the store.
const status = [];
for (let i = 0; i < input.reads; i++) {
  await counters(true);
  const started = performance.now();
  const { body, cells } = await statusView();
  const ms = performance.now() - started;
  status.push({ ms, bytes: Buffer.byteLength(body), blob: (await counters()).blob, cells: cells.length });
}

/** The status function and its assets over loopback HTTP, as the host routes them. */
async function serve(): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const asset = /^\/api\/status\/assets\/([^/]+)$/.exec(url.pathname);
    const request = new HttpRequest({
      method: req.method ?? 'GET',
      url: url.href,
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
      ),
      ...(asset ? { params: { name: asset[1] } } : {}),
    });
    const handler = asset ? statusAssetHandler : url.pathname === '/api/status' ? statusHandler : undefined;
    if (!handler) {
      res.writeHead(404).end();
      return;
    }
    void Promise.resolve(handler(request, quiet())).then(
      (r) => {
        const init = r as HttpResponseInit;
        res.writeHead(init.status ?? 200, init.headers as Record<string, string>).end(bodyOf(init));
      },
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

// In the page, before its own script: the time (ms from navigation start) of the first frame after that script has
// put the matrix into <main>: the matrix built, laid out and about to be painted. (Text: this file is typed for Node.)
const MATRIX_TIMER = `
  const seen = new MutationObserver(() => {
    if ((document.querySelector('main')?.childElementCount ?? 0) === 0) return;
    seen.disconnect();
    requestAnimationFrame(() => setTimeout(() => (window.matrixAt = performance.now()), 0));
  });
  seen.observe(document, { subtree: true, childList: true });
`;

const server = await serve();
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const htmlRes = await fetch(`${base}/api/status?format=html`);
const html = { bytes: (await htmlRes.arrayBuffer()).byteLength };

let page: WorkerOutput['page'];
const { browserSkipReason, launch } = (await import('../scripts/lib/browser.ts')) as typeof Browser;
const skip = input.page ? browserSkipReason() : 'not asked for';
if (skip) page = { skipped: skip };
else {
  const browser = await launch(base);
  try {
    const toMatrixMs: number[] = [];
    const loadMs: number[] = [];
    const markMs: number[] = [];
    let cells = 0;
    // The first load warms Chromium's own caches (a fresh profile, a new renderer): measured loads come after it.
    for (let i = 0; i <= input.reads; i++) {
      const p = await browser.context.newPage();
      await p.addInitScript({ content: MATRIX_TIMER });
      await p.goto(`${base}/api/status?format=html`, { waitUntil: 'load' });
      const at = await p.waitForFunction('window.matrixAt', undefined, { timeout: 60_000 });
      const load = (await p.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")) as number;
      cells = (await p.evaluate("document.querySelectorAll('[data-key]').length")) as number;
      // The page's own mark of its first matrix render, where the page sets one.
      const mark = (await p.evaluate(
        "performance.getEntriesByName('matrix-rendered')[0]?.startTime ?? null",
      )) as number | null;
      if (i > 0) {
        toMatrixMs.push(Number(await at.jsonValue()));
        loadMs.push(load);
        if (mark !== null) markMs.push(mark);
      }
      await p.close();
    }
    page = { toMatrixMs, loadMs, markMs, cells };
  } finally {
    await browser.close();
  }
}
server.close();

const out: WorkerOutput = {
  identities: identities.length,
  probes: plan.probes.length,
  pairs,
  problems: plan.declaration.problems.map(
    (p) => `${p.probe ?? p.entry}${p.field ? ` ${p.field}` : ''}: ${p.message}`,
  ),
  probeTimeoutMs: currentApp().config.probeTimeoutMs,
  cold,
  warm,
  status,
  html,
  page,
};
process.stdout.write(`\n${MARKER}${JSON.stringify(out)}\n`);
process.exit(0);
