// The binding's own threads (src/native/pool.h): libvirt calls run on a pool
// of their own, sized by setMaxThreads, so calls blocked elsewhere (storage
// threads stuck in the kernel, libuv's pool full) never hold them up; the
// state-directory lock (flock) is exclusive per open, also within a process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { native } from '../../src/libvirt/native';
import { fuseUnavailable, mountHungFuse, type HungMount } from '../helpers/fuse';
import { Connections, DEFAULT_URI, withDeadline } from '../helpers/libvirt';

const conns = new Connections();
afterEach(() => conns.closeAll());
afterAll(() => native().libvirtPool.setMaxThreads(8));

describe('libvirt pool', () => {
  it('starts threads on demand up to the limit and queues the rest', async () => {
    const pool = native().libvirtPool;
    pool.setMaxThreads(3);
    const c = await conns.connect(DEFAULT_URI);
    await Promise.all(Array.from({ length: 200 }, () => c.lookupByName('test')));
    const st = pool.stats();
    expect(st.max).toBe(3);
    expect(st.threads).toBeLessThanOrEqual(3);
    expect(st.busy).toBe(0);
    expect(st.queued).toBe(0);
    expect(() => pool.setMaxThreads(0)).toThrow('threads must be 1-1024');
  });

  it.skipIf(fuseUnavailable() !== undefined)('libvirt calls answer while storage threads and libuv\'s pool are blocked', async () => {
    let hung: HungMount | undefined;
    try {
      hung = mountHungFuse();
      // 6 storage threads stuck in the kernel, and libuv's 4 threads too (Node's own fs on the dead mount).
      const storageStuck = Array.from({ length: 6 }, (_, i) => native().storage.stat(path.join(hung!.dir, `s${i}`)).catch(() => 'failed'));
      const libuvStuck = Array.from({ length: 4 }, (_, i) => fs.promises.stat(path.join(hung!.dir, `u${i}`)).catch(() => 'failed'));
      await new Promise((r) => setTimeout(r, 100));
      const c = await withDeadline(conns.connect(DEFAULT_URI), 5000, 'connect with storage and libuv blocked');
      const states = await withDeadline(Promise.all(Array.from({ length: 50 }, async () => (await c.lookupByName('test')).state())),
        5000, 'libvirt calls with storage and libuv blocked');
      expect(states.every((s) => s.state === 1)).toBe(true);
      hung.abort();
      expect(await Promise.all([...storageStuck, ...libuvStuck])).toEqual(Array(10).fill('failed'));
    } finally {
      hung?.unmount();
    }
  });
});

describe('state-directory lock', () => {
  it('is exclusive per open file (also in one process), names its holder, and is free again after unlock', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lock-'));
    try {
      const file = path.join(dir, 'lock');
      const fd = native().lockFile(file);
      expect(fs.readFileSync(file, 'utf8')).toBe(`${process.pid}\n`);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      let err: (Error & { holder?: string; syscall?: string }) | undefined;
      try {
        native().lockFile(file);
      } catch (e) {
        err = e as Error & { holder?: string };
      }
      expect(err).toMatchObject({ syscall: 'flock', holder: `${process.pid}\n` });
      native().unlockFile(fd);
      native().unlockFile(native().lockFile(file));
      // never follows a symlink planted in place of the lock file
      fs.rmSync(file);
      fs.symlinkSync(path.join(dir, 'elsewhere'), file);
      expect(() => native().lockFile(file)).toThrow(/open/);
      expect(fs.existsSync(path.join(dir, 'elsewhere'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
