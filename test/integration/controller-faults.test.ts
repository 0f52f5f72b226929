// The controller against a real agent PROCESS (test driver) that pauses
// (SIGSTOP/SIGCONT), stays away longer than service_down_seconds, or whose
// calls fail once (injected by the proxy in front of it: the network's part;
// the agent is real). Every instance has a disk file of its own, so "the disk
// is intact" is checked on the file system; the quota is checked after every
// path. Time for liveness and the reclaim is driven with the controller's
// ManualClock; the only real waits are the agent pauses themselves.
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ManualClock } from '../helpers/clocks';
import { AgentProbe, startTestController, type TestController } from './controller-helpers';
import { startProcessAgent, type ProcessAgent } from './controller-processes';

const INTERVAL = 600;
const DOWN = 20;
let agent: ProcessAgent;
let ctl: TestController;
let probe: AgentProbe;
const clock = new ManualClock();

beforeAll(async () => {
  agent = await startProcessAgent();
  ctl = await startTestController({ h1: agent.address }, (c) => {
    c.reclaimIntervalSeconds = INTERVAL;
    c.serviceDownSeconds = DOWN;
    c.healthCheckIntervalSeconds = 5;
    c.healthTimeoutMs = 500;
    c.cleanShutdownTimeoutSeconds = 2;
    c.agentTimeoutSeconds = 10;
  }, { clock });
  probe = new AgentProbe(agent.proc.target);
}, 60_000);

