// The controller's decisions over a scripted agent: every transition, the
// CAS rules between concurrent operations, and exact quota accounting across
// soft delete, restore, force delete and error rollback. Reclaim, host
// cleanup, volume detach and restart recovery: controller-service-recovery.test.ts.
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { CTX, createActive, harness, rejection, XML, type Harness } from './controller-fakes';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => h.close());

const row = (uuid: string) => h.store.requireInstance(uuid);
const usage = () => h.deps.quota.usage('p');
const lastCall = () => h.agents.calls.at(-1)!;

describe('create', () => {
  it('reserves quota, defines with start, and ends active', async () => {
    const uuid = await createActive(h, 'vm', { vcpus: 2, memory_mib: 1024 });
    expect(await row(uuid)).toMatchObject({ vm_state: 'active', task_state: 'none', power_state: 'RUNNING', quota_held: 1 });
    expect(lastCall()).toMatchObject({ host: 'h1', method: 'DefineDomain', req: { start: true }, opts: { idempotent: false } });
    expect(lastCall().req.xml).toContain(`<uuid>${uuid}</uuid>`);
    expect(lastCall().req.xml).toContain('<vcpu>2</vcpu><memory unit="MiB">1024</memory>');
    expect(await usage()).toEqual({ instances: 1, vcpus: 2, memoryMib: 1024 });
    expect((await h.store.actions(uuid)).map((a) => [a.action, a.result])).toEqual([['create', 'success']]);
  });

  it('rolls the quota back and marks error when the agent fails', async () => {
    h.agents.failNext('DefineDomain', grpc.status.INVALID_ARGUMENT, 'xml: bad domain');
    const e = await rejection(h.svc.createInstance({ name: 'x', project_id: 'p', host: 'h1', domain_xml: XML('x'), vcpus: 1, memory_mib: 1 }, CTX));
    expect(e).toMatchObject({ kind: 'InvalidArgument' });
    expect(e.message).toMatch(/^domain_xml: creating instance .* failed: agent h1 DefineDomain: INVALID_ARGUMENT: xml: bad domain/);
    const [r] = await h.store.listInstances({});
    expect(r).toMatchObject({ vm_state: 'error', task_state: 'none', quota_held: 0 });
    expect(r!.error).toMatch(/create failed/);
    expect(await usage()).toEqual({ instances: 0, vcpus: 0, memoryMib: 0 });

    h.agents.down.add('h1');
    const u = await rejection(h.svc.createInstance({ name: 'y', project_id: 'p', host: 'h1', domain_xml: XML('y'), vcpus: 1, memory_mib: 1 }, CTX));
    expect(u.kind).toBe('Unavailable');
    expect(await usage()).toEqual({ instances: 0, vcpus: 0, memoryMib: 0 });
  });

  it('refuses over quota without recording anything', async () => {
    await createActive(h, 'a');
    await createActive(h, 'b');
    await createActive(h, 'c', { vcpus: 1, memory_mib: 1 });
    const calls = h.agents.calls.length;
    const e = await rejection(h.svc.createInstance({ name: 'd', project_id: 'p', host: 'h1', domain_xml: XML('d'), vcpus: 1, memory_mib: 1 }, CTX));
    expect(e).toMatchObject({ kind: 'ResourceExhausted' });
    expect(e.message).toMatch(/instances \(requested 1, in use 3, limit 3\)/);
    expect(await h.store.listInstances({})).toHaveLength(3);
    expect(h.agents.calls.length).toBe(calls);
  });
});

