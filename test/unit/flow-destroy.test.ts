// Destroy (Nova's destroy + cleanup + undefine) on the test driver: missing
// domain, running/saved/transient/snapshotted domains, the undefine flag
// fallback (the test driver rejects NVRAM/CHECKPOINTS with INVALID_ARG), disk
// removal confined to the instances directory, RBD images through a scripted
// runner, and volume errors with and without destroy_disks.
import fs from 'node:fs';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { destroy, type DestroyInput } from '../../src/agent/flows/destroy';
import type { VolumeAttachment } from '../../src/agent/volume';
import { DomainState, UndefineFlags as U } from '../../src/libvirt/constants';
import { ErrorCode } from '../../src/libvirt/errors';
import {
  closeEnvs, lverr, makeEnv, rejection, stepSeq, testUuid, type DomainSpec, type EnvOptions, type TestEnv,
} from '../helpers/agent-deps';
import { ScriptedRunner } from '../helpers/scripted-runner';

afterEach(() => closeEnvs());

const A = testUuid(1);
const FULL = U.MANAGED_SAVE | U.SNAPSHOTS_METADATA | U.CHECKPOINTS_METADATA | U.NVRAM;
const SUPPORTED = U.MANAGED_SAVE | U.SNAPSHOTS_METADATA;

let env: TestEnv;
async function setup(domains: EnvOptions['domains'], runner?: ScriptedRunner): Promise<TestEnv> {
  env = await makeEnv({ domains, ...(runner ? { runner } : {}) });
  return env;
}

const input = (uuid: string, over: Partial<DestroyInput> = {}): DestroyInput =>
  ({ ref: { uuid }, destroyDisks: false, keepNvram: false, volumes: [], ...over });

async function run(over: Partial<DestroyInput> = {}, uuid = A) {
  const ctx = env.ctx();
  const result = await destroy(env.deps, ctx, input(uuid, over));
  return { result, steps: ctx.steps.steps };
}

