// Real guests (TCG QEMU under qemu:///system) driven through the compiled
// agent process over gRPC. See test/e2e/README.md for the guest and its
// console markers. All guests boot in parallel in beforeAll; the tests then
// run in order (later ones reuse guests left running by earlier ones), and the
// libvirtd restart comes last.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { codeName, errorOf, type EventStream, type Msg } from '../helpers/agent-client';
import {
  AgentProcess, READY, Virsh, blockAdded, blockRemoved, diskXml, guestUuid, guestXml, pidFromFile,
  record, run, serialHas, serialLog, sha256, stopAllAgents, stopPid, timestampMs, timings, waitSerial, REPO,
} from './helpers';

const env = inject('e2e');
const virsh = new Virsh(env.LIBVIRT_URI);

const G = {
  acpi: 'e2e-acpi',       // 1 PowerOff, 4 PowerOn, 7b libvirtd restart
  noacpi: 'e2e-noacpi',   // 2 PowerOff of a guest ignoring ACPI
  msave: 'e2e-msave',     // 3 managed save + Destroy
  vol: 'e2e-vol',         // 5 DisconnectVolume, 7a agent restart
  disks: 'e2e-disks',     // 6 Destroy with destroy_disks
} as const;

// Short detach budget so the paused-guest case fails fast. libvirt 9.0 itself
// waits 5 s inside each detach call of an unresponsive guest, so the agent
// gives up after about attempts x 5 s.
const AGENT_CONFIG = { detach: { timeoutSeconds: 2, attempts: 2 } };
const GRPC_DEADLINE = 90_000;

let tmp: string;
let instances: string;
let outside: string;
let agent: AgentProcess;
const agents: AgentProcess[] = [];
const watches: EventStream[] = [];

function startAgent(): Promise<AgentProcess> {
  return AgentProcess.start({ dir: path.join(tmp, 'agent'), uri: env.LIBVIRT_URI, instancesPath: instances, config: AGENT_CONFIG })
    .then((a) => {
      agents.push(a);
      return a;
    });
}

function watch(name: string): EventStream {
  const w = agent.client.watch({ domain: { name } }, 280_000);
  watches.push(w);
  return w;
}

const isStopped = (name: string) => (e: Msg) => e.domain_name === name && e.lifecycle?.event === 'STOPPED';
const stepsOf = (r: Msg) => (r.steps as Msg[]).map((s) => `${s.name}:${s.outcome}`);
const stepMs = (r: Msg, re: RegExp) => (r.steps as Msg[]).filter((s) => re.test(s.name)).reduce((n, s) => n + Number(s.duration_ms), 0);

/** DefineDomain(start) through the agent, then the console's ready line. */
async function boot(name: string, xml: string): Promise<void> {
  fs.rmSync(serialLog(env, name), { force: true });
  const t0 = Date.now();
  const d = await agent.client.call('DefineDomain', { xml, start: true }, GRPC_DEADLINE);
  expect(d.power_state).toBe('POWER_STATE_RUNNING');
  record('define_start_ms', Date.now() - t0);
  const readyAt = await waitSerial(env, name, READY, 90_000);
  record('boot_to_ready_ms', readyAt - t0);
}

