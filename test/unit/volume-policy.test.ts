// ErrorPolicy (os-brick force / ignore_errors semantics) and StepRecorder, on
// their own and through a real iSCSI multipath disconnect. iscsiadm/multipath
// cannot run here (no kernel modules, no target): commands go to a
// ScriptedRunner behind the real CommandRunner interface; sysfs is a temp tree.
import { afterEach, describe, expect, it } from 'vitest';
import { CommandError } from '../../src/agent/exec';
import { StepRecorder } from '../../src/agent/steps';
import { IscsiConnector } from '../../src/agent/volume/iscsi';
import { ErrorPolicy, type PolicyFlags } from '../../src/agent/volume/policy';
import { AppError, Conflict, Timeout } from '../../src/errors';
import { IQN, LIST_SESSIONS, PORTAL, PORTAL2, nodeCmds, sessionsOutput } from '../helpers/iscsi-fixtures';
import { ScriptedRunner, type Expectation } from '../helpers/scripted-runner';
import { InstantClock, makeCtx, makeSysfsTree } from '../helpers/volume-ctx';

describe('StepRecorder', () => {
  it('times steps, records ok / chosen outcome / failed, and rethrows', async () => {
    let now = 1000;
    const steps = new StepRecorder({ clock: () => now });
    expect(await steps.run('a', () => ((now += 12.4), 'v'))).toBe('v');
    await steps.run('b', (s) => {
      s.outcome('skipped');
      s.detail('not mounted');
    });
    await expect(steps.run('c', () => Promise.reject(new Conflict('busy')))).rejects.toBeInstanceOf(Conflict);
    await expect(steps.run('d', () => Promise.reject(new Error('x')), { failedAs: 'warning' })).rejects.toThrow('x');
    steps.record('e', 'fallback', 'used destroy', 3);
    expect(steps.steps).toEqual([
      { name: 'a', outcome: 'ok', detail: '', duration_ms: 12 },
      { name: 'b', outcome: 'skipped', detail: 'not mounted', duration_ms: 0 },
      { name: 'c', outcome: 'failed', detail: 'busy', duration_ms: 0 },
      { name: 'd', outcome: 'warning', detail: 'x', duration_ms: 0 },
      { name: 'e', outcome: 'fallback', detail: 'used destroy', duration_ms: 3 },
    ]);
  });
});

describe('ErrorPolicy', () => {
  const boom = (m: string, E: new (msg: string) => AppError = Timeout) => () => Promise.reject(new E(m));

  it('neither flag: the first error is rethrown unchanged', async () => {
    const p = new ErrorPolicy({}, new StepRecorder());
    const original = new Timeout('t');
    await expect(p.attempt('s1', () => Promise.reject(original))).rejects.toBe(original);
  });

  it('force: collects every error, finish() throws one AppError naming all, kind of the first', async () => {
    const steps = new StepRecorder();
    const p = new ErrorPolicy({ force: true }, steps);
    expect(await p.attempt('s1', boom('first'))).toMatchObject({ ok: false });
    expect(await p.attempt('s2', () => 42)).toEqual({ ok: true, value: 42 });
    await p.attempt('s3', boom('second', Conflict));
    expect(p.failed).toBe(true);
    const err = (() => {
      try {
        p.finish();
      } catch (e) {
        return e;
      }
    })() as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.kind).toBe('Timeout');
    expect(err.message).toBe('2 step(s) failed: s1: first; s3: second');
    expect((err.cause as AggregateError).errors).toHaveLength(2);
    expect(steps.steps.map((s) => s.outcome)).toEqual(['failed', 'ok', 'failed']);
  });

  it('ignore_errors: errors become warnings and finish() succeeds', async () => {
    const steps = new StepRecorder();
    const p = new ErrorPolicy({ ignoreErrors: true }, steps);
    await p.attempt('s1', boom('first'));
    await p.attempt('s2', () => undefined);
    expect(p.finish()).toEqual({ warnings: ['s1: first'] });
    expect(steps.steps.map((s) => s.outcome)).toEqual(['warning', 'ok']);
  });

  it('tolerate(): a warning under every policy, never a failure', async () => {
    for (const flags of [{}, { force: true }, { ignoreErrors: true }] as PolicyFlags[]) {
      const p = new ErrorPolicy(flags, new StepRecorder());
      expect(await p.tolerate('umount', boom('busy'))).toMatchObject({ ok: false });
      expect(p.finish()).toEqual({ warnings: ['umount: busy'] });
    }
  });
});

