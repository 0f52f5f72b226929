// PowerOn and HardReboot on the test driver: running left alone, start from
// the definition, refusal without a disk file, managed save resumed or
// discarded, transient domains from the DomainStore copy, and HardReboot
// always restarting (a new runtime id).
import fs from 'node:fs';

import { afterEach, describe, expect, it } from 'vitest';

import { hardReboot, powerOn, type PowerOnInput } from '../../src/agent/flows/hard-reboot';
import { DomainState } from '../../src/libvirt/constants';
import { ErrorCode } from '../../src/libvirt/errors';
import {
  closeEnvs, lverr, makeEnv, rejection, stepSeq, testUuid, type TestEnv,
} from '../helpers/agent-deps';

afterEach(() => closeEnvs());

const RUN = testUuid(1);
const OFF = testUuid(2);
const NODISK = testUuid(3);
const SAVED = testUuid(4);
const TRANS = testUuid(5);
const CDROM = testUuid(6);
const RUN_NODISK = testUuid(7);

let env: TestEnv;
async function setup(): Promise<TestEnv> {
  env = await makeEnv({
    domains: [
      { name: 'run', uuid: RUN, disks: [{ file: `${RUN}/disk` }] },
      { name: 'off', uuid: OFF, state: DomainState.SHUTOFF, disks: [{ file: `${OFF}/disk` }] },
      { name: 'nodisk', uuid: NODISK, state: DomainState.SHUTOFF, disks: [{ file: `${NODISK}/disk`, create: false }] },
      { name: 'saved', uuid: SAVED, state: DomainState.SHUTOFF, managedSave: true },
      { name: 'trans', uuid: TRANS, transient: true, disks: [{ file: `${TRANS}/disk` }] },
      {
        name: 'cdrom', uuid: CDROM, state: DomainState.SHUTOFF,
        disks: [{ file: `${CDROM}/disk` }, { file: `${CDROM}/missing.iso`, create: false, device: 'cdrom', dev: 'hdc' }],
      },
      { name: 'run-nodisk', uuid: RUN_NODISK, disks: [{ file: `${RUN_NODISK}/disk`, create: false }] },
    ],
  });
  return env;
}

const input = (uuid: string, over: Partial<PowerOnInput> = {}): PowerOnInput =>
  ({ ref: { uuid }, waitTimeoutSeconds: 60, discardManagedSave: false, ...over });

const idOf = async (uuid: string): Promise<number> => (await env.host.raw({ uuid })).id;