describe('Destroy: domain states', () => {
  it('missing domain: found:false, nothing done', async () => {
    await setup([]);
    const { result, steps } = await run();
    expect(result).toEqual({ found: false, wasRunning: false, undefined: false, managedSaveRemoved: false, warnings: [] });
    expect(stepSeq(steps)).toEqual(['lookup:skipped']);
  });

  it('running: destroyed, undefined after the flag fallback, gone', async () => {
    await setup([{ name: 'a', uuid: A }]);
    const plan = env.inject(A);
    const { result, steps } = await run();
    expect(result).toEqual({ found: true, wasRunning: true, undefined: true, managedSaveRemoved: false, warnings: [] });
    expect(await env.stateOf(A)).toBe('gone');
    expect(plan.argsOf('undefine')).toEqual([[FULL], [SUPPORTED]]);
    expect(stepSeq(steps)).toEqual(['destroy-graceful:ok', 'undefine:fallback', 'undefine:ok']);
    expect(steps[1]!.detail).toBe('flags MANAGED_SAVE|SNAPSHOTS_METADATA|NVRAM|CHECKPOINTS_METADATA rejected '
      + '(unsupported flags (0x14) in function testDomainUndefineFlags); retrying with MANAGED_SAVE|SNAPSHOTS_METADATA');
    expect(steps[2]!.detail).toBe('flags MANAGED_SAVE|SNAPSHOTS_METADATA');
  });

  it('managed save present: undefined with it, managed_save_removed', async () => {
    await setup([{ name: 'a', uuid: A, state: DomainState.SHUTOFF, managedSave: true }]);
    const { result } = await run();
    expect(result).toMatchObject({ found: true, wasRunning: false, undefined: true, managedSaveRemoved: true });
    expect(await env.stateOf(A)).toBe('gone');
  });

  it('keep_nvram: KEEP_NVRAM is asked for (and dropped when rejected)', async () => {
    await setup([{ name: 'a', uuid: A, state: DomainState.SHUTOFF }]);
    const plan = env.inject(A);
    const { steps } = await run({ keepNvram: true });
    expect(plan.argsOf('undefine')).toEqual([[U.MANAGED_SAVE | U.SNAPSHOTS_METADATA | U.KEEP_NVRAM | U.CHECKPOINTS_METADATA], [SUPPORTED]]);
    expect(steps.find((s) => s.outcome === 'fallback')!.detail).toMatch(/KEEP_NVRAM.*unsupported flags \(0x18\)/);
  });

  it('rejection without the flag bits in the message: the least essential flag is dropped first', async () => {
    await setup([{ name: 'a', uuid: A, state: DomainState.SHUTOFF }]);
    const plan = env.inject(A, {
      undefine: [
        lverr('virDomainUndefineFlags', ErrorCode.NO_SUPPORT, 'checkpoints not supported'),
        lverr('virDomainUndefineFlags', ErrorCode.ARGUMENT_UNSUPPORTED, 'nvram not supported'),
      ],
    });
    const { steps } = await run();
    expect(plan.argsOf('undefine')).toEqual([[FULL], [FULL & ~U.CHECKPOINTS_METADATA], [SUPPORTED]]);
    expect(stepSeq(steps)).toEqual(['undefine:fallback', 'undefine:fallback', 'undefine:ok']);
  });

  it('MANAGED_SAVE rejected while an image exists: the image is removed before undefining without it', async () => {
    await setup([{ name: 'a', uuid: A, state: DomainState.SHUTOFF, managedSave: true }]);
    const rejectSave = lverr('virDomainUndefineFlags', ErrorCode.INVALID_ARG, 'unsupported flags (0x1) in function x');
    const plan = env.inject(A, {
      undefine: [
        'pass', // the real driver rejects 0x14 first
        ({ args }) => ((args[0] as number) & U.MANAGED_SAVE ? rejectSave : 'pass'),
      ],
    });
    const { steps, result } = await run();
    expect(plan.argsOf('undefine')).toEqual([[FULL], [SUPPORTED], [U.SNAPSHOTS_METADATA]]);
    expect(stepSeq(steps)).toEqual(['undefine:fallback', 'managed-save-remove:ok', 'undefine:fallback', 'undefine:ok']);
    expect(result.managedSaveRemoved).toBe(true);
    expect(await env.stateOf(A)).toBe('gone');
  });

  it('undefine fails for another reason: mapped error, the domain stays defined', async () => {
    await setup([{ name: 'a', uuid: A, state: DomainState.SHUTOFF }]);
    env.inject(A, { undefine: lverr('virDomainUndefineFlags', ErrorCode.OPERATION_FAILED, 'cannot remove config file') });
    const err = await rejection(run());
    expect(err.kind).toBe('Internal');
    expect(err.message).toMatch(/undefining domain 'a': cannot remove config file/);
    expect(await env.stateOf(A)).toBe(DomainState.SHUTOFF);
  });

  it('snapshot present: SNAPSHOTS_METADATA lets the undefine through', async () => {
    await setup([{ name: 'a', uuid: A }]);
    const raw = await env.host.raw({ uuid: A });
    await raw.createSnapshot('<domainsnapshot><name>s1</name></domainsnapshot>');
    expect(await raw.snapshotCount()).toBe(1);
    const { result, steps } = await run();
    expect(result.undefined).toBe(true);
    expect(steps.at(-1)).toMatchObject({ name: 'undefine', outcome: 'ok', detail: expect.stringContaining('SNAPSHOTS_METADATA') });
    expect(await env.stateOf(A)).toBe('gone');
  });

  it('transient domain: not undefined (no definition) but gone; stored copy removed', async () => {
    await setup([{ name: 'a', uuid: A, transient: true }]);
    await env.store.save(A, await (await env.host.raw({ uuid: A })).xml());
    const plan = env.inject(A);
    const { result, steps } = await run();
    expect(result).toMatchObject({ found: true, wasRunning: true, undefined: false, managedSaveRemoved: false });
    expect(plan.count('undefine')).toBe(0);
    expect(await env.stateOf(A)).toBe('gone');
    expect(stepSeq(steps)).toEqual(['destroy-graceful:ok', 'undefine:skipped']);
    expect(await env.store.load(A)).toBeNull();
  });

  it('domain cannot be stopped: Destroy fails, nothing removed or undefined', async () => {
    await setup([{ name: 'a', uuid: A, disks: [{ file: `${A}/disk` }] }]);
    env.inject(A, { destroy: 'ignore' });
    const err = await rejection(env.clock.run(destroy(env.deps, env.ctx(), input(A, { destroyDisks: true }))));
    expect(err.kind).toBe('FailedPrecondition');
    expect(fs.existsSync(env.inst(A, 'disk'))).toBe(true);
    expect(await env.stateOf(A)).toBe(DomainState.RUNNING);
  });
});

