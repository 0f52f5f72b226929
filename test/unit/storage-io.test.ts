// storage-io: file-system calls on storage run on the binding's storage pool
// with a deadline and per-mount slots. On a real temp dir: the semantics
// (missing paths, rm -r without following symlinks, canonical paths). On a
// FUSE mount that never answers (test/helpers/fuse.ts; skipped without
// /dev/fuse and root): a stuck call gives up at its deadline, holds at most
// its mount's slots, and neither other storage nor Node's own fs (libuv's
// pool: the journal's writes) waits for it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import * as storage from '../../src/agent/storage-io';
import { canonicalPath, canonicalPaths } from '../../src/agent/storage-paths';
import { fuseUnavailable, mountHungFuse, type HungMount } from '../helpers/fuse';
import { withDeadline } from '../helpers/libvirt';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'storage-io-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  storage.configureStorageIo(storage.DEFAULT_STORAGE_IO);
});

const at = (...p: string[]) => path.join(dir, ...p);

describe('storage-io on healthy storage', () => {
  it('stat / exists / readdir / readFile / writeFile', async () => {
    fs.mkdirSync(at('d'));
    fs.writeFileSync(at('d', 'b'), 'hello');
    fs.writeFileSync(at('d', 'a'), '');
    expect(await storage.stat(at('d', 'b'))).toMatchObject({ size: 5, isFile: true, isDirectory: false });
    expect(await storage.exists(at('d'))).toBe(true);
    expect(await storage.exists(at('nope'))).toBe(false);
    expect(await storage.exists(at('d', 'b', 'below-a-file'))).toBe(false); // ENOTDIR counts as missing
    expect(await storage.readdir(at('d'))).toEqual(['a', 'b']);
    expect(await storage.readFile(at('d', 'b'))).toBe('hello');
    await storage.writeFile(at('d', 'b'), 'HE');
    expect(fs.readFileSync(at('d', 'b'), 'utf8')).toBe('HEllo'); // no truncation: a sysfs-style write
    // never creates a file
    const err = await storage.writeFile(at('d', 'new'), 'x').catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'NotFound', code: 'ENOENT', syscall: 'open', path: at('d', 'new') });
    expect(fs.existsSync(at('d', 'new'))).toBe(false);
    // too big for readFile
    fs.writeFileSync(at('big'), Buffer.alloc(2048));
    expect(await storage.readFile(at('big'), { maxBytes: 1024 }).catch((e: unknown) => e)).toMatchObject({ code: 'EFBIG' });
  });

  it('rm: a missing path with force is fine, without it NotFound; a directory is FailedPrecondition', async () => {
    fs.writeFileSync(at('f'), 'x');
    await storage.rm(at('f'));
    expect(fs.existsSync(at('f'))).toBe(false);
    await storage.rm(at('f'), { force: true });
    expect(await storage.rm(at('f')).catch((e: unknown) => e)).toMatchObject({ kind: 'NotFound', code: 'ENOENT' });
    fs.mkdirSync(at('dir-not-file'));
    expect(await storage.rm(at('dir-not-file')).catch((e: unknown) => e)).toMatchObject({ kind: 'FailedPrecondition', code: 'EISDIR' });
  });

  it('rmTree removes a tree without following symlinks out of it; a missing path removes nothing', async () => {
    fs.mkdirSync(at('outside'));
    fs.writeFileSync(at('outside', 'keep'), 'tenant data');
    fs.mkdirSync(at('tree', 'sub'), { recursive: true });
    fs.writeFileSync(at('tree', 'sub', 'x'), '');
    fs.writeFileSync(at('tree', 'console.log'), '');
    fs.symlinkSync(at('outside'), at('tree', 'link-to-outside'));
    expect(await storage.rmTree(at('tree'))).toBe(5);
    expect(fs.existsSync(at('tree'))).toBe(false);
    expect(fs.readFileSync(at('outside', 'keep'), 'utf8')).toBe('tenant data');
    expect(await storage.rmTree(at('tree'))).toBe(0);
  });

  it('canonicalPath resolves symlinks, also for a missing file below a symlinked directory', async () => {
    fs.mkdirSync(at('real'));
    fs.symlinkSync(at('real'), at('alias'));
    fs.writeFileSync(at('real', 'disk'), '');
    const real = fs.realpathSync(at('real'));
    expect(await canonicalPath(at('alias', 'disk'))).toBe(path.join(real, 'disk'));
    expect(await canonicalPath(at('alias', 'missing'))).toBe(path.join(real, 'missing'));
    expect(await canonicalPath(at('no-dir', 'missing'))).toBe(at('no-dir', 'missing'));
  });

  it('canonicalPaths answers as canonicalPath does for each path, in order, in a few native jobs; a path it cannot resolve throws', async () => {
    fs.mkdirSync(at('many', 'real'), { recursive: true });
    fs.symlinkSync(at('many', 'real'), at('many', 'alias'));
    fs.writeFileSync(at('many', 'real', 'disk'), '');
    fs.writeFileSync(at('many', 'file'), '');
    fs.symlinkSync(at('many', 'loop'), at('many', 'loop'));
    const paths = [
      at('many', 'alias', 'disk'), at('many', 'alias', 'missing'), at('no-dir', 'missing'), at('many', 'real', 'disk'),
      at('many', 'real', '..', 'alias', 'disk'), '/proc/self/status', at('many', 'file', 'below-a-file'),
      ...Array.from({ length: 300 }, (_, i) => at('many', 'alias', `d${i}`)),
    ];
    const one = await Promise.all(paths.map((p) => canonicalPath(p)));
    const before = storage.storageIoStats().calls;
    expect(await canonicalPaths(paths)).toEqual(one);
    // 307 paths on two mount points, 256 per job, the missing ones' parents once more: 5 jobs, not 307-614.
    expect(storage.storageIoStats().calls - before).toBeLessThanOrEqual(6);
    expect(await canonicalPaths([])).toEqual([]);
    // A path that is neither resolvable nor missing (a symlink loop: ELOOP) is never assumed to be where it looks.
    const loop = await canonicalPaths([at('many', 'file'), at('many', 'loop')]).catch((e: unknown) => e);
    expect(loop).toBeInstanceOf(storage.StorageError);
    expect(loop).toMatchObject({ code: 'ELOOP', path: at('many', 'loop') });
    expect(await canonicalPath(at('many', 'loop')).catch((e: unknown) => e)).toMatchObject({ code: 'ELOOP' });
  });

  it('mountOf finds the longest mount point', async () => {
    expect(await storage.mountOf('/proc/self/status')).toBe('/proc');
    expect(storage.mountPoints('1 0 0:1 / / rw - ext4 /dev/vda rw\n2 1 0:2 / /a\\040b rw - nfs h:/x rw\n')).toEqual(['/a b', '/']);
  });
});