async function powerOffClean(name: string, label: string): Promise<{ r: Msg; latency: number }> {
  const w = watch(name);
  const t0 = Date.now();
  const r = await agent.client.call('PowerOff', { domain: { name }, timeout_seconds: 30 }, GRPC_DEADLINE);
  const respAt = Date.now();
  const stopped = await w.next(isStopped(name), 10_000, `STOPPED of ${name}`);
  w.cancel();
  expect(r).toMatchObject({ clean: true, power_state: 'POWER_STATE_SHUTOFF' });
  expect(r.shutdown_requests).toBeGreaterThanOrEqual(1);
  expect(stopped.lifecycle.detail).toBe('STOPPED_SHUTDOWN');
  expect(await virsh.state(name)).toBe('shut off');
  const latency = respAt - timestampMs(stopped.time);
  record(`${label}_clean_shutdown_ms`, Number(r.elapsed_ms));
  record(`${label}_poweroff_rpc_ms`, respAt - t0);
  record(`${label}_detect_latency_ms`, latency);
  const detail = (r.steps as Msg[]).find((s) => s.name === 'wait-stopped')?.detail as string;
  record(`${label}_wait_stopped_detail`, detail);
  return { r, latency };
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'virt-agent-e2e-'));
  instances = path.join(tmp, 'instances');
  outside = path.join(tmp, 'outside');
  fs.mkdirSync(instances, { recursive: true });
  fs.mkdirSync(outside, { recursive: true });

  // Leftovers of an earlier run with the same names.
  await Promise.all(Object.values(G).map((n) => virsh.remove(n)));

  // Disks of the destroy_disks guest: two under the instances directory, one outside it.
  const uuid = guestUuid(G.disks);
  fs.mkdirSync(path.join(instances, uuid), { recursive: true });
  await run('qemu-img', ['create', '-q', '-f', 'raw', path.join(instances, uuid, 'disk'), '16M']);
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', path.join(instances, uuid, 'disk.eph0'), '16M']);
  fs.writeFileSync(path.join(outside, 'shared.raw'), Buffer.alloc(1024 * 1024, 0x5a));

  const t0 = Date.now();
  agent = await startAgent();
  record('agent_start_ms', Date.now() - t0);

  const xmls = {
    [G.acpi]: await guestXml(env, G.acpi),
    [G.noacpi]: await guestXml(env, G.noacpi, { ignoreAcpi: true }),
    [G.msave]: await guestXml(env, G.msave),
    [G.vol]: await guestXml(env, G.vol),
    [G.disks]: await guestXml(env, G.disks, {
      disks: [path.join(instances, uuid, 'disk'), path.join(instances, uuid, 'disk.eph0'), path.join(outside, 'shared.raw')],
    }),
  };
  const t1 = Date.now();
  await Promise.all(Object.entries(xmls).map(([name, xml]) => boot(name, xml)));
  record('parallel_boot_5_guests_ms', Date.now() - t1);
  expect(serialHas(env, G.noacpi, 'virt-agent-e2e: acpid disabled')).toBe(true);
  expect(serialHas(env, G.acpi, 'virt-agent-e2e: acpid started')).toBe(true);
});

afterAll(async () => {
  for (const w of watches) w.cancel();
  await stopAllAgents();
  for (const a of agents) await a.stop();
  // Every e2e-* guest goes, running or defined, with its managed save.
  const names = await virsh.names().catch(() => [] as string[]);
  await Promise.all([...new Set([...names.filter((n) => n.startsWith('e2e-')), ...Object.values(G)])].map((n) => virsh.remove(n)));
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  record('total_ms_since_global_setup', Date.now() - env.setupStartedAt);
  record('global_setup_ms', env.setupMs);
  const summary = JSON.stringify({ e2eTimings: timings }, null, 1);
  console.log(summary);
  fs.writeFileSync(path.join(env.E2E_DIR, 'last-e2e-timings.json'), `${summary}\n`);
}, 120_000);

