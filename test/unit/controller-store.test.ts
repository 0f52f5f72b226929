// The repository's compare-and-swap rules and the derived quota usage.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { NewInstance } from '../../src/controller/store';
import { CTX, harness, type Harness } from './controller-fakes';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => h.close());

const inst = (uuid: string, extra: Partial<NewInstance> = {}): NewInstance => ({
  uuid, name: uuid, project_id: 'p', host: 'h1', vcpus: 2, memory_mib: 512, vm_state: 'active', task_state: 'none', quota_held: 1, ...extra,
});

describe('instance CAS', () => {
  it('swaps only from the expected vm_state and task_state', async () => {
    await h.store.insertInstance(inst('a'));
    expect(await h.store.cas('a', { vm: ['stopped'], task: ['none'] }, { task_state: 'powering_on' })).toBe(false);
    expect(await h.store.cas('a', { vm: ['active'], task: ['deleting'] }, { task_state: 'powering_off' })).toBe(false);
    expect(await h.store.cas('a', { vm: ['active', 'stopped'], task: ['none'] }, { task_state: 'powering_off' })).toBe(true);
    // The second of two identical claims loses.
    expect(await h.store.cas('a', { vm: ['active'], task: ['none'] }, { task_state: 'powering_off' })).toBe(false);
    expect(await h.store.getInstance('a')).toMatchObject({ vm_state: 'active', task_state: 'powering_off' });
    expect(await h.store.cas('missing', { vm: ['active'], task: ['none'] }, { task_state: 'deleting' })).toBe(false);
  });

  it('can require deleted_at at or before a cutoff (the reclaim claim)', async () => {
    await h.store.insertInstance(inst('s', { quota_held: 1 }));
    await h.store.cas('s', { vm: ['active'], task: ['none'] }, { vm_state: 'soft_deleted', deleted_at: 1000, quota_held: 0 });
    expect(await h.store.cas('s', { vm: ['soft_deleted'], task: ['none'], deletedAtOrBefore: 999 }, { task_state: 'deleting' })).toBe(false);
    expect(await h.store.cas('s', { vm: ['soft_deleted'], task: ['none'], deletedAtOrBefore: 1000 }, { task_state: 'deleting' })).toBe(true);
  });

  it('stamps updated_at from the clock and refuses unknown columns', async () => {
    await h.store.insertInstance(inst('a'));
    h.clock.advance(5000);
    await h.store.cas('a', { vm: ['active'], task: ['none'] }, { power_state: 'PAUSED' });
    expect((await h.store.getInstance('a'))!.updated_at - (await h.store.getInstance('a'))!.created_at).toBe(5000);
    await expect(h.store.cas('a', { vm: ['active'], task: ['none'] }, { name: 'x' } as never)).rejects.toThrow(/not a transition column/);
  });

  it('lists reclaimable rows by cutoff, and live rows unless deleted ones are asked for', async () => {
    await h.store.insertInstance(inst('old'));
    await h.store.insertInstance(inst('new'));
    await h.store.insertInstance(inst('gone'));
    await h.store.cas('old', { vm: ['active'], task: ['none'] }, { vm_state: 'soft_deleted', deleted_at: 100, quota_held: 0 });
    await h.store.cas('new', { vm: ['active'], task: ['none'] }, { vm_state: 'soft_deleted', deleted_at: 200, quota_held: 0 });
    await h.store.cas('gone', { vm: ['active'], task: ['none'] }, { vm_state: 'deleted', deleted_at: 50, quota_held: 0 });
    expect((await h.store.reclaimable(150, 10)).map((r) => r.uuid)).toEqual(['old']);
    expect((await h.store.reclaimable(200, 10)).map((r) => r.uuid)).toEqual(['old', 'new']);
    await h.store.cas('old', { vm: ['soft_deleted'], task: ['none'] }, { task_state: 'restoring', quota_held: 1 });
    expect((await h.store.reclaimable(200, 10)).map((r) => r.uuid)).toEqual(['new']);
    expect((await h.store.listInstances({})).map((r) => r.uuid).sort()).toEqual(['new', 'old']);
    expect((await h.store.listInstances({ vm_state: 'deleted' })).map((r) => r.uuid)).toEqual(['gone']);
  });
});

