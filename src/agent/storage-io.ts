// Every file-system call on instance or volume storage (disk files, NFS
// mounts, local volumes, sysfs attributes of SCSI devices) goes through here.
//
// Why: such a call can block in the kernel for ever (a dead NFS server, a FUSE
// daemon that never answers, a hung SCSI device). On libuv's pool (Node's fs)
// four such calls would hold all four threads and stop every later fs call of
// the process, the journal's writes included; a JS-side timeout does not give
// a blocked thread back. So:
//   - the calls run on the binding's storage pool (src/native/storage.cc):
//     threads of its own, started on demand up to `maxThreads`;
//   - each call has a deadline: at the deadline the caller gets Unavailable
//     (StorageStalled) and the thread is counted as lost until the call
//     returns (it may never);
//   - at most `perMount` calls per mount point are in flight (lost ones
//     included), so a dead mount holds at most that many threads and calls to
//     healthy storage still find one; further calls to the dead mount wait
//     for a slot until their own deadline, without a thread.
// libvirt calls run on yet another pool (see src/native/pool.h), so nothing
// here can delay them.
import path from 'node:path';
import { getSystemErrorName } from 'node:util';

import { AppError, Unavailable, type ErrorKind } from '../errors';
import { native, type NativeStat } from '../libvirt/native';
import { abortReason } from './clock';
import { mountOf } from './storage-mounts';

export { forgetMountTable, mountOf, mountPoints } from './storage-mounts';

export interface StorageIoLimits {
  /** Deadline of a metadata call (stat, realpath, readdir, read). */
  timeoutMs: number;
  /** Deadline of a removal or a write (unlink of a large file can take a while). */
  removeTimeoutMs: number;
  /** Storage threads in total, lost ones included; beyond that calls wait for a slot. */
  maxThreads: number;
  /** Calls in flight per mount point (lost ones included). */
  perMount: number;
}

export const DEFAULT_STORAGE_IO: StorageIoLimits = { timeoutMs: 10_000, removeTimeoutMs: 60_000, maxThreads: 32, perMount: 4 };

export interface StorageCallOptions {
  /** Overrides the default deadline. */
  timeoutMs?: number;
  /** The caller's cancellation (gRPC deadline): stop waiting when it aborts. */
  signal?: AbortSignal;
  /** Admission key instead of the path's mount point (e.g. one per sysfs device). */
  key?: string;
}

/** A storage call that did not answer in time, or could not get a slot in time. Kind Unavailable (retryable). */
export class StorageStalled extends Unavailable {
  constructor(message: string, readonly mount: string) {
    super(message);
  }
}

export function isStorageStall(err: unknown): err is StorageStalled {
  return err instanceof StorageStalled;
}

/** errno codes that mean the storage itself is broken or unreachable (retry later). */
const UNAVAILABLE_CODES = new Set(['EIO', 'ENOTCONN', 'ESTALE', 'ETIMEDOUT', 'EHOSTDOWN', 'EHOSTUNREACH', 'ENOLINK', 'ECONNABORTED', 'ECONNRESET', 'ENODEV', 'ENXIO']);

/**
 * A file-system call that failed, in the taxonomy: a missing path NotFound,
 * broken or unreachable storage Unavailable, anything else (EACCES, EISDIR,
 * ENOTEMPTY, ...) FailedPrecondition. Carries Node's code/errno/syscall/path.
 */
export class StorageError extends AppError {
  constructor(message: string, readonly code: string, readonly errno: number, readonly syscall: string, readonly path: string) {
    const kind: ErrorKind = code === 'ENOENT' || code === 'ENOTDIR' ? 'NotFound' : UNAVAILABLE_CODES.has(code) ? 'Unavailable' : 'FailedPrecondition';
    super(kind, message);
  }
}

/** Missing path: ENOENT, or a path component that is not a directory. */
export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

let limits: StorageIoLimits = { ...DEFAULT_STORAGE_IO };

/** Sets the limits (process-wide, like the pool itself). */
export function configureStorageIo(l: Partial<StorageIoLimits>): void {
  limits = { ...limits, ...l };
  native().storage.setMaxThreads(limits.maxThreads);
}

export function storageIoLimits(): StorageIoLimits {
  return { ...limits };
}

// ---------------------------------------------------------------------------
// Admission: slots per mount point and in total.

interface Waiter {
  key: string;
  go: () => void;
}

const inFlightByKey = new Map<string, number>();
/** Of those, per key, the calls given up on (still in the kernel). */
const stalledByKey = new Map<string, number>();
let inFlight = 0;
/** Calls whose caller gave up (deadline) while the thread is still in the call. */
let stalled = 0;
let stalledTotal = 0;
let callsTotal = 0;
const waiters: Waiter[] = [];