describe('PowerOff', () => {
  it('1: ACPI guest, timeout 30 s: clean, SHUTOFF, detected within 100 ms of the STOPPED event', async () => {
    const { r, latency } = await powerOffClean(G.acpi, 'acpi');
    expect(r.shutdown_requests).toBe(1);
    expect(serialHas(env, G.acpi, 'virt-agent-e2e: acpi power button, powering off')).toBe(true);
    expect(latency).toBeLessThan(100);
    // The agent's own account: the event it woke on (or a state check that beat it).
    const detail = (r.steps as Msg[]).find((s) => s.name === 'wait-stopped')!.detail as string;
    const m = /^event \+(\d+)ms$/.exec(detail);
    if (m) expect(Number(m[1])).toBeLessThan(100);
    else expect(detail).toBe('state check');
  });

  it('2: guest ignoring ACPI, timeout 5 s, retry 1 s: destroyed after >= 4 requests, within 5 s + destroy', async () => {
    const w = watch(G.noacpi);
    const t0 = Date.now();
    const r = await agent.client.call('PowerOff', { domain: { name: G.noacpi }, timeout_seconds: 5, retry_interval_seconds: 1 }, GRPC_DEADLINE);
    const rpcMs = Date.now() - t0;
    const stopped = await w.next(isStopped(G.noacpi), 10_000, 'STOPPED');
    w.cancel();
    expect(r).toMatchObject({ clean: false, power_state: 'POWER_STATE_SHUTOFF' });
    expect(r.shutdown_requests).toBeGreaterThanOrEqual(4);
    expect(stepsOf(r)).toContain('wait-stopped:failed');
    expect(stopped.lifecycle.detail).toBe('STOPPED_DESTROYED');
    const destroyMs = stepMs(r, /^destroy/);
    expect(destroyMs).toBeGreaterThan(0);
    expect(Number(r.elapsed_ms)).toBeGreaterThanOrEqual(5000);
    expect(Number(r.elapsed_ms)).toBeLessThan(5000 + destroyMs + 1000);
    expect(rpcMs).toBeLessThan(5000 + destroyMs + 2000);
    expect(await virsh.out('domstate', G.noacpi, '--reason')).toBe('shut off (destroyed)');
    expect(serialHas(env, G.noacpi, 'virt-agent-e2e: acpi power button, powering off')).toBe(false);
    record('noacpi_poweroff_elapsed_ms', Number(r.elapsed_ms));
    record('noacpi_shutdown_requests', Number(r.shutdown_requests));
    record('noacpi_destroy_ms', destroyMs);
  });
});

describe('Destroy', () => {
  it('3: managed-saved guest: undefined, save image removed, gone from virsh list --all', async () => {
    const saveFile = `/var/lib/libvirt/qemu/save/${G.msave}.save`;
    const t0 = Date.now();
    await virsh.run(['managedsave', G.msave], { timeoutMs: 90_000 });
    record('managedsave_ms', Date.now() - t0);
    expect(fs.existsSync(saveFile)).toBe(true);
    const before = await agent.client.call('GetDomain', { domain: { name: G.msave } });
    expect(before).toMatchObject({ power_state: 'POWER_STATE_SHUTOFF', has_managed_save: true });

    const t1 = Date.now();
    const r = await agent.client.call('Destroy', { domain: { name: G.msave } }, GRPC_DEADLINE);
    record('destroy_managed_saved_ms', Date.now() - t1);
    expect(r).toMatchObject({ found: true, was_running: false, undefined: true, managed_save_removed: true });
    expect(fs.existsSync(saveFile)).toBe(false);
    expect(await virsh.names()).not.toContain(G.msave);
    const err = await errorOf(agent.client.call('GetDomain', { domain: { name: G.msave } }));
    expect(codeName(err.code)).toBe('NOT_FOUND');
  });
});

describe('PowerOn', () => {
  it('4: after PowerOff: RUNNING and the guest boots again', async () => {
    expect(await virsh.state(G.acpi)).toBe('shut off');
    const t0 = Date.now();
    const r = await agent.client.call('PowerOn', { domain: { name: G.acpi }, wait_timeout_seconds: 60 }, GRPC_DEADLINE);
    expect(r).toMatchObject({ power_state: 'POWER_STATE_RUNNING', started: true, resumed_managed_save: false });
    expect(await virsh.state(G.acpi)).toBe('running');
    // QEMU truncated the console at its start, so this ready line is the new boot's.
    const readyAt = await waitSerial(env, G.acpi, READY, 90_000);
    record('poweron_rpc_ms', Number(r.elapsed_ms));
    record('poweron_to_ready_ms', readyAt - t0);
  });
});

