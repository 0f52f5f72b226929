// The host's agent goes away: deletes (soft-requested, forced, and the
// reclaim) are done locally and leave a pending host cleanup; calls that
// need the host fail UNAVAILABLE and change nothing. When an agent answers
// again on the same address — on a node file that still holds the leftover
// domains, since every open of a test:/// node starts from its file — the
// periodic task destroys them.
import fs from 'node:fs';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { ManualClock } from '../../src/controller/types';
import {
  AgentProbe, createXml, nodeDomainXml, nodeXml, startTestAgent, startTestController, tempDir, until,
  type TestAgent, type TestController,
} from './controller-helpers';

const INTERVAL = 600;
let agent: TestAgent;
let ctl: TestController;
const clock = new ManualClock();
const dirs: string[] = [];

beforeAll(async () => {
  agent = await startTestAgent();
  ctl = await startTestController({ h1: agent.address }, (c) => {
    c.reclaimIntervalSeconds = INTERVAL;
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

it('agent down: local deletes, UNAVAILABLE elsewhere, cleanup when the agent is back', async () => {
  const make = async (name: string, volumes: unknown[] = []) => (await ctl.client.call('CreateInstance', {
    name, project_id: 'p', host: 'h1', domain_xml: createXml(name), vcpus: 1, memory_mib: 128, volumes,
  })).uuid as string;
  const soft = await make('soft', [vol('keep-1', 'vdb', false), vol('drop-1', 'vdc', true)]);
  const forced = await make('forced');
  const reclaimed = await make('reclaimed');
  const stopped = await make('stays');
  await ctl.client.call('DeleteInstance', { uuid: reclaimed });
  expect((await ctl.client.call('GetQuotaUsage', { project_id: 'p' })).in_use.instances).toBe(3);

  const port = agent.port;
  await agent.stop();
  expect(await ctl.handle.agents.healthy('h1')).toBe(false);

  // Calls that need the host: UNAVAILABLE, nothing changed.
  const stop = await ctl.client.fail('StopInstance', { uuid: stopped });
  expect(stop.code).toBe(grpc.status.UNAVAILABLE);
  expect((await ctl.client.call('GetInstance', { uuid: stopped })).vm_state).toBe('VM_STATE_ACTIVE');
  const restore = await ctl.client.fail('RestoreInstance', { uuid: reclaimed });
  expect(restore.code).toBe(grpc.status.UNAVAILABLE);
  expect(await ctl.client.call('GetInstance', { uuid: reclaimed })).toMatchObject({ vm_state: 'VM_STATE_SOFT_DELETED', task_state: 'TASK_STATE_NONE' });
  expect((await ctl.client.call('GetQuotaUsage', { project_id: 'p' })).in_use.instances).toBe(3);
  const detach = await ctl.client.fail('DetachVolume', { uuid: soft, volume_id: 'keep-1' });
  expect(detach.code).toBe(grpc.status.UNAVAILABLE);
  expect(ctl.handle.store.getVolume('keep-1')?.status).toBe('in-use');

  // Deletes are done locally.
  const d1 = await ctl.client.call('DeleteInstance', { uuid: soft });
  expect(d1).toMatchObject({ vm_state: 'VM_STATE_DELETED', needs_host_cleanup: true, volumes: [] });
  const d2 = await ctl.client.call('ForceDeleteInstance', { uuid: forced });
  expect(d2).toMatchObject({ vm_state: 'VM_STATE_DELETED', needs_host_cleanup: true });
  clock.advance(INTERVAL * 1000);
  expect((await ctl.handle.periodic.runOnce()).reclaimed).toBe(1);
  expect(await ctl.client.call('GetInstance', { uuid: reclaimed })).toMatchObject({ vm_state: 'VM_STATE_DELETED', needs_host_cleanup: true });
  expect((await ctl.client.call('GetQuotaUsage', { project_id: 'p' })).in_use).toEqual({ instances: 1, vcpus: 1, memory_mib: 128 });
  expect(ctl.handle.store.getVolume('keep-1')).toMatchObject({ status: 'available', instance_uuid: null });
  expect(ctl.handle.store.getVolume('drop-1')).toBeUndefined();
  const actions = (await ctl.client.call('ListInstanceActions', { uuid: soft })).actions as Array<{ action: string; message: string }>;
  expect(actions.at(-1)!.message).toMatch(/deleted locally/);

  // Still down: the cleanup waits.
  expect((await ctl.handle.periodic.runOnce()).cleaned).toBe(0);
  expect(ctl.handle.store.pendingCleanups().map((r) => r.uuid).sort()).toEqual([soft, forced, reclaimed].sort());

  // The agent is back on the same address, on a node that holds the leftovers.
  const dir = tempDir('vc-back-');
  dirs.push(dir);
  const nodeFile = path.join(dir, 'node.xml');
  fs.writeFileSync(nodeFile, nodeXml([
    nodeDomainXml('soft', soft), nodeDomainXml('forced', forced), nodeDomainXml('reclaimed', reclaimed, 5), nodeDomainXml('stays', stopped),
  ]));
  agent = await startTestAgent({ nodeFile, port, dir });
  const probe = new AgentProbe(agent.address);
  try {
    expect(await probe.powerState(soft)).toBe('POWER_STATE_RUNNING');
    let cleaned = 0;
    await until(async () => (cleaned += (await ctl.handle.periodic.runOnce()).cleaned) === 3, 15_000, 'host cleanup');
    for (const uuid of [soft, forced, reclaimed]) {
      expect(await probe.powerState(uuid)).toBe('GONE');
      expect((await ctl.client.call('GetInstance', { uuid })).needs_host_cleanup).toBe(false);
    }
    expect(await probe.powerState(stopped)).toBe('POWER_STATE_RUNNING');
    expect(ctl.handle.store.pendingCleanups()).toEqual([]);
    const log = (await ctl.client.call('ListInstanceActions', { uuid: soft })).actions as Array<{ action: string; result: string; agent_request_id: string }>;
    const cleanup = log.filter((a) => a.action === 'host_cleanup');
    expect(cleanup.at(-1)).toMatchObject({ result: 'success' });
    expect(cleanup.at(-1)!.agent_request_id).toMatch(new RegExp(`^${soft}:host_cleanup:\\d+$`));
    // Nothing more to do.
    expect((await ctl.handle.periodic.runOnce()).cleaned).toBe(0);
  } finally {
    probe.close();
  }
});
