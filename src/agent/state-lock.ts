// One agent per state directory. Two agents on one journal would each rewrite
// it and append to a file the other has replaced: operations get lost. The
// first thing an agent does, before reading or writing anything there, is take
// an exclusive flock(2) on <state-dir>/lock (through the binding: Node has no
// flock), held by an open descriptor for as long as the agent runs; the kernel
// releases it when the process ends, however it ends, so it never goes stale.
import fs from 'node:fs';
import path from 'node:path';

import { FailedPrecondition } from '../errors';
import { native } from '../libvirt/native';

export interface StateLock {
  readonly file: string;
  release(): void;
}

export function lockStateDir(stateDir: string): StateLock {
  // The directory itself: created if missing (0700), never changed otherwise.
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, 'lock');
  let fd: number;
  try {
    fd = native().lockFile(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { holder?: string; errno?: number };
    if (e.holder !== undefined) {
      const pid = e.holder.trim();
      throw new FailedPrecondition(`state directory ${stateDir} is in use by another virt-agent${pid ? ` (pid ${pid})` : ''}; `
        + 'refusing to start a second agent on it (one agent per --state-dir)');
    }
    throw new Error(`cannot lock the state directory: ${e.message}`, { cause: err });
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
