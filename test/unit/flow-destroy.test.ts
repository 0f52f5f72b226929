// Destroy (Nova's destroy + cleanup + undefine) on the test driver: missing
// domain, running/saved/transient/snapshotted domains, the undefine flag
// fallback (the test driver rejects NVRAM/CHECKPOINTS with INVALID_ARG), the
// ownership rule for file disks (real files, real other domains), and volume
// errors with and without destroy_disks. RBD, LVM and the cleanup without a
// domain: flow-destroy-storage.test.ts.
import fs from 'node:fs';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { destroy, type DestroyInput } from '../../src/agent/flows/destroy';
import type { VolumeAttachment } from '../../src/agent/volume';
import { DomainState, DomainXMLFlags, UndefineFlags as U } from '../../src/libvirt/constants';
import { ErrorCode } from '../../src/libvirt/errors';
import {
  closeEnvs, lverr, rejection, stepSeq, testUuid, type DomainSpec, type EnvOptions, type TestEnv,
} from '../helpers/agent-deps';
import { destroyEnv, destroyInput, runDestroy } from '../helpers/destroy-run';
import { ScriptedRunner } from '../helpers/scripted-runner';

afterEach(() => closeEnvs());

const A = testUuid(1);
const B = testUuid(2);
const FULL = U.MANAGED_SAVE | U.SNAPSHOTS_METADATA | U.CHECKPOINTS_METADATA | U.NVRAM;
const SUPPORTED = U.MANAGED_SAVE | U.SNAPSHOTS_METADATA;

let env: TestEnv;
const setup = async (domains: EnvOptions['domains'], runner?: ScriptedRunner) => (env = await destroyEnv(domains, runner));
const run = (over: Partial<DestroyInput> = {}, uuid = A) => runDestroy(env, uuid, over);

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

  it('flags the driver refused by name are not offered again on the same connection: one undefine call', async () => {
    await setup([{ name: 'a', uuid: A, state: DomainState.SHUTOFF }, { name: 'b', uuid: B, state: DomainState.SHUTOFF, managedSave: true }]);
    const planA = env.inject(A);
    const planB = env.inject(B);
    await run({}, A);
    expect(planA.argsOf('undefine')).toEqual([[FULL], [SUPPORTED]]);
    const { steps, result } = await run({}, B);
    expect(planB.argsOf('undefine')).toEqual([[SUPPORTED]]);
    expect(stepSeq(steps)).toEqual(['undefine:ok']);
    expect(steps[0]!.detail).toBe('flags MANAGED_SAVE|SNAPSHOTS_METADATA (NVRAM|CHECKPOINTS_METADATA refused earlier by this connection\'s driver)');
    expect(result).toMatchObject({ undefined: true, managedSaveRemoved: true });
    expect(await env.stateOf(B)).toBe('gone');
  });

  it('MANAGED_SAVE refused earlier: the next domain\'s image is removed before its undefine', async () => {
    await setup([
      { name: 'a', uuid: A, state: DomainState.SHUTOFF, managedSave: true },
      { name: 'b', uuid: B, state: DomainState.SHUTOFF, managedSave: true },
    ]);
    const rejectSave = lverr('virDomainUndefineFlags', ErrorCode.INVALID_ARG, 'unsupported flags (0x1) in function x');
    const refuseSave = ({ args }: { args: unknown[] }) => ((args[0] as number) & U.MANAGED_SAVE ? rejectSave : 'pass' as const);
    env.inject(A, { undefine: ['pass', refuseSave] });
    const planB = env.inject(B, { undefine: refuseSave });
    await run({}, A);
    const { steps, result } = await run({}, B);
    expect(planB.argsOf('undefine')).toEqual([[U.SNAPSHOTS_METADATA]]);
    expect(stepSeq(steps)).toEqual(['managed-save-remove:ok', 'undefine:ok']);
    expect(result.managedSaveRemoved).toBe(true);
    expect(await env.stateOf(B)).toBe('gone');
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
    const err = await rejection(env.clock.run(destroy(env.deps, env.ctx(), destroyInput(A, { destroyDisks: true }))));
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
    expect(stepSeq(steps).slice(0, 2)).toEqual(['remove-disk vda:skipped', 'remove-disk vdb:skipped']);
    expect(steps[0]!.detail).toContain('shared base image (_base)');
    expect(steps[1]!.detail).toContain('shared base image (_base)');
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
      // Listing every domain (the one-job listing the ownership check reads) fails.
      if (/listAllDomains|listDescribed/.test(fn.toString())) throw new Error('listAllDomains failed');
      return list(fn);
    }) as typeof env.host.call;
    const { result } = await run({ destroyDisks: true });
    expect(fs.existsSync(env.inst(A, 'disk'))).toBe(true);
    expect(result.warnings).toEqual([expect.stringMatching(/^no disk removed: .*ownership is unknown .*listAllDomains failed/)]);
    expect(result.undefined).toBe(true);
  });
});

