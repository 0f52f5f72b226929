// Destroy (Nova's destroy + cleanup + undefine) on the test driver: missing
// domain (and the cleanup after it), running/saved/transient/snapshotted
// domains, the undefine flag fallback (the test driver rejects NVRAM/CHECKPOINTS
// with INVALID_ARG), the ownership rule for disk removal (real files, real
// other domains), RBD images and LVM volumes through a scripted runner (no
// Ceph cluster, krbd or volume group on this machine), and volume errors with
// and without destroy_disks.
import fs from 'node:fs';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { destroy, type DestroyInput } from '../../src/agent/flows/destroy';
import type { VolumeAttachment } from '../../src/agent/volume';
import { DomainState, UndefineFlags as U } from '../../src/libvirt/constants';
import { ErrorCode } from '../../src/libvirt/errors';
import type { AgentConfig } from '../../src/agent/config';
import type { RunResult } from '../../src/agent/exec';
import {
  closeEnvs, domainXml, lverr, makeEnv, rejection, stepSeq, TestClock, testUuid, type DomainSpec, type EnvOptions, type TestEnv,
} from '../helpers/agent-deps';
import { ScriptedRunner, type Expectation } from '../helpers/scripted-runner';

afterEach(() => closeEnvs());

const A = testUuid(1);
const B = testUuid(2);
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