describe('PowerOn', () => {
  it('running: started:false, nothing restarted', async () => {
    await setup();
    const plan = env.inject(RUN);
    const id = await idOf(RUN);
    const ctx = env.ctx();
    const r = await powerOn(env.deps, ctx, input(RUN));
    expect(r).toMatchObject({ powerState: DomainState.RUNNING, started: false, resumedManagedSave: false });
    expect(plan.count('destroy') + plan.count('create')).toBe(0);
    expect(await idOf(RUN)).toBe(id);
    expect(stepSeq(ctx.steps.steps)).toEqual(['check-state:skipped']);
  });

  it('stopped: started from its definition, RUNNING', async () => {
    await setup();
    const plan = env.inject(OFF);
    const ctx = env.ctx();
    const r = await powerOn(env.deps, ctx, input(OFF));
    expect(r).toEqual({ powerState: DomainState.RUNNING, elapsedMs: 0, started: true, resumedManagedSave: false });
    expect(await env.stateOf(OFF)).toBe(DomainState.RUNNING);
    expect(plan.count('create')).toBe(1);
    expect(plan.count('destroy')).toBe(0);
    expect(stepSeq(ctx.steps.steps)).toEqual(['load-definition:ok', 'check-disks:ok', 'start:ok', 'wait-running:ok']);
    expect(ctx.steps.steps[0]!.detail).toBe('persistent');
  });

  it('missing disk file: FailedPrecondition naming the path, the domain is not started', async () => {
    await setup();
    const plan = env.inject(NODISK);
    const err = await rejection(powerOn(env.deps, env.ctx(), input(NODISK)));
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toContain(env.inst(NODISK, 'disk'));
    expect(err.message).toContain('vda');
    expect(plan.count('create')).toBe(0);
    expect(await env.stateOf(NODISK)).toBe(DomainState.SHUTOFF);
  });

  it('a missing cdrom image does not block the start', async () => {
    await setup();
    const r = await powerOn(env.deps, env.ctx(), input(CDROM));
    expect(r.started).toBe(true);
  });

  it('managed save present: resumed from it, the image is consumed', async () => {
    await setup();
    const raw = await env.host.raw({ uuid: SAVED });
    expect(await raw.hasManagedSaveImage()).toBe(true);
    const ctx = env.ctx();
    const r = await powerOn(env.deps, ctx, input(SAVED));
    expect(r).toMatchObject({ started: true, resumedManagedSave: true, powerState: DomainState.RUNNING });
    expect(await raw.hasManagedSaveImage()).toBe(false);
    expect(stepSeq(ctx.steps.steps)).toContain('managed-save:ok');
  });

  it('discard_managed_save: the image is removed first, then a fresh boot', async () => {
    await setup();
    const plan = env.inject(SAVED);
    const ctx = env.ctx();
    const r = await powerOn(env.deps, ctx, input(SAVED, { discardManagedSave: true }));
    expect(r).toMatchObject({ started: true, resumedManagedSave: false, powerState: DomainState.RUNNING });
    expect(plan.calls.filter((c) => c.method !== 'state').map((c) => c.method)).toEqual(['managedSaveRemove', 'create']);
    expect(await (await env.host.raw({ uuid: SAVED })).hasManagedSaveImage()).toBe(false);
    expect(stepSeq(ctx.steps.steps)).toEqual(['load-definition:ok', 'check-disks:ok', 'managed-save-remove:ok', 'start:ok', 'wait-running:ok']);
  });

  it('unknown domain: NotFound', async () => {
    await setup();
    expect((await rejection(powerOn(env.deps, env.ctx(), input(testUuid(99))))).kind).toBe('NotFound');
  });

  it('start fails: the libvirt error is mapped and names the domain', async () => {
    await setup();
    env.inject(OFF, { create: lverr('virDomainCreateWithFlags', ErrorCode.OPERATION_FAILED, 'cannot allocate memory') });
    const err = await rejection(powerOn(env.deps, env.ctx(), input(OFF)));
    expect(err.kind).toBe('Internal');
    expect(err.message).toMatch(/starting domain 'off': cannot allocate memory/);
  });

  it('never reaches RUNNING: Timeout after wait_timeout_seconds, naming the state', async () => {
    await setup();
    env.inject(OFF, { create: 'ignore' });
    const err = await rejection(env.clock.run(powerOn(env.deps, env.ctx(), input(OFF, { waitTimeoutSeconds: 5 }))));
    expect(err.kind).toBe('Timeout');
    expect(err.message).toMatch(/not RUNNING after 5s \(state SHUTOFF\)/);
    expect(env.clock.now()).toBe(5000);
  });
});

