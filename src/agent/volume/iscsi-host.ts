// What the host's iSCSI state is, for connect and disconnect alike: the
// (portal, iqn, lun) paths a volume names, the sessions iscsiadm reports with
// their LUNs and disks, the multipath maps holding those disks, and the
// settings with their defaults.
import { InvalidArgument } from '../../errors';
import type { SysfsIO } from './host-io';
import type { IscsiHostConfig, VolumeContext } from './types';
import { dataField, parseList, parseLun, parsePortal, validateIqn, type Portal } from './validate';

/** Portals one volume may name (a multipath set); each costs a login and a device wait. */
export const MAX_PORTALS = 64;

export interface IscsiPath {
  portal: Portal;
  iqn: string;
  lun: number;
}

/**
 * The (portal, iqn, lun) paths of a volume, validated. Keys read from data:
 *  - single path: target_portal ("host:port"), target_iqn, target_lun ("0".."16383");
 *  - multipath: target_portals plus target_iqns and target_luns, each a JSON array
 *    string or comma-separated; when target_iqns / target_luns are absent,
 *    target_iqn / target_lun apply to every portal (os-brick's rule). Lists win
 *    over the single keys when both are present.
 */
export function iscsiPaths(data: Record<string, string>): IscsiPath[] {
  const need = (key: string): string => {
    const v = data[key];
    if (v === undefined || v.trim() === '') throw new InvalidArgument(dataField(key), 'is required');
    return v;
  };
  if (data['target_portals'] === undefined) {
    return [
      {
        portal: parsePortal(dataField('target_portal'), need('target_portal')),
        iqn: validateIqn(dataField('target_iqn'), need('target_iqn')),
        lun: parseLun(dataField('target_lun'), need('target_lun')),
      },
    ];
  }
  const portals = parseList(dataField('target_portals'), data['target_portals']);
  if (portals.length > MAX_PORTALS) {
    throw new InvalidArgument(`${dataField('target_portals')}[${MAX_PORTALS}]`,
      `is beyond the limit of ${MAX_PORTALS} portals per volume (${portals.length} given)`);
  }
  const listOr = (listKey: string, singleKey: string): string[] => {
    if (data[listKey] !== undefined) {
      const items = parseList(dataField(listKey), data[listKey]);
      if (items.length !== portals.length) {
        throw new InvalidArgument(dataField(listKey), `has ${items.length} item(s) but target_portals has ${portals.length}`);
      }
      return items;
    }
    return portals.map(() => need(singleKey));
  };
  const iqns = listOr('target_iqns', 'target_iqn');
  const luns = listOr('target_luns', 'target_lun');
  const field = (list: string, single: string): string => dataField(data[list] !== undefined ? list : single);
  return portals.map((p, i) => ({
    portal: parsePortal(dataField('target_portals'), p),
    iqn: validateIqn(field('target_iqns', 'target_iqn'), iqns[i]!),
    lun: parseLun(field('target_luns', 'target_lun'), luns[i]!),
  }));
}

export interface ScsiLun {
  lun: number;
  /** Block device name (sdX) when the LUN has one attached. */
  disk?: string;
}

export interface IscsiSession {
  sid: string;
  target: string;
  /** "host:port" without the ",tpgt" suffix. */
  currentPortal: string;
  persistentPortal: string;
  luns: ScsiLun[];
}

const stripTpgt = (p: string): string => p.replace(/,\d+$/, '').toLowerCase();

/** Parses `iscsiadm -m session -P 3` (open-iscsi 2.x) into sessions with their LUNs. */
export function parseSessions(text: string): IscsiSession[] {
  const sessions: IscsiSession[] = [];
  let target: string | undefined;
  let cur: IscsiSession | undefined;
  let lun: ScsiLun | undefined;
  for (const line of text.split('\n').map((l) => l.trim())) {
    let m: RegExpExecArray | null;
    if ((m = /^Target:\s*(\S+)/.exec(line))) {
      target = m[1]!;
      cur = lun = undefined;
    } else if ((m = /^Current Portal:\s*(\S+)/.exec(line)) && target !== undefined) {
      const portal = stripTpgt(m[1]!);
      cur = { sid: '', target, currentPortal: portal, persistentPortal: portal, luns: [] };
      sessions.push(cur);
      lun = undefined;
    } else if ((m = /^Persistent Portal:\s*(\S+)/.exec(line)) && cur) {
      cur.persistentPortal = stripTpgt(m[1]!);
    } else if ((m = /^SID:\s*(\d+)/.exec(line)) && cur) {
      cur.sid = m[1]!;
    } else if ((m = /^scsi\d+\s+Channel\s+\d+\s+Id\s+\d+\s+Lun:\s*(\d+)/.exec(line)) && cur) {
      lun = { lun: Number(m[1]) };
      cur.luns.push(lun);
    } else if ((m = /^Attached scsi disk\s+(\S+)/.exec(line)) && lun) {
      lun.disk = m[1]!;
    }
  }
  return sessions;
}

/** iSCSI names compare case-insensitively (RFC 3722 stringprep lower-cases them). */
export function sessionMatches(s: IscsiSession, p: IscsiPath): boolean {
  return s.target.toLowerCase() === p.iqn.toLowerCase() && (s.currentPortal === p.portal.text || s.persistentPortal === p.portal.text);
}

export const SCSI_DISK = /^sd[a-z]{1,4}$/;
const DM_DEV = /^dm-\d{1,6}$/;
const MAP_NAME = /^[A-Za-z0-9_.:+][A-Za-z0-9_.:+-]{0,127}$/;

export interface MultipathMap {
  dm: string;
  name: string;
  uuid: string;
  slaves: string[];
}

/** Multipath maps (dm uuid "mpath-…") holding any of the disks, with all their slave paths. */
export async function findMaps(sysfs: SysfsIO, disks: string[]): Promise<MultipathMap[]> {
  const maps = new Map<string, MultipathMap>();
  for (const disk of disks) {
    for (const dm of await sysfs.list(`block/${disk}/holders`)) {
      if (!DM_DEV.test(dm) || maps.has(dm)) continue;
      const uuid = (await sysfs.read(`block/${dm}/dm/uuid`)) ?? '';
      const name = (await sysfs.read(`block/${dm}/dm/name`)) ?? '';
      if (!uuid.startsWith('mpath-')) continue; // LVM/partitions etc. are not ours to flush
      if (!MAP_NAME.test(name)) throw new Error(`multipath map of ${disk} has an unusable name ${JSON.stringify(name)}`);
      const slaves = (await sysfs.list(`block/${dm}/slaves`)).filter((s) => SCSI_DISK.test(s));
      maps.set(dm, { dm, name, uuid, slaves });
    }
  }
  return [...maps.values()];
}

/** Settings with their defaults filled in. */
export function iscsiConfig(ctx: VolumeContext): IscsiHostConfig {
  return { deviceWaitMs: 20_000, removalWaitMs: 10_000, flushAttempts: 3, useMultipath: false, pollMs: 500, ...ctx.config.iscsi };
}

