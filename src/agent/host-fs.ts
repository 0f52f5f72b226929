// The agent's file-system calls on instance and volume storage, in one place
// and each with a deadline: a hung NFS server or a dying disk can block such
// a call for good, and a request must not wait for it (the libuv thread is
// lost, the request is not). Flows and storage code call these named helpers
// instead of node:fs, so how they are executed can change here alone.
import { promises as fsp } from 'node:fs';

import { DEFAULT_IO_TIMEOUT_MS, withTimeout } from './volume/host-io';

export { canonicalPath } from './volume/host-io';

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** True when the path exists (a dangling symlink does not). */
export async function pathExists(p: string, timeoutMs = DEFAULT_IO_TIMEOUT_MS): Promise<boolean> {
  try {
    await withTimeout(fsp.stat(p), timeoutMs, `stat ${p}`);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

/** Removes one file (or symlink); a missing one is fine. Never recursive. */
export async function removeFile(p: string, timeoutMs = DEFAULT_IO_TIMEOUT_MS): Promise<void> {
  await withTimeout(fsp.rm(p, { force: true }), timeoutMs, `rm ${p}`);
}

/** Removes a directory and everything below it; a missing one is fine. */
export async function removeTree(p: string, timeoutMs = DEFAULT_IO_TIMEOUT_MS): Promise<void> {
  await withTimeout(fsp.rm(p, { recursive: true, force: true }), timeoutMs, `rm -r ${p}`);
}

/** Creates a directory (and its parents); an existing one is fine. */
export async function makeDir(p: string, mode = 0o755, timeoutMs = DEFAULT_IO_TIMEOUT_MS): Promise<void> {
  await withTimeout(fsp.mkdir(p, { recursive: true, mode }), timeoutMs, `mkdir ${p}`);
}

/** Removes an empty directory; 'missing' when it was not there. */
export async function removeEmptyDir(p: string, timeoutMs = DEFAULT_IO_TIMEOUT_MS): Promise<'removed' | 'missing'> {
  try {
    await withTimeout(fsp.rmdir(p), timeoutMs, `rmdir ${p}`);
    return 'removed';
  } catch (err) {
    if (isMissing(err)) return 'missing';
    throw err;
  }
}

/** Where a symlink points (resolved against its directory by the caller); undefined when it does not exist. */
export async function readLink(p: string, timeoutMs = DEFAULT_IO_TIMEOUT_MS): Promise<string | undefined> {
  try {
    return await withTimeout(fsp.readlink(p), timeoutMs, `readlink ${p}`);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}