function admissible(key: string): boolean {
  return inFlight < limits.maxThreads && (inFlightByKey.get(key) ?? 0) < limits.perMount;
}

function take(key: string): void {
  inFlight++;
  inFlightByKey.set(key, (inFlightByKey.get(key) ?? 0) + 1);
}

function give(key: string): void {
  inFlight--;
  const n = (inFlightByKey.get(key) ?? 1) - 1;
  if (n <= 0) inFlightByKey.delete(key);
  else inFlightByKey.set(key, n);
  // First come, first served among those that can go now.
  for (let i = 0; i < waiters.length;) {
    const w = waiters[i]!;
    if (admissible(w.key)) {
      waiters.splice(i, 1);
      take(w.key);
      w.go();
    } else i++;
  }
}

function stallError(what: string, key: string, ms: number, why: string): StorageStalled {
  return new StorageStalled(`${what}: the storage at ${key} did not answer within ${ms} ms (${why}); not waiting any longer`, key);
}

function countStall(key: string, delta: number): void {
  const n = (stalledByKey.get(key) ?? 0) + delta;
  if (n <= 0) stalledByKey.delete(key);
  else stalledByKey.set(key, n);
}

/**
 * Waits for a slot; rejects at the deadline or when the signal aborts. When
 * every slot of the mount is held by a call already given up on, the mount is
 * known not to answer: fail at once instead of waiting out another deadline.
 */
function admit(key: string, what: string, ms: number, deadlineAt: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (admissible(key)) {
    take(key);
    return Promise.resolve();
  }
  const dead = stalledByKey.get(key) ?? 0;
  if (dead >= limits.perMount) {
    return Promise.reject(new StorageStalled(
      `${what}: the storage at ${key} is not answering (${dead} earlier calls to it are still pending past their deadline); not trying`, key));
  }
  return new Promise<void>((resolve, reject) => {
    const w: Waiter = {
      key,
      go: () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
    };
    const leave = (err: unknown) => {
      const i = waiters.indexOf(w);
      if (i >= 0) waiters.splice(i, 1);
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    };
    const onAbort = () => leave(abortReason(signal!));
    const busy = inFlightByKey.get(key) ?? 0;
    const timer = setTimeout(() => leave(stallError(what, key, ms,
      busy >= limits.perMount ? `${busy} earlier calls to it are still pending` : `all ${limits.maxThreads} storage threads are busy`)),
    Math.max(0, deadlineAt - Date.now()));
    signal?.addEventListener('abort', onAbort, { once: true });
    waiters.push(w);
  });
}