// Destroy reads its facts, and the ownership scan every other domain, in one
// binding job (describe / describeAll): faults planned on a domain's state or
// XML read must reach those reads too (test/helpers/fault-host.ts).
describe('Destroy: faults on its reads (one-job describe)', () => {
  it("its state read fails: Destroy fails before changing anything, with libvirt's error", async () => {
    await setup([{ name: 'a', uuid: A, disks: [{ file: `${A}/disk` }] }]);
    const plan = env.inject(A, { state: lverr('virDomainGetState', ErrorCode.OPERATION_TIMEOUT, 'Timed out during operation: cannot acquire state change lock') });
    const err = await rejection(run({ destroyDisks: true }));
    expect(err.kind).toBe('Timeout');
    expect(err.message).toMatch(/reading the state of domain 'a': .*cannot acquire state change lock/);
    expect(plan.count('state')).toBe(1);
    expect(plan.count('destroy')).toBe(0);
    expect((await (await env.host.raw({ uuid: A })).state()).state).toBe(DomainState.RUNNING); // past the plan
    expect(fs.existsSync(env.inst(A, 'disk'))).toBe(true);
  });

  it('its definition cannot be read: Destroy fails, the domain keeps running and defined, its disk stays', async () => {
    await setup([{ name: 'a', uuid: A, disks: [{ file: `${A}/disk` }] }]);
    const plan = env.inject(A, { xml: lverr('virDomainGetXMLDesc', ErrorCode.INTERNAL_ERROR, 'cannot read domain definition') });
    const err = await rejection(run({ destroyDisks: true }));
    expect(err.kind).toBe('Internal');
    expect(err.message).toContain('cannot read domain definition');
    // The definition (INACTIVE) was what Destroy asked for: a persistent domain's disks.
    expect(plan.argsOf('xml')).toEqual([[DomainXMLFlags.INACTIVE]]);
    expect(plan.count('destroy')).toBe(0);
    expect(await env.stateOf(A)).toBe(DomainState.RUNNING);
    expect(fs.existsSync(env.inst(A, 'disk'))).toBe(true);
  });

  it('a planned state value reaches the read too (one state call); Destroy acts on activity, so a stopped domain is not destroyed', async () => {
    await setup([{ name: 'a', uuid: A, state: DomainState.SHUTOFF }]);
    const plan = env.inject(A, { state: { value: { state: DomainState.CRASHED, reason: 1 } } });
    const { result, steps } = await run();
    expect(plan.count('state')).toBe(1);
    expect(plan.count('destroy')).toBe(0);
    expect(stepSeq(steps)).toEqual(['undefine:fallback', 'undefine:ok']);
    expect(result).toMatchObject({ found: true, wasRunning: false, undefined: true });
  });

  it("another domain's XML cannot be read: ownership unknown, no disk removed, a warning says so", async () => {
    await setup([
      { name: 'a', uuid: A, state: DomainState.SHUTOFF, disks: [{ file: `${A}/disk` }] },
      { name: 'b', uuid: B, state: DomainState.SHUTOFF },
    ]);
    const planB = env.inject(B, { xml: lverr('virDomainGetXMLDesc', ErrorCode.INTERNAL_ERROR, 'b: cannot read definition') });
    const { result } = await run({ destroyDisks: true });
    expect(planB.count('xml')).toBeGreaterThan(0);
    expect(fs.existsSync(env.inst(A, 'disk'))).toBe(true);
    expect(result.warnings).toEqual([expect.stringMatching(/^no disk removed: .*ownership is unknown .*b: cannot read definition/)]);
    expect(result.undefined).toBe(true);
  });

  it('nothing of its own to remove (disk-less, no directory): the other domains are not read, no warning', async () => {
    // On a host with hundreds of domains that read is most of a Destroy; here
    // it would fail, so reading it at all shows up as the ownership warning.
    await setup([
      { name: 'a', uuid: A, state: DomainState.SHUTOFF },
      { name: 'b', uuid: B, state: DomainState.SHUTOFF },
    ]);
    const planB = env.inject(B, { xml: lverr('virDomainGetXMLDesc', ErrorCode.INTERNAL_ERROR, 'b: cannot read definition') });
    const { result, steps } = await run({ destroyDisks: true });
    expect(planB.count('xml')).toBe(0);
    expect(result).toMatchObject({ found: true, undefined: true, warnings: [] });
    const ownership = steps.find((s) => s.name === 'disk-ownership');
    expect(ownership).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('nothing of the instance to remove') });
  });

  it('another domain undefined while being read (NO_DOMAIN) references nothing: the disk is removed', async () => {
    await setup([
      { name: 'a', uuid: A, state: DomainState.SHUTOFF, disks: [{ file: `${A}/disk` }] },
      { name: 'b', uuid: B, state: DomainState.SHUTOFF, disks: [{ file: `${A}/disk` }] },
    ]);
    const planB = env.inject(B, { state: lverr('virDomainGetState', ErrorCode.NO_DOMAIN, 'Domain not found') });
    const { result } = await run({ destroyDisks: true });
    expect(planB.count('state')).toBe(1);
    expect(fs.existsSync(env.inst(A, 'disk'))).toBe(false);
    expect(result.warnings).toEqual([]);
  });

  it("another domain's planned XML is what the scan sees: a disk it names is kept", async () => {
    await setup([
      { name: 'a', uuid: A, state: DomainState.SHUTOFF, disks: [{ file: `${A}/disk` }] },
      { name: 'b', uuid: B, state: DomainState.SHUTOFF },
    ]);
    // b's definition gains a's disk (what the scan must see, through the planned read).
    env.inject(B, {
      xml: async ({ real }) => {
        const xml = (await real()) as string;
        return { value: xml.replace('</devices>', `<disk type='file' device='disk'><source file='${env.inst(A, 'disk')}'/><target dev='vdz'/></disk></devices>`) };
      },
    });
    const { result } = await run({ destroyDisks: true });
    expect(fs.existsSync(env.inst(A, 'disk'))).toBe(true);
    expect(result.warnings[0]).toContain('also used by domain(s) b');
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
