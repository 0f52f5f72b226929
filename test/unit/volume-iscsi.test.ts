// iSCSI host disconnect. iscsiadm, multipath and SCSI device deletion cannot
// run here (no iscsi_tcp / dm-multipath kernel modules, no target), so commands
// go to a ScriptedRunner behind the same CommandRunner interface the real code
// uses, and sysfs is a temporary directory tree read and written by the real
// hostSysfs(). Everything else (validation, parsing, policy, steps, locking) is real.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors';
import { IscsiConnector, iscsiPaths, parseSessions } from '../../src/agent/volume/iscsi';
import type { VolumeAttachment } from '../../src/agent/volume/types';
import { IQN, IQN_OTHER, LIST_SESSIONS, PORTAL, PORTAL2, nodeCmds, sessionsOutput } from '../helpers/iscsi-fixtures';
import { ScriptedRunner } from '../helpers/scripted-runner';
import { makeCtx, tempSysfs } from '../helpers/volume-ctx';

const iscsi = new IscsiConnector();
const vol = (data: Record<string, string>): VolumeAttachment => ({
  volume_id: 'vol-1',
  target_dev: 'vdb',
  connection_info: { driver_volume_type: 'iscsi', data },
});
const single = vol({ target_portal: PORTAL, target_iqn: IQN, target_lun: '1' });
const fmt = ([cmd, args]: [string, string[]]): string => [cmd, ...args].join(' ');


const MPATH_TREE = {
  'block/sdb/device/delete': '',
  'block/sdb/holders/dm-0': '',
  'block/sdc/device/delete': '',
  'block/sdc/holders/dm-0': '',
  'block/dm-0/dm/uuid': 'mpath-36001405d2f1e3b0c4a5b6c7d8e9f0a1b\n',
  'block/dm-0/dm/name': 'mpatha\n',
  'block/dm-0/slaves/sdb': '',
  'block/dm-0/slaves/sdc': '',
};

