// An exclusive flock(2) on a lock file, held by an open descriptor for as long
// as the process runs (through the binding: Node has no flock). The kernel
// releases it when the process ends, however it ends, so it never goes stale.
// Used where two daemons on the same files would each assume they are alone:
// one agent per state directory (its journal), one controller per SQLite
// database (its restart recovery takes every row in a task).
import { FailedPrecondition } from './errors';
import { native } from './libvirt/native';

export interface FileLock {
  readonly file: string;
  release(): void;
}

/**
 * Takes the lock on `file` (created 0600 if missing) or fails at once:
 * FailedPrecondition `${inUse} (pid N); ${refusal}` when another process holds it.
 */
export function lockExclusive(file: string, inUse: string, refusal: string): FileLock {
  let fd: number;
  try {
    fd = native().lockFile(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { holder?: string };
    if (e.holder !== undefined) {
      const pid = e.holder.trim();
      throw new FailedPrecondition(`${inUse}${pid ? ` (pid ${pid})` : ''}; ${refusal}`);
    }
    throw new Error(`cannot lock ${file}: ${e.message}`, { cause: err });
  }
  let held = true;
  return {
    file,
    release() {
      if (!held) return;
      held = false;
      native().unlockFile(fd);
    },
  };
}
