// The controller's decisions over a scripted agent, continued (split from
// controller-service.test.ts): reclaim of soft-deleted instances, local
// delete and host cleanup while an agent is down, volume detach, and restart
// recovery with exact quota accounting.
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { AgentError } from '../../src/controller/agent-client';
import { reclaimInstance } from '../../src/controller/deletes';
import { Quota } from '../../src/controller/quota';
import { CTX, createActive, harness, rejection, XML, type Harness } from './controller-fakes';

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.close());

const row = (uuid: string) => h.store.requireInstance(uuid);
const usage = () => h.deps.quota.usage('p');
const lastCall = () => h.agents.calls.at(-1)!;

describe('reclaim', () => {
  it('reclaims only soft-deleted instances older than the interval', async () => {
    const a = await createActive(h, 'a');
    const b = await createActive(h, 'b');
    await h.svc.deleteInstance(a, CTX);
    h.clock.advance(1000);
    await h.svc.deleteInstance(b, CTX);
    h.clock.advance(3600 * 1000 - 1000);
    expect(await h.periodic.reclaimOnce()).toBe(1);
    expect(row(a).vm_state).toBe('deleted');
    expect(row(b).vm_state).toBe('soft_deleted');
    expect(h.store.actions(a).at(-1)).toMatchObject({ action: 'reclaim', result: 'success', user_id: 'virt-controller/reclaim' });
    h.clock.advance(1000);
    expect(await h.periodic.reclaimOnce()).toBe(1);
    expect(await h.periodic.reclaimOnce()).toBe(0);
  });

  it('a restore that claimed first wins: the reclaim skips the instance', async () => {
    const uuid = await createActive(h);
    await h.svc.deleteInstance(uuid, CTX);
    h.clock.advance(3600 * 1000);
    const held = h.agents.hold('PowerOn');
    const restore = h.svc.restoreInstance(uuid, CTX);
    await held.entered;
    expect(await h.periodic.reclaimOnce()).toBe(0);
    held.release();
    expect((await restore).instance.vm_state).toBe('active');
    expect(h.agents.methods()).not.toContain('Destroy');
  });

  it('a reclaim that claimed first wins: the restore is refused', async () => {
    const uuid = await createActive(h);
    await h.svc.deleteInstance(uuid, CTX);
    h.clock.advance(3600 * 1000);
    const held = h.agents.hold('Destroy');
    const reclaim = h.periodic.reclaimOnce();
    await held.entered;
    expect((await rejection(h.svc.restoreInstance(uuid, CTX))).kind).toBe('FailedPrecondition');
    held.release();
    expect(await reclaim).toBe(1);
    expect(h.agents.methods()).not.toContain('PowerOn');
    expect(usage().instances).toBe(0);
  });

  it('an instance soft deleted again after the candidates were read is not claimed early', async () => {
    const uuid = await createActive(h);
    await h.svc.deleteInstance(uuid, CTX);
    const cutoff = h.clock.now();
    await h.svc.restoreInstance(uuid, CTX);
    h.clock.advance(10);
    await h.svc.deleteInstance(uuid, CTX);
    expect(await reclaimInstance(h.deps, uuid, cutoff, CTX)).toBeNull();
    expect(row(uuid).vm_state).toBe('soft_deleted');
  });
});

describe('agent down: local delete and host cleanup', () => {
  it('deletes locally, then destroys the leftover once the agent is back', async () => {
    const uuid = await createActive(h);
    h.svc.attachVolume({ uuid, volume_id: 'v1', target_dev: 'vdb', connection_info: { driver_volume_type: 'local', data: { device_path: '/dev/x' } } }, CTX);
    h.agents.down.add('h1');
    const calls = h.agents.calls.length;
    const d = await h.svc.deleteInstance(uuid, CTX);
    expect(d.instance).toMatchObject({ vm_state: 'deleted', needs_host_cleanup: 1, quota_held: 0 });
    expect(h.agents.calls.length).toBe(calls); // the health check failed: nothing sent
    expect(JSON.parse(d.instance.cleanup_volumes!)).toEqual([{ volume_id: 'v1', target_dev: 'vdb', connection_info: { driver_volume_type: 'local', data: { device_path: '/dev/x' } } }]);
    expect(h.store.getVolume('v1')!.status).toBe('available');
    expect(usage().instances).toBe(0);

    expect(await h.periodic.cleanupOnce()).toBe(0);
    h.agents.down.clear();
    h.agents.failNext('Destroy', grpc.status.INTERNAL, 'first try fails');
    expect(await h.periodic.cleanupOnce()).toBe(0);
    expect(row(uuid)).toMatchObject({ needs_host_cleanup: 1, cleanup_attempts: 1, cleanup_error: expect.stringMatching(/first try fails/) });
    expect(await h.periodic.cleanupOnce()).toBe(1);
    expect(lastCall()).toMatchObject({ method: 'Destroy', req: { destroy_disks: true, request_id: `${uuid}:host_cleanup:2` } });
    expect(lastCall().req.volumes).toHaveLength(1);
    expect(row(uuid)).toMatchObject({ needs_host_cleanup: 0, cleanup_volumes: null, cleanup_attempts: 2, cleanup_error: null });
    expect(await h.periodic.cleanupOnce()).toBe(0);
  });

  it('an agent lost during the call (UNAVAILABLE) also ends in a local delete', async () => {
    const uuid = await createActive(h);
    h.agents.failNext('PowerOff', grpc.status.UNAVAILABLE, 'connection reset');
    const d = await h.svc.deleteInstance(uuid, CTX);
    expect(d.instance).toMatchObject({ vm_state: 'deleted', needs_host_cleanup: 1 });
    expect(h.store.actions(uuid).at(-1)!.message).toMatch(/deleted locally .*connection reset/);
  });
});

