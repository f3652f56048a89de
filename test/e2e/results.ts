// Reading probe results out of app responses without depending on their envelope: a result is any object with a
// `path`, a `target` and an `outcome` (src/probes/types.ts ProbeResult).
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

/** The world identity each path must come back as (docs/design.md "Identity paths"; infra/identity-wiring.json). */
export const IDENTITY_KEY: Record<PathId, string> = {
  'system-assigned': 'system',
  'uami-client-id': 'app',
  'uami-object-id': 'app',
  'uami-resource-id': 'app',
  'default-chain': 'app',
  federated: 'federated',
};
