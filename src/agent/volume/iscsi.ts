// iSCSI host disconnect (os-brick's ISCSIConnector.disconnect_volume, re-derived):
//   1. iscsiadm -m session -P 3              → sessions, their LUNs and sdX disks
//   2. sysfs block/sdX/holders               → multipath map (dm uuid "mpath-…"), its slaves
//   3. HostVolumeUsage                       → another domain uses one of the devices? stop.
//   4. multipath -f MAP                      → map first: paths under a live map must stay
//   5. per path: blockdev --flushbufs /dev/sdX; write "1" to block/sdX/device/delete
//   6. per session whose every disk was ours: node.startup=manual, --logout, --op delete
//      (a target/portal with no session at all: only --op delete, to drop a leaked record)
// Everything runs under one host-wide lock: sessions are shared between volumes,
// so "is this the last LUN?" must not race another disconnect.
import { Timeout } from '../../errors';
import type { DiskInfo } from '../../libvirt/domain-xml';
import { systemClock } from '../clock';
import type { RunOptions } from '../exec';
import type { StepControl } from '../steps';
import { hostIO } from './host-io';
import { chapSettings, connectIscsi } from './iscsi-connect';
import {
  findMaps, iscsiConfig, iscsiPaths, parseSessions, SCSI_DISK, sessionMatches, type IscsiPath, type IscsiSession, type MultipathMap,
} from './iscsi-host';
import { AsyncMutex } from './mutex';
import type { ConnectionData, ConnectResult, VolumeAttachment, VolumeConnector, VolumeContext } from './types';

export { iscsiPaths, parseSessions } from './iscsi-host';

/** Device paths under which a domain could reference this volume (for the usage check). */
function devicePaths(paths: IscsiPath[], disks: string[], maps: MultipathMap[]): Set<string> {
  const out = new Set<string>(disks.map((d) => `/dev/${d}`));
  for (const m of maps) {
    for (const p of [`/dev/${m.dm}`, `/dev/mapper/${m.name}`, `/dev/disk/by-id/dm-name-${m.name}`, `/dev/disk/by-id/dm-uuid-${m.uuid}`]) out.add(p);
  }
  for (const p of paths) out.add(`/dev/disk/by-path/ip-${p.portal.text}-iscsi-${p.iqn}-lun-${p.lun}`);
  return out;
}

/**
 * `multipath -f MAP`, retried (os-brick tries 3 times): a map can be briefly
 * busy while udev or multipathd still hold it after the last I/O.
 */
async function flushMap(name: string, ctx: VolumeContext, opts: RunOptions, step: StepControl): Promise<void> {
  const { flushAttempts } = iscsiConfig(ctx);
  const clock = ctx.clock ?? systemClock;
  const tries = Math.max(1, flushAttempts);
  for (let i = 1; ; i++) {
    try {
      await ctx.runner.run('multipath', ['-f', name], opts);
      if (i > 1) step.detail(`flushed on attempt ${i}/${tries}`);
      return;
    } catch (err) {
      if (i >= tries) throw err;
      ctx.logger.warn({ map: name, attempt: i, err: (err as Error).message }, 'multipath flush failed; retrying');
      await clock.sleep(1000 * 2 ** (i - 1), ctx.signal);
    }
  }
}

/** Deleted SCSI devices leave sysfs asynchronously; the host side is only gone once they have. */
async function waitRemoved(disks: string[], ctx: VolumeContext, step: StepControl): Promise<void> {
  const { removalWaitMs, pollMs } = iscsiConfig(ctx);
  const clock = ctx.clock ?? systemClock;
  const sysfs = (ctx.host ?? hostIO()).sysfs;
  const deadline = clock.now() + removalWaitMs;
  for (;;) {
    const left: string[] = [];
    for (const d of disks) if ((await sysfs.list(`block/${d}`)).length > 0) left.push(d);
    if (left.length === 0) {
      step.detail(`${disks.join(',')} gone`);
      return;
    }
    const wait = deadline - clock.now();
    if (wait <= 0) {
      throw new Timeout(`SCSI device(s) ${left.map((d) => `/dev/${d}`).join(', ')} still present ${removalWaitMs} ms after delete`);
    }
    await clock.sleep(Math.min(pollMs, wait), ctx.signal);
  }
}