/** Runs one native call under admission and a deadline. */
async function bounded<T>(op: string, p: string, start: () => Promise<T>, opts: StorageCallOptions, defaultMs: number): Promise<T> {
  const ms = opts.timeoutMs ?? defaultMs;
  const deadlineAt = Date.now() + ms;
  const what = `${op} ${p}`;
  const key = opts.key ?? (await mountOf(p));
  await admit(key, what, ms, deadlineAt, opts.signal);
  let settled = false;
  let gaveUp = false;
  let work: Promise<T>;
  try {
    callsTotal++;
    work = start();
  } catch (err) {
    give(key);
    throw err;
  }
  void work.then(() => undefined, () => undefined).finally(() => {
    settled = true;
    if (gaveUp) {
      stalled--;
      countStall(key, -1);
    }
    give(key);
  });
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cutoff = new Promise<never>((_, reject) => {
    const giveUp = (err: unknown) => {
      if (settled) return;
      gaveUp = true;
      stalled++;
      stalledTotal++;
      countStall(key, 1);
      reject(err);
    };
    timer = setTimeout(() => giveUp(stallError(what, key, ms, 'the call is still pending')), Math.max(0, deadlineAt - Date.now()));
    if (opts.signal) {
      onAbort = () => giveUp(abortReason(opts.signal!));
      opts.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([work.catch((err: unknown) => { throw storageError(what, err); }), cutoff]);
  } finally {
    clearTimeout(timer);
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** Node's name of a (negative) errno: ENOENT, EIO, ... */
function errnoCode(errno: number): string {
  try {
    return getSystemErrorName(errno);
  } catch {
    return `E${-errno}`;
  }
}

/** The binding's rejection (errno, syscall, path) as a StorageError. */
function storageError(what: string, err: unknown): unknown {
  const e = err as { errno?: unknown; syscall?: string; path?: string; message?: string } | null | undefined;
  if (typeof e?.errno !== 'number') return err;
  const code = errnoCode(e.errno);
  return new StorageError(`${what}: ${code} (${e.message ?? ''})`, code, e.errno, e.syscall ?? '', e.path ?? '');
}

// ---------------------------------------------------------------------------
// The calls

export type StorageStat = NativeStat;

export function stat(p: string, opts: StorageCallOptions = {}): Promise<StorageStat> {
  return bounded('stat', p, () => native().storage.stat(p), opts, limits.timeoutMs);
}

/** True when the path exists, false when it (or a parent) does not; other failures and stalls throw. */
export async function exists(p: string, opts: StorageCallOptions = {}): Promise<boolean> {
  try {
    await stat(p, opts);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

export function realpath(p: string, opts: StorageCallOptions = {}): Promise<string> {
  return bounded('realpath', p, () => native().storage.realpath(p), opts, limits.timeoutMs);
}

/**
 * realpath of each path in one native job, admitted and bounded as one call
 * under `opts.key` (the caller groups the paths by mount point): the resolved
 * path, or that path's failure as a StorageError. A stall fails the whole batch.
 */
export async function realpathMany(paths: string[], opts: StorageCallOptions & { key: string }): Promise<Array<string | StorageError>> {
  const results = await bounded('realpath', `${paths.length} path(s) below ${opts.key}`, () => native().storage.realpathMany(paths), opts, limits.timeoutMs);
  return results.map((r, i) => {
    if (typeof r === 'string') return r;
    const code = errnoCode(r);
    return new StorageError(`realpath ${paths[i]!}: ${code}`, code, r, 'realpath', paths[i]!);
  });
}

/** Removes a file (or symlink). `force`: a missing path is fine. */
export async function rm(p: string, opts: StorageCallOptions & { force?: boolean } = {}): Promise<void> {
  try {
    await bounded('unlink', p, () => native().storage.unlink(p), opts, limits.removeTimeoutMs);
  } catch (err) {
    if (!(opts.force && isMissing(err))) throw err;
  }
}

/** Removes an empty directory. */
export function rmdir(p: string, opts: StorageCallOptions = {}): Promise<void> {
  return bounded('rmdir', p, () => native().storage.rmdir(p), opts, limits.removeTimeoutMs);
}

/**
 * rm -r: the tree below p and p itself, never following symlinks nor
 * entering another mount; a missing path removes nothing. Resolves to the
 * number of entries removed.
 */
export async function rmTree(p: string, opts: StorageCallOptions = {}): Promise<number> {
  try {
    return await bounded('rm -r', p, () => native().storage.rmTree(p), opts, limits.removeTimeoutMs);
  } catch (err) {
    if (isMissing(err)) return 0;
    throw err;
  }
}

/** Entry names, sorted. */
export async function readdir(p: string, opts: StorageCallOptions = {}): Promise<string[]> {
  return (await bounded('readdir', p, () => native().storage.readdir(p), opts, limits.timeoutMs)).sort();
}

/** Where a symlink points (as stored); undefined when there is no such path. */
export async function readlink(p: string, opts: StorageCallOptions = {}): Promise<string | undefined> {
  try {
    return await bounded('readlink', p, () => native().storage.readlink(p), opts, limits.timeoutMs);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** mkdir -p: missing components created with `mode`; an existing directory is fine. */
export function mkdir(p: string, opts: StorageCallOptions & { mode?: number } = {}): Promise<void> {
  return bounded('mkdir', p, () => native().storage.mkdir(path.resolve(p), opts.mode ?? 0o755), opts, limits.timeoutMs);
}

/** A small file's content (utf8), at most maxBytes (default 1 MiB; more is EFBIG). */
export function readFile(p: string, opts: StorageCallOptions & { maxBytes?: number } = {}): Promise<string> {
  return bounded('read', p, () => native().storage.readFile(p, opts.maxBytes ?? 1 << 20), opts, limits.timeoutMs);
}

/** Writes to an existing file (a sysfs attribute); never creates one. */
export function writeFile(p: string, data: string, opts: StorageCallOptions = {}): Promise<void> {
  return bounded('write', p, () => native().storage.writeFile(p, data), opts, limits.removeTimeoutMs);
}

export interface StorageIoStats {
  /** Calls holding a slot (running, or given up on but still in the kernel). */
  inFlight: number;
  /** Of those, the ones the caller gave up on: lost threads until they return. */
  stalled: number;
  /** Calls given up on since start. */
  stalledTotal: number;
  /** Native calls started since start (a batch counts once). */
  calls: number;
  /** Calls waiting for a slot. */
  waiting: number;
  /** In-flight calls by mount point. */
  byMount: Record<string, number>;
  /** The native pool. */
  threads: number;
}

export function storageIoStats(): StorageIoStats {
  return {
    inFlight, stalled, stalledTotal, calls: callsTotal, waiting: waiters.length,
    byMount: Object.fromEntries(inFlightByKey), threads: native().storage.stats().threads,
  };
}
