// Clocks the tests drive: FakeClock for the agent's flows (monotonic time and
// sleeps that resolve only when time is advanced past them), ManualClock for
// the controller's records (wall-clock epoch ms set by hand).
import { abortReason, type Clock } from '../../src/agent/clock';
import type { Clock as WallClock } from '../../src/controller/types';

/**
 * A clock that only moves when told to: sleeps resolve when advance() passes
 * their wake-up time. Used by tests to count retries without waiting.
 */
export class FakeClock implements Clock {
  private t = 0;
  private sleepers: Array<{ at: number; resolve: () => void }> = [];
  private waiters: Array<() => void> = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) { reject(abortReason(signal)); return; }
      const entry = { at: this.t + Math.max(0, ms), resolve };
      this.sleepers.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== entry);
          reject(abortReason(signal));
        },
        { once: true },
      );
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Number of pending sleeps. */
  get pending(): number {
    return this.sleepers.length;
  }

  /** Resolves once at least n sleeps are pending (the code under test is waiting). */
  async whenSleeping(n = 1): Promise<void> {
    while (this.sleepers.length < n) await new Promise<void>((r) => this.waiters.push(r));
  }

  /** Moves time forward, waking sleepers in order and letting each react. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (!next || next.at > target) break;
      this.sleepers.shift();
      this.t = next.at;
      next.resolve();
      // Let the woken code run up to its next await.
      await new Promise<void>((r) => setImmediate(r));
    }
    this.t = target;
  }
}

/** Wall-clock time that moves only when told to (epoch ms; starts on 2030-01-01). */
export class ManualClock implements WallClock {
  constructor(private t = Date.UTC(2030, 0, 1)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}