describe('DisconnectVolume (local)', () => {
  const vols = () => path.join(tmp, 'vols');
  const local = (id: string, file: string) => ({ volume_id: id, connection_info: { driver_volume_type: 'local', data: { device_path: file } } });

  async function hotAttach(file: string, target: string, format: 'raw' | 'qcow2'): Promise<void> {
    await run('qemu-img', ['create', '-q', '-f', format, file, '16M']);
    const xmlFile = `${file}.xml`;
    fs.writeFileSync(xmlFile, diskXml(file, target, format));
    const t0 = Date.now();
    await virsh.run(['attach-device', G.vol, xmlFile, '--live']);
    const seenAt = await waitSerial(env, G.vol, blockAdded(target), 30_000);
    record('hot_attach_seen_ms', seenAt - t0);
    expect(await virsh.liveXml(G.vol)).toContain(file);
  }

  it('5a: hot-attached raw and qcow2 disks: detached, gone from the live XML, released by the guest', async () => {
    fs.mkdirSync(vols(), { recursive: true });
    const disks = [
      { file: path.join(vols(), 'raw.img'), target: 'vdb', format: 'raw' as const },
      { file: path.join(vols(), 'data.qcow2'), target: 'vdc', format: 'qcow2' as const },
    ];
    for (const d of disks) await hotAttach(d.file, d.target, d.format);
    for (const d of disks) {
      const t0 = Date.now();
      const r = await agent.client.call('DisconnectVolume', { domain: { name: G.vol }, volume: local(`vol-${d.format}`, d.file) }, GRPC_DEADLINE);
      const rpcMs = Date.now() - t0;
      expect(r).toMatchObject({ detached_from_domain: true, host_disconnected: true });
      expect(stepsOf(r)).toContain('confirm-detached:ok');
      expect(await virsh.liveXml(G.vol)).not.toContain(d.file);
      const goneAt = await waitSerial(env, G.vol, blockRemoved(d.target), 30_000);
      record(`detach_${d.format}_rpc_ms`, rpcMs);
      record(`detach_${d.format}_guest_release_ms`, goneAt - t0);
    }
  });

  it('5b: paused guest: DEADLINE_EXCEEDED naming the device, not detached, disk still in the live XML', async () => {
    const file = path.join(vols(), 'paused.img');
    await hotAttach(file, 'vdd', 'raw');
    await virsh.run(['suspend', G.vol]);
    expect(await virsh.state(G.vol)).toBe('paused');
    try {
      const t0 = Date.now();
      const err = await errorOf(agent.client.call('DisconnectVolume', { domain: { name: G.vol }, volume: local('vol-paused', file) }, GRPC_DEADLINE));
      record('detach_paused_error_ms', Date.now() - t0);
      expect(codeName(err.code)).toBe('DEADLINE_EXCEEDED');
      expect(err.details).toMatch(/device vdd\b/);
      expect(err.details).toMatch(/not released/);
      expect(await virsh.liveXml(G.vol)).toContain(file);
      expect(serialHas(env, G.vol, blockRemoved('vdd'))).toBe(false);
      const failed = agent.logs('DisconnectVolume failed').at(-1);
      expect(failed?.err).toMatch(/vdd/);
      expect(failed?.steps.map((s: Msg) => `${s.name}:${s.outcome}`)).not.toContain('local: host disconnect:skipped');
    } finally {
      await virsh.run(['resume', G.vol]);
    }
    // Resumed, the guest completes the detach libvirt left pending (not asserted: QEMU's behaviour).
    const t1 = Date.now();
    const released = await waitSerial(env, G.vol, blockRemoved('vdd'), 20_000).then((at) => at - t1, () => -1);
    record('paused_detach_released_after_resume_ms', released);
  });
});