describe('volume detach', () => {
  const info = { driver_volume_type: 'local', data: { device_path: '/dev/x' } };

  it('in-use -> detaching -> available, with a deterministic request id', async () => {
    const uuid = await createActive(h);
    h.svc.attachVolume({ uuid, volume_id: 'v1', target_dev: 'vdb', connection_info: info }, CTX);
    const held = h.agents.hold('DisconnectVolume');
    const p = h.svc.detachVolume(uuid, 'v1', CTX);
    await held.entered;
    expect(h.store.getVolume('v1')!.status).toBe('detaching');
    expect((await rejection(h.svc.detachVolume(uuid, 'v1', CTX))).message).toMatch(/volume v1 is detaching/);
    held.release();
    expect((await p).status).toBe('available');
    expect(lastCall()).toMatchObject({ method: 'DisconnectVolume', req: { domain: { uuid }, volume: { volume_id: 'v1', target_dev: 'vdb', connection_info: info }, request_id: `${uuid}:detach_volume:1` }, opts: { idempotent: true } });
  });

  it('failure -> error_detaching with the message, still attached; unreachable -> back to in-use', async () => {
    const uuid = await createActive(h);
    h.svc.attachVolume({ uuid, volume_id: 'v1', target_dev: 'vdb', connection_info: info }, CTX);
    h.agents.down.add('h1');
    expect((await rejection(h.svc.detachVolume(uuid, 'v1', CTX))).kind).toBe('Unavailable');
    expect(h.store.getVolume('v1')).toMatchObject({ status: 'in-use', instance_uuid: uuid });
    h.agents.down.clear();
    h.agents.failNext('DisconnectVolume', grpc.status.INVALID_ARGUMENT, 'volume.connection_info.data.device_path: bad');
    const e = await rejection(h.svc.detachVolume(uuid, 'v1', CTX));
    expect(e.kind).toBe('FailedPrecondition');
    expect(h.store.getVolume('v1')).toMatchObject({ status: 'error_detaching', instance_uuid: uuid, error: expect.stringMatching(/device_path: bad/) });
    expect(h.svc.getInstance(uuid).volumes).toHaveLength(1);
  });

  it('a delete that releases the volume meanwhile wins over the detach completion', async () => {
    const uuid = await createActive(h);
    h.svc.attachVolume({ uuid, volume_id: 'v1', target_dev: 'vdb', connection_info: info }, CTX);
    let entered!: () => void;
    let release!: () => void;
    const inCall = new Promise<void>((r) => (entered = r));
    const gate = new Promise<void>((r) => (release = r));
    h.agents.on('DisconnectVolume', async () => {
      entered();
      await gate;
      throw new AgentError('h1', 'DisconnectVolume', grpc.status.INTERNAL, 'late failure');
    });
    const p = h.svc.detachVolume(uuid, 'v1', CTX);
    await inCall;
    await h.svc.forceDeleteInstance(uuid, CTX);
    release();
    expect((await rejection(p)).message).toMatch(/late failure/);
    expect(h.store.getVolume('v1')).toMatchObject({ status: 'available', instance_uuid: null });
  });
});

