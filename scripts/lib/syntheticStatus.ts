// Status views of any size for the status page's many-cell tests and render benchmark: documents built by folding
// synthetic probe results with the status model itself (mergeResults, buildStatusView), and a loopback HTTP server
// that answers them with the real page code (statusPage, pageAsset), the same answers the status function gives.
// No Azure, no dev host: what is measured and tested is the page, from the view the model builds.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { DeclarationInfo } from '../../src/core/plan.ts';
import { loadConfig } from '../../src/config.ts';
import type { OutcomeKind } from '../../src/ids.ts';
import { etagMatches, statusEtag } from '../../src/status/etag.ts';
import {
  buildStatusView,
  CANARY_LAYOUT,
  mergeResults,
  type DeclaredCell,
  type PathDocument,
  type RecordedResult,
  type StatusView,
} from '../../src/status/model.ts';
import { pageAsset, statusPage } from '../../src/status/page/index.ts';
import { HISTORY_LIMIT } from '../../src/status/streak.ts';

const KINDS = ['kv', 'blob', 'arm', 'queue'];
const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The declared cells of a declaration with `identities` x `resources` probes (18: the default declaration's
 * names). Every seventh cell must be refused.
 */
export function declaredCells(identities: number, resources: number): DeclaredCell[] {
  if (identities * resources === 18 && resources === 3) return CANARY_LAYOUT.cells;
  const out: DeclaredCell[] = [];
  for (let i = 1; i <= identities; i++)
    for (let r = 1; r <= resources; r++) {
      const identity = `workload-${pad(i)}`;
      const resource = `${KINDS[(r - 1) % KINDS.length]}-${pad(r)}`;
      const n = out.length;
      out.push({
        identity,
        resource,
        probe: `${identity}/${resource}`,
        expect: n % 7 === 6 ? 'denied' : 'allowed',
      });
    }
  return out;
}

export interface SyntheticOptions {
  /** Cells whose latest result fails, by index in declaration order (default: every 37th, from the 5th). */
  failing?: (index: number) => boolean;
  /** The cell (index) whose `denied` probe got in: `unexpectedly-allowed`, with its grant and removal command. */
  unexpectedlyAllowed?: number;
  /** Cells that have no result yet. */
  missing?: (index: number) => boolean;
  declaration?: DeclarationInfo;
  /** Results per cell (default: the model's history limit). */
  history?: number;
  now?: number;
}