describe('Destroy: destroy_disks', () => {
  it('removes files under the instances dir; refuses outside paths, escaping symlinks and ".." paths', async () => {
    await setup(({ root, instancesDir: inst }) => [{
      name: 'a', uuid: A, state: DomainState.SHUTOFF,
      disks: [
        { file: `${A}/disk` },
        { file: `${root}/outside/plain`, create: false },
        { file: `${inst}/${A}/link`, create: false },
        { file: `${inst}/${A}/../../outside/dotdot`, create: false },
      ],
    }]);
    const outside = path.join(env.root, 'outside');
    fs.mkdirSync(outside);
    for (const f of ['plain', 'target', 'dotdot']) fs.writeFileSync(path.join(outside, f), 'precious');
    fs.symlinkSync(path.join(outside, 'target'), env.inst(A, 'link'));
    fs.writeFileSync(env.inst(A, 'console.log'), 'log');
    const plan = env.inject(A);

    const { result, steps } = await run({ destroyDisks: true });
    expect(fs.existsSync(env.inst(A, 'disk'))).toBe(false);
    expect(fs.existsSync(env.inst(A))).toBe(false); // the instance directory went too
    for (const f of ['plain', 'target', 'dotdot']) expect(fs.readFileSync(path.join(outside, f), 'utf8')).toBe('precious');
    expect(result.warnings).toHaveLength(3);
    expect(result.warnings[0]).toContain(`vdb: ${outside}/plain is outside the instances directory`);
    expect(result.warnings[1]).toContain(`vdc: ${env.inst(A, 'link')} is outside`);
    expect(result.warnings[2]).toContain('vdd: ');
    expect(result.warnings[2]).toContain('/../../outside/dotdot is outside');
    expect(stepSeq(steps).slice(0, 4)).toEqual(['remove-disk vda:ok', 'remove-disk vdb:skipped', 'remove-disk vdc:skipped', 'remove-disk vdd:skipped']);
    expect(result.undefined).toBe(true);
    expect(plan.count('undefine')).toBeGreaterThan(0);
  });

  it('without destroy_disks nothing is removed', async () => {
    await setup([{ name: 'a', uuid: A, state: DomainState.SHUTOFF, disks: [{ file: `${A}/disk` }] }]);
    await run();
    expect(fs.existsSync(env.inst(A, 'disk'))).toBe(true);
  });

  const rbdDomain = (): DomainSpec[] => [{
    name: 'a', uuid: A, state: DomainState.SHUTOFF,
    disks: [{ rbd: `vms/${A}_disk` }, { rbd: 'vms/other-instance_disk' }],
  }];
  const image = `vms/${A}_disk`;

  it('RBD image owned by the instance: unprotect, purge, rm; a foreign image is left alone', async () => {
    const runner = new ScriptedRunner()
      .expect('rbd', ['snap', 'ls', '--format', 'json', image], {
        stdout: JSON.stringify([{ id: 4, name: 'snap1', protected: 'true' }, { id: 5, name: 'snap2', protected: 'false' }]),
      })
      .expect('rbd', ['snap', 'unprotect', `${image}@snap1`])
      .expect('rbd', ['snap', 'purge', image])
      .expect('rbd', ['rm', image]);
    await setup(rbdDomain(), runner);
    const { result, steps } = await run({ destroyDisks: true });
    runner.assertDone();
    expect(steps[0]).toMatchObject({ name: `remove-rbd ${image}`, outcome: 'ok', detail: 'removed' });
    expect(result).toMatchObject({ undefined: true, warnings: [] });
  });

  it('RBD image busy (watchers): Unavailable, the domain stays defined', async () => {
    const runner = new ScriptedRunner()
      .expect('rbd', ['snap', 'ls', '--format', 'json', image], { stdout: '[]' })
      .expect('rbd', ['rm', image], { code: 16, stderr: 'rbd: error: image still has watchers' });
    await setup(rbdDomain(), runner);
    const plan = env.inject(A);
    const err = await rejection(run({ destroyDisks: true }));
    runner.assertDone();
    expect(err.kind).toBe('Unavailable');
    expect(err.message).toContain(`rbd image ${image} is busy`);
    expect(plan.count('undefine')).toBe(0);
    expect(await env.stateOf(A)).toBe(DomainState.SHUTOFF);
  });

  it('RBD image already gone: fine', async () => {
    const runner = new ScriptedRunner()
      .expect('rbd', ['snap', 'ls', '--format', 'json', image], { code: 2, stderr: 'rbd: error opening image: (2) No such file or directory' });
    await setup(rbdDomain(), runner);
    const { result, steps } = await run({ destroyDisks: true });
    runner.assertDone();
    expect(steps[0]).toMatchObject({ name: `remove-rbd ${image}`, outcome: 'ok', detail: 'missing' });
    expect(result.undefined).toBe(true);
  });

  it('LVM volume named after the instance that no longer exists: no command, reported missing', async () => {
    await setup([{ name: 'a', uuid: A, state: DomainState.SHUTOFF, disks: [{ block: `/dev/virt-agent-test-vg/${A}_disk` }] }]);
    const { steps } = await run({ destroyDisks: true });
    env.runner.assertDone();
    expect(steps[0]).toMatchObject({ name: `remove-lv /dev/virt-agent-test-vg/${A}_disk`, detail: 'missing' });
  });
});

