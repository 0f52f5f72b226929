// The host's agent goes away for longer than service_down_seconds (driven
// with the controller's clock): a soft delete stays soft (done in the
// records, power-off pending), only the force delete is done in the records
// with the host cleanup queued, a detach stays pending, the reclaim waits,
// and calls that need the host answer UNAVAILABLE naming it and change
// nothing. When an agent answers again on the same address — on a node file
// that still holds the domains, since every open of a test:/// node starts
// from its file — the owed work runs in order and the restore works.
import fs from 'node:fs';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { ManualClock } from '../helpers/clocks';
import {
  AgentProbe, createXml, nodeDomainXml, nodeXml, startTestAgent, startTestController, tempDir,
  type TestAgent, type TestController,
} from './controller-helpers';

const INTERVAL = 600;
const DOWN = 30;
let agent: TestAgent;
let ctl: TestController;
const clock = new ManualClock();
const dirs: string[] = [];

beforeAll(async () => {
  agent = await startTestAgent();
  ctl = await startTestController({ h1: agent.address }, (c) => {
    c.reclaimIntervalSeconds = INTERVAL;
    c.serviceDownSeconds = DOWN;
    c.healthCheckIntervalSeconds = 5;
  }, { clock });
});

afterAll(async () => {
  await ctl?.stop();
  await agent?.stop();
  for (const d of [...dirs, agent?.dir]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

const vol = (id: string, dev: string, deleteOnTermination: boolean) => ({
  volume_id: id, target_dev: dev, delete_on_termination: deleteOnTermination,
  connection_info: { driver_volume_type: 'local', data: { device_path: `/dev/test-${id}` } },
});

it('host down: soft stays soft, force delete in the records, UNAVAILABLE elsewhere; owed work when the agent is back', async () => {
  const make = async (name: string, volumes: unknown[] = []) => (await ctl.client.call('CreateInstance', {
    name, project_id: 'p', host: 'h1', domain_xml: createXml(name), vcpus: 1, memory_mib: 128, volumes,
  })).uuid as string;
  const soft = await make('soft', [vol('keep-1', 'vdb', false)]);
  const forced = await make('forced', [vol('keep-2', 'vdb', false), vol('drop-2', 'vdc', true)]);
  const due = await make('due');
  const stays = await make('stays', [vol('det-1', 'vdb', false)]);
  await ctl.client.call('DeleteInstance', { uuid: due });
  const usage = async () => (await ctl.client.call('GetQuotaUsage', { project_id: 'p' })).in_use;
  expect((await usage()).instances).toBe(3);

  const port = agent.port;
  await agent.stop();
  // Gone, but not for service_down_seconds yet: one failed health check decides nothing.
  await ctl.advance((DOWN - 1) * 1000);
  expect(ctl.handle.liveness.state('h1')).toBe('up');
  await ctl.advance(2000);
  expect(ctl.handle.liveness.state('h1')).toBe('down');

  // Calls that need the host: UNAVAILABLE naming it, nothing changed.
  const stop = await ctl.client.fail('StopInstance', { uuid: stays });
  expect(stop.code).toBe(grpc.status.UNAVAILABLE);
  expect(stop.details).toMatch(/^host h1 is down \(no successful contact for 31 s; service_down_seconds 30\)/);
  expect((await ctl.client.call('GetInstance', { uuid: stays })).vm_state).toBe('VM_STATE_ACTIVE');
  const restore = await ctl.client.fail('RestoreInstance', { uuid: due });
  expect(restore.code).toBe(grpc.status.UNAVAILABLE);
  expect(restore.details).toMatch(/^host h1 is down .*stays soft deleted/);
  expect(await ctl.client.call('GetInstance', { uuid: due })).toMatchObject({ vm_state: 'VM_STATE_SOFT_DELETED', task_state: 'TASK_STATE_NONE' });
  expect((await usage()).instances).toBe(3);

  // A detach waits for the host.
  const det = await ctl.client.call('DetachVolume', { uuid: stays, volume_id: 'det-1' });
  expect(det).toMatchObject({ status: 'VOLUME_STATUS_DETACHING', detach_pending: true });

  // The reclaim is due but waits for the host: never done in the records only.
  await ctl.advance(INTERVAL * 1000);
  expect(await ctl.handle.periodic.runOnce()).toEqual({ recovered: 0, poweredOff: 0, detached: 0, reclaimed: 0, cleaned: 0 });
  expect((await ctl.client.call('GetInstance', { uuid: due })).vm_state).toBe('VM_STATE_SOFT_DELETED');

  // The soft delete stays soft; the force delete is done in the records.
  const d1 = await ctl.client.call('DeleteInstance', { uuid: soft });
  expect(d1).toMatchObject({ vm_state: 'VM_STATE_SOFT_DELETED', pending_power_off: true, needs_host_cleanup: false });
  expect(d1.warnings[0]).toMatch(/soft deleted in the records only \(host h1 is down/);
  expect(d1.volumes).toMatchObject([{ volume_id: 'keep-1', status: 'VOLUME_STATUS_IN_USE' }]);
  const d2 = await ctl.client.call('ForceDeleteInstance', { uuid: forced });
  expect(d2).toMatchObject({ vm_state: 'VM_STATE_DELETED', needs_host_cleanup: true });
  expect(d2.volumes.map((v: { status: string }) => v.status)).toEqual(['VOLUME_STATUS_DETACHING', 'VOLUME_STATUS_DETACHING']);
  expect(await usage()).toEqual({ instances: 1, vcpus: 1, memory_mib: 128 });

  // The agent is back on the same address, on a node that holds the domains as they were.
  const dir = tempDir('vc-back-');
  dirs.push(dir);
  const nodeFile = path.join(dir, 'node.xml');
  fs.writeFileSync(nodeFile, nodeXml([
    nodeDomainXml('soft', soft), nodeDomainXml('forced', forced), nodeDomainXml('due', due, 5), nodeDomainXml('stays', stays),
  ]));
  agent = await startTestAgent({ nodeFile, port, dir });
  const probe = new AgentProbe(agent.address);
  try {
    await ctl.advance(1000);
    await ctl.waitUp(['h1']);
    const tick = await ctl.handle.periodic.runOnce();
    expect(tick).toEqual({ recovered: 0, poweredOff: 1, detached: 1, reclaimed: 1, cleaned: 1 });
    expect(await probe.powerState(soft)).toBe('POWER_STATE_SHUTOFF');
    expect(await probe.powerState(forced)).toBe('GONE');
    expect(await probe.powerState(due)).toBe('GONE');
    expect(await probe.powerState(stays)).toBe('POWER_STATE_RUNNING');
    expect(await ctl.handle.store.getVolume('keep-2')).toMatchObject({ status: 'available', instance_uuid: null });
    expect(await ctl.handle.store.getVolume('drop-2')).toBeUndefined();
    expect(await ctl.handle.store.getVolume('det-1')).toMatchObject({ status: 'available', instance_uuid: null });
    expect(await ctl.client.call('GetInstance', { uuid: soft })).toMatchObject({ pending_power_off: false, power_state: 'POWER_STATE_SHUTOFF' });
    // The soft-deleted instance is restorable.
    expect(await ctl.client.call('RestoreInstance', { uuid: soft })).toMatchObject({ vm_state: 'VM_STATE_ACTIVE', power_state: 'POWER_STATE_RUNNING' });
    expect(await probe.powerState(soft)).toBe('POWER_STATE_RUNNING');
    expect(await usage()).toEqual({ instances: 2, vcpus: 2, memory_mib: 256 });
    const log = (await ctl.client.call('ListInstanceActions', { uuid: soft })).actions as Array<{ action: string; result: string; user: string }>;
    expect(log.map((a) => `${a.action}:${a.result}`)).toEqual(['create:success', 'soft_delete:success', 'pending_power_off:success', 'restore:success']);
    expect(log[2]!.user).toBe('virt-controller/pending-power-off');
    expect(await ctl.handle.periodic.runOnce()).toEqual({ recovered: 0, poweredOff: 0, detached: 0, reclaimed: 0, cleaned: 0 });
  } finally {
    probe.close();
  }
});
