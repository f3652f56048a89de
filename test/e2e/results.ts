// Reading probe results out of app responses without depending on their envelope: a result is any object with a
// `path`, a `target` and an `outcome` (src/probes/types.ts ProbeResult).
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

export const PATHS = [
  'system-assigned',
  'uami-client-id',
  'uami-object-id',
  'uami-resource-id',
  'default-chain',
  'federated',
] as const;
export const TARGETS = ['keyvault', 'blob', 'arm'] as const;

/** The world identity each path must come back as (ARCHITECTURE.md "Identity paths"; infra/identity-wiring.json). */
export const IDENTITY_KEY: Record<(typeof PATHS)[number], string> = {
  'system-assigned': 'system',
  'uami-client-id': 'app',
  'uami-object-id': 'app',
  'uami-resource-id': 'app',
  'default-chain': 'app',
  federated: 'federated',
};
