// The controller's decisions over a scripted agent, continued (split from
// controller-service.test.ts): reclaim of soft-deleted instances (with
// retries and backoff) and restart recovery. Host liveness, deletes on a
// down host and the host work owed afterwards: controller-liveness.test.ts;
// volumes: controller-volumes.test.ts; the random model: controller-model.test.ts.
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { reclaimInstance } from '../../src/controller/deletes';
import { CTX, createActive, harness, rejection, takeDown, type Harness } from './controller-fakes';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => h.close());

const row = (uuid: string) => h.store.requireInstance(uuid);
const usage = () => h.deps.quota.usage('p');

describe('reclaim', () => {
  it('reclaims only soft-deleted instances older than the interval', async () => {
    const a = await createActive(h, 'a');
    const b = await createActive(h, 'b');
    await h.svc.deleteInstance(a, CTX);
    h.clock.advance(1000);
    await h.svc.deleteInstance(b, CTX);
    h.clock.advance(3600 * 1000 - 1000);
    expect(await h.periodic.reclaimOnce()).toBe(1);
    expect((await row(a)).vm_state).toBe('deleted');
    expect((await row(b)).vm_state).toBe('soft_deleted');
    expect((await h.store.actions(a)).at(-1)).toMatchObject({ action: 'reclaim', result: 'success', user_id: 'virt-controller/reclaim' });
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
    expect((await usage()).instances).toBe(0);
  });

  it('an instance soft deleted again after the candidates were read is not claimed early', async () => {
    const uuid = await createActive(h);
    await h.svc.deleteInstance(uuid, CTX);
    const cutoff = h.clock.now();
    await h.svc.restoreInstance(uuid, CTX);
    h.clock.advance(10);
    await h.svc.deleteInstance(uuid, CTX);
    expect(await reclaimInstance(h.deps, uuid, cutoff, CTX)).toBeNull();
    expect((await row(uuid)).vm_state).toBe('soft_deleted');
  });
});

describe('reclaim failures are never terminal', () => {
  it('a failed reclaim keeps the instance soft deleted and retries it with capped exponential backoff', async () => {
    const uuid = await createActive(h);
    await h.svc.deleteInstance(uuid, CTX);
    h.clock.advance(3600 * 1000);
    h.agents.failNext('Destroy', grpc.status.INTERNAL, 'disk busy', 3);
    expect(await h.periodic.reclaimOnce()).toBe(0);
    expect(await row(uuid)).toMatchObject({
      vm_state: 'soft_deleted', task_state: 'none', reclaim_attempts: 1, reclaim_error: expect.stringMatching(/disk busy/),
      reclaim_next_at: h.clock.now() + 60_000,
    });
    // Not before the backoff has passed.
    expect(await h.periodic.reclaimOnce()).toBe(0);
    expect(h.agents.methods().filter((m) => m === 'Destroy')).toHaveLength(1);
    h.clock.advance(60_000);
    expect(await h.periodic.reclaimOnce()).toBe(0);
    expect(await row(uuid)).toMatchObject({ reclaim_attempts: 2, reclaim_next_at: h.clock.now() + 120_000 });
    h.clock.advance(120_000);
    expect(await h.periodic.reclaimOnce()).toBe(0);
    expect(await row(uuid)).toMatchObject({ reclaim_attempts: 3, reclaim_next_at: h.clock.now() + 240_000 });
    // Restorable all along.
    expect((await usage()).instances).toBe(0);
    h.clock.advance(240_000);
    expect(await h.periodic.reclaimOnce()).toBe(1);
    expect(await row(uuid)).toMatchObject({ vm_state: 'deleted', quota_held: 0 });
    expect((await h.store.actions(uuid)).map((a) => `${a.action}:${a.result}`)).toEqual(
      ['create:success', 'soft_delete:success', 'reclaim:error', 'reclaim:error', 'reclaim:error', 'reclaim:success']);
  });

  it('the backoff is capped; a restore clears the reclaim failures', async () => {
    h.deps.config.retryCapMs = 200_000;
    const uuid = await createActive(h);
    await h.svc.deleteInstance(uuid, CTX);
    h.clock.advance(3600 * 1000);
    for (let i = 0; i < 5; i++) {
      h.agents.failNext('Destroy', grpc.status.UNAVAILABLE, 'gone');
      await h.periodic.reclaimOnce();
      h.clock.advance((await row(uuid)).reclaim_next_at! - h.clock.now());
    }
    expect((await row(uuid)).reclaim_attempts).toBe(5);
    const last = (await h.store.actions(uuid)).filter((a) => a.action === 'reclaim').map((a) => a.started_at);
    expect(last.at(-1)! - last.at(-2)!).toBe(200_000);
    expect((await h.svc.restoreInstance(uuid, CTX)).instance).toMatchObject({ vm_state: 'active', reclaim_attempts: 0, reclaim_error: null, reclaim_next_at: null });
  });

  it('the reclaim never runs on a down host, and never in the records only', async () => {
    const uuid = await createActive(h);
    await h.svc.deleteInstance(uuid, CTX);
    takeDown(h);
    h.clock.advance(3600 * 1000);
    expect(await h.periodic.reclaimOnce()).toBe(0);
    expect(await row(uuid)).toMatchObject({ vm_state: 'soft_deleted', reclaim_attempts: 0, needs_host_cleanup: 0 });
    expect(h.agents.methods()).not.toContain('Destroy');
    h.agents.down.clear();
    expect(await h.periodic.reclaimOnce()).toBe(1);
  });
});