/** The one host-wide iSCSI lock (shared by every IscsiConnector unless a test injects another). */
export const iscsiHostLock = new AsyncMutex('host-wide iSCSI');

export class IscsiConnector implements VolumeConnector {
  readonly type = 'iscsi' as const;
  private readonly lock: AsyncMutex;

  constructor(opts: { lock?: AsyncMutex } = {}) {
    this.lock = opts.lock ?? iscsiHostLock;
  }

  validate(data: ConnectionData, opts: { connect?: boolean }): void {
    iscsiPaths(data);
    if (opts.connect) chapSettings(data);
  }

  /** Nothing in the request names a host path. */
  async checkPaths(): Promise<void> {}

  /** QEMU's own libiscsi disk by target, the device path, or a by-path link of the target's LUN. */
  matchesDisk(data: ConnectionData, disk: DiskInfo): boolean {
    const iqn = data['target_iqn'];
    return (disk.protocol === 'iscsi' && !!iqn && disk.source.startsWith(iqn))
      || (!!data['device_path'] && disk.source === data['device_path'])
      || (!!iqn && disk.type === 'block' && disk.source.includes(`iscsi-${iqn}-lun-${data['target_lun'] ?? ''}`));
  }

  async connect(vol: VolumeAttachment, ctx: VolumeContext): Promise<ConnectResult> {
    const data = vol.connection_info?.data ?? {};
    const paths = iscsiPaths(data); // validate before any command
    return this.lock.runExclusive(() => connectIscsi(paths, data, ctx), ctx.config.lockTimeoutMs);
  }

  async disconnect(vol: VolumeAttachment, ctx: VolumeContext): Promise<void> {
    const paths = iscsiPaths(vol.connection_info?.data ?? {}); // validate before any command
    await this.lock.runExclusive(() => this.disconnectLocked(paths, ctx), ctx.config.lockTimeoutMs);
  }

  private async disconnectLocked(paths: IscsiPath[], ctx: VolumeContext): Promise<void> {
    const { errors, runner } = ctx;
    const sysfs = (ctx.host ?? hostIO()).sysfs;
    const opts = (okCodes?: number[]): RunOptions => ({ timeoutMs: ctx.config.commandTimeoutMs, ...(okCodes ? { okCodes } : {}) });

    // Exit 21: "no active sessions" — a valid, empty answer.
    const listed = await errors.attempt('iscsi: list sessions', async (step) => {
      const r = await runner.run('iscsiadm', ['-m', 'session', '-P', '3'], opts([0, 21]));
      const sessions = parseSessions(r.stdout);
      step.detail(`${sessions.length} session(s)`);
      return sessions;
    });
    if (!listed.ok) return;
    const sessions = listed.value;

    const found = await errors.attempt('iscsi: find devices', async (step) => {
      const disks = new Set<string>();
      for (const p of paths) {
        for (const s of sessions.filter((x) => sessionMatches(x, p))) {
          for (const l of s.luns) if (l.lun === p.lun && l.disk !== undefined && SCSI_DISK.test(l.disk)) disks.add(l.disk);
        }
      }
      const maps = await findMaps(sysfs, [...disks]);
      for (const m of maps) for (const s of m.slaves) disks.add(s); // every path of the map is this volume's
      const list = [...disks].sort();
      step.detail(`${list.length === 0 ? 'no devices' : list.join(',')}${maps.length ? `; multipath ${maps.map((m) => m.name).join(',')}` : ''}`);
      if (list.length === 0) step.outcome('skipped');
      return { disks: list, maps };
    });
    if (!found.ok) return;
    const { disks, maps } = found.value;

    // Not knowing who else uses the devices must never lead to tearing them down.
    const shared = await errors.attempt('iscsi: check other users', async (step) => {
      const ours = devicePaths(paths, disks, maps);
      const users = (await ctx.usage.otherDiskSources()).filter((d) => ours.has(d.source));
      step.detail(users.length ? `in use by ${users.map((u) => `${u.domain}/${u.targetDev} (${u.source})`).join(', ')}` : 'no other users');
      if (users.length) step.outcome('skipped');
      return users.length > 0;
    });
    if (!shared.ok || shared.value) return;

    let mapFlushed = true;
    for (const m of maps) {
      const r = await errors.attempt(`multipath: flush ${m.name}`, (step) => flushMap(m.name, ctx, opts(), step));
      mapFlushed &&= r.ok;
    }
    if (!mapFlushed) ctx.logger.warn({ maps: maps.map((m) => m.name) }, 'multipath flush failed; removing paths anyway (force/ignore_errors)');

    for (const disk of disks) {
      await errors.attempt(`scsi: flush /dev/${disk}`, () => runner.run('blockdev', ['--flushbufs', `/dev/${disk}`], opts()));
      await errors.attempt(`scsi: delete /dev/${disk}`, async (step) => {
        try {
          await sysfs.write(`block/${disk}/device/delete`, '1');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          step.outcome('skipped'); // already gone: a retried disconnect
          step.detail('device already removed');
        }
      });
    }
    if (disks.length > 0) {
      await errors.attempt('scsi: wait for device removal', (step) => waitRemoved(disks, ctx, step));
    }

    await this.logoutSessions(paths, sessions, new Set(disks), ctx, opts);
  }

