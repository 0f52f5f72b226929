// Host liveness (Nova's servicegroup rule) and what the controller does with
// it over a scripted agent: a down host makes a soft delete one in the
// records with the power-off pending, a hard or force delete one in the
// records with the host cleanup queued; a restore or stop on it changes
// nothing; once the host is back, the owed work runs before anything else.
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { HealthWatch, HostLiveness } from '../../src/controller/liveness';
import { ManualClock } from '../helpers/clocks';
import { LogCapture } from '../helpers/agent-client';
import { bringBack, CTX, createActive, FakeAgents, harness, rejection, takeDown, type Harness } from './controller-fakes';

describe('HostLiveness', () => {
  it('a host is down only after service_down_seconds without a successful contact', async () => {
    const clock = new ManualClock();
    const l = new HostLiveness({ clock, serviceDownSeconds: 60, hosts: ['a', 'b'] });
    // Unknown since the start: up for the first service_down_seconds (the restart grace).
    clock.advance(60_000);
    expect(l.isDown('a')).toBe(false);
    l.recordContact('b');
    clock.advance(1);
    expect(l.isDown('a')).toBe(true);
    expect(l.describe('a')).toBe('host a is down (no successful contact since the controller started for 60 s; service_down_seconds 60)');
    expect(l.isDown('b')).toBe(false);
    clock.advance(60_000);
    expect(l.describe('b')).toBe('host b is down (no successful contact for 60 s; service_down_seconds 60)');
    // One contact brings it back; an older (late) contact never moves it back.
    l.recordContact('b');
    l.recordContact('b', clock.now() - 3600_000);
    expect(l.state('b')).toBe('up');
    expect(l.lastContact('b')).toBe(clock.now());
    expect(l.states()).toEqual([
      { host: 'a', state: 'down', lastContact: undefined },
      { host: 'b', state: 'up', lastContact: clock.now() },
    ]);
    expect(() => new HostLiveness({ clock, serviceDownSeconds: 0, hosts: [] })).toThrow(/serviceDownSeconds must be > 0/);
  });

  it('the health watch records SERVING answers as contacts and logs state changes', async () => {
    const clock = new ManualClock();
    const agents = new FakeAgents(['h1', 'h2']);
    const l = new HostLiveness({ clock, serviceDownSeconds: 10, hosts: agents.hostNames() });
    agents.onContact = (host) => l.recordContact(host);
    const log = new LogCapture();
    const watch = new HealthWatch(agents, l, log.logger, 0);
    await watch.checkOnce();
    expect(l.lastContact('h1')).toBe(clock.now());
    agents.paused.add('h1');
    agents.down.add('h2');
    clock.advance(10_000);
    await watch.checkOnce();
    expect(l.states().map((s) => s.state)).toEqual(['up', 'up']);
    clock.advance(1);
    await watch.checkOnce();
    expect(l.states().map((s) => s.state)).toEqual(['down', 'down']);
    agents.down.clear();
    agents.paused.clear();
    await watch.checkOnce();
    expect(l.states().map((s) => s.state)).toEqual(['up', 'up']);
    const msgs = log.lines.map((x) => String(x.msg));
    expect(msgs.filter((m) => /is down/.test(m))).toHaveLength(2);
    expect(msgs.filter((m) => /is up again/.test(m))).toEqual(['host h1 is up again', 'host h2 is up again']);
  });
});

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => h.close());

const row = (uuid: string) => h.store.requireInstance(uuid);
const usage = () => h.deps.quota.usage('p');
const info = { driver_volume_type: 'local', data: { device_path: '/dev/x' } };

describe('one failed call never decides a delete', () => {
  it('an agent that does not answer (not yet down) leaves a hard delete undone and the instance as it was', async () => {
    h.deps.config.reclaimIntervalSeconds = 0;
    const uuid = await createActive(h);
    h.agents.paused.add('h1');
    const e = await rejection(h.svc.deleteInstance(uuid, CTX));
    expect(e.kind).toBe('Unavailable');
    expect(e.message).toMatch(/host h1 did not answer; instance .* is unchanged \(active\)/);
    expect(await row(uuid)).toMatchObject({ vm_state: 'active', task_state: 'none', quota_held: 1, needs_host_cleanup: 0 });
    h.agents.paused.clear();
    expect((await h.svc.deleteInstance(uuid, CTX)).instance.vm_state).toBe('deleted');
  });
});