describe('restart recovery and exact quota', () => {
  it('rows left mid-task go where a later call can finish them, the quota as before the task', async () => {
    const ins = async (uuid: string, vm: string, task: string, held: 0 | 1, deletedAt: number | null) => {
      await h.store.insertInstance({ uuid, name: uuid, project_id: 'p', host: 'h1', vcpus: 1, memory_mib: 1, vm_state: 'active', task_state: 'none', quota_held: held });
      await h.sql.run('UPDATE instances SET vm_state = ?, task_state = ?, deleted_at = ? WHERE uuid = ?', vm, task, deletedAt, uuid);
    };
    await ins('spawn', 'building', 'spawning', 1, null);
    await ins('restore', 'soft_deleted', 'restoring', 1, 5);
    await ins('softdel', 'active', 'soft_deleting', 1, null);
    await ins('reclaim', 'soft_deleted', 'deleting', 0, 5);
    await ins('poweroff', 'soft_deleted', 'powering_off', 0, 5);
    await ins('stop', 'active', 'powering_off', 1, null);
    await ins('delete', 'stopped', 'deleting', 1, null);
    await h.store.startAction('stop', 'stop', CTX);
    expect(await h.svc.recoverInterrupted()).toBe(7);
    const got = Object.fromEntries((await h.store.listInstances({})).map((r) => [r.uuid, [r.vm_state, r.task_state, r.quota_held, r.pending_power_off]]));
    expect(got).toEqual({
      spawn: ['error', 'none', 0, 0],
      restore: ['soft_deleted', 'none', 0, 1],
      softdel: ['soft_deleted', 'none', 0, 1],
      reclaim: ['soft_deleted', 'none', 0, 0],
      poweroff: ['soft_deleted', 'none', 0, 1],
      stop: ['error', 'none', 1, 0],
      delete: ['error', 'none', 1, 0],
    });
    expect((await row('softdel')).deleted_at).toBe(h.clock.now());
    expect((await row('reclaim')).deleted_at).toBe(5);
    expect((await h.store.actions('stop'))[0]).toMatchObject({ result: 'error', message: 'interrupted by a controller restart' });
  });

  it('a detach interrupted by a restart becomes pending and is finished by the periodic task', async () => {
    const uuid = await createActive(h);
    await h.svc.attachVolume({ uuid, volume_id: 'v1', target_dev: 'vdb', connection_info: { driver_volume_type: 'local', data: { device_path: '/dev/x' } } }, CTX);
    await h.sql.run("UPDATE volumes SET status = 'detaching' WHERE id = 'v1'");
    await h.svc.recoverInterrupted();
    expect(await h.store.getVolume('v1')).toMatchObject({ status: 'detaching', detach_pending: 1 });
    expect((await h.periodic.runOnce()).detached).toBe(1);
    expect(await h.store.getVolume('v1')).toMatchObject({ status: 'available', detach_pending: 0 });
  });
});
