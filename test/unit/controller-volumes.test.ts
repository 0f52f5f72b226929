// Volume records over a scripted agent, with Cinder's states: available only
// once the agent confirmed; a down host or no answer leaves the detach
// pending (detaching) until the host is back; a failed detach rolls back to
// in-use when the guest still holds the device (asked with GetDomain), else
// error_detaching, and either can be detached again; the administrator's
// ResetVolumeState and ForceDetachVolume, both in the action log.
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { AgentError } from '../../src/controller/agent-client';
import { bringBack, CTX, createActive, harness, rejection, takeDown, type Harness } from './controller-fakes';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => h.close());

const info = { driver_volume_type: 'local', data: { device_path: '/dev/x' } };
const vol = (id = 'v1') => h.store.getVolume(id);
const lastCall = () => h.agents.calls.at(-1)!;

async function withVolume(name = 'vm', id = 'v1', dev = 'vdb'): Promise<string> {
  const uuid = await createActive(h, name);
  await h.svc.attachVolume({ uuid, volume_id: id, target_dev: dev, connection_info: info }, CTX);
  return uuid;
}

describe('DetachVolume', () => {
  it('in-use -> detaching -> available, with a deterministic request id', async () => {
    const uuid = await withVolume();
    const held = h.agents.hold('DisconnectVolume');
    const p = h.svc.detachVolume(uuid, 'v1', CTX);
    await held.entered;
    expect((await vol())!.status).toBe('detaching');
    expect((await rejection(h.svc.detachVolume(uuid, 'v1', CTX))).message).toMatch(/volume v1 is detaching/);
    held.release();
    expect((await p).status).toBe('available');
    expect(lastCall()).toMatchObject({
      method: 'DisconnectVolume', opts: { idempotent: true },
      req: { domain: { uuid }, volume: { volume_id: 'v1', target_dev: 'vdb', connection_info: info }, request_id: `${uuid}:detach_volume:1` },
    });
  });

  it('a failed detach while the guest still holds the device rolls back to in-use; a retry succeeds', async () => {
    const uuid = await withVolume();
    h.agents.on('GetDomain', () => ({ disks: [{ target_dev: 'vda' }, { target_dev: 'vdb' }] }));
    // First no answer in time (the detach stays pending), then the periodic retry hears the guest refused.
    h.agents.failNext('DisconnectVolume', grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded');
    h.agents.failNext('DisconnectVolume', grpc.status.ABORTED, 'the guest refused to release device vdb');
    expect((await h.svc.detachVolume(uuid, 'v1', CTX))).toMatchObject({ status: 'detaching', detach_pending: 1, detach_attempts: 1 });
    h.clock.advance(60_000);
    expect((await h.periodic.runOnce()).detached).toBe(0);
    expect(await vol()).toMatchObject({ status: 'in-use', instance_uuid: uuid, detach_pending: 0, error: expect.stringMatching(/refused to release/) });
    expect(h.agents.methods().slice(-2)).toEqual(['DisconnectVolume', 'GetDomain']);
    // Detach again: this time the guest lets go.
    expect((await h.svc.detachVolume(uuid, 'v1', CTX)).status).toBe('available');
  });

  it('a failed detach after the guest let go: error_detaching, and DetachVolume is allowed again from there', async () => {
    const uuid = await withVolume();
    h.agents.failNext('DisconnectVolume', grpc.status.INTERNAL, 'iscsiadm logout failed');
    const e = await rejection(h.svc.detachVolume(uuid, 'v1', CTX));
    expect(e.kind).toBe('Internal');
    expect(e.message).toMatch(/\(volume is error_detaching\).*iscsiadm logout failed/);
    expect(await vol()).toMatchObject({ status: 'error_detaching', instance_uuid: uuid, error: expect.stringMatching(/logout failed/) });
    expect((await h.svc.getInstance(uuid)).volumes).toHaveLength(1);
    expect((await h.svc.detachVolume(uuid, 'v1', CTX)).status).toBe('available');
    expect((await h.store.actions(uuid)).map((a) => `${a.action}:${a.result}`).slice(-2)).toEqual(['detach_volume:error', 'detach_volume:success']);
  });

  it('when the agent cannot say whether the guest holds the device: error_detaching', async () => {
    const uuid = await withVolume();
    h.agents.on('GetDomain', () => {
      throw new AgentError('h1', 'GetDomain', grpc.status.INTERNAL, 'libvirt says no');
    });
    h.agents.failNext('DisconnectVolume', grpc.status.INVALID_ARGUMENT, 'volume.connection_info.data.device_path: bad');
    const e = await rejection(h.svc.detachVolume(uuid, 'v1', CTX));
    expect(e.kind).toBe('FailedPrecondition');
    expect(e.message).toMatch(/volume is error_detaching: whether the guest still holds the device is unknown/);
  });

  it('host down: the detach is pending (detaching) and done when the host is back', async () => {
    const uuid = await withVolume();
    takeDown(h);
    const calls = h.agents.calls.length;
    const v = await h.svc.detachVolume(uuid, 'v1', CTX);
    expect(v).toMatchObject({ status: 'detaching', detach_pending: 1, error: expect.stringMatching(/^detach pending: host h1 is down/) });
    expect(h.agents.calls.length).toBe(calls);
    expect((await h.periodic.runOnce()).detached).toBe(0);
    expect((await vol())!.status).toBe('detaching');
    await bringBack(h);
    expect((await h.periodic.runOnce()).detached).toBe(1);
    expect(await vol()).toMatchObject({ status: 'available', instance_uuid: null, detach_pending: 0 });
    const log = (await h.store.actions(uuid)).filter((a) => a.action === 'detach_volume');
    expect(log.map((a) => [a.user_id, a.result])).toEqual([['tester', 'success'], ['virt-controller/pending-detach', 'success']]);
    expect(log[0]!.message).toMatch(/detach pending/);
  });

  it('no answer: the detach stays pending with backoff', async () => {
    const uuid = await withVolume();
    h.agents.failNext('DisconnectVolume', grpc.status.UNAVAILABLE, 'connection reset', 2);
    expect(await h.svc.detachVolume(uuid, 'v1', CTX)).toMatchObject({ status: 'detaching', detach_pending: 1, detach_attempts: 1 });
    expect((await h.periodic.runOnce()).detached).toBe(0);
    expect((await vol())!.detach_attempts).toBe(1); // not before its backoff
    h.clock.advance(60_000);
    expect((await h.periodic.runOnce()).detached).toBe(0);
    expect(await vol()).toMatchObject({ detach_attempts: 2, detach_next_at: h.clock.now() + 120_000 });
    h.clock.advance(120_000);
    expect((await h.periodic.runOnce()).detached).toBe(1);
  });

  it('a soft delete in the records first needs its power-off: the detach waits for it', async () => {
    const uuid = await withVolume();
    takeDown(h);
    await h.svc.deleteInstance(uuid, CTX);
    await bringBack(h);
    expect((await h.svc.detachVolume(uuid, 'v1', CTX))).toMatchObject({ status: 'detaching', detach_pending: 1 });
    const tick = await h.periodic.runOnce();
    expect(tick).toMatchObject({ poweredOff: 1, detached: 1 });
    expect(h.agents.methods().slice(-2)).toEqual(['PowerOff', 'DisconnectVolume']);
  });

  it('a delete that releases the volume meanwhile wins over the detach completion', async () => {
    const uuid = await withVolume();
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
    expect(await vol()).toMatchObject({ status: 'available', instance_uuid: null });
  });
});

describe('administrator: ResetVolumeState and ForceDetachVolume', () => {
  it('reset sets the status in the records only, and is logged with who did it', async () => {
    const uuid = await withVolume();
    h.agents.failNext('DisconnectVolume', grpc.status.INTERNAL, 'stuck');
    await rejection(h.svc.detachVolume(uuid, 'v1', CTX));
    const calls = h.agents.calls.length;
    expect(await h.svc.resetVolumeState('v1', 'in-use', { requestId: 'r1', user: '/CN=admin' })).toMatchObject({ status: 'in-use', instance_uuid: uuid, error: null });
    expect(await h.svc.resetVolumeState('v1', 'error_detaching', CTX)).toMatchObject({ status: 'error_detaching', error: 'reset to error_detaching by tester' });
    expect(await h.svc.resetVolumeState('v1', 'available', CTX)).toMatchObject({ status: 'available', instance_uuid: null, target_dev: null });
    expect(h.agents.calls.length).toBe(calls);
    const log = (await h.store.actions(uuid)).filter((a) => a.action === 'reset_volume_state');
    expect(log.map((a) => [a.user_id, a.message])).toEqual([
      ['/CN=admin', 'volume v1: error_detaching -> in-use'],
      ['tester', 'volume v1: in-use -> error_detaching'],
      ['tester', 'volume v1: error_detaching -> available'],
    ]);
    expect((await h.svc.resetVolumeState('v1', 'available', CTX)).status).toBe('available');
    expect((await rejection(() => h.svc.resetVolumeState('v1', 'in-use', CTX))).message).toMatch(/no attachment to mark in-use/);
    expect((await rejection(() => h.svc.resetVolumeState('v1', 'detaching', CTX))).message).toMatch(/^status: must be one of VOLUME_STATUS_AVAILABLE/);
    expect((await rejection(() => h.svc.resetVolumeState('nope', 'available', CTX))).kind).toBe('NotFound');
  });

  it('reset to available takes the volume off a pending host cleanup; in-use is refused for a deleted instance', async () => {
    h.deps.config.reclaimIntervalSeconds = 0;
    const uuid = await withVolume();
    takeDown(h);
    await h.svc.deleteInstance(uuid, CTX);
    expect((await vol())!.status).toBe('detaching');
    expect((await rejection(() => h.svc.resetVolumeState('v1', 'in-use', CTX))).message).toMatch(/is deleted; reset it to available instead/);
    await h.svc.resetVolumeState('v1', 'available', CTX);
    expect(JSON.parse((await h.store.requireInstance(uuid)).cleanup_volumes!)).toEqual([]);
  });

  it('force detach: host-side disconnect ignoring errors, then available; warnings returned', async () => {
    const uuid = await withVolume();
    h.agents.on('DisconnectVolume', () => ({ detached_from_domain: false, host_disconnected: false, warnings: ['iscsi: logout failed (ignored)'] }));
    const r = await h.svc.forceDetachVolume('v1', { requestId: 'r2', user: '/CN=admin' });
    expect(r.volume).toMatchObject({ status: 'available', instance_uuid: null });
    expect(r.warnings).toEqual(['iscsi: logout failed (ignored)']);
    expect(lastCall()).toMatchObject({ method: 'DisconnectVolume', req: { ignore_errors: true, request_id: `${uuid}:force_detach_volume:1` } });
    expect(lastCall().req.domain).toBeUndefined();
    expect((await h.store.actions(uuid)).at(-1)).toMatchObject({ action: 'force_detach_volume', result: 'success', user_id: '/CN=admin' });
    expect((await rejection(h.svc.forceDetachVolume('v1', CTX))).message).toMatch(/not attached, nothing to detach/);
  });

  it('force detach changes nothing when the host is down or does not answer', async () => {
    await withVolume();
    h.agents.failNext('DisconnectVolume', grpc.status.UNAVAILABLE, 'gone');
    expect((await rejection(h.svc.forceDetachVolume('v1', CTX))).kind).toBe('Unavailable');
    expect(await vol()).toMatchObject({ status: 'in-use', detach_pending: 0 });
    takeDown(h);
    const e = await rejection(h.svc.forceDetachVolume('v1', CTX));
    expect(e.message).toMatch(/^host h1 is down .*volume v1 is unchanged \(in-use\)/);
    expect((await vol())!.status).toBe('in-use');
  });
});
