// Host-side connect of iSCSI, RBD and local volumes. This machine has no
// iscsi_tcp, dm-multipath or rbd kernel modules and no targets or Ceph
// cluster, so iscsiadm / multipathd / rbd go to a ScriptedRunner behind the
// same CommandRunner interface the real code uses, udev's /dev/disk/by-path
// links are a function, and sysfs (multipath holders, krbd) is a temporary
// tree read by the real hostSysfs(). Validation, ordering, waits (on an
// instant clock), locking and steps are the real code. Local volumes use real
// files. NFS connect runs against real mounts in volume-nfs.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { connectHost, validateConnectionData } from '../../src/agent/volume';
import { byPathLink } from '../../src/agent/volume/iscsi-connect';
import { iscsiPaths } from '../../src/agent/volume/iscsi';
import type { VolumeAttachment } from '../../src/agent/volume/types';
import { IQN, LIST_SESSIONS, PORTAL, PORTAL2, sessionsOutput } from '../helpers/iscsi-fixtures';
import { ScriptedRunner } from '../helpers/scripted-runner';
import { InstantClock, makeCtx, tempSysfs } from '../helpers/volume-ctx';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
const vol = (type: string, data: Record<string, string>): VolumeAttachment =>
  ({ volume_id: 'vol-1', target_dev: 'vdb', connection_info: { driver_volume_type: type, data } });
const node = (portal: string, ...rest: string[]): [string, string[]] => ['iscsiadm', ['-m', 'node', '-T', IQN, '-p', portal, ...rest]];
const single = { target_portal: PORTAL, target_iqn: IQN, target_lun: '1' };
const link1 = byPathLink(iscsiPaths(single)[0]!);

