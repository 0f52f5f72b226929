// iSCSI host connect (os-brick's ISCSIConnector.connect_volume, re-derived),
// run under the host-wide iSCSI lock:
//   1. iscsiadm -m session -P 3                → sessions already logged in
//   2. per target portal (each portal of a multipath set):
//        node record (create when missing), CHAP settings when given,
//        --login unless a session exists, node.startup=automatic (back after a host reboot)
//   3. wait, with a deadline, for /dev/disk/by-path/ip-PORTAL-iscsi-IQN-lun-N of every
//      path, rescanning the sessions of missing ones with backoff
//   4. multipath: multipathd add path per device, then wait for the dm map holding them
// Answer: the multipath map (/dev/mapper/NAME), or the by-path link of the single path.
// A multipath set tolerates failed portals as long as one path works; a single path does not.
// A failed iscsiadm answers in the taxonomy naming target and portal (iscsi-errors.ts):
// unreachable → Unavailable, refused → FailedPrecondition; a set whose every portal
// was unreachable is Unavailable too, any other failed set FailedPrecondition.
import { FailedPrecondition, InvalidArgument, Timeout, Unavailable, errorMessage, isAppError } from '../../errors';
import { systemClock } from '../clock';
import type { RunOptions } from '../exec';
import { hostIO } from './host-io';
import { iscsiFailure } from './iscsi-errors';
import { findMaps, iscsiConfig, parseSessions, SCSI_DISK, sessionMatches, type IscsiPath } from './iscsi-host';
import type { ConnectResult, VolumeContext } from './types';
import { dataField } from './validate';

/** The udev link of one path's LUN. */
export function byPathLink(p: IscsiPath): string {
  return `/dev/disk/by-path/ip-${p.portal.text}-iscsi-${p.iqn}-lun-${p.lun}`;
}

interface Chap {
  method: string;
  username: string;
  password: string;
}

const CHAP_VALUE = /^[\x21-\x7e]{1,255}$/;

/** Cinder's auth_method / auth_username / auth_password, checked before any command. */
export function chapSettings(data: Record<string, string>): Chap | undefined {
  const method = (data['auth_method'] ?? '').trim();
  if (method === '' || method.toLowerCase() === 'none') return undefined;
  if (method.toUpperCase() !== 'CHAP') throw new InvalidArgument(dataField('auth_method'), `unsupported ${JSON.stringify(method)} (CHAP)`);
  const get = (key: string): string => {
    const v = data[key] ?? '';
    if (!CHAP_VALUE.test(v)) throw new InvalidArgument(dataField(key), 'must be 1-255 printable characters without spaces');
    return v;
  };
  return { method: 'CHAP', username: get('auth_username'), password: get('auth_password') };
}

/** Distinct (target, portal) pairs: several LUNs of one target share one login. */
function targetsOf(paths: IscsiPath[]): Array<{ iqn: string; portal: string; paths: IscsiPath[] }> {
  const out = new Map<string, { iqn: string; portal: string; paths: IscsiPath[] }>();
  for (const p of paths) {
    const key = `${p.iqn.toLowerCase()} ${p.portal.text}`;
    const t = out.get(key) ?? { iqn: p.iqn, portal: p.portal.text, paths: [] };
    t.paths.push(p);
    out.set(key, t);
  }
  return [...out.values()];
}