describe('volume CAS', () => {
  it('attaches only new or available volumes and swaps status from the expected one', async () => {
    await h.store.insertInstance(inst('a'));
    await h.store.insertInstance(inst('b'));
    const v = { id: 'v', instance_uuid: 'a', status: 'in-use' as const, target_dev: 'vdb', connection_info: '{}', delete_on_termination: 0 as const };
    expect(await h.store.attachVolume(v)).toBe(true);
    expect(await h.store.attachVolume({ ...v, instance_uuid: 'b' })).toBe(false);
    expect(await h.store.casVolume('v', 'b', ['in-use'], { status: 'detaching' })).toBe(false);
    expect(await h.store.casVolume('v', 'a', ['detaching'], { status: 'available' })).toBe(false);
    expect(await h.store.casVolume('v', 'a', ['in-use'], { status: 'detaching' })).toBe(true);
    expect(await h.store.detachVolume('v', 'a', ['in-use'])).toBe(false);
    expect(await h.store.detachVolume('v', 'a', ['detaching'])).toBe(true);
    expect(await h.store.getVolume('v')).toMatchObject({ status: 'available', instance_uuid: null, target_dev: null, connection_info: null });
    expect(await h.store.attachVolume({ ...v, instance_uuid: 'b' })).toBe(true);
  });

  it('releases an instance\'s volumes by delete_on_termination', async () => {
    await h.store.insertInstance(inst('a'));
    const base = { instance_uuid: 'a', status: 'in-use' as const, connection_info: '{}' };
    await h.store.attachVolume({ ...base, id: 'keep', target_dev: 'vdb', delete_on_termination: 0 });
    await h.store.attachVolume({ ...base, id: 'drop', target_dev: 'vdc', delete_on_termination: 1 });
    await h.store.releaseVolumes('a');
    expect(await h.store.getVolume('drop')).toBeUndefined();
    expect(await h.store.getVolume('keep')).toMatchObject({ status: 'available', instance_uuid: null });
  });
});

describe('actions and quota usage', () => {
  it('counts attempts per action and instance', async () => {
    await h.store.insertInstance(inst('a'));
    expect((await h.store.startAction('a', 'stop', CTX)).attempt).toBe(1);
    expect((await h.store.startAction('a', 'start', CTX)).attempt).toBe(1);
    const s2 = await h.store.startAction('a', 'stop', CTX);
    expect(s2.attempt).toBe(2);
    await h.store.finishAction(s2.id, 'error', 'boom');
    await h.store.finishAction(s2.id, 'success');
    expect((await h.store.actions('a')).at(-1)).toMatchObject({ action: 'stop', result: 'error', message: 'boom', request_id: 'req-test', user_id: 'tester' });
  });

  it('derives usage from the rows holding quota', async () => {
    await h.store.insertInstance(inst('a'));
    await h.store.insertInstance(inst('b', { vcpus: 1, memory_mib: 128 }));
    await h.store.insertInstance(inst('c', { quota_held: 0, vm_state: 'error' }));
    await h.store.insertInstance(inst('d', { project_id: 'other' }));
    expect(await h.deps.quota.usage('p')).toEqual({ instances: 2, vcpus: 3, memoryMib: 640 });
    expect(await h.deps.quota.usage('none')).toEqual({ instances: 0, vcpus: 0, memoryMib: 0 });
    await expect(h.deps.quota.check('p', { instances: 1, vcpus: 4, memoryMib: 1 })).rejects.toThrow(/vcpus \(requested 4, in use 3, limit 6\)/);
    await expect(h.deps.quota.check('p', { instances: 1, vcpus: 3, memoryMib: 1 })).resolves.toBeUndefined();
  });
});