describe('iSCSI disconnect: command sequences', () => {
  it('single path, last LUN on the session: flush, delete, then startup=manual, logout, delete node', async () => {
    const root = tempSysfs({ 'block/sdb/device/delete': '', 'block/sdb/holders/': '' });
    const runner = new ScriptedRunner()
      .expect(...LIST_SESSIONS, { stdout: sessionsOutput([{ target: IQN, portal: PORTAL, sid: 1, host: 2, luns: [[1, 'sdb']] }]) })
      .expect('blockdev', ['--flushbufs', '/dev/sdb']);
    for (const c of nodeCmds(IQN, PORTAL)) runner.expect(...c);
    const { ctx, steps, errors } = makeCtx({ runner, sysfsRoot: root });

    await iscsi.disconnect(single, ctx);

    runner.assertDone();
    expect(runner.log).toEqual([
      fmt(LIST_SESSIONS),
      'blockdev --flushbufs /dev/sdb',
      'write block/sdb/device/delete 1',
      ...nodeCmds(IQN, PORTAL).map(fmt),
    ]);
    // The (simulated) kernel removed the device; the connector waited for that.
    expect(existsSync(`${root}/block/sdb`)).toBe(false);
    expect(steps.steps.map((s) => [s.name, s.outcome])).toEqual([
      ['iscsi: list sessions', 'ok'],
      ['iscsi: find devices', 'ok'],
      ['iscsi: check other users', 'ok'],
      ['scsi: flush /dev/sdb', 'ok'],
      ['scsi: delete /dev/sdb', 'ok'],
      ['scsi: wait for device removal', 'ok'],
      [`iscsi: node.startup manual ${IQN} ${PORTAL}`, 'ok'],
      [`iscsi: logout ${IQN} ${PORTAL}`, 'ok'],
      [`iscsi: delete node ${IQN} ${PORTAL}`, 'ok'],
    ]);
    expect(errors.finish()).toEqual({ warnings: [] });
    // Every command got a timeout from config or the runner default, never "none".
    expect(runner.calls.every((c) => c.opts === undefined || c.opts.timeoutMs === undefined || c.opts.timeoutMs > 0)).toBe(true);
  });

  it('shared session (another LUN still attached): removes only our device and does not log out', async () => {
    const root = tempSysfs({ 'block/sdb/device/delete': '', 'block/sdc/device/delete': '' });
    const runner = new ScriptedRunner()
      .expect(...LIST_SESSIONS, { stdout: sessionsOutput([{ target: IQN, portal: PORTAL, sid: 3, host: 4, luns: [[0, undefined], [1, 'sdb'], [2, 'sdc']] }]) })
      .expect('blockdev', ['--flushbufs', '/dev/sdb']);
    const { ctx, steps } = makeCtx({ runner, sysfsRoot: root });

    await iscsi.disconnect(single, ctx);

    runner.assertDone();
    expect(runner.log).toEqual([fmt(LIST_SESSIONS), 'blockdev --flushbufs /dev/sdb', 'write block/sdb/device/delete 1']);
    expect(readFileSync(`${root}/block/sdc/device/delete`, 'utf8')).toBe(''); // the other LUN untouched
    expect(steps.steps.at(-1)).toMatchObject({ name: `iscsi: logout ${IQN} ${PORTAL}`, outcome: 'skipped', detail: 'session 3 still has LUN(s) 2' });
  });

  it('multipath (target_portals JSON + target_luns CSV): flush map first, then every path, then log out of both portals', async () => {
    const root = tempSysfs(MPATH_TREE);
    const runner = new ScriptedRunner()
      .expect(...LIST_SESSIONS, {
        stdout: sessionsOutput([
          { target: IQN, portal: PORTAL, sid: 1, host: 2, luns: [[1, 'sdb']] },
          { target: IQN, portal: PORTAL2, sid: 2, host: 3, luns: [[1, 'sdc']] },
        ]),
      })
      .expect('multipath', ['-f', 'mpatha'])
      .expect('blockdev', ['--flushbufs', '/dev/sdb'])
      .expect('blockdev', ['--flushbufs', '/dev/sdc']);
    for (const c of [...nodeCmds(IQN, PORTAL), ...nodeCmds(IQN, PORTAL2)]) runner.expect(...c);
    const { ctx, errors } = makeCtx({ runner, sysfsRoot: root });

    await iscsi.disconnect(vol({ target_portals: JSON.stringify([PORTAL, PORTAL2]), target_iqn: IQN, target_luns: '1, 1' }), ctx);

    runner.assertDone();
    expect(runner.log).toEqual([
      fmt(LIST_SESSIONS),
      'multipath -f mpatha',
      'blockdev --flushbufs /dev/sdb',
      'write block/sdb/device/delete 1',
      'blockdev --flushbufs /dev/sdc',
      'write block/sdc/device/delete 1',
      ...nodeCmds(IQN, PORTAL).map(fmt),
      ...nodeCmds(IQN, PORTAL2).map(fmt),
    ]);
    expect(errors.finish().warnings).toEqual([]);
  });

  it('multipath map found from one portal also removes its other paths (slaves) and their sessions', async () => {
    const root = tempSysfs(MPATH_TREE);
    const runner = new ScriptedRunner()
      .expect(...LIST_SESSIONS, {
        stdout: sessionsOutput([
          { target: IQN, portal: PORTAL, sid: 1, host: 2, luns: [[1, 'sdb']] },
          { target: IQN, portal: PORTAL2, sid: 2, host: 3, luns: [[1, 'sdc']] },
        ]),
      })
      .expect('multipath', ['-f', 'mpatha'])
      .expect('blockdev', ['--flushbufs', '/dev/sdb'])
      .expect('blockdev', ['--flushbufs', '/dev/sdc']);
    for (const c of [...nodeCmds(IQN, PORTAL), ...nodeCmds(IQN, PORTAL2)]) runner.expect(...c);
    const { ctx } = makeCtx({ runner, sysfsRoot: root });
    await iscsi.disconnect(single, ctx); // connection_info names only PORTAL
    runner.assertDone();
  });

  it('nothing attached (iscsiadm exit 21 "No active sessions"): only drops a leaked node record', async () => {
    const root = tempSysfs({});
    const runner = new ScriptedRunner()
      .expect(...LIST_SESSIONS, { code: 21, stderr: 'iscsiadm: No active sessions.\n' })
      .expect('iscsiadm', ['-m', 'node', '-T', IQN, '-p', PORTAL, '--op', 'delete'], { code: 21, stderr: 'iscsiadm: No records found\n' });
    const { ctx, steps, errors } = makeCtx({ runner, sysfsRoot: root });
    await iscsi.disconnect(single, ctx);
    runner.assertDone();
    expect(steps.steps.find((s) => s.name === 'iscsi: find devices')).toMatchObject({ outcome: 'skipped', detail: 'no devices' });
    expect(errors.finish().warnings).toEqual([]);
  });

  it('retry after the device vanished (sysfs entry gone): delete step skipped, session still cleaned up; IQN matched case-insensitively', async () => {
    const root = tempSysfs({ 'block/': '' });
    const runner = new ScriptedRunner()
      .expect(...LIST_SESSIONS, { stdout: sessionsOutput([{ target: IQN, portal: PORTAL, sid: 1, host: 2, luns: [[1, 'sdb']] }]) })
      .expect('blockdev', ['--flushbufs', '/dev/sdb']);
    for (const c of nodeCmds(IQN, PORTAL)) runner.expect(...c);
    const { ctx, steps, errors } = makeCtx({ runner, sysfsRoot: root });
    await iscsi.disconnect(vol({ target_portal: PORTAL, target_iqn: IQN.toUpperCase(), target_lun: '1' }), ctx);
    runner.assertDone();
    expect(steps.steps.find((s) => s.name === 'scsi: delete /dev/sdb')).toMatchObject({ outcome: 'skipped', detail: 'device already removed' });
    expect(errors.finish().warnings).toEqual([]);
  });

  it('device still used by another domain (by-path source): lists sessions, touches nothing', async () => {
    const root = tempSysfs({ 'block/sdb/device/delete': '' });
    const runner = new ScriptedRunner().expect(...LIST_SESSIONS, {
      stdout: sessionsOutput([{ target: IQN, portal: PORTAL, sid: 1, host: 2, luns: [[1, 'sdb']] }]),
    });
    const { ctx, steps } = makeCtx({
      runner,
      sysfsRoot: root,
      others: [{ domain: 'instance-2', targetDev: 'vdc', type: 'block', source: `/dev/disk/by-path/ip-${PORTAL}-iscsi-${IQN}-lun-1` }],
    });
    await iscsi.disconnect(single, ctx);
    runner.assertDone();
    expect(runner.log).toEqual([fmt(LIST_SESSIONS)]);
    expect(steps.steps.at(-1)).toMatchObject({ name: 'iscsi: check other users', outcome: 'skipped' });
    expect(steps.steps.at(-1)!.detail).toContain('instance-2/vdc');
  });

  it('a hung command surfaces as Timeout and stops (no policy flags)', async () => {
    const runner = new ScriptedRunner([{ cmd: LIST_SESSIONS[0], args: LIST_SESSIONS[1], timeout: true }]);
    const { ctx } = makeCtx({ runner, sysfsRoot: tempSysfs({}), config: { commandTimeoutMs: 5000 } });
    await expect(iscsi.disconnect(single, ctx)).rejects.toMatchObject({ kind: 'Timeout' });
    expect(runner.calls[0]!.opts?.timeoutMs).toBe(5000);
    runner.assertDone();
  });
});

