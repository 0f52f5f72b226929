// NFS connect and disconnect against REAL mounts: each "export" is a
// loop-device ext4 filesystem mounted where the connector expects that
// export's mount (nfsMountpoint()), unmounted by the real execFileRunner,
// checked in the real /proc/self/mountinfo. No NFS server is needed: the
// connector deliberately does not care about the fs type. For connect, the one
// thing this machine cannot do is the NFS mount itself (its kernel has no NFS
// client): the runner serves that one command, `mount -t nfs ... -- EXPORT
// MOUNTPOINT`, as a real loop mount of the export's image at MOUNTPOINT.
// Needs root and losetup; skipped (with the reason printed) otherwise.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, promises as fsp, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileRunner, type CommandRunner } from '../../src/agent/exec';
import { hostIO, parseMountinfo } from '../../src/agent/volume/host-io';
import { md5Hex } from '../../src/agent/volume/md5';
import { NfsConnector, nfsMountpoint } from '../../src/agent/volume/nfs';
import type { DiskSource, VolumeAttachment } from '../../src/agent/volume/types';
import { makeCtx, silentLogger } from '../helpers/volume-ctx';

function losetupAvailable(): boolean {
  try {
    execFileSync('losetup', ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}
const skipReason = process.getuid?.() !== 0 ? 'not running as root' : !losetupAvailable() ? 'losetup is missing' : undefined;
if (skipReason) console.warn(`volume-nfs.test.ts skipped: ${skipReason} (needs real loop-device mounts)`);

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', timeout: 60_000 }).trim();
const mountedAt = (p: string): boolean => parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).some((e) => e.mountPoint === p);

/** The real runner, with every call recorded; optionally failing one command. */
function recording(inner: CommandRunner): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run(cmd, args, opts) {
      calls.push([cmd, ...args].join(' '));
      return inner.run(cmd, args, opts);
    },
  };
}