describe('Destroy: destroy_disks (the ownership rule)', () => {
  it("removes files in the instance's own directory; refuses outside paths, escaping symlinks and '..' paths", async () => {
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
    expect(result.warnings[0]).toContain(`disk vdb: ${outside}/plain is outside this instance's directory ${env.inst(A)}`);
    expect(result.warnings[1]).toContain(`disk vdc: ${env.inst(A, 'link')} is outside`);
    expect(result.warnings[2]).toContain('disk vdd: ');
    expect(result.warnings[2]).toContain('/../../outside/dotdot is outside');
    expect(stepSeq(steps).slice(0, 5)).toEqual(['disk-ownership:ok', 'remove-disk vda:ok', 'remove-disk vdb:skipped', 'remove-disk vdc:skipped', 'remove-disk vdd:skipped']);
    expect(stepSeq(steps)).toContain('remove-instance-dir:ok');
    expect(result.undefined).toBe(true);
    expect(plan.count('undefine')).toBeGreaterThan(0);
  });

  it('two domains sharing a file: Destroy of one keeps it (and its instance directory), the other domain still has it', async () => {
    // b's disk is a file in a's directory: the layout the controller now refuses, but one that can exist.
    await setup([
      { name: 'a', uuid: A, state: DomainState.SHUTOFF, disks: [{ file: `${A}/disk` }, { file: `${A}/shared`, dev: 'vdb' }] },
      { name: 'b', uuid: B, disks: [{ file: `${A}/shared` }] },
    ]);
    const { result, steps } = await run({ destroyDisks: true });
    expect(fs.existsSync(env.inst(A, 'disk'))).toBe(false);
    expect(fs.readFileSync(env.inst(A, 'shared'), 'utf8')).toBe('disk of b\n');
    expect(steps.find((s) => s.name === 'remove-disk vdb')).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('also used by domain(s) b') });
    expect(steps.find((s) => s.name === 'remove-instance-dir')).toMatchObject({ outcome: 'skipped' });
    expect(result.warnings).toEqual([
      expect.stringContaining(`disk vdb: ${env.inst(A, 'shared')} is also used by domain(s) b`),
      expect.stringContaining(`instance-dir: ${env.inst(A)} holds ${env.inst(A, 'shared')} (b)`),
    ]);
    expect(result.undefined).toBe(true);
    expect(await env.stateOf(B)).toBe(DomainState.RUNNING);
  });

  it('a file shared with a stopped (defined, inactive) domain is kept too, also when reached through a symlink', async () => {
    await setup([
      { name: 'a', uuid: A, state: DomainState.SHUTOFF, disks: [{ file: `${A}/disk.link`, create: false }] },
      { name: 'b', uuid: B, state: DomainState.SHUTOFF, disks: [{ file: `${A}/real` }] },
    ]);
    fs.symlinkSync(env.inst(A, 'real'), env.inst(A, 'disk.link'));
    const { result } = await run({ destroyDisks: true });
    expect(fs.existsSync(env.inst(A, 'real'))).toBe(true);
    expect(result.warnings[0]).toContain('also used by domain(s) b');
  });

  it("a disk in another instance's directory is never removed, even when that instance is gone", async () => {
    await setup([{ name: 'a', uuid: A, state: DomainState.SHUTOFF, disks: [{ file: `${A}/disk` }, { file: `${B}/disk`, dev: 'vdb' }] }]);
    const { result, steps } = await run({ destroyDisks: true });
    expect(fs.readFileSync(env.inst(B, 'disk'), 'utf8')).toBe('disk of a\n');
    expect(fs.existsSync(env.inst(A))).toBe(false);
    expect(steps.find((s) => s.name === 'remove-disk vdb')!.detail).toContain(`is outside this instance's directory ${env.inst(A)}`);
    expect(result.warnings).toHaveLength(1);
  });

  it('shared base images (_base) are never removed, not even through a link in the instance directory', async () => {
    await setup([{ name: 'a', uuid: A, state: DomainState.SHUTOFF, disks: [{ file: '_base/img' }, { file: `${A}/base.link`, create: false }] }]);
    fs.mkdirSync(env.inst(A));
    fs.symlinkSync(env.inst('_base', 'img'), env.inst(A, 'base.link'));
    const { result, steps } = await run({ destroyDisks: true });
    expect(fs.existsSync(env.inst('_base', 'img'))).toBe(true);
    expect(stepSeq(steps).slice(1, 3)).toEqual(['remove-disk vda:skipped', 'remove-disk vdb:skipped']);
    expect(steps[1]!.detail).toContain('shared base image (_base)');
    expect(steps[2]!.detail).toContain('shared base image (_base)');
    expect(result.warnings).toEqual([]); // expected and harmless: no warning
    expect(fs.existsSync(env.inst(A))).toBe(false); // only the link went with the directory
  });

  it('without destroy_disks nothing is removed', async () => {
    await setup([{ name: 'a', uuid: A, state: DomainState.SHUTOFF, disks: [{ file: `${A}/disk` }] }]);
    await run();
    expect(fs.existsSync(env.inst(A, 'disk'))).toBe(true);
  });

  it('other domains unreadable: ownership unknown, nothing removed, a warning says so', async () => {
    await setup([{ name: 'a', uuid: A, state: DomainState.SHUTOFF, disks: [{ file: `${A}/disk` }] }]);
    const list = env.host.call.bind(env.host);
    env.host.call = (async (fn: Parameters<typeof list>[0]) => {
      if (fn.toString().includes('listAllDomains')) throw new Error('listAllDomains failed');
      return list(fn);
    }) as typeof env.host.call;
    const { result } = await run({ destroyDisks: true });
    expect(fs.existsSync(env.inst(A, 'disk'))).toBe(true);
    expect(result.warnings).toEqual([expect.stringMatching(/^no disk removed: .*ownership is unknown .*listAllDomains failed/)]);
    expect(result.undefined).toBe(true);
  });
});