describe('Destroy: volumes', () => {
  const VOL: VolumeAttachment = {
    volume_id: 'vol-1',
    target_dev: 'vdb',
    connection_info: { driver_volume_type: 'local', data: { device_path: '/dev/disk/by-id/virt-agent-test-vol-1' } },
  };
  const domains = (): DomainSpec[] => [{
    name: 'a', uuid: A, disks: [{ file: `${A}/disk` }, { block: '/dev/disk/by-id/virt-agent-test-vol-1', dev: 'vdb' }],
  }];

  it('a volume error without destroy_disks aborts the Destroy: the domain is NOT undefined', async () => {
    await setup(domains());
    const plan = env.inject(A);
    // The test driver has no virDomainDetachDeviceFlags (NO_SUPPORT): a real detach failure.
    const err = await rejection(run({ volumes: [VOL] }));
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toContain('vdb');
    expect(plan.count('undefine')).toBe(0);
    expect(await env.stateOf(A)).toBe(DomainState.SHUTOFF); // stopped first, still defined
  });

  it('with destroy_disks the volume error is a warning and the undefine happens', async () => {
    await setup(domains());
    const { result } = await run({ volumes: [VOL], destroyDisks: true });
    expect(result.undefined).toBe(true);
    expect(result.warnings.some((w) => w.startsWith('volume vol-1: ') && /not supported/.test(w))).toBe(true);
    expect(await env.stateOf(A)).toBe('gone');
    expect(fs.existsSync(env.inst(A, 'disk'))).toBe(false);
  });

  it('an invalid volume is rejected before anything changes', async () => {
    await setup(domains());
    const bad: VolumeAttachment = { ...VOL, connection_info: { driver_volume_type: 'fibre_channel', data: {} } };
    const err = await rejection(run({ volumes: [bad] }));
    expect(err.kind).toBe('InvalidArgument');
    expect(err.message).toContain('volumes[0]');
    expect(await env.stateOf(A)).toBe(DomainState.RUNNING);
  });
});