afterAll(async () => {
  probe?.close();
  await ctl?.stop();
  await agent?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const usage = async () => (await ctl.client.call('GetQuotaUsage', { project_id: 'p' })).in_use;
const get = (uuid: string) => ctl.client.call('GetInstance', { uuid });
const actions = async (uuid: string) =>
  ((await ctl.client.call('ListInstanceActions', { uuid })).actions as Array<{ action: string; result: string; message: string }>)
    .map((a) => `${a.action}:${a.result}`);

async function create(name: string, extraDevices = '', volumes: unknown[] = []): Promise<string> {
  const uuid = randomUUID();
  const inst = await ctl.client.call('CreateInstance', {
    name, project_id: 'p', host: 'h1', vcpus: 1, memory_mib: 128, domain_xml: agent.diskXml(name, uuid, extraDevices), volumes,
  });
  expect(inst).toMatchObject({ uuid, vm_state: 'VM_STATE_ACTIVE' });
  return uuid;
}

describe('agent pauses and absences never cost a soft-deleted disk', () => {
  it('SIGSTOP for 3 s during DeleteInstance: still SOFT_DELETED, disk intact, restore after SIGCONT', async () => {
    const uuid = await create('paused-1');
    expect(await usage()).toEqual({ instances: 1, vcpus: 1, memory_mib: 128 });
    agent.pause();
    const started = Date.now();
    const del = ctl.client.call('DeleteInstance', { uuid });
    // While paused, a health check fails: one failed check decides nothing.
    await ctl.handle.health.checkOnce();
    expect(ctl.handle.liveness.state('h1')).toBe('up');
    await sleep(Math.max(0, 3000 - (Date.now() - started)));
    agent.resume();
    const soft = await del;
    expect(soft).toMatchObject({ vm_state: 'VM_STATE_SOFT_DELETED', task_state: 'TASK_STATE_NONE', needs_host_cleanup: false });
    expect(fs.readFileSync(agent.diskPath(uuid), 'utf8')).toBe('tenant data');
    expect(await usage()).toEqual({ instances: 0, vcpus: 0, memory_mib: 0 });
    // Whichever way it went (the PowerOff answered after SIGCONT, or is pending), nothing was destroyed.
    expect(await probe.powerState(uuid)).not.toBe('GONE');
    await ctl.handle.periodic.runOnce();
    expect(await probe.powerState(uuid)).toBe('POWER_STATE_SHUTOFF');
    expect(await ctl.client.call('RestoreInstance', { uuid })).toMatchObject({ vm_state: 'VM_STATE_ACTIVE', power_state: 'POWER_STATE_RUNNING' });
    expect(await probe.powerState(uuid)).toBe('POWER_STATE_RUNNING');
    expect(await usage()).toEqual({ instances: 1, vcpus: 1, memory_mib: 128 });
    await ctl.client.call('ForceDeleteInstance', { uuid });
  });

  it('agent away longer than service_down_seconds: soft delete in the records, power-off when it returns, restore works', async () => {
    const uuid = await create('away-1');
    agent.pause();
    try {
      await ctl.advance((DOWN + 1) * 1000);
      expect(ctl.handle.liveness.state('h1')).toBe('down');
      const calls = agent.proxy.calls.length;
      const soft = await ctl.client.call('DeleteInstance', { uuid });
      expect(soft).toMatchObject({ vm_state: 'VM_STATE_SOFT_DELETED', pending_power_off: true, needs_host_cleanup: false });
      expect(soft.warnings[0]).toMatch(/host h1 is down/);
      expect(agent.proxy.calls.length).toBe(calls); // nothing was sent to the host
      expect(await usage()).toEqual({ instances: 0, vcpus: 0, memory_mib: 0 });
      const restore = await ctl.client.fail('RestoreInstance', { uuid });
      expect(restore.code).toBe(grpc.status.UNAVAILABLE);
      expect(restore.details).toMatch(/^host h1 is down .*restore it when the host is back/);
      expect(await usage()).toEqual({ instances: 0, vcpus: 0, memory_mib: 0 });
      // Still away: the periodic task leaves it.
      expect((await ctl.handle.periodic.runOnce()).poweredOff).toBe(0);
    } finally {
      agent.resume();
    }
    expect(fs.readFileSync(agent.diskPath(uuid), 'utf8')).toBe('tenant data');
    expect(await probe.powerState(uuid)).toBe('POWER_STATE_RUNNING'); // it never got the power-off
    await ctl.advance(1000);
    await ctl.waitUp(['h1']);
    expect((await ctl.handle.periodic.runOnce()).poweredOff).toBe(1);
    expect(await probe.powerState(uuid)).toBe('POWER_STATE_SHUTOFF');
    expect(await get(uuid)).toMatchObject({ vm_state: 'VM_STATE_SOFT_DELETED', pending_power_off: false });
    expect(await ctl.client.call('RestoreInstance', { uuid })).toMatchObject({ vm_state: 'VM_STATE_ACTIVE', power_state: 'POWER_STATE_RUNNING' });
    expect(await usage()).toEqual({ instances: 1, vcpus: 1, memory_mib: 128 });
    expect(await actions(uuid)).toEqual(['create:success', 'soft_delete:success', 'pending_power_off:success', 'restore:success']);
    await ctl.client.call('ForceDeleteInstance', { uuid });
  });
});

describe('failures are never terminal', () => {
  it('Destroy fails once during the reclaim: still soft deleted, reclaimed on a later period', async () => {
    const uuid = await create('reclaim-1');
    await ctl.client.call('DeleteInstance', { uuid });
    await ctl.advance(INTERVAL * 1000);
    agent.proxy.inject('Destroy', { kind: 'error', code: grpc.status.INTERNAL, details: 'injected: Destroy failed' });
    expect((await ctl.handle.periodic.runOnce()).reclaimed).toBe(0);
    const after = await get(uuid);
    expect(after).toMatchObject({ vm_state: 'VM_STATE_SOFT_DELETED', task_state: 'TASK_STATE_NONE', reclaim_attempts: 1 });
    expect(after.reclaim_error).toMatch(/injected: Destroy failed/);
    expect(Number(after.next_reclaim_at.seconds) * 1000).toBeGreaterThan(clock.now());
    expect(fs.existsSync(agent.diskPath(uuid))).toBe(true);
    // Not before the backoff; then it goes.
    expect((await ctl.handle.periodic.runOnce()).reclaimed).toBe(0);
    await ctl.advance(Number(after.next_reclaim_at.seconds) * 1000 - clock.now());
    expect((await ctl.handle.periodic.runOnce()).reclaimed).toBe(1);
    expect(await get(uuid)).toMatchObject({ vm_state: 'VM_STATE_DELETED' });
    expect(fs.existsSync(agent.diskPath(uuid))).toBe(false);
    expect(await probe.powerState(uuid)).toBe('GONE');
    expect(await actions(uuid)).toEqual(['create:success', 'soft_delete:success', 'reclaim:error', 'reclaim:success']);
    expect(await usage()).toEqual({ instances: 0, vcpus: 0, memory_mib: 0 });
  });

  it('the answer of a reclaim Destroy is lost: retried later, the agent says it is already gone', async () => {
    const uuid = await create('reclaim-2');
    await ctl.client.call('DeleteInstance', { uuid });
    await ctl.advance(INTERVAL * 1000);
    agent.proxy.inject('Destroy', { kind: 'lose-response' }, 2); // both attempts of the pool
    expect((await ctl.handle.periodic.runOnce()).reclaimed).toBe(0);
    expect(await get(uuid)).toMatchObject({ vm_state: 'VM_STATE_SOFT_DELETED', reclaim_attempts: 1 });
    expect(await probe.powerState(uuid)).toBe('GONE'); // the agent did it; the controller did not hear
    await ctl.advance((await ctl.handle.store.requireInstance(uuid)).reclaim_next_at! - clock.now());
    expect((await ctl.handle.periodic.runOnce()).reclaimed).toBe(1);
    expect(await get(uuid)).toMatchObject({ vm_state: 'VM_STATE_DELETED' });
  });

  it('restore with a missing disk: back to SOFT_DELETED, quota given back, error in the action log', async () => {
    const uuid = await create('restore-1');
    await ctl.client.call('DeleteInstance', { uuid });
    fs.renameSync(agent.diskPath(uuid), `${agent.diskPath(uuid)}.away`);
    const e = await ctl.client.fail('RestoreInstance', { uuid });
    expect(e.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(e.details).toMatch(/it stays soft deleted.*does not exist/);
    expect(await get(uuid)).toMatchObject({ vm_state: 'VM_STATE_SOFT_DELETED', task_state: 'TASK_STATE_NONE', pending_power_off: false });
    expect(await usage()).toEqual({ instances: 0, vcpus: 0, memory_mib: 0 });
    const log = (await ctl.client.call('ListInstanceActions', { uuid })).actions as Array<{ action: string; result: string; message: string }>;
    expect(log.at(-1)).toMatchObject({ action: 'restore', result: 'error', message: expect.stringMatching(/does not exist/) });
    // The disk comes back: the restore works.
    fs.renameSync(`${agent.diskPath(uuid)}.away`, agent.diskPath(uuid));
    expect(await ctl.client.call('RestoreInstance', { uuid })).toMatchObject({ vm_state: 'VM_STATE_ACTIVE' });
    expect(await usage()).toEqual({ instances: 1, vcpus: 1, memory_mib: 128 });
    await ctl.client.call('ForceDeleteInstance', { uuid });
  });

  it('ForceDelete without force: an agent error leaves it retryable; with force: deleted, warnings, cleanup later', async () => {
    const a = await create('force-a');
    agent.proxy.inject('Destroy', { kind: 'error', code: grpc.status.INTERNAL, details: 'injected: undefine failed' });
    const e = await ctl.client.fail('ForceDeleteInstance', { uuid: a, force: false });
    expect(e.code).toBe(grpc.status.INTERNAL);
    expect(await get(a)).toMatchObject({ vm_state: 'VM_STATE_ERROR', task_state: 'TASK_STATE_NONE' });
    expect(await usage()).toEqual({ instances: 1, vcpus: 1, memory_mib: 128 });
    expect(fs.existsSync(agent.diskPath(a))).toBe(true);
    expect(await ctl.client.call('ForceDeleteInstance', { uuid: a })).toMatchObject({ vm_state: 'VM_STATE_DELETED', needs_host_cleanup: false });
    expect(fs.existsSync(agent.diskPath(a))).toBe(false);
    expect(await usage()).toEqual({ instances: 0, vcpus: 0, memory_mib: 0 });

    const b = await create('force-b');
    agent.proxy.inject('Destroy', { kind: 'error', code: grpc.status.INTERNAL, details: 'injected: undefine failed' }, 3);
    const f = await ctl.client.call('ForceDeleteInstance', { uuid: b, force: true });
    expect(f).toMatchObject({ vm_state: 'VM_STATE_DELETED', needs_host_cleanup: true });
    expect(f.warnings[0]).toMatch(/Destroy of instance .* failed: .*injected: undefine failed/);
    expect(await usage()).toEqual({ instances: 0, vcpus: 0, memory_mib: 0 });
    // The host cleanup keeps trying (backoff) until the agent manages it.
    expect((await ctl.handle.periodic.runOnce()).cleaned).toBe(0);
    await ctl.advance(60_000);
    expect((await ctl.handle.periodic.runOnce()).cleaned).toBe(0);
    expect((await get(b)).cleanup_attempts).toBe(2);
    await ctl.advance(120_000);
    expect((await ctl.handle.periodic.runOnce()).cleaned).toBe(1);
    expect(fs.existsSync(agent.diskPath(b))).toBe(false);
    expect(await probe.powerState(b)).toBe('GONE');
  });
});

describe('volumes follow Cinder', () => {
  const local = (p: string) => ({ driver_volume_type: 'local', data: { device_path: p } });

  it('a failed detach after the guest let go: error_detaching, then the retry succeeds', async () => {
    const uuid = await create('vol-1', '', [{ volume_id: 'pv-1', target_dev: 'vdb', connection_info: local('/dev/null') }]);
    agent.proxy.inject('DisconnectVolume', { kind: 'error', code: grpc.status.INTERNAL, details: 'injected: host disconnect failed' });
    const e = await ctl.client.fail('DetachVolume', { uuid, volume_id: 'pv-1' });
    expect(e.code).toBe(grpc.status.INTERNAL);
    expect(e.details).toMatch(/volume is error_detaching/);
    expect(await ctl.handle.store.getVolume('pv-1')).toMatchObject({ status: 'error_detaching', instance_uuid: uuid });
    expect(await ctl.client.call('DetachVolume', { uuid, volume_id: 'pv-1' })).toMatchObject({ status: 'VOLUME_STATUS_AVAILABLE' });
    await ctl.client.call('ForceDeleteInstance', { uuid });
  });

  it('a failed detach the guest still holds: back to in-use; released later, the retry succeeds', async () => {
    const file = `${agent.instancesPath}/pv-2.img`;
    fs.writeFileSync(file, '');
    const disk = `<disk type="file" device="disk"><source file="${file}"/><target dev="vdb" bus="virtio"/></disk>`;
    const uuid = await create('vol-2', disk, [{ volume_id: 'pv-2', target_dev: 'vdb', connection_info: local(file) }]);
    // The test driver cannot detach a device: the guest keeps it.
    const e = await ctl.client.fail('DetachVolume', { uuid, volume_id: 'pv-2' });
    expect(e.details).toMatch(/volume is in-use: the guest still holds the device/);
    expect(await ctl.handle.store.getVolume('pv-2')).toMatchObject({ status: 'in-use', instance_uuid: uuid });
    // The device is released (the operator stops the guest and takes it out of the definition).
    await ctl.client.call('StopInstance', { uuid });
    const xml = agent.diskXml('vol-2', uuid).replace('<os>', '<memory unit="MiB">128</memory><vcpu>1</vcpu><os>');
    await probe.call('DefineDomain', { xml });
    expect(await ctl.client.call('DetachVolume', { uuid, volume_id: 'pv-2' })).toMatchObject({ status: 'VOLUME_STATUS_AVAILABLE' });
    await ctl.client.call('ForceDeleteInstance', { uuid });
  });

  it('a detach whose answers are lost stays detaching (pending), then completes: available only once confirmed', async () => {
    const uuid = await create('vol-3', '', [{ volume_id: 'pv-3', target_dev: 'vdb', connection_info: local('/dev/null') }]);
    // Both attempts reach the agent, both answers are lost.
    agent.proxy.inject('DisconnectVolume', { kind: 'lose-response' }, 2);
    const v = await ctl.client.call('DetachVolume', { uuid, volume_id: 'pv-3' });
    expect(v).toMatchObject({ status: 'VOLUME_STATUS_DETACHING', detach_pending: true, detach_attempts: 1 });
    await ctl.advance(60_000);
    expect((await ctl.handle.periodic.runOnce()).detached).toBe(1);
    expect(await ctl.handle.store.getVolume('pv-3')).toMatchObject({ status: 'available' });
    await ctl.client.call('ForceDeleteInstance', { uuid });
    expect(await usage()).toEqual({ instances: 0, vcpus: 0, memory_mib: 0 });
  });
});