describe('Destroy: RBD images (scripted rbd; no Ceph cluster or krbd on this machine)', () => {
  const CEPH = ['--id', 'nova', '--conf', '/etc/ceph/ceph.conf'];
  const rbdConfig = (c: AgentConfig) => {
    c.rbd = { ...c.rbd, pools: ['vms'], user: 'nova', confPath: '/etc/ceph/ceph.conf', busyRetries: 3, busyRetryIntervalMs: 5000 };
  };
  const rbdDomain = (): DomainSpec[] => [{
    name: 'a', uuid: A, state: DomainState.SHUTOFF,
    disks: [{ rbd: `vms/${A}_disk` }, { rbd: 'vms/other-instance_disk' }, { rbd: `images/${A}_disk` }],
  }];
  const image = `vms/${A}_disk`;
  const ls = (stdout: string | string[]): Expectation =>
    ({ cmd: 'rbd', args: ['ls', '--format', 'json', ...CEPH, '--', 'vms'], result: { stdout: typeof stdout === 'string' ? stdout : JSON.stringify(stdout) } });
  const snapLs = (spec: string, stdout = '[]'): Expectation => ({ cmd: 'rbd', args: ['snap', 'ls', '--format', 'json', ...CEPH, '--', spec], result: { stdout } });
  const rm = (spec: string, result: Partial<RunResult> = {}): Expectation => ({ cmd: 'rbd', args: ['rm', ...CEPH, '--', spec], result });

  async function setupRbd(runner: ScriptedRunner, domains = rbdDomain()) {
    env = await makeEnv({ domains, runner, config: rbdConfig });
    return env;
  }

  it('owned image: unprotect protected snapshots, purge, rm (all with --id/--conf, names after --); foreign images left alone', async () => {
    const runner = new ScriptedRunner([
      snapLs(image, JSON.stringify([{ id: 4, name: 'snap1', protected: 'true' }, { id: 5, name: 'snap2', protected: 'false' }])),
      { cmd: 'rbd', args: ['snap', 'unprotect', ...CEPH, '--', `${image}@snap1`] },
      { cmd: 'rbd', args: ['snap', 'purge', ...CEPH, '--', image] },
      rm(image),
      ls([`${A}_disk`, 'other-instance_disk']),
    ]);
    await setupRbd(runner);
    const { result, steps } = await run({ destroyDisks: true });
    runner.assertDone();
    expect(steps.find((s) => s.name === `remove-rbd ${image}`)).toMatchObject({ outcome: 'ok', detail: 'removed' });
    expect(steps.find((s) => s.name === 'remove-rbd vms/other-instance_disk')).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining(`not named ${A}_*`) });
    expect(steps.find((s) => s.name === `remove-rbd images/${A}_disk`)).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('pool images is not one of the configured rbd.pools') });
    expect(result).toMatchObject({ undefined: true });
    expect(result.warnings).toHaveLength(2);
  });

  it('busy (watchers): bounded retries, then FAILED_PRECONDITION "in use" (never Unavailable); the domain stays defined', async () => {
    const busy = { code: 16, stderr: 'rbd: error: image still has watchers' };
    const runner = new ScriptedRunner([snapLs(image), rm(image, busy), rm(image, busy), rm(image, busy)]);
    await setupRbd(runner);
    const plan = env.inject(A);
    const err = await rejection(env.clock.run(destroy(env.deps, env.ctx(), input(A, { destroyDisks: true }))));
    runner.assertDone();
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toContain(`rbd image ${image} in use (still has watchers) after 3 attempt(s)`);
    expect(env.clock.sleeps.filter((ms) => ms === 5000)).toHaveLength(2);
    expect(plan.count('undefine')).toBe(0);
    expect(await env.stateOf(A)).toBe(DomainState.SHUTOFF);
  });

  it('busy at first, gone after a retry: removed', async () => {
    const runner = new ScriptedRunner([snapLs(image), rm(image, { code: 16, stderr: '(16) Device or resource busy' }), rm(image), ls([])]);
    await setupRbd(runner);
    const { steps } = await env.clock.run(run({ destroyDisks: true }));
    runner.assertDone();
    expect(steps.find((s) => s.name === `remove-rbd ${image}`)).toMatchObject({ outcome: 'ok', detail: 'removed' });
  });

  it('a protected snapshot with clones: FAILED_PRECONDITION "in use", nothing removed', async () => {
    const runner = new ScriptedRunner([
      snapLs(image, JSON.stringify([{ id: 4, name: 'base', protected: 'true' }])),
      { cmd: 'rbd', args: ['snap', 'unprotect', ...CEPH, '--', `${image}@base`], result: { code: 16, stderr: 'rbd: unprotecting snap failed: (16) Device or resource busy' } },
    ]);
    await setupRbd(runner);
    const err = await rejection(run({ destroyDisks: true }));
    runner.assertDone();
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toContain(`rbd image ${image} in use: snapshot base has clones`);
  });

  it('already gone (snap ls or rm: ENOENT): success', async () => {
    const runner = new ScriptedRunner([
      { ...snapLs(image), result: { code: 2, stderr: 'rbd: error opening image: (2) No such file or directory' } },
      ls([`${A}_disk.config`]),
      snapLs(`vms/${A}_disk.config`),
      rm(`vms/${A}_disk.config`, { code: 2, stderr: 'rbd: delete error: (2) No such file or directory' }),
    ]);
    await setupRbd(runner);
    const { result, steps } = await run({ destroyDisks: true });
    runner.assertDone();
    expect(steps.find((s) => s.name === `remove-rbd ${image}`)).toMatchObject({ outcome: 'ok', detail: 'missing' });
    expect(steps.find((s) => s.name === `remove-rbd vms/${A}_disk.config`)).toMatchObject({ outcome: 'ok', detail: 'missing' });
    expect(result.undefined).toBe(true);
  });

  it('an image used by another domain is kept, whatever its name', async () => {
    const runner = new ScriptedRunner([ls([`${A}_disk`])]);
    await setupRbd(runner, [
      { name: 'a', uuid: A, state: DomainState.SHUTOFF, disks: [{ rbd: image }] },
      { name: 'b', uuid: B, disks: [{ rbd: image }] },
    ]);
    const { result, steps } = await run({ destroyDisks: true });
    runner.assertDone();
    expect(steps.filter((s) => s.name === `remove-rbd ${image}`).map((s) => s.outcome)).toEqual(['skipped', 'skipped']);
    expect(result.warnings[0]).toContain(`rbd ${image} is also used by domain(s) b`);
  });

  it('option-like names never reach rbd as options: refused, or after "--"', async () => {
    const { removeImage } = await import('../../src/agent/storage/rbd-images');
    const odd = `vms/${A}_--no-progress`;
    const runner = new ScriptedRunner([snapLs(odd), rm(odd)]);
    const d = { runner, clock: new TestClock(), ceph: { user: 'nova', confPath: '/etc/ceph/ceph.conf', cluster: '' }, busyRetries: 1, busyRetryIntervalMs: 1 };
    for (const [pool, img] of [['vms', '-rf'], ['--pool', 'x'], ['vms', '--all'], ['vms', '..']]) {
      expect((await rejection(removeImage(d, pool!, img!))).kind, `${pool}/${img}`).toBe('InvalidArgument');
    }
    expect(runner.calls).toEqual([]); // nothing ran for the refused names
    // A valid name that merely contains "--" is a positional argument after "--".
    expect(await removeImage(d, 'vms', `${A}_--no-progress`)).toBe('removed');
    runner.assertDone();
    expect(runner.calls.every((c) => c.args.indexOf('--') === c.args.length - 2)).toBe(true);
  });
});