describe('iSCSI connect: command sequences', () => {
  it('single path, nothing there yet: node record, login, startup=automatic, wait for the by-path device', async () => {
    let checks = 0;
    const runner = new ScriptedRunner()
      .expect(...LIST_SESSIONS, { code: 21, stderr: 'iscsiadm: No active sessions.' })
      .expect(...node(PORTAL), { code: 21, stderr: 'iscsiadm: No records found' })
      .expect(...node(PORTAL, '--interface', 'default', '--op', 'new'))
      .expect(...node(PORTAL, '--login'))
      .expect(...node(PORTAL, '--op', 'update', '-n', 'node.startup', '-v', 'automatic'))
      // Not there after 1 s: the session is rescanned (os-brick does the same).
      .expect(...node(PORTAL, '--rescan'));
    const { ctx, steps, clock } = makeCtx({
      runner, sysfsRoot: tempSysfs({}),
      devLinks: (p) => (p === link1 && ++checks >= 4 ? '/dev/sdb' : undefined),
    });
    const r = await connectHost(vol('iscsi', single), ctx);
    runner.assertDone();
    expect(r).toEqual({ devicePath: `/dev/disk/by-path/ip-${PORTAL}-iscsi-${IQN}-lun-1` });
    expect(steps.steps.map((s) => [s.name, s.outcome, s.detail])).toEqual([
      ['iscsi: list sessions', 'ok', '0 session(s)'],
      [`iscsi: login ${IQN} ${PORTAL}`, 'ok', 'logged in'],
      ['iscsi: wait for devices', 'ok', 'sdb'],
    ]);
    expect((clock as InstantClock).sleeps).toEqual([500, 500, 500]);
  });

  it('already logged in (a second volume on the session): no login, same answer', async () => {
    const runner = new ScriptedRunner()
      .expect(...LIST_SESSIONS, { stdout: sessionsOutput([{ target: IQN, portal: PORTAL, sid: 1, host: 2, luns: [[0, 'sda'], [1, 'sdb']] }]) })
      .expect(...node(PORTAL))
      .expect(...node(PORTAL, '--op', 'update', '-n', 'node.startup', '-v', 'automatic'));
    const { ctx, steps } = makeCtx({ runner, sysfsRoot: tempSysfs({}), devLinks: (p) => (p === link1 ? '/dev/sdb' : undefined) });
    expect((await connectHost(vol('iscsi', single), ctx)).devicePath).toBe(link1);
    runner.assertDone();
    expect(steps.steps[1]).toMatchObject({ outcome: 'ok', detail: 'session exists' });
  });

  it('CHAP: settings before the login; the password never appears in a message', async () => {
    const chap = { ...single, auth_method: 'CHAP', auth_username: 'user1', auth_password: 's3cret-pw' };
    const runner = new ScriptedRunner()
      .expect(...LIST_SESSIONS, { code: 21 })
      .expect(...node(PORTAL))
      .expect(...node(PORTAL, '--op', 'update', '-n', 'node.session.auth.authmethod', '-v', 'CHAP'))
      .expect(...node(PORTAL, '--op', 'update', '-n', 'node.session.auth.username', '-v', 'user1'))
      .expect(...node(PORTAL, '--op', 'update', '-n', 'node.session.auth.password', '-v', 's3cret-pw'), { code: 6, stderr: 'database error' });
    const { ctx, steps } = makeCtx({ runner, sysfsRoot: tempSysfs({}) });
    const err = await connectHost(vol('iscsi', chap), ctx).then(() => null, (e: Error) => e);
    runner.assertDone();
    expect(err?.message).toContain('<redacted>');
    expect(err?.message).not.toContain('s3cret-pw');
    expect(JSON.stringify(steps.steps)).not.toContain('s3cret-pw');
    expect(runner.calls.at(-1)!.opts?.redact).toEqual(['s3cret-pw']);
  });

  it('multipath (2 portals): logs in to both, adds both paths to multipathd, answers the map', async () => {
    const data = { target_portals: `${PORTAL},${PORTAL2}`, target_iqn: IQN, target_lun: '1' };
    const [p1, p2] = iscsiPaths(data).map(byPathLink);
    const root = tempSysfs({
      'block/sdb/holders/dm-0': '', 'block/sdc/holders/dm-0': '',
      'block/dm-0/dm/uuid': 'mpath-3600a0980383030', 'block/dm-0/dm/name': 'mpatha',
      'block/dm-0/slaves/sdb': '', 'block/dm-0/slaves/sdc': '',
    });
    const runner = new ScriptedRunner()
      .expect(...LIST_SESSIONS, { stdout: sessionsOutput([{ target: IQN, portal: PORTAL, sid: 1, host: 2, luns: [[1, 'sdb']] }]) })
      .expect(...node(PORTAL))
      .expect(...node(PORTAL, '--op', 'update', '-n', 'node.startup', '-v', 'automatic'))
      .expect(...node(PORTAL2))
      .expect(...node(PORTAL2, '--login'))
      .expect(...node(PORTAL2, '--op', 'update', '-n', 'node.startup', '-v', 'automatic'))
      .expect('multipathd', ['add', 'path', '/dev/sdb'])
      .expect('multipathd', ['add', 'path', '/dev/sdc']);
    const { ctx, steps } = makeCtx({ runner, sysfsRoot: root, devLinks: (p) => ({ [p1!]: '/dev/sdb', [p2!]: '/dev/sdc' })[p] });
    const r = await connectHost(vol('iscsi', data), ctx);
    runner.assertDone();
    expect(r.devicePath).toBe('/dev/mapper/mpatha');
    expect(steps.steps.at(-1)).toMatchObject({ name: 'multipath: wait for map', outcome: 'ok', detail: 'mpatha (dm-0) over sdb,sdc' });
  });

  it('multipath with one portal down: the other path is used (warning), the map over it answered', async () => {
    const data = { target_portals: `${PORTAL},${PORTAL2}`, target_iqn: IQN, target_lun: '1' };
    const [p1] = iscsiPaths(data).map(byPathLink);
    const root = tempSysfs({ 'block/sdb/holders/dm-0': '', 'block/dm-0/dm/uuid': 'mpath-1', 'block/dm-0/dm/name': 'mpatha', 'block/dm-0/slaves/sdb': '' });
    const runner = new ScriptedRunner()
      .expect(...LIST_SESSIONS, { code: 21 })
      .expect(...node(PORTAL))
      .expect(...node(PORTAL, '--login'))
      .expect(...node(PORTAL, '--op', 'update', '-n', 'node.startup', '-v', 'automatic'))
      .expect(...node(PORTAL2))
      .expect(...node(PORTAL2, '--login'), { code: 8, stderr: 'iscsiadm: connection login retries (reopen_max) 5 exceeded' })
      .expect('multipathd', ['add', 'path', '/dev/sdb']);
    const { ctx, steps } = makeCtx({ runner, sysfsRoot: root, devLinks: (p) => (p === p1 ? '/dev/sdb' : undefined) });
    expect((await connectHost(vol('iscsi', data), ctx)).devicePath).toBe('/dev/mapper/mpatha');
    runner.assertDone();
    expect(steps.steps.find((s) => s.name === `iscsi: login ${IQN} ${PORTAL2}`)?.outcome).toBe('warning');
  });

  it('multipath map never appears: falls back to one path (os-brick), with a warning step', async () => {
    const data = { target_portals: `${PORTAL},${PORTAL2}`, target_iqn: IQN, target_lun: '1' };
    const [p1, p2] = iscsiPaths(data).map(byPathLink);
    const runner = new ScriptedRunner()
      .expect(...LIST_SESSIONS, { code: 21 })
      .push(...[PORTAL, PORTAL2].flatMap((p) => [node(p), node(p, '--login'), node(p, '--op', 'update', '-n', 'node.startup', '-v', 'automatic')]
        .map(([cmd, args]) => ({ cmd, args }))))
      .expect('multipathd', ['add', 'path', '/dev/sdb'])
      .expect('multipathd', ['add', 'path', '/dev/sdc']);
    const { ctx, steps } = makeCtx({
      runner, sysfsRoot: tempSysfs({}), config: { iscsi: { deviceWaitMs: 2000 } },
      devLinks: (p) => ({ [p1!]: '/dev/sdb', [p2!]: '/dev/sdc' })[p],
    });
    expect((await connectHost(vol('iscsi', data), ctx)).devicePath).toBe(p1);
    runner.assertDone();
    expect(steps.steps.at(-1)).toMatchObject({ name: 'multipath: wait for map', outcome: 'warning' });
  });

  it('the device never appears: DEADLINE_EXCEEDED after the wait, with bounded rescans', async () => {
    const runner = new ScriptedRunner()
      .expect(...LIST_SESSIONS, { code: 21 })
      .expect(...node(PORTAL))
      .expect(...node(PORTAL, '--login'))
      .expect(...node(PORTAL, '--op', 'update', '-n', 'node.startup', '-v', 'automatic'))
      .expect(...node(PORTAL, '--rescan'))
      .expect(...node(PORTAL, '--rescan'));
    const { ctx } = makeCtx({ runner, sysfsRoot: tempSysfs({}), config: { iscsi: { deviceWaitMs: 5000 } } });
    const err = await connectHost(vol('iscsi', single), ctx).then(() => null, (e: { kind?: string; message: string }) => e);
    runner.assertDone();
    expect(err?.kind).toBe('Timeout');
    expect(err?.message).toContain(`no device for ${PORTAL} lun 1 within 5000 ms`);
  });

  it('a single path whose login fails: the error, nothing else', async () => {
    const runner = new ScriptedRunner()
      .expect(...LIST_SESSIONS, { code: 21 })
      .expect(...node(PORTAL))
      .expect(...node(PORTAL, '--login'), { code: 24, stderr: 'iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)' });
    const { ctx } = makeCtx({ runner, sysfsRoot: tempSysfs({}) });
    await expect(connectHost(vol('iscsi', single), ctx)).rejects.toThrow(/authorization failure/);
    runner.assertDone();
  });

  it('more than 64 portals: INVALID_ARGUMENT naming the first one beyond, before any command', async () => {
    const portals = Array.from({ length: 65 }, (_, i) => `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}:3260`).join(',');
    const runner = new ScriptedRunner();
    const { ctx } = makeCtx({ runner, sysfsRoot: tempSysfs({}) });
    await expect(connectHost(vol('iscsi', { target_portals: portals, target_iqn: IQN, target_lun: '1' }), ctx))
      .rejects.toMatchObject({ kind: 'InvalidArgument', field: 'volume.connection_info.data.target_portals[64]' });
    expect(runner.calls).toEqual([]);
    // 64 is fine.
    expect(iscsiPaths({ target_portals: portals.split(',').slice(0, 64).join(','), target_iqn: IQN, target_lun: '1' })).toHaveLength(64);
  });

  it.each([
    ['auth_method', { auth_method: 'KERBEROS' }],
    ['auth_password', { auth_method: 'CHAP', auth_username: 'u', auth_password: 'has space' }],
  ])('bad CHAP settings (%s): INVALID_ARGUMENT at validation, before any command', (field, extra) => {
    expect(() => validateConnectionData({ driver_volume_type: 'iscsi', data: { ...single, ...extra } }, { connect: true }))
      .toThrow(expect.objectContaining({ field: `volume.connection_info.data.${field}` }));
  });
});