export async function connectIscsi(paths: IscsiPath[], data: Record<string, string>, ctx: VolumeContext): Promise<ConnectResult> {
  const chap = chapSettings(data);
  const cfg = iscsiConfig(ctx);
  const multipath = paths.length > 1 || cfg.useMultipath;
  const clock = ctx.clock ?? systemClock;
  const host = ctx.host ?? hostIO();
  const { runner, steps } = ctx;
  const opts = (okCodes?: number[], redact?: string[]): RunOptions =>
    ({ timeoutMs: ctx.config.commandTimeoutMs, ...(okCodes ? { okCodes } : {}), ...(redact ? { redact } : {}) });

  const sessions = await steps.run('iscsi: list sessions', async (step) => {
    const r = await runner.run('iscsiadm', ['-m', 'session', '-P', '3'], opts([0, 21])).catch((err: unknown) => {
      const all = targetsOf(paths);
      throw iscsiFailure(err, [...new Set(all.map((t) => t.iqn))].join(', '), all.map((t) => t.portal).join(', '));
    });
    const list = parseSessions(r.stdout);
    step.detail(`${list.length} session(s)`);
    return list;
  });

  // Logins. Exit 21: no such node record; 15: session already exists.
  const loggedIn: typeof paths = [];
  const failures: unknown[] = [];
  for (const t of targetsOf(paths)) {
    const node = (rest: string[], okCodes?: number[], redact?: string[]) =>
      runner.run('iscsiadm', ['-m', 'node', '-T', t.iqn, '-p', t.portal, ...rest], opts(okCodes, redact))
        .catch((err: unknown) => { throw iscsiFailure(err, t.iqn, t.portal); });
    try {
      await steps.run(`iscsi: login ${t.iqn} ${t.portal}`, async (step) => {
        if ((await node([], [0, 21])).code === 21) await node(['--interface', 'default', '--op', 'new']);
        if (chap) {
          await node(['--op', 'update', '-n', 'node.session.auth.authmethod', '-v', chap.method]);
          await node(['--op', 'update', '-n', 'node.session.auth.username', '-v', chap.username]);
          await node(['--op', 'update', '-n', 'node.session.auth.password', '-v', chap.password], undefined, [chap.password]);
        }
        if (sessions.some((s) => t.paths.some((p) => sessionMatches(s, p)))) {
          step.detail('session exists');
        } else {
          await node(['--login'], [0, 15]);
          step.detail('logged in');
        }
        await node(['--op', 'update', '-n', 'node.startup', '-v', 'automatic']);
      }, { failedAs: multipath ? 'warning' : 'failed' });
      loggedIn.push(...t.paths);
    } catch (err) {
      if (!multipath) throw err;
      failures.push(err);
    }
  }
  if (loggedIn.length === 0) {
    const why = `iSCSI: no portal of the volume could be logged in to: ${failures.map(errorMessage).join('; ')}`;
    if (failures.every((e) => isAppError(e) && e.kind === 'Unavailable')) throw new Unavailable(`${why} (retry when they are back)`);
    throw new FailedPrecondition(why);
  }

  const devices = await steps.run('iscsi: wait for devices', async (step) => {
    const found = new Map<IscsiPath, string>();
    const started = clock.now();
    const deadline = started + cfg.deviceWaitMs;
    let rescanAt = started + 1000;
    let rescanEvery = 1000;
    for (;;) {
      for (const p of loggedIn) {
        if (found.has(p)) continue;
        const target = await host.resolveLink(byPathLink(p));
        const name = target?.startsWith('/dev/') ? target.slice('/dev/'.length) : '';
        if (SCSI_DISK.test(name)) found.set(p, name);
      }
      const now = clock.now();
      if (found.size === loggedIn.length || (now >= deadline && found.size > 0)) break;
      if (now >= deadline) {
        throw new Timeout(`iSCSI: no device for ${loggedIn.map((p) => `${p.portal.text} lun ${p.lun}`).join(', ')} within ${cfg.deviceWaitMs} ms of login`);
      }
      if (now >= rescanAt) {
        // Targets with a missing LUN: ask the initiator to scan again (os-brick does, with backoff).
        for (const t of targetsOf(loggedIn.filter((p) => !found.has(p)))) {
          await runner.run('iscsiadm', ['-m', 'node', '-T', t.iqn, '-p', t.portal, '--rescan'], opts([0, 21]))
            .catch((err: unknown) => { throw iscsiFailure(err, t.iqn, t.portal); });
        }
        rescanEvery *= 2;
        rescanAt = now + rescanEvery;
      }
      await clock.sleep(Math.min(cfg.pollMs, deadline - now), ctx.signal);
    }
    const names = [...found.values()];
    step.detail(`${names.join(',')}${found.size < paths.length ? ` (${found.size} of ${paths.length} paths)` : ''}`);
    if (found.size < paths.length) step.outcome('warning');
    return found;
  });

  const first = loggedIn.find((p) => devices.has(p))!;
  if (!multipath) return { devicePath: byPathLink(first) };

  const disks = [...new Set(devices.values())];
  const map = await steps.run('multipath: wait for map', async (step) => {
    for (const d of disks) await runner.run('multipathd', ['add', 'path', `/dev/${d}`], opts());
    const deadline = clock.now() + cfg.deviceWaitMs;
    for (;;) {
      const maps = await findMaps(host.sysfs, disks);
      if (maps.length > 1) throw new FailedPrecondition(`multipath: the paths of one volume sit in ${maps.length} maps (${maps.map((m) => m.name).join(', ')})`);
      if (maps.length === 1) {
        step.detail(`${maps[0]!.name} (${maps[0]!.dm}) over ${maps[0]!.slaves.join(',')}`);
        return maps[0]!;
      }
      const left = deadline - clock.now();
      if (left <= 0) {
        // os-brick's fallback: a single path still works, without failover.
        step.outcome('warning');
        step.detail(`no multipath map over ${disks.join(',')} within ${cfg.deviceWaitMs} ms; using one path`);
        return undefined;
      }
      await clock.sleep(Math.min(cfg.pollMs, left), ctx.signal);
    }
  });
  return { devicePath: map ? `/dev/mapper/${map.name}` : byPathLink(first) };
}
