// One agent per state directory. Two agents on one journal would each rewrite
// it and append to a file the other has replaced: operations get lost. The
// first thing an agent does, before reading or writing anything there, is take
// the exclusive lock on <state-dir>/lock (file-lock.ts).
import fs from 'node:fs';
import path from 'node:path';

import { lockExclusive, type FileLock } from '../file-lock';

export type StateLock = FileLock;

export function lockStateDir(stateDir: string): StateLock {
  // The directory itself: created if missing (0700), never changed otherwise.
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, 'lock');
  return lockExclusive(file, `state directory ${stateDir} is in use by another virt-agent`,
    'refusing to start a second agent on it (one agent per --state-dir)');
}
