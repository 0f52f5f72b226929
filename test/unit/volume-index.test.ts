// Connector registry, disconnectHost dispatch and the 'local' connector (real
// filesystem paths and symlinks under a temp dir; no command may run).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectorFor, disconnectHost, isQemuNativeNetworkDisk } from '../../src/agent/volume';
import type { VolumeAttachment } from '../../src/agent/volume/types';
import { ScriptedRunner } from '../helpers/scripted-runner';
import { makeCtx } from '../helpers/volume-ctx';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'virt-agent-local-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const allowed = path.join(tmp, 'volumes');
mkdirSync(allowed);
writeFileSync(path.join(allowed, 'disk1'), '');
symlinkSync('/etc/passwd', path.join(allowed, 'escape'));

const local = (p: string | undefined): VolumeAttachment => ({
  volume_id: 'v',
  target_dev: 'vdb',
  connection_info: { driver_volume_type: 'local', data: p === undefined ? {} : { device_path: p } },
});

describe('connectorFor / disconnectHost', () => {
  it('knows iscsi, rbd, nfs, local', () => {
    expect(['iscsi', 'rbd', 'nfs', 'local'].map((t) => connectorFor(t).type)).toEqual(['iscsi', 'rbd', 'nfs', 'local']);
  });

  it.each(['fibre_channel', 'ISCSI', ''])('unknown type %j → InvalidArgument on driver_volume_type', (t) => {
    expect(() => connectorFor(t)).toThrow(expect.objectContaining({ kind: 'InvalidArgument', field: 'volume.connection_info.driver_volume_type' }));
  });

  it('missing connection_info → InvalidArgument, no command', async () => {
    const runner = new ScriptedRunner();
    await expect(disconnectHost({ volume_id: 'v', target_dev: 'vdb' }, makeCtx({ runner }).ctx)).rejects.toMatchObject({
      kind: 'InvalidArgument',
      field: 'volume.connection_info',
    });
    expect(runner.calls).toHaveLength(0);
  });

  it('QEMU-native network disks need no host step', () => {
    expect(isQemuNativeNetworkDisk('network', 'rbd')).toBe(true);
    expect(isQemuNativeNetworkDisk('network', 'iscsi')).toBe(true);
    expect(isQemuNativeNetworkDisk('block', undefined)).toBe(false);
    expect(isQemuNativeNetworkDisk('file', undefined)).toBe(false);
  });
});

describe('local connector', () => {
  it('inside the allowed dirs: nothing to do, one skipped step, no command', async () => {
    const runner = new ScriptedRunner();
    const { ctx, steps } = makeCtx({ runner, config: { localVolumeDirs: [allowed] } });
    await disconnectHost(local(path.join(allowed, 'x', '..', 'disk1')), ctx);
    expect(runner.calls).toHaveLength(0);
    expect(steps.steps).toEqual([expect.objectContaining({ name: 'local: host disconnect', outcome: 'skipped' })]);
    expect(steps.steps[0]!.detail).toContain(path.join(allowed, 'disk1'));
  });

  it.each([
    ['relative', 'volumes/disk1'],
    ['outside the allowed dirs', '/dev/sda'],
    ['symlink escaping the allowed dir', path.join(allowed, 'escape')],
    ['dot-dot escape', path.join(allowed, '..', '..', 'etc', 'shadow')],
    ['missing', undefined],
  ])('%s → InvalidArgument on data.device_path', async (_n, p) => {
    const { ctx } = makeCtx({ runner: new ScriptedRunner(), config: { localVolumeDirs: [allowed] } });
    await expect(disconnectHost(local(p), ctx)).rejects.toMatchObject({ kind: 'InvalidArgument', field: 'volume.connection_info.data.device_path' });
  });

  it('without configured dirs any absolute path is accepted', async () => {
    const { ctx } = makeCtx({ runner: new ScriptedRunner() });
    await disconnectHost(local('/dev/vg0/volume-1'), ctx);
  });
});