const uuid = (n: number) => `${(0x10000000 + n).toString(16)}-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** A status view of these cells, from documents the model folded the way the status store does. */
export function syntheticView(cells: DeclaredCell[], opts: SyntheticOptions = {}): StatusView {
  const now = opts.now ?? Date.now();
  const runs = opts.history ?? HISTORY_LIMIT;
  const failing = opts.failing ?? ((i: number) => i % 37 === 4);
  const byIdentity = new Map<string, RecordedResult[]>();
  const oids = new Map<string, string>();
  cells.forEach((c, index) => {
    if (opts.missing?.(index)) return;
    const oid = oids.get(c.identity) ?? uuid(oids.size + 1);
    oids.set(c.identity, oid);
    const list = byIdentity.get(c.identity) ?? [];
    byIdentity.set(c.identity, list);
    for (let run = 0; run < runs; run++) {
      const last = run === runs - 1;
      const at = new Date(now - (runs - run) * 60_000).toISOString();
      let outcome: OutcomeKind = 'ok';
      if (last && index === opts.unexpectedlyAllowed) outcome = 'unexpectedly-allowed';
      // A probe that must be refused is ok when refused: only an allowed one is failed here.
      else if (last && failing(index) && c.expect === 'allowed') outcome = 'forbidden';
      // As full as a real timer run's result: the record id, the attestation's claims, the fresh acquisition.
      const result: RecordedResult = {
        path: c.identity,
        target: c.resource,
        outcome,
        at,
        recordId: `Qx7bN2pLr0sA-${(index * runs + run).toString(36)}`,
        // As the runner marks a probe that must be refused.
        ...(c.expect === 'denied' ? { probe: c.probe, expect: 'denied' as const } : {}),
        timings: { tokenMs: 12, callMs: 40 + (index % 50), totalMs: 52 + (index % 50) },
        identity: {
          oid,
          appid: uuid(1000 + oids.size),
          tid: uuid(0),
          aud: 'https://vault.azure.net',
          issuedAt: at,
          expiresOn: new Date(Date.parse(at) + 86_400_000).toISOString(),
          tokenFrom: 'credential',
          expected: { oid },
          matches: true,
          mismatches: [],
        },
        acquisition: {
          mode: 'fresh',
          acquiredAt: at,
          expiresOn: new Date(Date.parse(at) + 86_400_000).toISOString(),
        },
      };
      if (outcome === 'forbidden') {
        result.detail = {
          phase: 'call',
          statusCode: 403,
          code: 'Forbidden',
          message: `${c.identity} may not read ${c.resource}`,
        };
        result.remediation = {
          summary: `Grant ${c.identity} its declared role on ${c.resource}.`,
          command: `az role assignment create --assignee-object-id ${oid} --role Reader --scope /subscriptions/${uuid(0)}/resourceGroups/rg/${c.resource}`,
        };
      }
      if (outcome === 'unexpectedly-allowed')
        result.remediation = {
          summary: `${c.identity} got into ${c.resource}, which it must not: the Reader grant on the resource group lets it in.`,
          command: `az role assignment delete --ids /subscriptions/${uuid(0)}/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/${uuid(index)}`,
        };
      list.push(result);
    }
  });
  const docs: Record<string, PathDocument> = {};
  for (const [identity, results] of byIdentity)
    docs[identity] = mergeResults(undefined, identity, results, new Date(now));
  return buildStatusView(docs, { reachable: true, lastSeenAgeMs: 0 }, now, 10 * 60_000, {
    cells,
    ...(opts.declaration ? { declaration: opts.declaration } : {}),
  });
}

export interface PageServer {
  /** The page's address: `http://127.0.0.1:PORT/api/status`. */
  url: string;
  /** Replaces the view the server answers (the page picks it up on its next poll). */
  setView(view: StatusView): void;
  /** The HTML and JSON sizes of the current view's answers, in bytes, and gzipped. */
  sizes(): { html: number; json: number; htmlGzip: number; jsonGzip: number };
  close(): Promise<void>;
}

/** Serves one view as GET /api/status (page or ?format=json, with ETag and 304) and its assets, on loopback. */
export async function servePage(initial: StatusView): Promise<PageServer> {
  let view = initial;
  const config = loadConfig({});
  const assetBase = '/api/status/assets';
  const page = () => statusPage(view, statusEtag(view), config, assetBase);
  const send = (res: ServerResponse, status: number, headers: object, body?: string | Buffer) => {
    res.writeHead(status, headers as Record<string, string>);
    res.end(body);
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/api/status') {
      if (url.searchParams.get('format') === 'json') {
        const etag = statusEtag(view);
        const headers = { etag, 'cache-control': 'no-cache', 'content-type': 'application/json' };
        if (etagMatches(req.headers['if-none-match'] ?? null, etag)) return send(res, 304, headers);
        return send(res, 200, headers, JSON.stringify(view));
      }
      const p = page();
      return send(res, p.status ?? 200, p.headers ?? {}, p.body as string);
    }
    if (url.pathname.startsWith(`${assetBase}/`)) {
      const a = pageAsset(url.pathname.slice(assetBase.length + 1), req.headers['if-none-match'] ?? null);
      if (a) return send(res, a.status ?? 200, a.headers ?? {}, a.body as Buffer | undefined);
    }
    send(res, 404, { 'content-type': 'application/json' }, JSON.stringify({ error: 'not-found' }));
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/status`,
    setView(v) {
      view = v;
    },
    sizes: () => {
      const html = page().body as string;
      const json = JSON.stringify(view);
      return {
        html: Buffer.byteLength(html),
        json: Buffer.byteLength(json),
        htmlGzip: gzipSync(html).length,
        jsonGzip: gzipSync(json).length,
      };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
