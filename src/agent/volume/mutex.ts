// Small FIFO async mutexes. Host storage state (iSCSI sessions, NFS mounts)
// is shared by all volumes, so reading it and acting on it must not interleave
// with another disconnect (os-brick uses a host-wide lock for the same reason).
import { Timeout } from '../../errors';

export const DEFAULT_LOCK_TIMEOUT_MS = 300_000;

export class AsyncMutex {
  private locked = false;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly name = 'mutex') {}

  get isLocked(): boolean {
    return this.locked;
  }

  /** Runs fn alone. Waiting longer than timeoutMs for the lock throws Timeout. */
  async runExclusive<T>(fn: () => Promise<T>, timeoutMs = DEFAULT_LOCK_TIMEOUT_MS): Promise<T> {
    await this.acquire(timeoutMs);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(timeoutMs: number): Promise<void> {
    if (!this.locked) {
      this.locked = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Timeout(`waited more than ${timeoutMs} ms for the ${this.name} lock`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private release(): void {
    const next = this.waiters.shift();
    // Hand the lock straight to the next waiter: it stays locked in between.
    if (next) next();
    else this.locked = false;
  }
}

/** One AsyncMutex per key (e.g. per NFS mountpoint); idle keys are dropped. */
export class KeyedMutex {
  private readonly locks = new Map<string, { mutex: AsyncMutex; users: number }>();

  constructor(private readonly name = 'keyed') {}

  async runExclusive<T>(key: string, fn: () => Promise<T>, timeoutMs = DEFAULT_LOCK_TIMEOUT_MS): Promise<T> {
    let entry = this.locks.get(key);
    if (!entry) {
      entry = { mutex: new AsyncMutex(`${this.name} ${key}`), users: 0 };
      this.locks.set(key, entry);
    }
    entry.users++;
    try {
      return await entry.mutex.runExclusive(fn, timeoutMs);
    } finally {
      entry.users--;
      if (entry.users === 0) this.locks.delete(key);
    }
  }
}