describe('stop and start', () => {
  it('active -> stopped -> active, with the clean-shutdown budget and request ids', async () => {
    const uuid = await createActive(h);
    expect((await h.svc.stopInstance(uuid, CTX)).instance).toMatchObject({ vm_state: 'stopped', task_state: 'none', power_state: 'SHUTOFF' });
    expect(lastCall()).toMatchObject({ method: 'PowerOff', req: { domain: { uuid }, timeout_seconds: 30, request_id: `${uuid}:stop:1` }, opts: { idempotent: true } });
    expect((await usage()).instances).toBe(1);
    expect((await rejection(h.svc.stopInstance(uuid, CTX))).message).toMatch(/is stopped: only an active instance/);
    expect((await h.svc.startInstance(uuid, CTX)).instance).toMatchObject({ vm_state: 'active', power_state: 'RUNNING' });
    expect(lastCall()).toMatchObject({ method: 'PowerOn', req: { request_id: `${uuid}:start:1` }, opts: { idempotent: false } });
    await h.svc.stopInstance(uuid, CTX);
    expect(lastCall().req.request_id).toBe(`${uuid}:stop:2`);
  });

  it('an agent failure puts the instance in error (quota unchanged); an unreachable agent changes nothing', async () => {
    const uuid = await createActive(h);
    h.agents.down.add('h1');
    expect((await rejection(h.svc.stopInstance(uuid, CTX))).kind).toBe('Unavailable');
    expect(await row(uuid)).toMatchObject({ vm_state: 'active', task_state: 'none', error: null });
    h.agents.down.clear();
    h.agents.failNext('PowerOff', grpc.status.INTERNAL, 'libvirt exploded');
    expect((await rejection(h.svc.stopInstance(uuid, CTX))).kind).toBe('Internal');
    expect(await row(uuid)).toMatchObject({ vm_state: 'error', task_state: 'none', quota_held: 1 });
    expect((await row(uuid)).error).toMatch(/stop failed: .*libvirt exploded/);
    expect((await h.store.actions(uuid)).map((a) => `${a.action}:${a.result}`)).toEqual(['create:success', 'stop:error', 'stop:error']);
    expect((await rejection(h.svc.startInstance(uuid, CTX))).kind).toBe('FailedPrecondition');
  });
});