describe('Destroy: LVM (scripted lvs/dd/shred/lvremove; no volume group on this machine)', () => {
  const VG = 'nova-vg';
  const lvs = (names: string[]): Expectation => ({ cmd: 'lvs', args: ['--noheadings', '--options', 'lv_name', '--', VG], result: { stdout: names.map((n) => `  ${n}\n`).join('') } });
  const size = (lv: string, bytes: number): Expectation => ({ cmd: 'blockdev', args: ['--getsize64', `/dev/${VG}/${lv}`], result: { stdout: `${bytes}\n` } });
  const lvremove = (lv: string): Expectation => ({ cmd: 'lvremove', args: ['-f', '--', `${VG}/${lv}`] });
  const lvConfig = (clear: 'none' | 'zero' | 'shred', sizeMiB = 0) => (c: AgentConfig) => {
    c.lvm = { ...c.lvm, volumeGroup: VG, volumeClear: clear, volumeClearSizeMiB: sizeMiB };
  };
  const domains = (): DomainSpec[] => [{
    name: 'a', uuid: A, state: DomainState.SHUTOFF,
    disks: [{ block: `/dev/${VG}/${A}_disk` }, { block: `/dev/other-vg/${A}_disk.swap` }, { block: `/dev/${VG}/${B}_disk` }],
  }];

  it('volume_clear=zero (default): dd over the whole LV, then lvremove; prefix cleanup finds the rest; foreign LVs kept', async () => {
    const GiB = 1024 ** 3;
    const runner = new ScriptedRunner([
      lvs([`${A}_disk`, `${A}_disk.eph0`, `${B}_disk`]),
      size(`${A}_disk`, GiB),
      { cmd: 'dd', args: ['if=/dev/zero', `of=/dev/${VG}/${A}_disk`, 'bs=1M', 'count=1024', 'oflag=direct'] },
      lvremove(`${A}_disk`),
      size(`${A}_disk.eph0`, 5 * 1024 * 1024 + 4096),
      { cmd: 'dd', args: ['if=/dev/zero', `of=/dev/${VG}/${A}_disk.eph0`, 'bs=1M', 'count=5', 'oflag=direct'] },
      { cmd: 'dd', args: ['if=/dev/zero', `of=/dev/${VG}/${A}_disk.eph0`, 'bs=512', 'seek=10240', 'count=8', 'conv=fdatasync'] },
      lvremove(`${A}_disk.eph0`),
    ]);
    env = await makeEnv({ domains: domains(), runner, config: lvConfig('zero') });
    const { result, steps } = await run({ destroyDisks: true });
    runner.assertDone();
    expect(steps.find((s) => s.name === `remove-lv /dev/${VG}/${A}_disk`)).toMatchObject({ outcome: 'ok', detail: `zeroed ${GiB} bytes` });
    expect(steps.find((s) => s.name === `remove-lv /dev/other-vg/${A}_disk.swap`)!.detail).toContain('volume group other-vg is not the configured');
    expect(steps.find((s) => s.name === `remove-lv /dev/${VG}/${B}_disk`)!.detail).toContain(`not an LV named ${A}_*`);
    expect(steps.filter((s) => s.name.startsWith('remove-lv') && s.outcome === 'ok').map((s) => s.name))
      .toEqual([`remove-lv /dev/${VG}/${A}_disk`, `remove-lv /dev/${VG}/${A}_disk.eph0`]);
    expect(result.warnings).toHaveLength(2);
    // Every wipe command is bounded by the wipe timeout, not the short default.
    expect(runner.calls.filter((c) => c.cmd === 'dd').every((c) => c.opts?.timeoutMs === 3_600_000)).toBe(true);
  });

  it('volume_clear=shred with volume_clear_size: shred -n3 over that many MiB', async () => {
    const runner = new ScriptedRunner([
      lvs([`${A}_disk`]),
      size(`${A}_disk`, 1024 ** 3),
      { cmd: 'shred', args: ['-n3', `-s${100 * 1024 * 1024}`, '--', `/dev/${VG}/${A}_disk`] },
      lvremove(`${A}_disk`),
    ]);
    env = await makeEnv({ domains: domains(), runner, config: lvConfig('shred', 100) });
    await run({ destroyDisks: true });
    runner.assertDone();
  });

  it('volume_clear=none: straight to lvremove; an LV named in the XML but gone: reported missing', async () => {
    const runner = new ScriptedRunner([lvs([`${A}_disk.eph0`]), lvremove(`${A}_disk.eph0`)]);
    env = await makeEnv({ domains: domains(), runner, config: lvConfig('none') });
    const { steps } = await run({ destroyDisks: true });
    runner.assertDone();
    expect(steps.find((s) => s.name === `remove-lv /dev/${VG}/${A}_disk`)).toMatchObject({ outcome: 'ok', detail: 'missing' });
    expect(steps.find((s) => s.name === `remove-lv /dev/${VG}/${A}_disk.eph0`)).toMatchObject({ outcome: 'ok', detail: 'not wiped (volume_clear=none)' });
  });

  it('no volume group configured: LVs are never touched', async () => {
    await setup(domains());
    const { steps } = await run({ destroyDisks: true });
    env.runner.assertDone();
    expect(steps.find((s) => s.name === `remove-lv /dev/${VG}/${A}_disk`)!.detail).toContain('is not the configured lvm.volumeGroup');
  });
});

