// Kernel RBD unmap. krbd cannot run here (no rbd kernel module, no Ceph
// cluster), so `rbd` goes to a ScriptedRunner behind the real CommandRunner
// interface, and /sys/bus/rbd is a temporary tree read by the real hostSysfs().
import { afterEach, describe, expect, it } from 'vitest';
import { CommandError } from '../../src/agent/exec';
import { parseShowmapped, RbdConnector, rbdImage } from '../../src/agent/volume/rbd';
import type { DiskSource, VolumeAttachment } from '../../src/agent/volume/types';
import { ScriptedRunner } from '../helpers/scripted-runner';
import { makeCtx, makeSysfsTree } from '../helpers/volume-ctx';

const rbd = new RbdConnector();
const vol = (data: Record<string, string>): VolumeAttachment => ({
  volume_id: 'v',
  target_dev: 'vdb',
  connection_info: { driver_volume_type: 'rbd', data },
});
const SHOWMAPPED: [string, string[]] = ['rbd', ['showmapped', '--format', 'json']];
const mapped = (rows: Array<Record<string, string>>): string => JSON.stringify(rows);

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function setup(opts: { krbd?: boolean; others?: DiskSource[] } = {}) {
  const t = makeSysfsTree(opts.krbd === false ? {} : { 'bus/rbd/devices/0/': '', 'bus/rbd/devices/1/': '' });
  cleanups.push(t.cleanup);
  const runner = new ScriptedRunner();
  return { runner, ...makeCtx({ runner, sysfsRoot: t.root, ...(opts.others ? { others: opts.others } : {}) }) };
}

describe('RBD disconnect', () => {
  it('mapped (Nautilus+ array format): unmaps exactly that device', async () => {
    const { runner, ctx, steps, errors } = setup();
    runner
      .expect(...SHOWMAPPED, {
        stdout: mapped([
          { id: '0', pool: 'volumes', namespace: '', name: 'volume-a', snap: '-', device: '/dev/rbd0' },
          { id: '1', pool: 'volumes', namespace: '', name: 'volume-b', snap: '-', device: '/dev/rbd1' },
        ]),
      })
      .expect('rbd', ['unmap', '/dev/rbd1']);
    await rbd.disconnect(vol({ name: 'volumes/volume-b', auth_username: 'cinder', hosts: '10.0.0.9' }), ctx);
    runner.assertDone();
    expect(runner.commands).toEqual(['rbd showmapped --format json', 'rbd unmap /dev/rbd1']);
    expect(steps.steps.map((s) => [s.name, s.outcome])).toEqual([
      ['rbd: check kernel mappings', 'ok'],
      ['rbd: find mapping of volumes/volume-b', 'ok'],
      ['rbd: check other users of volumes/volume-b', 'ok'],
      ['rbd: unmap /dev/rbd1', 'ok'],
    ]);
    expect(errors.finish().warnings).toEqual([]);
  });

  it('pool + name keys, pre-Nautilus object format; snapshot mappings of the image are left alone', async () => {
    const { runner, ctx } = setup();
    runner
      .expect(...SHOWMAPPED, {
        stdout: JSON.stringify({
          '0': { pool: 'volumes', name: 'volume-a', snap: 'snap1', device: '/dev/rbd0' },
          '1': { pool: 'volumes', name: 'volume-a', snap: '-', device: '/dev/rbd1' },
        }),
      })
      .expect('rbd', ['unmap', '/dev/rbd1']);
    await rbd.disconnect(vol({ pool: 'volumes', name: 'volume-a' }), ctx);
    runner.assertDone();
  });

  it('not mapped (QEMU librbd attachment): only showmapped, step skipped, success', async () => {
    const { runner, ctx, steps, errors } = setup();
    runner.expect(...SHOWMAPPED, { stdout: mapped([{ id: '0', pool: 'other', namespace: '', name: 'volume-a', snap: '-', device: '/dev/rbd0' }]) });
    await rbd.disconnect(vol({ name: 'volumes/volume-a' }), ctx);
    runner.assertDone();
    expect(steps.steps.at(-1)).toMatchObject({ outcome: 'skipped', detail: 'not mapped' });
    expect(errors.finish().warnings).toEqual([]);
  });

  it('krbd not loaded (no /sys/bus/rbd/devices): runs no command at all', async () => {
    const { runner, ctx, steps } = setup({ krbd: false });
    await rbd.disconnect(vol({ name: 'volumes/volume-a' }), ctx);
    expect(runner.calls).toHaveLength(0);
    expect(steps.steps).toEqual([expect.objectContaining({ name: 'rbd: check kernel mappings', outcome: 'skipped' })]);
  });

  it('mapping still used by another domain (multi-attach): not unmapped', async () => {
    const { runner, ctx, steps } = setup({ others: [{ domain: 'instance-9', targetDev: 'vdc', type: 'block', source: '/dev/rbd/volumes/volume-a' }] });
    runner.expect(...SHOWMAPPED, { stdout: mapped([{ id: '0', pool: 'volumes', namespace: '', name: 'volume-a', snap: '-', device: '/dev/rbd0' }]) });
    await rbd.disconnect(vol({ name: 'volumes/volume-a' }), ctx);
    runner.assertDone();
    expect(steps.steps.at(-1)).toMatchObject({ name: 'rbd: check other users of volumes/volume-a', outcome: 'skipped' });
  });

  it('unmap failure without force/ignore_errors throws the CommandError', async () => {
    const { runner, ctx } = setup();
    runner
      .expect(...SHOWMAPPED, { stdout: mapped([{ id: '0', pool: 'volumes', namespace: '', name: 'volume-a', snap: '-', device: '/dev/rbd0' }]) })
      .expect('rbd', ['unmap', '/dev/rbd0'], { code: 16, stderr: 'rbd: sysfs write failed\nrbd: unmap failed: (16) Device or resource busy\n' });
    const err = await rbd.disconnect(vol({ name: 'volumes/volume-a' }), ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).message).toContain('Device or resource busy');
    runner.assertDone();
  });

  it.each([
    ['leading dash', { name: 'volumes/-o' }, 'name'],
    ['option-like pool', { pool: '--id', name: 'x' }, 'pool'],
    ['three parts', { name: 'a/b/c' }, 'name'],
    ['empty image', { name: 'volumes/' }, 'name'],
    ['slash in name with pool key', { pool: 'volumes', name: 'a/b' }, 'name'],
    ['space', { name: 'volumes/vol a' }, 'name'],
    ['too long', { name: `volumes/${'x'.repeat(256)}` }, 'name'],
    ['missing', { pool: 'volumes' }, 'name'],
  ])('%s → InvalidArgument before any command', async (_n, data, key) => {
    const { runner, ctx } = setup();
    await expect(rbd.disconnect(vol(data as Record<string, string>), ctx)).rejects.toMatchObject({
      kind: 'InvalidArgument',
      field: `volume.connection_info.data.${key}`,
    });
    expect(runner.calls).toHaveLength(0);
  });

  it('parses both showmapped formats and accepts valid names', () => {
    expect(parseShowmapped('')).toEqual([]);
    expect(parseShowmapped('{"3":{"pool":"p","name":"i","snap":"-","device":"/dev/rbd3"}}')).toEqual([
      { id: '3', pool: 'p', namespace: '', name: 'i', snap: '-', device: '/dev/rbd3' },
    ]);
    expect(rbdImage({ name: 'vms/9f1c_disk.config-x' })).toEqual({ pool: 'vms', image: '9f1c_disk.config-x' });
  });
});
