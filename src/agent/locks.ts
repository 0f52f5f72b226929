// One operation at a time per domain: a FIFO queue per key (the domain UUID).
// Different domains run concurrently. A waiter gives up when its signal
// aborts (the gRPC deadline or cancellation), without disturbing the queue.
import { abortReason } from './clock';

export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly depth = new Map<string, number>();

  /** Operations queued or running for key (for metrics and tests). */
  queued(key: string): number {
    return this.depth.get(key) ?? 0;
  }

  /** Queued-or-running counts of every key that has any. */
  depths(): Map<string, number> {
    return new Map(this.depth);
  }

  async run<T>(key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    this.depth.set(key, this.queued(key) + 1);
    const done = () => {
      release();
      const n = this.queued(key) - 1;
      if (n <= 0) this.depth.delete(key);
      else this.depth.set(key, n);
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    try {
      await waitTurn(prev, signal);
    } catch (err) {
      // Our slot still passes the turn on once the ones before us finish.
      void prev.then(done);
      throw err;
    }
    try {
      return await fn();
    } finally {
      done();
    }
  }
}

function waitTurn(prev: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return prev;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    void prev.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