describe('soft delete and restore', () => {
  it('soft delete powers off, stamps deleted_at and releases the quota; restore re-reserves it', async () => {
    const uuid = await createActive(h);
    const v = await h.svc.deleteInstance(uuid, CTX);
    expect(v.instance).toMatchObject({ vm_state: 'soft_deleted', task_state: 'none', power_state: 'SHUTOFF', quota_held: 0, deleted_at: h.clock.now() });
    expect(lastCall()).toMatchObject({ method: 'PowerOff', req: { timeout_seconds: 30, request_id: `${uuid}:soft_delete:1` } });
    expect(await usage()).toEqual({ instances: 0, vcpus: 0, memoryMib: 0 });
    const r = await h.svc.restoreInstance(uuid, CTX);
    expect(r.instance).toMatchObject({ vm_state: 'active', task_state: 'none', power_state: 'RUNNING', deleted_at: null, quota_held: 1 });
    expect(lastCall()).toMatchObject({ method: 'PowerOn', req: { request_id: `${uuid}:restore:1` } });
    expect(await usage()).toEqual({ instances: 1, vcpus: 2, memoryMib: 1024 });
  });

  it('restore is only allowed from soft_deleted with no task, and says why', async () => {
    const uuid = await createActive(h);
    expect((await rejection(h.svc.restoreInstance(uuid, CTX))).message).toMatch(/is active: only a soft-deleted instance can be restored/);
    await h.svc.deleteInstance(uuid, CTX);
    const held = h.agents.hold('Destroy');
    const force = h.svc.forceDeleteInstance(uuid, CTX);
    await held.entered;
    const e = await rejection(h.svc.restoreInstance(uuid, CTX));
    expect(e).toMatchObject({ kind: 'FailedPrecondition' });
    expect(e.message).toMatch(/is soft_deleted \(task deleting in progress\): it is being deleted and can no longer be restored/);
    held.release();
    await force;
    expect((await rejection(h.svc.restoreInstance(uuid, CTX))).message).toMatch(/is deleted/);
  });

  it('restore over quota is RESOURCE_EXHAUSTED and changes nothing', async () => {
    const a = await createActive(h, 'a', { vcpus: 3 });
    await h.svc.deleteInstance(a, CTX);
    await createActive(h, 'b', { vcpus: 3 });
    await createActive(h, 'c', { vcpus: 1, memory_mib: 1 });
    const before = await row(a);
    const actions = (await h.store.actions(a)).length;
    const e = await rejection(h.svc.restoreInstance(a, CTX));
    expect(e.kind).toBe('ResourceExhausted');
    expect(await row(a)).toEqual(before);
    expect(await h.store.actions(a)).toHaveLength(actions);
    expect(await usage()).toEqual({ instances: 2, vcpus: 4, memoryMib: 1025 });
  });

  it('restore failures: back to soft deleted with no task, the reservation rolled back exactly', async () => {
    const uuid = await createActive(h);
    await h.svc.deleteInstance(uuid, CTX);
    const deletedAt = (await row(uuid)).deleted_at;
    // No answer: whether the guest started is unknown, so its power-off is pending again.
    h.agents.down.add('h1');
    expect((await rejection(h.svc.restoreInstance(uuid, CTX))).kind).toBe('Unavailable');
    expect(await row(uuid)).toMatchObject({ vm_state: 'soft_deleted', task_state: 'none', quota_held: 0, deleted_at: deletedAt, pending_power_off: 1 });
    expect((await usage()).instances).toBe(0);
    h.agents.down.clear();
    // The agent refused before starting anything (Nova's reverts_task_state): soft deleted, error in the action log.
    h.agents.failNext('PowerOn', grpc.status.FAILED_PRECONDITION, 'disk missing');
    const e = await rejection(h.svc.restoreInstance(uuid, CTX));
    expect(e.kind).toBe('FailedPrecondition');
    expect(e.message).toMatch(/it stays soft deleted.*disk missing/);
    expect(await row(uuid)).toMatchObject({ vm_state: 'soft_deleted', task_state: 'none', quota_held: 0, deleted_at: deletedAt, pending_power_off: 0 });
    expect(h.agents.methods().slice(-2)).toEqual(['PowerOff', 'PowerOn']); // the pending power-off came first
    expect((await h.store.actions(uuid)).map((a) => `${a.action}:${a.result}`)).toEqual(['create:success', 'soft_delete:success', 'restore:error', 'restore:error']);
    expect((await h.store.actions(uuid)).at(-1)!.message).toMatch(/disk missing/);
    expect((await usage()).instances).toBe(0);
    // Once the disk is back the restore works.
    expect((await h.svc.restoreInstance(uuid, CTX)).instance).toMatchObject({ vm_state: 'active', quota_held: 1 });
    expect((await usage()).instances).toBe(1);
  });

  it('a soft delete the agent does not answer is done in the records, power-off pending; an error answer changes nothing', async () => {
    const uuid = await createActive(h);
    h.agents.failNext('PowerOff', grpc.status.INTERNAL, 'libvirt error');
    const e = await rejection(h.svc.deleteInstance(uuid, CTX));
    expect(e.kind).toBe('Internal');
    expect(e.message).toMatch(/it is unchanged \(active\)/);
    expect(await row(uuid)).toMatchObject({ vm_state: 'active', task_state: 'none', quota_held: 1 });
    expect((await usage()).instances).toBe(1);

    h.agents.failNext('PowerOff', grpc.status.DEADLINE_EXCEEDED, 'stuck');
    const d = await h.svc.deleteInstance(uuid, CTX);
    expect(d.instance).toMatchObject({ vm_state: 'soft_deleted', task_state: 'none', quota_held: 0, pending_power_off: 1, needs_host_cleanup: 0 });
    expect(d.warnings![0]).toMatch(/soft deleted in the records only \(host h1 did not answer.*stuck\)/);
    expect(h.agents.methods().filter((m) => m === 'Destroy')).toEqual([]);
    expect((await usage()).instances).toBe(0);
    // Restorable: the pending power-off is done first, then the guest is started.
    expect((await h.svc.restoreInstance(uuid, CTX)).instance).toMatchObject({ vm_state: 'active', pending_power_off: 0 });
    expect(h.agents.methods().slice(-2)).toEqual(['PowerOff', 'PowerOn']);
  });
});

