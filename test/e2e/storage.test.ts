// Real guests (TCG QEMU under qemu:///system) for the parts of issue 12 that
// depend on QEMU and a guest kernel, through the compiled agent process:
//   - a guest that panicked with on_crash=preserve (pvpanic; the panic comes
//     from `virsh inject-nmi` and the kernel's unknown_nmi_panic) is destroyed
//     by PowerOff: no QEMU process is left;
//   - a detach while an earlier unplug is still pending in the guest keeps
//     waiting and succeeds once the guest lets go;
//   - HardReboot of a managed-saved guest boots it fresh;
//   - Restore (PowerOn with the instance's volumes, as the controller's Restore
//     sends it) after the host side of a file-backed volume was torn down
//     mounts it again and boots the guest from it.
// The one stand-in: this machine's kernel has no NFS client, so the agent's
// `mount -t nfs ... -- HOST:/PATH MOUNTPOINT` reaches a small `mount` script
// first on the agent's PATH, which serves the export from a local directory
// with a bind mount. The mount, the mount table, the umount, libvirt and the
// guest reading the disk are all real.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { parseMountinfo } from '../../src/agent/volume/host-io';
import { md5Hex } from '../../src/agent/volume/md5';
import { codeName, errorOf, type Msg } from '../helpers/agent-client';
import {
  AgentProcess, READY, Virsh, blockAdded, blockRemoved, diskXml, guestXml, pollUntil, record, run, serialHas, serialLog,
  stopAllAgents, timings, waitSerial,
} from './helpers';

const env = inject('e2e');
const virsh = new Virsh(env.LIBVIRT_URI);
const G = { panic: 'e2e-panic', unplug: 'e2e-unplug', hsave: 'e2e-hsave', nfs: 'e2e-nfsvol' } as const;
const GRPC_DEADLINE = 120_000;

let tmp: string;
let agent: AgentProcess;
let exportRoot: string;
const stepsOf = (r: Msg) => (r.steps as Msg[]).map((s) => `${s.name}:${s.outcome}`);

/** QEMU processes of a guest (libvirt names them guest=NAME,...); zombies count as gone. */
function qemuPids(name: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
      if (cmd.startsWith('/usr/bin/qemu-system') && cmd.includes(`guest=${name},`)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const mounted = (p: string): boolean => parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8')).some((e) => e.mountPoint === p);

/** Stand-in for the NFS client (see the header): `mount -t nfs [-o O] -- HOST:/PATH MP` → bind mount of $E2E_EXPORT_ROOT/PATH. */
const MOUNT_SHIM = `#!/bin/sh
if [ "$1" = "-t" ] && [ "$2" = "nfs" ]; then
  shift 2
  [ "$1" = "-o" ] && shift 2
  [ "$1" = "--" ] && shift
  echo "$1 $2" >> "$E2E_EXPORT_ROOT/.mounts"
  exec /usr/bin/mount --bind "$E2E_EXPORT_ROOT/\${1#*:/}" "$2"
fi
exec /usr/bin/mount "$@"
`;

async function boot(name: string, xml: string): Promise<void> {
  fs.rmSync(serialLog(env, name), { force: true });
  const t0 = Date.now();
  const d = await agent.client.call('DefineDomain', { xml, start: true }, GRPC_DEADLINE);
  expect(d.power_state).toBe('POWER_STATE_RUNNING');
  record(`storage_${name}_boot_to_ready_ms`, (await waitSerial(env, name, READY, 90_000)) - t0);
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'virt-agent-e2e-storage-'));
  exportRoot = path.join(tmp, 'exports');
  fs.mkdirSync(path.join(exportRoot, 'srv', 'vols'), { recursive: true });
  const shimDir = path.join(tmp, 'shim');
  fs.mkdirSync(shimDir);
  fs.writeFileSync(path.join(shimDir, 'mount'), MOUNT_SHIM, { mode: 0o755 });
  await Promise.all(Object.values(G).map((n) => virsh.remove(n)));

  agent = await AgentProcess.start({
    dir: path.join(tmp, 'agent'), uri: env.LIBVIRT_URI, instancesPath: path.join(tmp, 'instances'),
    env: { PATH: `${shimDir}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`, E2E_EXPORT_ROOT: exportRoot },
  });
  await Promise.all([
    guestXml(env, G.panic, { panic: true }).then((x) => boot(G.panic, x)),
    // q35 with native PCIe hotplug: a repeated unplug request is refused while one is pending (pc's ACPI hotplug accepts it).
    guestXml(env, G.unplug, { q35: true }).then((x) => boot(G.unplug, x)),
    guestXml(env, G.hsave).then((x) => boot(G.hsave, x)),
  ]);
});