  /** Log out of sessions none of whose disks belong to another volume; drop node records. */
  private async logoutSessions(
    paths: IscsiPath[],
    sessions: IscsiSession[],
    ours: Set<string>,
    ctx: VolumeContext,
    opts: (okCodes?: number[]) => RunOptions,
  ): Promise<void> {
    const { errors, runner } = ctx;
    const candidates = new Map<string, IscsiSession>();
    const orphans = new Map<string, { iqn: string; portal: string }>();
    for (const p of paths) {
      const own = sessions.filter((s) => sessionMatches(s, p));
      for (const s of own) candidates.set(s.sid, s);
      if (own.length === 0) orphans.set(`${p.iqn} ${p.portal.text}`, { iqn: p.iqn, portal: p.portal.text });
    }
    for (const s of sessions) if (s.luns.some((l) => l.disk !== undefined && ours.has(l.disk))) candidates.set(s.sid, s);

    // Exit 21 ("no records/sessions found") means already done: idempotent.
    const node = (iqn: string, portal: string, ...rest: string[]): Promise<unknown> =>
      runner.run('iscsiadm', ['-m', 'node', '-T', iqn, '-p', portal, ...rest], opts([0, 21]));

    // Group by node (target, portal): `--logout` ends every session of the node
    // (all ifaces), so one foreign LUN on any of them keeps the whole node.
    const nodes = new Map<string, { iqn: string; portal: string; sids: string[]; foreign: number[] }>();
    for (const s of [...candidates.values()].sort((a, b) => Number(a.sid) - Number(b.sid))) {
      const key = `${s.target} ${s.persistentPortal}`;
      if (nodes.has(key)) continue;
      const same = sessions.filter((x) => x.target === s.target && x.persistentPortal === s.persistentPortal);
      const foreign = same.flatMap((x) => x.luns.filter((l) => l.disk !== undefined && !ours.has(l.disk)).map((l) => l.lun));
      nodes.set(key, { iqn: s.target, portal: s.persistentPortal, sids: same.map((x) => x.sid), foreign });
    }
    for (const n of nodes.values()) {
      const at = `${n.iqn} ${n.portal}`;
      if (n.foreign.length > 0) {
        ctx.steps.record(`iscsi: logout ${at}`, 'skipped', `session ${n.sids.join(',')} still has LUN(s) ${n.foreign.join(',')}`);
        continue;
      }
      // node.startup=manual first, so a failed logout/delete does not log back in at boot.
      await errors.attempt(`iscsi: node.startup manual ${at}`, () => node(n.iqn, n.portal, '--op', 'update', '-n', 'node.startup', '-v', 'manual'));
      await errors.attempt(`iscsi: logout ${at}`, () => node(n.iqn, n.portal, '--logout'));
      await errors.attempt(`iscsi: delete node ${at}`, () => node(n.iqn, n.portal, '--op', 'delete'));
    }
    for (const o of orphans.values()) {
      if (nodes.has(`${o.iqn} ${o.portal}`)) continue;
      await errors.attempt(`iscsi: delete node ${o.iqn} ${o.portal}`, (step) => {
        step.detail('no session');
        return node(o.iqn, o.portal, '--op', 'delete');
      });
    }
  }
}
