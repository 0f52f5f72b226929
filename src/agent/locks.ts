// One operation at a time per domain: a FIFO queue per key (the domain's
// uuid and its name: a domain can be addressed by either). Different domains
// run concurrently. A waiter gives up when its signal
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

  /**
   * Runs fn once every operation queued before it on any of `keys` is done.
   * An operation takes its place on all its keys at once (synchronously, in
   * arrival order), so waits always point at earlier arrivals: no deadlock.
   * The first key is the one counted by queued()/depths().
   */
  async run<T>(keys: string | readonly string[], fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const list = typeof keys === 'string' ? [keys] : [...new Set(keys)];
    const primary = list[0]!;
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const slots = list.map((key) => {
      const prev = this.tails.get(key) ?? Promise.resolve();
      const tail = prev.then(() => mine);
      this.tails.set(key, tail);
      return { key, prev, tail };
    });
    this.depth.set(primary, this.queued(primary) + 1);
    const done = () => {
      release();
      const n = this.queued(primary) - 1;
      if (n <= 0) this.depth.delete(primary);
      else this.depth.set(primary, n);
      for (const s of slots) if (this.tails.get(s.key) === s.tail) this.tails.delete(s.key);
    };
    const prev = slots.length === 1 ? slots[0]!.prev : Promise.all(slots.map((s) => s.prev)).then(() => undefined);
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
