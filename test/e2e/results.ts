// Reading probe results out of app responses without depending on their envelope: a result is any object with a
// `path`, a `target` and an `outcome` (src/core/results.ts ProbeResult).
import { identityOfPath } from '../../common/catalog.ts';
import { PATH_IDS, TARGET_IDS } from '../../src/ids.ts';
import type { PathId } from '../../src/ids.ts';

export interface ResultLike {
  path: string;
  target: string;
  outcome: string;
  at?: string;
  timings?: { totalMs?: number };
  identity?: { oid?: string; matches?: boolean; xmsMirid?: string };
  detail?: Record<string, unknown>;
  remediation?: { summary?: string; command?: string };
}

export function findResults(doc: unknown): ResultLike[] {
  const out: ResultLike[] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown) => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    const o = v as Record<string, unknown>;
    if (typeof o.path === 'string' && typeof o.target === 'string' && typeof o.outcome === 'string') {
      out.push(o as unknown as ResultLike);
      return;
    }
    for (const child of Array.isArray(v) ? v : Object.values(o)) walk(child);
  };
  walk(doc);
  return out;
}

/** Every identity path and target (the app's src/ids.ts). */
export const PATHS = PATH_IDS;
export const TARGETS = TARGET_IDS;

/** The world identity each path must come back as (the catalog's identities, common/catalog.ts). */
export const IDENTITY_KEY = Object.fromEntries(PATH_IDS.map((p) => [p, identityOfPath(p)])) as Record<
  PathId,
  string
>;
