// The agent's file-system calls on instance and volume storage, in one place
// and each with a deadline: a hung NFS server or a dying disk can block such
// a call for good, and a request must not wait for it. Flows and storage code
// call these named helpers instead of node:fs. They run on the binding's
// storage threads through storage-io.ts (deadline, per-mount slots), never on
// libuv's pool, so a stuck call holds neither libvirt calls nor the journal.
// `timeoutMs` overrides storage-io's default deadline.
import * as storage from './storage-io';

export { canonicalPath, canonicalPaths } from './storage-paths';

const opts = (timeoutMs?: number) => (timeoutMs === undefined ? {} : { timeoutMs });

/** True when the path exists (a dangling symlink does not). */
export function pathExists(p: string, timeoutMs?: number): Promise<boolean> {
  return storage.exists(p, opts(timeoutMs));
}

/** Removes one file (or symlink); a missing one is fine. Never recursive. */
export function removeFile(p: string, timeoutMs?: number): Promise<void> {
  return storage.rm(p, { ...opts(timeoutMs), force: true });
}

/** Removes a directory and everything below it (not following symlinks, not crossing mounts); a missing one is fine. */
export async function removeTree(p: string, timeoutMs?: number): Promise<void> {
  await storage.rmTree(p, opts(timeoutMs));
}

/** Creates a directory (and its parents); an existing one is fine. */
export function makeDir(p: string, mode = 0o755, timeoutMs?: number): Promise<void> {
  return storage.mkdir(p, { ...opts(timeoutMs), mode });
}

/** Removes an empty directory; 'missing' when it was not there. */
export async function removeEmptyDir(p: string, timeoutMs?: number): Promise<'removed' | 'missing'> {
  try {
    await storage.rmdir(p, opts(timeoutMs));
    return 'removed';
  } catch (err) {
    if (storage.isMissing(err)) return 'missing';
    throw err;
  }
}

/** Where a symlink points (resolved against its directory by the caller); undefined when it does not exist. */
export function readLink(p: string, timeoutMs?: number): Promise<string | undefined> {
  return storage.readlink(p, opts(timeoutMs));
}
