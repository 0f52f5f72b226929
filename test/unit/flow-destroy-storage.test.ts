// Destroy's storage cleanup on the test driver: RBD images and LVM volumes
// through a scripted runner (this machine has no Ceph cluster, krbd or volume
// group: `rbd`, `lvs`, `blockdev`, `dd`, `shred` and `lvremove` are scripted
// behind the real CommandRunner interface), and the cleanup after a domain
// libvirt does not know (real instance directory, real other domains).
// The domain states and the ownership rule for files: flow-destroy.test.ts.
import fs from 'node:fs';

import { afterEach, describe, expect, it } from 'vitest';

import { destroy, type DestroyInput } from '../../src/agent/flows/destroy';
import type { VolumeAttachment } from '../../src/agent/volume';
import { DomainState } from '../../src/libvirt/constants';
import type { AgentConfig } from '../../src/agent/config';
import type { RunResult } from '../../src/agent/exec';
import {
  closeEnvs, domainXml, makeEnv, rejection, stepSeq, TestClock, testUuid, type DomainSpec, type EnvOptions, type TestEnv,
} from '../helpers/agent-deps';
import { destroyEnv, destroyInput, runDestroy } from '../helpers/destroy-run';
import { ScriptedRunner, type Expectation } from '../helpers/scripted-runner';

afterEach(() => closeEnvs());

const A = testUuid(1);
const B = testUuid(2);

let env: TestEnv;
const setup = async (domains: EnvOptions['domains'], runner?: ScriptedRunner) => (env = await destroyEnv(domains, runner));
const run = (over: Partial<DestroyInput> = {}, uuid = A) => runDestroy(env, uuid, over);

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
    const err = await rejection(env.clock.run(destroy(env.deps, env.ctx(), destroyInput(A, { destroyDisks: true }))));
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

  it('a listed image with a name rbd could misread is left alone with a warning, not an error', async () => {
    const runner = new ScriptedRunner([ls([`${A}_disk with space`])]);
    await setupRbd(runner, [{ name: 'a', uuid: A, state: DomainState.SHUTOFF }]);
    const { result, steps } = await run({ destroyDisks: true });
    runner.assertDone();
    expect(steps.find((s) => s.name === `remove-rbd vms/${A}_disk with space`)).toMatchObject({ outcome: 'skipped' });
    expect(result).toMatchObject({ undefined: true });
    expect(result.warnings[0]).toContain('is not a pool/image name the agent removes');
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
      'lookup:skipped', 'local: host disconnect:skipped', 'list-lvs vg0:ok', 'list-rbd vms:ok', 'disk-ownership:ok',
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
    // Nothing of its own left to decide on: the other domains are not even read.
    expect(stepSeq(steps)).toEqual(['lookup:skipped', 'remove-instance-dir:skipped', 'disk-ownership:skipped']);
  });
});