describe('hard delete, force delete, duplicate deletes', () => {
  it('with no reclaim interval, delete destroys at once with the volumes', async () => {
    h.deps.config.reclaimIntervalSeconds = 0;
    const uuid = await createActive(h);
    await h.svc.attachVolume({ uuid, volume_id: 'v1', target_dev: 'vdb', connection_info: { driver_volume_type: 'iscsi', data: { target_iqn: 'iqn.2010-10.org.x:1' } } }, CTX);
    await h.svc.attachVolume({ uuid, volume_id: 'v2', target_dev: 'vdc', delete_on_termination: true, connection_info: { driver_volume_type: 'local', data: {} } }, CTX);
    const d = await h.svc.deleteInstance(uuid, CTX);
    expect(d.instance).toMatchObject({ vm_state: 'deleted', task_state: 'none', quota_held: 0, power_state: 'NOSTATE' });
    expect(lastCall().req.volumes).toEqual([
      { volume_id: 'v1', target_dev: 'vdb', connection_info: { driver_volume_type: 'iscsi', data: { target_iqn: 'iqn.2010-10.org.x:1' } } },
      { volume_id: 'v2', target_dev: 'vdc', connection_info: { driver_volume_type: 'local', data: {} } },
    ]);
    expect(await h.store.getVolume('v1')).toMatchObject({ status: 'available' });
    expect(await h.store.getVolume('v2')).toBeUndefined();
  });

  it('a delete while another delete runs returns the instance as it is', async () => {
    const uuid = await createActive(h);
    const held = h.agents.hold('PowerOff');
    const first = h.svc.deleteInstance(uuid, CTX);
    await held.entered;
    const calls = h.agents.calls.length;
    expect((await h.svc.deleteInstance(uuid, CTX)).instance).toMatchObject({ vm_state: 'active', task_state: 'soft_deleting' });
    // A force delete does not pretend: it waits for the soft delete to finish.
    expect((await rejection(h.svc.forceDeleteInstance(uuid, CTX, true))).message).toMatch(/task soft_deleting in progress.*wait/);
    expect(h.agents.calls.length).toBe(calls);
    expect((await rejection(h.svc.stopInstance(uuid, CTX))).message).toMatch(/task soft_deleting in progress/);
    held.release();
    expect((await first).instance.vm_state).toBe('soft_deleted');
    // Deleting a soft-deleted instance is a hard delete; then it is deleted and stays so.
    await h.svc.deleteInstance(uuid, CTX);
    expect((await row(uuid)).vm_state).toBe('deleted');
    const n = h.agents.calls.length;
    expect((await h.svc.deleteInstance(uuid, CTX)).instance.vm_state).toBe('deleted');
    expect((await h.svc.forceDeleteInstance(uuid, CTX)).instance.vm_state).toBe('deleted');
    expect(h.agents.calls.length).toBe(n);
  });

  it('a delete during another task is FAILED_PRECONDITION', async () => {
    const uuid = await createActive(h);
    const held = h.agents.hold('PowerOff');
    const stop = h.svc.stopInstance(uuid, CTX);
    await held.entered;
    expect((await rejection(h.svc.deleteInstance(uuid, CTX))).message).toMatch(/task powering_off in progress.*wait/);
    expect((await rejection(h.svc.forceDeleteInstance(uuid, CTX))).kind).toBe('FailedPrecondition');
    held.release();
    await stop;
    expect((await h.svc.forceDeleteInstance(uuid, CTX)).instance.vm_state).toBe('deleted');
  });

  it('a failed destroy: ERROR with the quota as before, or still soft deleted; both can be deleted again', async () => {
    const a = await createActive(h, 'a');
    h.agents.failNext('Destroy', grpc.status.FAILED_PRECONDITION, 'cannot undefine');
    expect((await rejection(h.svc.forceDeleteInstance(a, CTX))).message).toMatch(/cannot undefine/);
    expect(await row(a)).toMatchObject({ vm_state: 'error', task_state: 'none', quota_held: 1, deleted_at: null });
    const b = await createActive(h, 'b');
    await h.svc.deleteInstance(b, CTX);
    const deletedAt = (await row(b)).deleted_at;
    h.agents.failNext('Destroy', grpc.status.INTERNAL, 'boom');
    expect((await rejection(h.svc.forceDeleteInstance(b, CTX))).message).toMatch(/it stays soft deleted.*boom/);
    expect(await row(b)).toMatchObject({ vm_state: 'soft_deleted', task_state: 'none', quota_held: 0, deleted_at: deletedAt });
    expect((await usage()).instances).toBe(1);
    await h.svc.forceDeleteInstance(a, CTX);
    await h.svc.forceDeleteInstance(b, CTX);
    expect((await usage()).instances).toBe(0);
  });
});