afterAll(async () => {
  await stopAllAgents();
  await agent?.stop();
  await Promise.all(Object.values(G).map((n) => virsh.remove(n)));
  if (tmp) {
    const mnt = path.join(tmp, 'agent', 'mnt');
    for (const e of parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8'))) {
      if (e.mountPoint.startsWith(mnt)) await run('umount', [e.mountPoint], { okCodes: [0, 32] });
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const summary = JSON.stringify({ e2eStorageTimings: timings }, null, 1);
  console.log(summary);
  fs.writeFileSync(path.join(env.E2E_DIR, 'last-e2e-storage-timings.json'), `${summary}\n`);
}, 120_000);

describe('crashed guest', () => {
  it('on_crash=preserve keeps QEMU after a kernel panic; PowerOff destroys it: no QEMU process left', async () => {
    const t0 = Date.now();
    await virsh.run(['inject-nmi', G.panic]);
    await pollUntil(async () => (await virsh.state(G.panic)) === 'crashed', 30_000, `${G.panic} crashed`);
    record('panic_to_crashed_ms', Date.now() - t0);
    expect(await virsh.out('domstate', G.panic, '--reason')).toBe('crashed (panicked)');
    const pids = qemuPids(G.panic);
    expect(pids).toHaveLength(1); // preserved: QEMU still holds the guest's memory

    const t1 = Date.now();
    const r = await agent.client.call('PowerOff', { domain: { name: G.panic }, timeout_seconds: 30 }, GRPC_DEADLINE);
    record('poweroff_crashed_rpc_ms', Date.now() - t1);
    expect(r).toMatchObject({ clean: false, shutdown_requests: 0, power_state: 'POWER_STATE_SHUTOFF' });
    expect(stepsOf(r)[0]).toBe('check-state:ok');
    expect(stepsOf(r)).toContain('destroy-graceful:ok');
    expect(await virsh.out('domstate', G.panic, '--reason')).toBe('shut off (destroyed)');
    await pollUntil(() => qemuPids(G.panic).length === 0, 10_000, `${G.panic} QEMU gone`);
  });
});

describe('detach while an earlier unplug is pending', () => {
  it('"already in the process of unplug" is waited out: detached once the guest releases the device', async () => {
    const file = path.join(tmp, 'unplug.img');
    await run('qemu-img', ['create', '-q', '-f', 'raw', file, '16M']);
    fs.writeFileSync(`${file}.xml`, diskXml(file, 'vdb', 'raw'));
    await virsh.run(['attach-device', G.unplug, `${file}.xml`, '--live']);
    await waitSerial(env, G.unplug, blockAdded('vdb'), 30_000);

    // Paused, the guest cannot answer: libvirt gives up waiting after ~5 s (reporting success), and
    // the unplug stays pending in QEMU (its PCIe slot timer does not run while the guest is paused).
    await virsh.run(['suspend', G.unplug]);
    await virsh.run(['detach-device', G.unplug, `${file}.xml`, '--live'], { timeoutMs: 60_000 });
    expect(await virsh.liveXml(G.unplug)).toContain(file);

    const t0 = Date.now();
    const call = agent.client.call('DisconnectVolume', {
      domain: { name: G.unplug }, volume: { volume_id: 'vol-unplug', connection_info: { driver_volume_type: 'local', data: { device_path: file } } },
    }, GRPC_DEADLINE);
    // The agent's request was answered "already in the process of unplug" and it now waits for DEVICE_REMOVED.
    await pollUntil(() => agent.lines.some((l) => l.msg === 'step' && /^detach-live \(1\//.test(String(l.step)) && l.outcome === 'skipped'),
      30_000, 'pending-unplug step in the agent log');
    const pendingAt = Date.now();
    record('unplug_pending_seen_ms', pendingAt - t0);
    await virsh.run(['resume', G.unplug]);
    const r = await call;
    record('unplug_pending_resume_to_detached_ms', Date.now() - pendingAt);
    expect(r).toMatchObject({ detached_from_domain: true, host_disconnected: true });
    expect(stepsOf(r).slice(0, 2)).toEqual(['detach-live (1/8):skipped', 'confirm-detached:ok']);
    expect((r.steps as Msg[])[0]!.detail).toContain('still pending');
    expect((r.steps as Msg[])[1]!.detail).toBe('DEVICE_REMOVED event');
    expect(await virsh.liveXml(G.unplug)).not.toContain(file);
    await waitSerial(env, G.unplug, blockRemoved('vdb'), 30_000);
  });
});

describe('HardReboot of a managed-saved guest', () => {
  it('drops the save image and boots fresh (PowerOn would have resumed it)', async () => {
    const saveFile = `/var/lib/libvirt/qemu/save/${G.hsave}.save`;
    await virsh.run(['managedsave', G.hsave], { timeoutMs: 90_000 });
    expect(fs.existsSync(saveFile)).toBe(true);
    fs.rmSync(serialLog(env, G.hsave), { force: true });
    const t0 = Date.now();
    const r = await agent.client.call('HardReboot', { domain: { name: G.hsave }, wait_timeout_seconds: 60 }, GRPC_DEADLINE);
    expect(r).toMatchObject({ power_state: 'POWER_STATE_RUNNING', started: true, resumed_managed_save: false });
    expect(stepsOf(r)).toContain('managed-save-remove:ok');
    expect(fs.existsSync(saveFile)).toBe(false);
    // A restored guest does not run /init again; a fresh boot prints its markers from the start.
    await waitSerial(env, G.hsave, 'virt-agent-e2e: init started', 90_000);
    record('hardreboot_managed_saved_to_ready_ms', (await waitSerial(env, G.hsave, READY, 90_000)) - t0);
  });
});

describe('Restore after the host side of a volume was torn down', () => {
  it('PowerOn with the volumes mounts the export again (md5 mountpoint) and the guest boots from the volume', async () => {
    await run('qemu-img', ['create', '-q', '-f', 'raw', path.join(exportRoot, 'srv', 'vols', 'volume-1'), '16M']);
    const vol = { volume_id: 'vol-nfs', target_dev: 'vda', connection_info: { driver_volume_type: 'nfs', data: { export: '127.0.0.1:/srv/vols', name: 'volume-1' } } };
    const mp = path.join(tmp, 'agent', 'mnt', md5Hex('127.0.0.1:/srv/vols'));

    const c = await agent.client.call('ConnectVolume', { volume: vol }, GRPC_DEADLINE);
    expect(c.device_path).toBe(path.join(mp, 'volume-1'));
    expect(mounted(mp)).toBe(true);
    await boot(G.nfs, await guestXml(env, G.nfs, { disks: [c.device_path] }));
    expect(serialHas(env, G.nfs, 'virt-agent-e2e: block present vda serial=vda')).toBe(true);
    await agent.client.call('PowerOff', { domain: { name: G.nfs }, timeout_seconds: 30 }, GRPC_DEADLINE);

    // The host side goes, as in a host reboot: the mount is gone, the guest's disk with it.
    await run('umount', [mp]);
    expect(fs.existsSync(c.device_path)).toBe(false);
    const without = await errorOf(agent.client.call('PowerOn', { domain: { name: G.nfs } }, GRPC_DEADLINE));
    expect(codeName(without.code)).toBe('FAILED_PRECONDITION');
    expect(without.details).toContain(c.device_path);
    expect(await virsh.state(G.nfs)).toBe('shut off');

    fs.rmSync(serialLog(env, G.nfs), { force: true });
    const t0 = Date.now();
    const r = await agent.client.call('PowerOn', { domain: { name: G.nfs }, volumes: [vol], wait_timeout_seconds: 60 }, GRPC_DEADLINE);
    record('restore_reconnect_poweron_rpc_ms', Date.now() - t0);
    expect(r).toMatchObject({ power_state: 'POWER_STATE_RUNNING', started: true });
    expect(stepsOf(r).slice(0, 5)).toEqual([
      'load-definition:ok', 'nfs: mount 127.0.0.1:/srv/vols:ok', 'nfs: check volume file:ok', 'connect-volume vol-nfs:ok', 'check-disks:ok',
    ]);
    expect(mounted(mp)).toBe(true);
    await waitSerial(env, G.nfs, 'virt-agent-e2e: block present vda serial=vda', 90_000);
    record('restore_reconnect_to_ready_ms', (await waitSerial(env, G.nfs, READY, 90_000)) - t0);

    // Gone for good: Destroy with the volume unmounts the export (nobody else uses it); the volume itself stays.
    const d = await agent.client.call('Destroy', { domain: { name: G.nfs }, volumes: [vol] }, GRPC_DEADLINE);
    expect(d).toMatchObject({ found: true, undefined: true });
    expect(mounted(mp)).toBe(false);
    expect(fs.existsSync(path.join(exportRoot, 'srv', 'vols', 'volume-1'))).toBe(true);
    expect(fs.readFileSync(path.join(exportRoot, '.mounts'), 'utf8').trim().split('\n')).toEqual([`127.0.0.1:/srv/vols ${mp}`, `127.0.0.1:/srv/vols ${mp}`]);
  });
});
