// Status writes inside one process: coalesced per cell, and accounted for. While one write of a cell is under way,
// every result for that cell that arrives joins the next write, so however many probes and timers run at once, an
// instance has at most one writer per cell in flight (the store's ETag retries then only meet other instances).
// Each result's write resolves when a write that contained it lands, or rejects with that write's error.
import type { IdentityName, ResourceName } from '../ids.ts';
import type { ProbeResult } from '../core/results.ts';
import type { CellDocument } from './cells.ts';
import type { WriteState } from './model.ts';

/** Writes one cell's batch of results; resolves with the cell's document as stored. */
export type CellWrite = (
  path: IdentityName,
  target: ResourceName,
  results: ProbeResult[],
) => Promise<CellDocument>;

interface Waiting {
  result: ProbeResult;
  resolve: (doc: CellDocument) => void;
  reject: (err: unknown) => void;
}

export class CoalescingWriter {
  readonly #write: CellWrite;
  readonly #describe: (err: unknown) => string;
  readonly #queues = new Map<string, Waiting[]>();
  readonly #running = new Set<string>();
  readonly state: WriteState = { pending: 0, recorded: 0, failed: 0 };

  constructor(write: CellWrite, describe: (err: unknown) => string) {
    this.#write = write;
    this.#describe = describe;
  }

  /**
   * Queues each result for its cell's next write; resolves with the cells' documents as stored (one per result)
   * when all are stored, rejects with the first error.
   */
  record(results: ProbeResult[]): Promise<CellDocument[]> {
    return Promise.all(results.map((r) => this.#enqueue(r)));
  }

  #enqueue(result: ProbeResult): Promise<CellDocument> {
    const key = `${result.path}/${result.target}`;
    this.state.pending++;
    const done = new Promise<CellDocument>((resolve, reject) => {
      const queue = this.#queues.get(key) ?? [];
      queue.push({ result, resolve, reject });
      this.#queues.set(key, queue);
    });
    if (!this.#running.has(key)) void this.#drain(key, result.path, result.target);
    return done;
  }

  async #drain(key: string, path: IdentityName, target: ResourceName): Promise<void> {
    this.#running.add(key);
    try {
      for (let batch = this.#take(key); batch.length; batch = this.#take(key)) {
        try {
          const doc = await this.#write(
            path,
            target,
            batch.map((w) => w.result),
          );
          this.#settled(batch.length);
          this.state.lastRecordedAt = new Date().toISOString();
          for (const w of batch) w.resolve(doc);
        } catch (err) {
          const error = this.#describe(err);
          this.#settled(0, batch.length);
          this.state.lastFailure = { at: new Date().toISOString(), path, target, error };
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.#running.delete(key);
    }
  }

  #take(key: string): Waiting[] {
    const batch = this.#queues.get(key) ?? [];
    this.#queues.delete(key);
    return batch;
  }

  #settled(recorded: number, failed = 0): void {
    this.state.pending -= recorded + failed;
    this.state.recorded += recorded;
    this.state.failed += failed;
  }
}