describe('Destroy with destroy_disks', () => {
  it("6: disks in the instance's directory removed; a disk outside it refused with a warning and untouched", async () => {
    const uuid = guestUuid(G.disks);
    const inside = [path.join(instances, uuid, 'disk'), path.join(instances, uuid, 'disk.eph0')];
    const shared = path.join(outside, 'shared.raw');
    const before = { sha: sha256(shared), stat: fs.statSync(shared) };
    expect(await virsh.state(G.disks)).toBe('running');

    const t0 = Date.now();
    const r = await agent.client.call('Destroy', { domain: { name: G.disks }, destroy_disks: true }, GRPC_DEADLINE);
    record('destroy_running_with_disks_ms', Date.now() - t0);
    record('destroy_running_destroy_step_ms', stepMs(r, /^destroy/));
    expect(r).toMatchObject({ found: true, was_running: true, undefined: true });
    for (const f of inside) expect(fs.existsSync(f), f).toBe(false);
    expect(fs.existsSync(path.join(instances, uuid))).toBe(false);
    expect(stepsOf(r)).toEqual(expect.arrayContaining(['remove-disk vda:ok', 'remove-disk vdb:ok', 'remove-disk vdc:skipped']));
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain(shared);
    expect(r.warnings[0]).toMatch(/outside this instance's directory/);
    expect(sha256(shared)).toBe(before.sha);
    expect(fs.statSync(shared).mtimeMs).toBe(before.stat.mtimeMs);
    expect(await virsh.names()).not.toContain(G.disks);
  });
});

describe('restarts', () => {
  it('7a: agent restarted while libvirtd runs: the next PowerOff works', async () => {
    const old = agent;
    const t0 = Date.now();
    const exit = await old.stop();
    expect(exit.code).toBe(0);
    agent = await startAgent();
    record('agent_restart_ms', Date.now() - t0);
    expect(agent.pid).not.toBe(old.pid);
    expect(await virsh.state(G.vol)).toBe('running');
    await powerOffClean(G.vol, 'after_agent_restart');
  });

  it('7b: libvirtd restarted under the agent: reconnects, events flow again, the next PowerOff works', async () => {
    expect(await virsh.state(G.acpi)).toBe('running');
    const w = watch(G.acpi);
    const pidFile = path.join(env.E2E_DIR, 'libvirtd.pid');
    const pid = pidFromFile(pidFile, 'libvirtd');
    expect(pid, `libvirtd started by scripts/e2e-setup.sh (${pidFile})`).not.toBeNull();

    const t0 = Date.now();
    await stopPid(pid!);
    const downAt = await agent.waitHealth('NOT_SERVING', 30_000);
    record('libvirtd_down_noticed_ms', downAt - t0);

    const t1 = Date.now();
    await run('bash', [path.join(REPO, 'scripts', 'e2e-setup.sh')], { timeoutMs: 180_000, env: { ...process.env, E2E_DIR: env.E2E_DIR } });
    const upAt = Date.now();
    const servingAt = await agent.waitHealth('SERVING', 60_000);
    record('libvirtd_restart_ms', upAt - t1);
    record('agent_reconnect_after_libvirtd_up_ms', servingAt - upAt);
    expect(agent.logs('libvirt connected').some((l) => l.reconnect === true)).toBe(true);
    expect(pidFromFile(pidFile, 'libvirtd')).not.toBe(pid);
    expect(await virsh.state(G.acpi)).toBe('running'); // the guest outlived libvirtd

    const stoppedSeen = w.next(isStopped(G.acpi), 60_000, 'STOPPED after the libvirtd restart (stream opened before it)');
    const { r } = await powerOffClean(G.acpi, 'after_libvirtd_restart');
    expect(r.shutdown_requests).toBe(1);
    const e = await stoppedSeen;
    expect(e.lifecycle.detail).toBe('STOPPED_SHUTDOWN');
    expect(timestampMs(e.time)).toBeGreaterThan(servingAt - 1000);
  });
});

describe('budget', () => {
  it('the e2e run (setup, boots and every test above) stays within 5 minutes', () => {
    const ms = Date.now() - env.setupStartedAt;
    record('elapsed_before_teardown_ms', ms);
    expect(ms).toBeLessThan(300_000);
  });
});