describe.skipIf(skipReason !== undefined)('NFS disconnect (real loop-device mounts)', () => {
  const nfs = new NfsConnector();
  let tmp = '';
  let base = '';
  const loops: string[] = [];
  const mounts: string[] = [];
  const openHandles: fsp.FileHandle[] = [];

  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'virt-agent-nfs-'));
    base = path.join(tmp, 'mnt');
    mkdirSync(base);
  });
  afterEach(async () => {
    while (openHandles.length) await openHandles.pop()!.close();
  });
  // Runs even when tests fail: unmount what is left, detach loops, remove files.
  afterAll(() => {
    for (const m of mounts.reverse()) {
      try {
        if (mountedAt(m)) sh('umount', [m]);
      } catch (e) {
        console.warn(`cleanup: umount ${m} failed: ${String(e)}`);
      }
    }
    for (const l of loops) {
      try {
        sh('losetup', ['-d', l]);
      } catch (e) {
        console.warn(`cleanup: losetup -d ${l} failed: ${String(e)}`);
      }
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Formats and mounts a fresh 8 MiB ext4 image where `exportSpec` belongs. */
  function mountExport(exportSpec: string, mountBase = base): string {
    const img = path.join(tmp, `${loops.length}.img`);
    sh('truncate', ['-s', '8M', img]);
    sh('mkfs.ext4', ['-q', '-F', img]);
    const loop = sh('losetup', ['-f', '--show', img]);
    loops.push(loop);
    const mp = nfsMountpoint(mountBase, exportSpec);
    mkdirSync(mp, { recursive: true });
    sh('mount', [loop, mp]);
    mounts.push(mp);
    expect(mountedAt(mp)).toBe(true);
    return mp;
  }

  /**
   * The real runner, except `mount -t nfs`: that export is served by a real
   * loop-mounted ext4 image holding `files` (see the header). `fake: 'no-mount'`
   * makes the mount "succeed" without mounting anything.
   */
  function servingRunner(files: string[], fake?: 'no-mount'): CommandRunner & { calls: string[] } {
    const real = recording(execFileRunner(silentLogger));
    return {
      calls: real.calls,
      async run(cmd, args, opts) {
        if (cmd !== 'mount' || args[0] !== '-t' || args[1] !== 'nfs') return real.run(cmd, args, opts);
        real.calls.push([cmd, ...args].join(' '));
        const mp = args.at(-1)!;
        if (fake !== 'no-mount') {
          const img = path.join(tmp, `${loops.length}.img`);
          sh('truncate', ['-s', '8M', img]);
          sh('mkfs.ext4', ['-q', '-F', img]);
          const loop = sh('losetup', ['-f', '--show', img]);
          loops.push(loop);
          sh('mount', [loop, mp]);
          mounts.push(mp);
          for (const f of files) sh('truncate', ['-s', '1M', path.join(mp, f)]);
        }
        return { stdout: '', stderr: '', code: 0 };
      },
    };
  }

  const vol = (exportSpec: string): VolumeAttachment => ({
    volume_id: 'v1',
    target_dev: 'vdb',
    connection_info: { driver_volume_type: 'nfs', data: { export: exportSpec, name: 'volume-v1', options: '-o vers=4.1' } },
  });
  function ctxWith(runner: CommandRunner, others: DiskSource[] = [], mountBase = base) {
    return makeCtx({ runner, others, host: hostIO(), config: { nfsMountBase: mountBase } });
  }

  it('last user: really unmounts and removes the mountpoint directory', async () => {
    const mp = mountExport('10.0.0.7:/srv/cinder');
    const runner = recording(execFileRunner(silentLogger));
    // A disk on a sibling mountpoint with a common prefix must not count as a user.
    const { ctx, steps, errors } = ctxWith(runner, [{ domain: 'instance-2', targetDev: 'vdb', type: 'file', source: `${mp}-other/volume-x` }]);

    await nfs.disconnect(vol('10.0.0.7:/srv/cinder'), ctx);

    expect(runner.calls).toEqual([`umount ${mp}`]);
    expect(mountedAt(mp)).toBe(false);
    expect(existsSync(mp)).toBe(false);
    expect(steps.steps.map((s) => s.outcome)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(errors.finish().warnings).toEqual([]);
  });

  it("another domain's disk still under the mountpoint: stays mounted, no umount run", async () => {
    const mp = mountExport('nfs1.example.com:/export/vols');
    const runner = recording(execFileRunner(silentLogger));
    const { ctx, steps } = ctxWith(runner, [{ domain: 'instance-3', targetDev: 'vdc', type: 'file', source: `${mp}/volume-other` }]);

    await nfs.disconnect(vol('nfs1.example.com:/export/vols'), ctx);

    expect(runner.calls).toEqual([]);
    expect(mountedAt(mp)).toBe(true);
    expect(steps.steps.at(-1)).toMatchObject({ outcome: 'skipped', detail: 'still used by instance-3/vdc' });
  });

  it('umount fails (mount busy: a file is held open) → warning and success, even without ignore_errors', async () => {
    const mp = mountExport('[fd00::7]:/busy');
    openHandles.push(await fsp.open(path.join(mp, 'held-open'), 'w'));
    const runner = recording(execFileRunner(silentLogger));
    const { ctx, steps, errors } = ctxWith(runner);

    await nfs.disconnect(vol('[fd00::7]:/busy'), ctx);

    expect(runner.calls).toEqual([`umount ${mp}`]);
    expect(mountedAt(mp)).toBe(true);
    expect(steps.steps.at(-1)).toMatchObject({ name: `nfs: umount ${mp}`, outcome: 'warning' });
    const { warnings } = errors.finish();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/umount .* exited with code \d+: .*busy/);
  });

  it('not mounted: nothing to do, no command', async () => {
    const runner = recording(execFileRunner(silentLogger));
    const { ctx, steps, errors } = ctxWith(runner);
    await nfs.disconnect(vol('10.0.0.8:/never-mounted'), ctx);
    expect(runner.calls).toEqual([]);
    expect(steps.steps).toEqual([expect.objectContaining({ outcome: 'skipped' })]);
    expect(errors.finish().warnings).toEqual([]);
  });

  it('mount base reached through a symlink: finds and unmounts the resolved mountpoint', async () => {
    const link = path.join(tmp, 'base-link');
    symlinkSync(base, link);
    const mp = mountExport('10.0.0.9:/via/link');
    const runner = recording(execFileRunner(silentLogger));
    const { ctx } = ctxWith(runner, [], link);
    await nfs.disconnect(vol('10.0.0.9:/via/link'), ctx);
    expect(runner.calls).toEqual([`umount ${mp}`]);
    expect(mountedAt(mp)).toBe(false);
  });

  it.each([
    ['no host', '/srv/cinder'],
    ['relative path', '10.0.0.7:srv'],
    ['dot-dot', '10.0.0.7:/srv/../etc'],
    ['bad IPv4', '10.0.0.300:/srv'],
    ['option-like host', '-o:/srv'],
  ])('invalid export (%s) → InvalidArgument before any command', async (_n, exportSpec) => {
    const runner = recording(execFileRunner(silentLogger));
    const { ctx } = ctxWith(runner);
    await expect(nfs.disconnect(vol(exportSpec), ctx)).rejects.toMatchObject({ kind: 'InvalidArgument', field: 'volume.connection_info.data.export' });
    expect(runner.calls).toEqual([]);
  });

  it('connect: mounts the export at <base>/<md5(export)> (Nova\'s name), answers the volume file; disconnect unmounts it again', async () => {
    const exp = '10.0.0.11:/srv/connect';
    const runner = servingRunner(['volume-v1']);
    const { ctx, steps } = ctxWith(runner);
    const mp = nfsMountpoint(base, exp, 'md5');
    expect(path.basename(mp)).toBe(md5Hex(exp));

    const r = await nfs.connect(vol(exp), ctx);

    expect(r.devicePath).toBe(path.join(mp, 'volume-v1'));
    expect(runner.calls).toEqual([`mount -t nfs -o vers=4.1 -- ${exp} ${mp}`]);
    expect(mountedAt(mp)).toBe(true);
    expect(existsSync(r.devicePath)).toBe(true);
    expect(steps.steps.map((s) => [s.name, s.outcome])).toEqual([[`nfs: mount ${exp}`, 'ok'], ['nfs: check volume file', 'ok']]);

    // Refcounting: the disconnect finds the same mountpoint and, with no other user, unmounts.
    const off = ctxWith(runner);
    await nfs.disconnect(vol(exp), off.ctx);
    expect(mountedAt(mp)).toBe(false);
    expect(existsSync(mp)).toBe(false);
  });

  it('connect when already mounted (a second volume on the export): no mount, and the mount stays while the other volume uses it', async () => {
    const exp = '10.0.0.12:/srv/shared';
    const runner = servingRunner(['volume-v1', 'volume-v2']);
    const first = await nfs.connect(vol(exp), ctxWith(runner).ctx);
    const second = await nfs.connect({ ...vol(exp), volume_id: 'v2', connection_info: { driver_volume_type: 'nfs', data: { export: exp, name: 'volume-v2' } } },
      ctxWith(runner).ctx);
    expect(runner.calls.filter((c) => c.startsWith('mount '))).toHaveLength(1);
    expect(second.devicePath).toBe(path.join(path.dirname(first.devicePath), 'volume-v2'));
    // v1 goes; v2 (another domain's disk) still uses the mount.
    const { ctx } = ctxWith(runner, [{ domain: 'instance-9', targetDev: 'vdc', type: 'file', source: second.devicePath }]);
    await nfs.disconnect(vol(exp), ctx);
    expect(mountedAt(path.dirname(first.devicePath))).toBe(true);
  });

  it('sha256 naming when configured; a mount that reports success but is not in the mount table: FAILED_PRECONDITION', async () => {
    const exp = '10.0.0.13:/srv/lying';
    const runner = servingRunner([], 'no-mount');
    const { ctx } = makeCtx({ runner, host: hostIO(), config: { nfsMountBase: base, nfsMountpointHash: 'sha256' } });
    await expect(nfs.connect(vol(exp), ctx)).rejects.toMatchObject({ kind: 'FailedPrecondition', message: expect.stringContaining('not in the mount table') });
    expect(runner.calls).toEqual([`mount -t nfs -o vers=4.1 -- ${exp} ${nfsMountpoint(base, exp, 'sha256')}`]);
    expect(path.basename(nfsMountpoint(base, exp, 'sha256'))).toHaveLength(64);
  });

  it('the volume file is not on the export: FAILED_PRECONDITION naming it', async () => {
    const exp = '10.0.0.14:/srv/empty';
    const runner = servingRunner([]);
    await expect(nfs.connect(vol(exp), ctxWith(runner).ctx)).rejects.toMatchObject({ kind: 'FailedPrecondition', message: expect.stringContaining('volume file volume-v1 not found') });
  });

  it.each([
    ['options', { export: '10.0.0.7:/srv', name: 'v', options: '-o vers=4,remount;reboot' }],
    ['options', { export: '10.0.0.7:/srv', name: 'v', options: '--bind' }],
    ['name', { export: '10.0.0.7:/srv', name: '../etc/shadow' }],
    ['name', { export: '10.0.0.7:/srv' }],
  ])('connect with a bad %s: INVALID_ARGUMENT before any command', async (field, data) => {
    const runner = recording(execFileRunner(silentLogger));
    const { ctx } = ctxWith(runner);
    await expect(nfs.connect({ volume_id: 'v', target_dev: 'vdb', connection_info: { driver_volume_type: 'nfs', data } }, ctx))
      .rejects.toMatchObject({ kind: 'InvalidArgument', field: `volume.connection_info.data.${field}` });
    expect(runner.calls).toEqual([]);
  });

  it('a relative mount base in config is refused (FailedPrecondition)', async () => {
    const runner = recording(execFileRunner(silentLogger));
    const { ctx } = ctxWith(runner, [], 'relative/base');
    await expect(nfs.disconnect(vol('10.0.0.7:/srv'), ctx)).rejects.toMatchObject({ kind: 'FailedPrecondition' });
    expect(runner.calls).toEqual([]);
  });
});