const noFuse = fuseUnavailable();

describe.skipIf(noFuse !== undefined)(`storage-io on storage that never answers${noFuse ? ` (skipped: ${noFuse})` : ''}`, () => {
  let hung: HungMount;
  beforeEach(() => {
    hung = mountHungFuse();
    storage.forgetMountTable();
  });
  afterEach(async () => {
    // Every stuck call is given back before the next test (abort makes them fail).
    hung.unmount();
    await withDeadline((async () => { while (storage.storageIoStats().inFlight > 0) await new Promise((r) => setTimeout(r, 20)); })(), 10_000, 'stuck calls returning');
  });

  it('a stuck call gives up at its deadline (Unavailable, naming the mount); the thread counts as lost until the call returns', async () => {
    storage.configureStorageIo({ timeoutMs: 300, perMount: 4, maxThreads: 32 });
    const t0 = Date.now();
    const err = await storage.stat(path.join(hung.dir, 'disk.img')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(storage.StorageStalled);
    expect(err).toMatchObject({ kind: 'Unavailable', mount: hung.dir });
    expect((err as Error).message).toMatch(/did not answer within 300 ms/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(storage.storageIoStats()).toMatchObject({ inFlight: 1, stalled: 1 });
    // realpath-based checks never fall back to "it is where it looks"
    expect(await canonicalPath(path.join(hung.dir, 'x')).catch((e: unknown) => e)).toBeInstanceOf(storage.StorageStalled);
    // ... nor does the many-paths form: healthy paths along do not make the stuck mount's answer.
    expect(await canonicalPaths([at('many', 'file'), path.join(hung.dir, 'y')]).catch((e: unknown) => e)).toBeInstanceOf(storage.StorageStalled);
    hung.abort();
    await withDeadline((async () => { while (storage.storageIoStats().inFlight > 0) await new Promise((r) => setTimeout(r, 20)); })(), 10_000, 'the stuck calls to return after abort');
    expect(storage.storageIoStats().stalled).toBe(0);
    // Aborted storage fails, fast, as Unavailable (ENOTCONN).
    expect(await storage.stat(path.join(hung.dir, 'disk.img')).catch((e: unknown) => e)).toMatchObject({ kind: 'Unavailable', code: 'ENOTCONN' });
  });

  it('once every slot of a mount is held by a call given up on, further calls to it fail at once', async () => {
    storage.configureStorageIo({ timeoutMs: 200, perMount: 2, maxThreads: 32 });
    const first = await Promise.all([0, 1].map((i) => storage.stat(path.join(hung.dir, `f${i}`)).catch((e: unknown) => e)));
    expect(first.every((e) => e instanceof storage.StorageStalled)).toBe(true);
    const t0 = performance.now();
    const err = await storage.exists(path.join(hung.dir, 'next')).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(150); // not another 200 ms deadline
    expect(err).toBeInstanceOf(storage.StorageStalled);
    expect((err as Error).message).toMatch(/is not answering \(2 earlier calls to it are still pending past their deadline\); not trying$/);
    // Other storage is not affected.
    fs.writeFileSync(at('ok2'), '');
    expect(await storage.exists(at('ok2'))).toBe(true);
    // Once the mount answers (here: fails), its slots come back and calls go through again.
    hung.abort();
    await withDeadline((async () => { while (storage.storageIoStats().inFlight > 0) await new Promise((r) => setTimeout(r, 20)); })(), 10_000, 'slots back');
    expect(await storage.stat(path.join(hung.dir, 'again')).catch((e: unknown) => e)).toMatchObject({ code: 'ENOTCONN' });
  });

  it('a dead mount holds at most its slots: healthy storage and Node\'s own fs (libuv) keep answering', async () => {
    storage.configureStorageIo({ timeoutMs: 5000, perMount: 2, maxThreads: 32 });
    const stuck = Array.from({ length: 8 }, (_, i) => storage.stat(path.join(hung.dir, `d${i}`)).catch((e: unknown) => e));
    await new Promise((r) => setTimeout(r, 100));
    const st = storage.storageIoStats();
    expect(st.byMount[hung.dir]).toBe(2);
    expect(st.waiting).toBe(6);
    // Other storage: answers at once.
    fs.writeFileSync(at('ok'), '');
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) expect(await storage.exists(at('ok'))).toBe(true);
    // libuv's pool (4 threads): far more parallel fs calls than that, all answer.
    await Promise.all(Array.from({ length: 32 }, () => fs.promises.stat(at('ok'))));
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(4000); // anything but waiting for the 5 s deadline
    // A caller that gives up (its gRPC deadline) stops waiting for a slot.
    const ac = new AbortController();
    const waiting = storage.stat(path.join(hung.dir, 'late'), { signal: ac.signal }).catch((e: unknown) => e);
    ac.abort(new Error('client went away'));
    expect(await waiting).toMatchObject({ message: 'client went away' });
    hung.abort();
    const results = await Promise.all(stuck);
    // The two in the kernel failed with ENOTCONN once aborted; the queued ones ran then and failed the same way.
    expect(results.every((e) => (e as { kind?: string }).kind === 'Unavailable')).toBe(true);
  });
});