describe('host down: soft delete stays soft', () => {
  it('soft delete in the records, power-off pending; restore refused naming the host; power-off first when it is back', async () => {
    const uuid = await createActive(h);
    await h.svc.attachVolume({ uuid, volume_id: 'v1', target_dev: 'vdb', connection_info: info }, CTX);
    takeDown(h);
    const calls = h.agents.calls.length;
    const d = await h.svc.deleteInstance(uuid, CTX);
    expect(d.instance).toMatchObject({ vm_state: 'soft_deleted', task_state: 'none', quota_held: 0, pending_power_off: 1, needs_host_cleanup: 0 });
    expect(d.warnings![0]).toMatch(/soft deleted in the records only \(host h1 is down \(no successful contact .*; service_down_seconds 60\)\)/);
    expect(h.agents.calls.length).toBe(calls); // nothing sent to a down host
    expect(await h.store.getVolume('v1')).toMatchObject({ status: 'in-use', instance_uuid: uuid });
    expect((await usage()).instances).toBe(0);

    const before = await row(uuid);
    const actions = (await h.store.actions(uuid)).length;
    const e = await rejection(h.svc.restoreInstance(uuid, CTX));
    expect(e.kind).toBe('Unavailable');
    expect(e.message).toMatch(/^host h1 is down .*instance .* stays soft deleted: restore it when the host is back/);
    expect(await row(uuid)).toEqual(before);
    expect(await h.store.actions(uuid)).toHaveLength(actions);
    expect((await rejection(h.svc.stopInstance(uuid, CTX))).kind).toBe('FailedPrecondition');

    // Still down: the periodic task waits. Back: the power-off runs (before the reclaim, even when due).
    expect(await h.periodic.runOnce()).toEqual({ recovered: 0, poweredOff: 0, detached: 0, reclaimed: 0, cleaned: 0 });
    h.agents.down.clear();
    h.clock.advance(3600 * 1000);
    const tick = await h.periodic.runOnce();
    expect(tick).toMatchObject({ poweredOff: 1, reclaimed: 1 });
    expect(h.agents.methods().slice(-2)).toEqual(['PowerOff', 'Destroy']);
    expect((await h.store.actions(uuid)).map((a) => `${a.action}:${a.result}`).slice(-2)).toEqual(['pending_power_off:success', 'reclaim:success']);
  });

  it('restore works once the host is back (the pending power-off is done first)', async () => {
    const uuid = await createActive(h);
    takeDown(h);
    await h.svc.deleteInstance(uuid, CTX);
    await bringBack(h);
    const r = await h.svc.restoreInstance(uuid, CTX);
    expect(r.instance).toMatchObject({ vm_state: 'active', pending_power_off: 0, quota_held: 1 });
    expect(h.agents.methods().slice(-2)).toEqual(['PowerOff', 'PowerOn']);
    expect(h.agents.calls.at(-2)!.req.request_id).toBe(`${uuid}:restore:1:power_off`);
  });

  it('a failing pending power-off is retried with backoff, and counts its attempts', async () => {
    const uuid = await createActive(h);
    takeDown(h);
    await h.svc.deleteInstance(uuid, CTX);
    await bringBack(h);
    h.agents.failNext('PowerOff', grpc.status.INTERNAL, 'libvirt hiccup');
    expect((await h.periodic.runOnce()).poweredOff).toBe(0);
    expect(await row(uuid)).toMatchObject({ pending_power_off: 1, power_off_attempts: 1, power_off_error: expect.stringMatching(/libvirt hiccup/) });
    expect((await h.periodic.runOnce()).poweredOff).toBe(0); // backoff
    h.clock.advance(60_000);
    expect((await h.periodic.runOnce()).poweredOff).toBe(1);
    expect(await row(uuid)).toMatchObject({ pending_power_off: 0, power_off_error: null, power_state: 'SHUTOFF' });
  });
});