describe('iSCSI disconnect: serialization', () => {
  it('two concurrent disconnects never interleave', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const firstCommandRunning = new Promise<void>((r) => (reached = r));
    const root = tempSysfs({ 'block/sdb/device/delete': '', 'block/sdc/device/delete': '' });
    const both = sessionsOutput([
      { target: IQN, portal: PORTAL, sid: 1, host: 2, luns: [[1, 'sdb']] },
      { target: IQN_OTHER, portal: PORTAL2, sid: 2, host: 3, luns: [[0, 'sdc']] },
    ]);
    const onlyB = sessionsOutput([{ target: IQN_OTHER, portal: PORTAL2, sid: 2, host: 3, luns: [[0, 'sdc']] }]);
    const runner = new ScriptedRunner([
      { cmd: LIST_SESSIONS[0], args: LIST_SESSIONS[1], result: { stdout: both }, hook: async () => (reached(), released) },
    ]).expect('blockdev', ['--flushbufs', '/dev/sdb']);
    for (const c of nodeCmds(IQN, PORTAL)) runner.expect(...c);
    runner.expect(...LIST_SESSIONS, { stdout: onlyB }).expect('blockdev', ['--flushbufs', '/dev/sdc']);
    for (const c of nodeCmds(IQN_OTHER, PORTAL2)) runner.expect(...c);
    const a = makeCtx({ runner, sysfsRoot: root });
    const b = makeCtx({ runner, sysfsRoot: root });

    const pa = iscsi.disconnect(single, a.ctx);
    const pb = iscsi.disconnect(vol({ target_portal: PORTAL2, target_iqn: IQN_OTHER, target_lun: '0' }), b.ctx);
    await firstCommandRunning;
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); // let B run as far as it can
    expect(runner.calls).toHaveLength(1); // B is waiting for the host lock
    release();
    await Promise.all([pa, pb]);

    runner.assertDone(); // the script is strictly ordered: all of A, then all of B
    expect(runner.log.indexOf('write block/sdb/device/delete 1')).toBeLessThan(runner.log.lastIndexOf(fmt(LIST_SESSIONS)));
  });
});

