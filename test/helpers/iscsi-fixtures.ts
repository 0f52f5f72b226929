// `iscsiadm -m session -P 3` output as open-iscsi 2.1 prints it (trimmed of
// the CHAP/negotiated-params blocks, which the parser ignores anyway).
export interface FixtureSession {
  target: string;
  portal: string;
  sid: number;
  host: number;
  /** [lun, disk] — disk undefined for a LUN without a block device. */
  luns: Array<[number, string | undefined]>;
}

export function sessionBlock(s: FixtureSession): string {
  const lines = [
    `\tCurrent Portal: ${s.portal},1`,
    `\tPersistent Portal: ${s.portal},1`,
    '\t\t**********',
    '\t\tInterface:',
    '\t\t**********',
    '\t\tIface Name: default',
    '\t\tIface Transport: tcp',
    '\t\tIface Initiatorname: iqn.1993-08.org.debian:01:compute1',
    '\t\tIface IPaddress: 10.0.0.5',
    '\t\tIface HWaddress: default',
    '\t\tIface Netdev: default',
    `\t\tSID: ${s.sid}`,
    '\t\tiSCSI Connection State: LOGGED IN',
    '\t\tiSCSI Session State: LOGGED_IN',
    '\t\tInternal iscsid Session State: NO CHANGE',
    '\t\t*********',
    '\t\tTimeouts:',
    '\t\t*********',
    '\t\tRecovery Timeout: 120',
    '\t\t************************',
    '\t\tAttached SCSI devices:',
    '\t\t************************',
    `\t\tHost Number: ${s.host}\tState: running`,
  ];
  for (const [lun, disk] of s.luns) {
    lines.push(`\t\tscsi${s.host} Channel 00 Id 0 Lun: ${lun}`);
    if (disk) lines.push(`\t\t\tAttached scsi disk ${disk}\t\tState: running`);
  }
  return lines.join('\n');
}

/** Sessions grouped under one "Target:" header per target, like iscsiadm does. */
export function sessionsOutput(sessions: FixtureSession[]): string {
  const out = ['iSCSI Transport Class version 2.0-870', 'version 2.1.8'];
  const targets = [...new Set(sessions.map((s) => s.target))];
  for (const t of targets) {
    out.push(`Target: ${t} (non-flash)`);
    for (const s of sessions.filter((x) => x.target === t)) out.push(sessionBlock(s));
  }
  return out.join('\n') + '\n';
}

export const IQN = 'iqn.2010-10.org.openstack:volume-0b6a7a54-1c9e-4c53-9b6e-6a1f0f7d1a11';
export const IQN_OTHER = 'iqn.2010-10.org.openstack:volume-other';
export const PORTAL = '10.0.0.1:3260';
export const PORTAL2 = '10.0.1.1:3260';

export function nodeCmds(iqn: string, portal: string): Array<[string, string[]]> {
  const base = ['-m', 'node', '-T', iqn, '-p', portal];
  return [
    ['iscsiadm', [...base, '--op', 'update', '-n', 'node.startup', '-v', 'manual']],
    ['iscsiadm', [...base, '--logout']],
    ['iscsiadm', [...base, '--op', 'delete']],
  ];
}

export const LIST_SESSIONS: [string, string[]] = ['iscsiadm', ['-m', 'session', '-P', '3']];