describe('RBD connect (krbd map)', () => {
  const CEPH = { user: 'nova', confPath: '/etc/ceph/ceph.conf', cluster: '' };

  it('not mapped: rbd map with --id/--conf and the monitors, image after "--"; answers /dev/rbdN', async () => {
    const runner = new ScriptedRunner()
      .expect('rbd', ['map', '--id', 'cinder', '--conf', '/etc/ceph/ceph.conf', '-m', '10.0.0.1:6789,[fd00::2]:6789', '--', 'volumes/volume-1'],
        { stdout: '/dev/rbd0\n' });
    const { ctx, steps } = makeCtx({ runner, sysfsRoot: tempSysfs({}), config: { ceph: CEPH } });
    const r = await connectHost(vol('rbd', { name: 'volumes/volume-1', auth_username: 'cinder', hosts: '["10.0.0.1","fd00::2"]', ports: '["6789","6789"]' }), ctx);
    runner.assertDone();
    expect(r.devicePath).toBe('/dev/rbd0');
    expect(steps.steps).toEqual([expect.objectContaining({ name: 'rbd: map volumes/volume-1', outcome: 'ok', detail: '/dev/rbd0' })]);
  });

  it('already mapped: the existing device, no second map', async () => {
    const runner = new ScriptedRunner().expect('rbd', ['showmapped', '--format', 'json'], {
      stdout: JSON.stringify([{ id: '3', pool: 'volumes', namespace: '', name: 'volume-1', snap: '-', device: '/dev/rbd3' }]),
    });
    const { ctx } = makeCtx({ runner, sysfsRoot: tempSysfs({ 'bus/rbd/devices/3/': '' }), config: { ceph: CEPH } });
    expect((await connectHost(vol('rbd', { pool: 'volumes', name: 'volume-1' }), ctx)).devicePath).toBe('/dev/rbd3');
    runner.assertDone();
  });

  it('rbd map answers something that is not a device: FAILED_PRECONDITION', async () => {
    const runner = new ScriptedRunner().expect('rbd', ['map', '--id', 'nova', '--conf', '/etc/ceph/ceph.conf', '--', 'volumes/volume-1'], { stdout: 'rbd: sysfs write failed\n' });
    const { ctx } = makeCtx({ runner, sysfsRoot: tempSysfs({}), config: { ceph: CEPH } });
    await expect(connectHost(vol('rbd', { name: 'volumes/volume-1' }), ctx)).rejects.toMatchObject({ kind: 'FailedPrecondition' });
  });

  it.each([
    ['name', { name: 'volumes/--pool=x' }],
    ['auth_username', { name: 'volumes/v', auth_username: '--id=admin' }],
    ['hosts', { name: 'volumes/v', hosts: '-m,10.0.0.1' }],
  ])('option-like %s: INVALID_ARGUMENT before any command', async (field, data) => {
    const runner = new ScriptedRunner();
    const { ctx } = makeCtx({ runner, sysfsRoot: tempSysfs({}), config: { ceph: CEPH } });
    await expect(connectHost(vol('rbd', data), ctx)).rejects.toMatchObject({ kind: 'InvalidArgument', field: `volume.connection_info.data.${field}` });
    expect(runner.calls).toEqual([]);
  });
});

describe('local connect', () => {
  it('an existing file: its path; a missing one: its path with a warning step (as os-brick); outside local_volume_dirs: INVALID_ARGUMENT', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'virt-agent-local-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(path.join(dir, 'vol.img'), 'x');
    const runner = new ScriptedRunner();
    const { ctx, steps } = makeCtx({ runner, config: { localVolumeDirs: [dir] } });
    expect((await connectHost(vol('local', { device_path: path.join(dir, 'vol.img') }), ctx)).devicePath).toBe(path.join(dir, 'vol.img'));
    expect((await connectHost(vol('local', { device_path: path.join(dir, 'gone.img') }), ctx)).devicePath).toBe(path.join(dir, 'gone.img'));
    expect(steps.steps.map((s) => s.outcome)).toEqual(['ok', 'warning']);
    expect(steps.steps[1]!.detail).toContain('does not exist on this host');
    await expect(connectHost(vol('local', { device_path: '/etc/passwd' }), ctx)).rejects.toMatchObject({ kind: 'InvalidArgument' });
    expect(runner.calls).toEqual([]);
  });
});