describe('Destroy: a domain libvirt does not know (cleanup without a domain)', () => {
  const VOL: VolumeAttachment = {
    volume_id: 'vol-1', target_dev: 'vdb',
    connection_info: { driver_volume_type: 'local', data: { device_path: '/dev/disk/by-id/virt-agent-test-vol-1' } },
  };

  it('by uuid with destroy_disks: volumes disconnected on the host, instance directory removed, RBD and LVM prefix cleanup; found:false', async () => {
    const CEPH = ['--id', 'nova'];
    const runner = new ScriptedRunner([
      { cmd: 'lvs', args: ['--noheadings', '--options', 'lv_name', '--', 'vg0'], result: { stdout: `  ${A}_disk\n  ${B}_disk\n` } },
      { cmd: 'rbd', args: ['ls', '--format', 'json', ...CEPH, '--', 'vms'], result: { stdout: JSON.stringify([`${A}_disk`, `${A}_disk.config`, `${B}_disk`]) } },
      { cmd: 'rbd', args: ['snap', 'ls', '--format', 'json', ...CEPH, '--', `vms/${A}_disk`], result: { stdout: '[]' } },
      { cmd: 'rbd', args: ['rm', ...CEPH, '--', `vms/${A}_disk`] },
      { cmd: 'rbd', args: ['snap', 'ls', '--format', 'json', ...CEPH, '--', `vms/${A}_disk.config`], result: { stdout: '[]' } },
      { cmd: 'rbd', args: ['rm', ...CEPH, '--', `vms/${A}_disk.config`] },
      { cmd: 'blockdev', args: ['--getsize64', `/dev/vg0/${A}_disk`], result: { stdout: '1048576' } },
      { cmd: 'dd', args: ['if=/dev/zero', `of=/dev/vg0/${A}_disk`, 'bs=1M', 'count=1', 'oflag=direct'] },
      { cmd: 'lvremove', args: ['-f', '--', `vg0/${A}_disk`] },
    ]);
    env = await makeEnv({
      domains: [{ name: 'b', uuid: B, disks: [{ file: `${B}/disk` }] }],
      runner,
      config: (c) => {
        c.rbd = { ...c.rbd, pools: ['vms'], user: 'nova' };
        c.lvm = { ...c.lvm, volumeGroup: 'vg0' };
      },
    });
    fs.mkdirSync(env.inst(A), { recursive: true });
    fs.writeFileSync(env.inst(A, 'disk'), 'left behind');
    fs.writeFileSync(env.inst(A, 'console.log'), 'log');

    const { result, steps } = await run({ destroyDisks: true, volumes: [VOL] });
    runner.assertDone();
    expect(result).toEqual({ found: false, wasRunning: false, undefined: false, managedSaveRemoved: false, warnings: [] });
    expect(fs.existsSync(env.inst(A))).toBe(false);
    expect(fs.existsSync(env.inst(B, 'disk'))).toBe(true);
    expect(stepSeq(steps)).toEqual([
      'lookup:skipped', 'local: host disconnect:skipped', 'disk-ownership:ok', 'list-lvs vg0:ok', 'list-rbd vms:ok',
      `remove-rbd vms/${A}_disk:ok`, `remove-rbd vms/${A}_disk.config:ok`, `remove-lv /dev/vg0/${A}_disk:ok`, 'remove-instance-dir:ok',
    ]);
    expect(steps[0]!.detail).toBe('domain not found: cleaning up what it left on the host');
  });

  it('a transient domain libvirt forgot: its stored definition names the disks; the stored copy goes', async () => {
    await setup([]);
    fs.mkdirSync(env.inst(A), { recursive: true });
    fs.writeFileSync(env.inst(A, 'disk'), 'x');
    await env.store.save(A, domainXml({ name: 'gone', uuid: A, disks: [{ file: `${A}/disk` }] }, env.instancesDir));
    const { result, steps } = await run({ destroyDisks: true });
    expect(result.found).toBe(false);
    expect(stepSeq(steps)).toEqual(['lookup:skipped', 'disk-ownership:ok', 'remove-disk vda:ok', 'remove-instance-dir:ok']);
    expect(await env.store.load(A)).toBeNull();
  });

  it('without destroy_disks, or addressed by name: the disks and the directory stay', async () => {
    await setup([]);
    fs.mkdirSync(env.inst(A), { recursive: true });
    fs.writeFileSync(env.inst(A, 'disk'), 'x');
    const byUuid = await run({ destroyDisks: false });
    expect(stepSeq(byUuid.steps)).toEqual(['lookup:skipped']);
    const ctx = env.ctx();
    const byName = await destroy(env.deps, ctx, { ref: { name: 'gone' }, destroyDisks: true, keepNvram: false, volumes: [] });
    expect(byName.found).toBe(false);
    expect(stepSeq(ctx.steps.steps)).toEqual(['lookup:skipped', 'remove-disks:skipped']);
    expect(fs.existsSync(env.inst(A, 'disk'))).toBe(true);
  });

  it('nothing left (a retried Destroy): success again, nothing to remove', async () => {
    await setup([]);
    const { result, steps } = await run({ destroyDisks: true });
    expect(result.found).toBe(false);
    expect(stepSeq(steps)).toEqual(['lookup:skipped', 'disk-ownership:ok', 'remove-instance-dir:skipped']);
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