describe('PowerOn / HardReboot with volumes (connected before the start)', () => {
  const local = (id: string, file: string) => ({ volume_id: id, target_dev: 'vdb', connection_info: { driver_volume_type: 'local', data: { device_path: file } } });

  it('volumes are connected in order before the disk check and the start', async () => {
    await setup();
    fs.writeFileSync(env.inst(OFF, 'vol.img'), 'v');
    // rbd: no krbd on this machine, so `rbd map` is scripted (its answer, /dev/rbd0, is what a host would print).
    env.runner.expect('rbd', ['map', '--', 'volumes/volume-2'], { stdout: '/dev/rbd0\n' });
    const plan = env.inject(OFF);
    const ctx = env.ctx();
    const r = await powerOn(env.deps, ctx, input(OFF, {
      volumes: [local('vol-1', env.inst(OFF, 'vol.img')), { volume_id: 'vol-2', target_dev: 'vdc', connection_info: { driver_volume_type: 'rbd', data: { name: 'volumes/volume-2' } } }],
    }));
    env.runner.assertDone();
    expect(r.started).toBe(true);
    expect(stepSeq(ctx.steps.steps)).toEqual([
      'load-definition:ok', 'local: check device:ok', 'connect-volume vol-1:ok', 'rbd: map volumes/volume-2:ok', 'connect-volume vol-2:ok',
      'check-disks:ok', 'start:ok', 'wait-running:ok',
    ]);
    expect(ctx.steps.steps.find((s) => s.name === 'connect-volume vol-2')!.detail).toBe('/dev/rbd0');
    expect(plan.count('create')).toBe(1);
  });

  it('a volume that cannot be connected: its error, the running guest of a HardReboot is not destroyed', async () => {
    await setup();
    const id = await idOf(RUN);
    const plan = env.inject(RUN);
    env.runner.expect('rbd', ['map', '--', 'volumes/volume-2'], { stdout: 'rbd: sysfs write failed\n' });
    const rbd = { volume_id: 'vol-2', target_dev: 'vdc', connection_info: { driver_volume_type: 'rbd', data: { name: 'volumes/volume-2' } } };
    const err = await rejection(hardReboot(env.deps, env.ctx(), input(RUN, { volumes: [rbd] })));
    env.runner.assertDone();
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toContain('not a /dev/rbdN device');
    expect(plan.count('destroy') + plan.count('create')).toBe(0);
    expect(await idOf(RUN)).toBe(id);
  });

  it('a local volume whose device is missing: a warning step; the disk check decides whether the guest can start', async () => {
    await setup();
    const ctx = env.ctx();
    // off's definition does not use the file: it starts.
    const r = await powerOn(env.deps, ctx, input(OFF, { volumes: [local('vol-1', env.inst(OFF, 'gone.img'))] }));
    expect(r.started).toBe(true);
    expect(ctx.steps.steps[1]).toMatchObject({ name: 'local: check device', outcome: 'warning' });
    // nodisk's definition uses its (missing) disk: refused before the start.
    const err = await rejection(powerOn(env.deps, env.ctx(), input(NODISK, { volumes: [local('vol-1', env.inst(NODISK, 'disk'))] })));
    expect(err.kind).toBe('FailedPrecondition');
    expect(await env.stateOf(NODISK)).toBe(DomainState.SHUTOFF);
  });

  it('an invalid volume: INVALID_ARGUMENT naming volumes[i], before anything (even for a running domain PowerOn leaves alone)', async () => {
    await setup();
    const plan = env.inject(RUN);
    const bad = { volume_id: 'v', target_dev: 'vdb', connection_info: { driver_volume_type: 'iscsi', data: { target_portal: '10.0.0.1:3260', target_iqn: '--op=delete', target_lun: '1' } } };
    for (const flow of [powerOn, hardReboot]) {
      const err = await rejection(flow(env.deps, env.ctx(), input(RUN, { volumes: [local('ok', env.inst(RUN, 'disk')), bad] })));
      expect(err.kind).toBe('InvalidArgument');
      expect(err.message).toContain('volumes[1].connection_info.data.target_iqn');
    }
    env.runner.assertDone();
    expect(plan.calls).toEqual([]);
  });
});