describe('iSCSI disconnect: validation happens before any command', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['bad IQN', { target_portal: PORTAL, target_iqn: 'iqn.2010.org.openstack:v', target_lun: '1' }, 'target_iqn'],
    ['option-like IQN', { target_portal: PORTAL, target_iqn: '--op=delete', target_lun: '1' }, 'target_iqn'],
    ['portal without port', { target_portal: '10.0.0.1', target_iqn: IQN, target_lun: '1' }, 'target_portal'],
    ['port 0', { target_portal: '10.0.0.1:0', target_iqn: IQN, target_lun: '1' }, 'target_portal'],
    ['port 65536', { target_portal: '10.0.0.1:65536', target_iqn: IQN, target_lun: '1' }, 'target_portal'],
    ['bad IPv4', { target_portal: '10.0.0.256:3260', target_iqn: IQN, target_lun: '1' }, 'target_portal'],
    ['unbracketed IPv6', { target_portal: 'fe80::1:3260', target_iqn: IQN, target_lun: '1' }, 'target_portal'],
    ['LUN 16384', { target_portal: PORTAL, target_iqn: IQN, target_lun: '16384' }, 'target_lun'],
    ['LUN -1', { target_portal: PORTAL, target_iqn: IQN, target_lun: '-1' }, 'target_lun'],
    ['missing LUN', { target_portal: PORTAL, target_iqn: IQN }, 'target_lun'],
    ['list length mismatch', { target_portals: `${PORTAL},${PORTAL2}`, target_iqns: IQN, target_luns: '1,1' }, 'target_iqns'],
    ['bad JSON list', { target_portals: '["10.0.0.1:3260"', target_iqn: IQN, target_lun: '1' }, 'target_portals'],
    ['empty list item', { target_portals: `${PORTAL},,${PORTAL2}`, target_iqn: IQN, target_lun: '1' }, 'target_portals'],
    // 2,000 portals would be 2,000+ iscsiadm calls under the host-wide lock.
    ['2,000 portals', { target_portals: Array.from({ length: 2000 }, (_, i) => `10.0.${i >> 8}.${i & 255}:3260`).join(','), target_iqn: IQN, target_lun: '1' }, 'target_portals[64]'],
    ['65 portals', { target_portals: Array.from({ length: 65 }, (_, i) => `10.0.0.${i + 1}:3260`).join(','), target_iqn: IQN, target_lun: '1' }, 'target_portals[64]'],
  ];
  it.each(cases)('%s → InvalidArgument naming data.%s, zero commands', async (_name, data, key) => {
    const runner = new ScriptedRunner();
    const { ctx, steps } = makeCtx({ runner, sysfsRoot: tempSysfs({}) });
    const err = await iscsi.disconnect(vol(data), ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ kind: 'InvalidArgument', field: `volume.connection_info.data.${key}` });
    expect(runner.calls).toHaveLength(0);
    expect(steps.steps).toHaveLength(0);
  });
});

describe('iSCSI parsing', () => {
  it('accepts IPv6, hostnames, eui./naa. names, JSON and CSV lists', () => {
    expect(iscsiPaths({ target_portal: '[FE80::1]:3260', target_iqn: 'eui.02004567A425678D', target_lun: '0' })).toEqual([
      { portal: { host: 'fe80::1', port: 3260, text: '[fe80::1]:3260' }, iqn: 'eui.02004567A425678D', lun: 0 },
    ]);
    const multi = iscsiPaths({
      target_portals: '["san-a.example.com:3260", "10.0.1.1:3261"]',
      target_iqns: `naa.60014050d2f1e3b0, ${IQN}`,
      target_luns: '[3, 16383]',
    });
    expect(multi.map((p) => [p.portal.text, p.iqn, p.lun])).toEqual([
      ['san-a.example.com:3260', 'naa.60014050d2f1e3b0', 3],
      ['10.0.1.1:3261', IQN, 16383],
    ]);
  });

  it('accepts 64 portals (the cap) and says so past it', () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i + 1}:3260`).join(',');
    expect(iscsiPaths({ target_portals: list(64), target_iqn: IQN, target_lun: '1' })).toHaveLength(64);
    expect(() => iscsiPaths({ target_portals: list(65), target_iqn: IQN, target_lun: '1' }))
      .toThrow('volume.connection_info.data.target_portals[64]: is beyond the limit of 64 portals per volume (65 given)');
  });

  it('parses sessions: several portals under one Target, LUNs without disks, IPv6 portals', () => {
    const text = sessionsOutput([
      { target: IQN, portal: PORTAL, sid: 7, host: 2, luns: [[0, undefined], [1, 'sdb']] },
      { target: IQN, portal: '[fd00::2]:3260', sid: 8, host: 3, luns: [[1, 'sdaa']] },
    ]);
    expect(text.match(/^Target:/gm)).toHaveLength(1);
    expect(parseSessions(text)).toEqual([
      { sid: '7', target: IQN, currentPortal: PORTAL, persistentPortal: PORTAL, luns: [{ lun: 0 }, { lun: 1, disk: 'sdb' }] },
      { sid: '8', target: IQN, currentPortal: '[fd00::2]:3260', persistentPortal: '[fd00::2]:3260', luns: [{ lun: 1, disk: 'sdaa' }] },
    ]);
    expect(parseSessions('iscsiadm: No active sessions.\n')).toEqual([]);
  });
});