describe('restart recovery and exact quota', () => {
  it('rows left mid-task go to error with the quota as before the task', () => {
    const ins = (uuid: string, vm: string, task: string, held: 0 | 1, deletedAt: number | null) => {
      h.store.insertInstance({ uuid, name: uuid, project_id: 'p', host: 'h1', vcpus: 1, memory_mib: 1, vm_state: 'active', task_state: 'none', quota_held: held });
      h.db.prepare('UPDATE instances SET vm_state = ?, task_state = ?, deleted_at = ? WHERE uuid = ?').run(vm, task, deletedAt, uuid);
    };
    ins('spawn', 'building', 'spawning', 1, null);
    ins('restore', 'soft_deleted', 'restoring', 1, 5);
    ins('softdel', 'active', 'soft_deleting', 1, null);
    ins('reclaim', 'soft_deleted', 'deleting', 0, 5);
    ins('stop', 'active', 'powering_off', 1, null);
    h.store.startAction('stop', 'stop', CTX);
    expect(h.svc.recoverInterrupted()).toBe(5);
    const held = Object.fromEntries(h.store.listInstances({}).map((r) => [r.uuid, [r.vm_state, r.task_state, r.quota_held]]));
    expect(held).toEqual({
      spawn: ['error', 'none', 0], restore: ['error', 'none', 0], softdel: ['error', 'none', 1], reclaim: ['error', 'none', 0], stop: ['error', 'none', 1],
    });
    expect(h.store.actions('stop')[0]).toMatchObject({ result: 'error', message: 'interrupted by a controller restart' });
  });

  it('usage matches a model through a random run of operations and failures', async () => {
    h.deps.quota = new Quota(h.db, { defaults: { instances: -1, vcpus: -1, memoryMib: -1 }, projects: {} });
    const holds = new Map<string, number>(); // uuid -> vcpus, for instances that should hold quota
    // mulberry32: small, seeded, good enough low bits.
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (((t ^ (t >>> 14)) >>> 0) / 4294967296 * n) | 0;
    };
    const methods = ['PowerOff', 'PowerOn', 'Destroy', 'DefineDomain'];
    const seen = new Set<string>();
    for (let step = 0; step < 300; step++) {
      if (rnd(4) === 0) h.agents.failNext(methods[rnd(4)]!, [grpc.status.INTERNAL, grpc.status.UNAVAILABLE][rnd(2)]!);
      const live = h.store.listInstances({});
      const target = live[rnd(Math.max(1, live.length))];
      const op = rnd(6);
      try {
        if (op === 0 || !target) {
          const vcpus = 1 + rnd(3);
          const v = await h.svc.createInstance({ name: `s${step}`, project_id: 'p', host: 'h1', domain_xml: XML(`s${step}`), vcpus, memory_mib: vcpus * 10 }, CTX);
          holds.set(v.instance.uuid, vcpus);
        } else if (op === 1) {
          const v = await h.svc.deleteInstance(target.uuid, CTX);
          if (v.instance.vm_state === 'soft_deleted' || v.instance.vm_state === 'deleted') holds.delete(target.uuid);
        } else if (op === 2) {
          await h.svc.restoreInstance(target.uuid, CTX);
          holds.set(target.uuid, target.vcpus);
        } else if (op === 3) {
          await h.svc.forceDeleteInstance(target.uuid, CTX);
          holds.delete(target.uuid);
        } else if (op === 4) {
          await h.svc.stopInstance(target.uuid, CTX);
        } else {
          await h.svc.startInstance(target.uuid, CTX);
        }
      } catch {
        // Failed creates and restores never hold quota; other failures keep what was held.
        for (const r of h.store.listInstances({ vm_state: 'error' })) if (r.error?.match(/^(create|restore) failed/)) holds.delete(r.uuid);
        // A local delete (unreachable) is a success; anything deleted holds nothing.
      }
      for (const r of h.store.listInstances({ vm_state: 'deleted' })) holds.delete(r.uuid);
      for (const r of h.db.prepare('SELECT vm_state, needs_host_cleanup FROM instances').all() as Array<{ vm_state: string; needs_host_cleanup: number }>) {
        seen.add(r.needs_host_cleanup ? 'local_delete' : r.vm_state);
      }
      const want = { instances: holds.size, vcpus: [...holds.values()].reduce((a, b) => a + b, 0) };
      const got = h.deps.quota.usage('p');
      expect({ instances: got.instances, vcpus: got.vcpus }, `step ${step}`).toEqual(want);
      expect(got.memoryMib).toBe(want.vcpus * 10);
      expect(h.store.interrupted(), `step ${step}: half-claimed rows`).toEqual([]);
    }
    expect([...seen].sort()).toEqual(['active', 'deleted', 'error', 'local_delete', 'soft_deleted', 'stopped']);
  });
});