describe('host down: hard and force deletes in the records, host cleanup later', () => {
  it('a hard delete is done in the records; volumes stay detaching until the cleanup confirms', async () => {
    h.deps.config.reclaimIntervalSeconds = 0;
    const uuid = await createActive(h);
    await h.svc.attachVolume({ uuid, volume_id: 'v1', target_dev: 'vdb', connection_info: info }, CTX);
    await h.svc.attachVolume({ uuid, volume_id: 'v2', target_dev: 'vdc', connection_info: info, delete_on_termination: true }, CTX);
    takeDown(h);
    const d = await h.svc.deleteInstance(uuid, CTX);
    expect(d.instance).toMatchObject({ vm_state: 'deleted', needs_host_cleanup: 1, quota_held: 0 });
    expect(d.warnings![0]).toMatch(/deleted in the records only \(host h1 is down/);
    expect(JSON.parse(d.instance.cleanup_volumes!)).toHaveLength(2);
    expect(await h.store.getVolume('v1')).toMatchObject({ status: 'detaching', instance_uuid: uuid, detach_pending: 0 });
    expect((await usage()).instances).toBe(0);
    // Not a pending detach: nothing runs for it but the host cleanup.
    await bringBack(h);
    h.agents.failNext('Destroy', grpc.status.INTERNAL, 'first try fails');
    expect(await h.periodic.runOnce()).toMatchObject({ detached: 0, cleaned: 0 });
    expect(await row(uuid)).toMatchObject({ needs_host_cleanup: 1, cleanup_attempts: 1, cleanup_error: expect.stringMatching(/first try fails/) });
    expect((await h.store.getVolume('v1'))!.status).toBe('detaching');
    h.clock.advance(60_000);
    expect((await h.periodic.runOnce()).cleaned).toBe(1);
    expect(h.agents.calls.at(-1)).toMatchObject({ method: 'Destroy', req: { destroy_disks: true, request_id: `${uuid}:host_cleanup:2` } });
    expect(h.agents.calls.at(-1)!.req.volumes).toHaveLength(2);
    expect(await row(uuid)).toMatchObject({ needs_host_cleanup: 0, cleanup_volumes: null, cleanup_attempts: 2, cleanup_error: null });
    expect(await h.store.getVolume('v1')).toMatchObject({ status: 'available', instance_uuid: null });
    expect(await h.store.getVolume('v2')).toBeUndefined();
    expect((await h.periodic.runOnce()).cleaned).toBe(0);
  });

  it('the host cleanup never runs for an instance that is not deleted', async () => {
    const uuid = await createActive(h);
    await h.svc.deleteInstance(uuid, CTX);
    // A row that claims a cleanup while soft deleted (e.g. written by an older build) is left alone.
    await h.sql.run('UPDATE instances SET needs_host_cleanup = 1 WHERE uuid = ?', uuid);
    expect((await h.periodic.runOnce()).cleaned).toBe(0);
    expect(h.agents.methods()).not.toContain('Destroy');
    expect((await h.svc.restoreInstance(uuid, CTX)).instance.vm_state).toBe('active');
    expect((await h.periodic.runOnce()).cleaned).toBe(0);
    expect(h.agents.methods()).not.toContain('Destroy');
  });

  it('force delete: without force an agent error leaves it retryable; with force it ends deleted with warnings', async () => {
    const uuid = await createActive(h);
    h.agents.failNext('Destroy', grpc.status.INTERNAL, 'undefine failed');
    expect((await rejection(h.svc.forceDeleteInstance(uuid, CTX, false))).message).toMatch(/undefine failed/);
    expect(await row(uuid)).toMatchObject({ vm_state: 'error', quota_held: 1 });
    h.agents.failNext('Destroy', grpc.status.INTERNAL, 'undefine failed again');
    const f = await h.svc.forceDeleteInstance(uuid, CTX, true);
    expect(f.instance).toMatchObject({ vm_state: 'deleted', needs_host_cleanup: 1, quota_held: 0 });
    expect(f.warnings).toEqual([
      expect.stringMatching(/^Destroy of instance .* on host h1 failed: .*undefine failed again/),
      expect.stringMatching(/deleted in the records only \(Destroy failed and force was given/),
    ]);
    expect((await usage()).instances).toBe(0);
    expect((await h.periodic.runOnce()).cleaned).toBe(1);
    // On a down host force delete (with or without force) is done in the records.
    const b = await createActive(h, 'b');
    takeDown(h);
    expect((await h.svc.forceDeleteInstance(b, CTX)).instance).toMatchObject({ vm_state: 'deleted', needs_host_cleanup: 1 });
  });

  it('an instance in error can always be deleted: soft when it ran, hard when its create failed', async () => {
    const ran = await createActive(h, 'ran');
    h.agents.failNext('PowerOff', grpc.status.INTERNAL, 'x');
    await rejection(h.svc.stopInstance(ran, CTX));
    expect(await row(ran)).toMatchObject({ vm_state: 'error', launched: 1 });
    expect((await h.svc.deleteInstance(ran, CTX)).instance).toMatchObject({ vm_state: 'soft_deleted', quota_held: 0 });
    expect((await h.svc.restoreInstance(ran, CTX)).instance.vm_state).toBe('active');

    h.agents.failNext('DefineDomain', grpc.status.INTERNAL, 'no');
    await rejection(h.svc.createInstance({ name: 'never', project_id: 'p', host: 'h1', domain_xml: '<domain type="test"><name>never</name></domain>', vcpus: 1, memory_mib: 1 }, CTX));
    const [never] = await h.store.listInstances({ vm_state: 'error' });
    expect(never).toMatchObject({ launched: 0 });
    expect((await h.svc.deleteInstance(never!.uuid, CTX)).instance.vm_state).toBe('deleted');
  });

  it('create, stop and start on a down host: UNAVAILABLE naming the host, nothing changed', async () => {
    const uuid = await createActive(h);
    takeDown(h);
    const calls = h.agents.calls.length;
    for (const p of [
      () => h.svc.stopInstance(uuid, CTX),
      () => h.svc.createInstance({ name: 'n', project_id: 'p', host: 'h1', domain_xml: '<domain type="test"><name>n</name></domain>', vcpus: 1, memory_mib: 1 }, CTX),
    ]) {
      const e = await rejection(p);
      expect(e.kind).toBe('Unavailable');
      expect(e.message).toMatch(/^host h1 is down/);
    }
    expect(h.agents.calls.length).toBe(calls);
    expect(await h.store.listInstances({})).toHaveLength(1);
    expect(await row(uuid)).toMatchObject({ vm_state: 'active', task_state: 'none' });
  });
});
