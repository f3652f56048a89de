// Status writes inside one process: coalesced per identity, and accounted for. While one write of an identity's
// document is under way, every result for any of its cells that arrives joins the next write, and the results
// recorded together (a timer run's cells) go in one write; so however many probes and timers run at once, an
// instance has at most one writer per identity in flight (the store's ETag retries then only meet other instances).
// Each result's write resolves when a write that contained it lands, or rejects with that write's error.
import type { ProbeResult } from '../core/results.ts';
import type { IdentityName } from '../ids.ts';
import type { IdentityDocument } from './document.ts';
import type { WriteState } from './model.ts';

/** Writes one identity's batch of results (any of its cells); resolves with its document as stored. */
export type IdentityWrite = (path: IdentityName, results: ProbeResult[]) => Promise<IdentityDocument>;

interface Waiting {
  result: ProbeResult;
  resolve: (doc: IdentityDocument) => void;
  reject: (err: unknown) => void;
}

export class CoalescingWriter {
  readonly #write: IdentityWrite;
  readonly #describe: (err: unknown) => string;
  readonly #queues = new Map<string, Waiting[]>();
  readonly #running = new Set<string>();
  readonly state: WriteState = { pending: 0, recorded: 0, failed: 0 };

  constructor(write: IdentityWrite, describe: (err: unknown) => string) {
    this.#write = write;
    this.#describe = describe;
  }

  /**
   * Queues each result for its identity's next write (all of them before any write starts, so results given
   * together share one); resolves with the documents as stored (one per result) when all are stored, rejects with
   * the first error.
   */
  record(results: ProbeResult[]): Promise<IdentityDocument[]> {
    const done = Promise.all(results.map((r) => this.#enqueue(r)));
    for (const path of new Set(results.map((r) => r.path)))
      if (!this.#running.has(path)) void this.#drain(path);
    return done;
  }

  #enqueue(result: ProbeResult): Promise<IdentityDocument> {
    this.state.pending++;
    return new Promise<IdentityDocument>((resolve, reject) => {
      const queue = this.#queues.get(result.path) ?? [];
      queue.push({ result, resolve, reject });
      this.#queues.set(result.path, queue);
    });
  }

  async #drain(path: string): Promise<void> {
    this.#running.add(path);
    try {
      for (let batch = this.#take(path); batch.length; batch = this.#take(path)) {
        try {
          const doc = await this.#write(
            path,
            batch.map((w) => w.result),
          );
          this.#settled(batch.length);
          this.state.lastRecordedAt = new Date().toISOString();
          for (const w of batch) w.resolve(doc);
        } catch (err) {
          const error = this.#describe(err);
          this.#settled(0, batch.length);
          // One of the batch's cells names the failure (the write was the identity's, all its cells at once).
          const { target } = batch[0].result;
          this.state.lastFailure = {
            at: new Date().toISOString(),
            path: batch[0].result.path,
            target,
            error,
          };
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.#running.delete(path);
    }
  }

  #take(path: string): Waiting[] {
    const batch = this.#queues.get(path) ?? [];
    this.#queues.delete(path);
    return batch;
  }

  #settled(recorded: number, failed = 0): void {
    this.state.pending -= recorded + failed;
    this.state.recorded += recorded;
    this.state.failed += failed;
  }
}