describe('HardReboot', () => {
  it('managed save present and discard asked (the RPC default for HardReboot): the image goes, a fresh boot', async () => {
    await setup();
    const plan = env.inject(SAVED);
    const ctx = env.ctx();
    const r = await hardReboot(env.deps, ctx, input(SAVED, { discardManagedSave: true }));
    expect(r).toMatchObject({ started: true, resumedManagedSave: false, powerState: DomainState.RUNNING });
    expect(plan.calls.filter((c) => c.method !== 'state').map((c) => c.method)).toEqual(['managedSaveRemove', 'create']);
    expect(await (await env.host.raw({ uuid: SAVED })).hasManagedSaveImage()).toBe(false);
  });

  it('running persistent domain: always restarted (destroyed, started, new id)', async () => {
    await setup();
    const id = await idOf(RUN);
    const plan = env.inject(RUN);
    const ctx = env.ctx();
    const r = await hardReboot(env.deps, ctx, input(RUN));
    expect(r).toMatchObject({ powerState: DomainState.RUNNING, started: true });
    expect(await idOf(RUN)).not.toBe(id);
    expect(plan.calls.filter((c) => c.method !== 'state').map((c) => c.method)).toEqual(['destroy', 'create']);
    expect(stepSeq(ctx.steps.steps)).toEqual(['load-definition:ok', 'check-disks:ok', 'destroy-graceful:ok', 'start:ok', 'wait-running:ok']);
  });

  it('stopped domain: started without a destroy', async () => {
    await setup();
    const plan = env.inject(OFF);
    await hardReboot(env.deps, env.ctx(), input(OFF));
    expect(plan.count('destroy')).toBe(0);
    expect(await env.stateOf(OFF)).toBe(DomainState.RUNNING);
  });

  it('missing disk on a running domain: refused before the destroy, the guest keeps running', async () => {
    await setup();
    const id = await idOf(RUN_NODISK);
    const err = await rejection(hardReboot(env.deps, env.ctx(), input(RUN_NODISK)));
    expect(err.kind).toBe('FailedPrecondition');
    expect(await env.stateOf(RUN_NODISK)).toBe(DomainState.RUNNING);
    expect(await idOf(RUN_NODISK)).toBe(id);
  });

  it('transient domain: started again from the DomainStore copy', async () => {
    await setup();
    const raw = await env.host.raw({ uuid: TRANS });
    await env.store.save(TRANS, await raw.xml());
    const ctx = env.ctx();
    const r = await hardReboot(env.deps, ctx, input(TRANS));
    expect(r).toMatchObject({ powerState: DomainState.RUNNING, started: true });
    const after = await env.host.raw({ uuid: TRANS });
    expect(after.id).not.toBe(raw.id);
    expect(await after.isPersistent()).toBe(false);
    expect(ctx.steps.steps[0]).toMatchObject({ name: 'load-definition', detail: 'stored transient copy' });
    expect(stepSeq(ctx.steps.steps)).toEqual(['load-definition:ok', 'check-disks:ok', 'destroy-graceful:ok', 'start:ok', 'wait-running:ok']);
  });

  it('transient domain that libvirt forgot (it stopped): HardReboot and PowerOn start the stored copy', async () => {
    await setup();
    const raw = await env.host.raw({ uuid: TRANS });
    await env.store.save(TRANS, await raw.xml());
    await raw.destroy(); // a transient domain is gone once stopped (guest shutdown, crash)
    expect(await env.stateOf(TRANS)).toBe('gone');
    const ctx = env.ctx();
    const r = await hardReboot(env.deps, ctx, input(TRANS.toUpperCase()));
    expect(r).toMatchObject({ powerState: DomainState.RUNNING, started: true });
    expect(stepSeq(ctx.steps.steps)).toEqual(['load-definition:ok', 'check-disks:ok', 'start:ok', 'wait-running:ok']);
    expect(ctx.steps.steps[0]!.detail).toBe('stored transient copy (domain was gone)');

    await (await env.host.raw({ uuid: TRANS })).destroy();
    expect((await powerOn(env.deps, env.ctx(), input(TRANS))).started).toBe(true);
    expect(await env.stateOf(TRANS)).toBe(DomainState.RUNNING);
  });

  it('gone transient domain without a stored copy (or by name): NotFound', async () => {
    await setup();
    await env.store.save(TRANS, await (await env.host.raw({ uuid: TRANS })).xml());
    await (await env.host.raw({ uuid: TRANS })).destroy();
    expect((await rejection(hardReboot(env.deps, env.ctx(), { ...input(''), ref: { name: 'trans' } }))).kind).toBe('NotFound');
    await env.store.remove(TRANS);
    expect((await rejection(hardReboot(env.deps, env.ctx(), input(TRANS)))).kind).toBe('NotFound');
  });

  it('transient domain without a stored copy: FailedPrecondition, left running', async () => {
    await setup();
    const id = await idOf(TRANS);
    const err = await rejection(hardReboot(env.deps, env.ctx(), input(TRANS)));
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toMatch(/transient and the agent holds no stored definition/);
    expect(await idOf(TRANS)).toBe(id);
  });

  it('transient copy whose disk is gone: refused, the running guest is not destroyed', async () => {
    await setup();
    await env.store.save(TRANS, await (await env.host.raw({ uuid: TRANS })).xml());
    fs.rmSync(env.inst(TRANS, 'disk'));
    const err = await rejection(hardReboot(env.deps, env.ctx(), input(TRANS)));
    expect(err.kind).toBe('FailedPrecondition');
    expect(await env.stateOf(TRANS)).toBe(DomainState.RUNNING);
  });
});