describe('policy through an iSCSI multipath disconnect whose map flush fails (the classic leak)', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    while (cleanups.length) cleanups.pop()!();
  });
  const iscsi = new IscsiConnector();
  const vol = {
    volume_id: 'v',
    target_dev: 'vdb',
    connection_info: { driver_volume_type: 'iscsi', data: { target_portals: `${PORTAL},${PORTAL2}`, target_iqn: IQN, target_lun: '1' } },
  };
  const mapBusy = { code: 1, stderr: 'Nov 22 | mpatha: map in use\n' };

  /** flushTries: how often `multipath -f` runs (a failing flush is tried 3 times, as os-brick does). */
  function setup(overrides: Record<string, Partial<Expectation>> = {}, flushTries = 1) {
    const tree = makeSysfsTree({
      'block/sdb/device/delete': '',
      'block/sdb/holders/dm-3': '',
      'block/sdc/device/delete': '',
      'block/sdc/holders/dm-3': '',
      'block/dm-3/dm/uuid': 'mpath-3600a098038303053453f463045616f6d',
      'block/dm-3/dm/name': 'mpatha',
      'block/dm-3/slaves/sdb': '',
      'block/dm-3/slaves/sdc': '',
    });
    cleanups.push(tree.cleanup);
    const all: Array<[string, string[]]> = [
      LIST_SESSIONS,
      ...Array.from({ length: flushTries }, (): [string, string[]] => ['multipath', ['-f', 'mpatha']]),
      ['blockdev', ['--flushbufs', '/dev/sdb']],
      ['blockdev', ['--flushbufs', '/dev/sdc']],
      ...nodeCmds(IQN, PORTAL),
      ...nodeCmds(IQN, PORTAL2),
    ];
    const sessions = sessionsOutput([
      { target: IQN, portal: PORTAL, sid: 1, host: 2, luns: [[1, 'sdb']] },
      { target: IQN, portal: PORTAL2, sid: 2, host: 3, luns: [[1, 'sdc']] },
    ]);
    const script: Expectation[] = all.map(([cmd, args]) => {
      const line = [cmd, ...args].join(' ');
      return { cmd, args, ...(line === LIST_SESSIONS.flat().join(' ') ? { result: { stdout: sessions } } : {}), ...overrides[line] };
    });
    return { all, script, root: tree.root };
  }

  it('neither: stops at the failed map flush; no path is deleted, no logout', async () => {
    const { script, root } = setup({ 'multipath -f mpatha': { result: mapBusy } }, 3);
    const runner = new ScriptedRunner(script.slice(0, 4));
    const { ctx, steps, clock } = makeCtx({ runner, sysfsRoot: root });
    const err = await iscsi.disconnect(vol, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ kind: 'Internal', cmd: 'multipath', args: ['-f', 'mpatha'], code: 1 });
    runner.assertDone();
    // Tried 3 times with a growing pause, then nothing later ran.
    expect(runner.log).toEqual(['iscsiadm -m session -P 3', 'multipath -f mpatha', 'multipath -f mpatha', 'multipath -f mpatha']);
    expect((clock as InstantClock).sleeps).toEqual([1000, 2000]);
    expect(steps.steps.at(-1)).toMatchObject({ name: 'multipath: flush mpatha', outcome: 'failed' });
  });

  it('force: goes through every step, then fails with all collected errors', async () => {
    const logout2 = `iscsiadm -m node -T ${IQN} -p ${PORTAL2} --logout`;
    const { script, all, root } = setup({ 'multipath -f mpatha': { result: mapBusy }, [logout2]: { result: { code: 8, stderr: 'timed out' } } }, 3);
    const runner = new ScriptedRunner(script);
    const { ctx, errors } = makeCtx({ runner, sysfsRoot: root, flags: { force: true } });
    await iscsi.disconnect(vol, ctx);
    runner.assertDone();
    expect(runner.commands).toEqual(all.map(([c, a]) => [c, ...a].join(' ')));
    expect(runner.log.filter((l) => l.startsWith('write '))).toEqual(['write block/sdb/device/delete 1', 'write block/sdc/device/delete 1']);
    expect(() => errors.finish()).toThrow(/^2 step\(s\) failed: multipath: flush mpatha: multipath -f mpatha exited with code 1: .*map in use; iscsi: logout .* exited with code 8: timed out$/);
  });

  it('ignore_errors: goes through every step, reports warnings, succeeds', async () => {
    const { script, all, root } = setup({ 'multipath -f mpatha': { result: mapBusy } }, 3);
    const runner = new ScriptedRunner(script);
    const { ctx, errors, steps } = makeCtx({ runner, sysfsRoot: root, flags: { ignoreErrors: true } });
    await iscsi.disconnect(vol, ctx);
    runner.assertDone();
    expect(runner.commands).toHaveLength(all.length);
    const { warnings } = errors.finish();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^multipath: flush mpatha: .*map in use/);
    expect(steps.steps.find((s) => s.name === 'multipath: flush mpatha')?.outcome).toBe('warning');
  });
});
