// The destroy ladder (forceStop): graceful first, SIGKILL after two graceful
// failures, backoff between attempts, gone/already-off as success, a bounded
// failure for an unkillable domain, and a domain restarted meanwhile. The
// QEMU failures are injected through the Host port; the test driver itself
// destroys instantly.
import { afterEach, describe, expect, it } from 'vitest';

import { forceStop } from '../../src/agent/flows/force-stop';
import { DestroyFlags, DomainState } from '../../src/libvirt/constants';
import { ErrorCode } from '../../src/libvirt/errors';
import {
  closeEnvs, destroyErrors, lverr, makeEnv, rejection, stepSeq, testUuid, type TestEnv,
} from '../helpers/agent-deps';

afterEach(() => closeEnvs());

const RUN = testUuid(1);
const OFF = testUuid(2);
const TRANSIENT = testUuid(3);
const G = DestroyFlags.GRACEFUL;
const K = DestroyFlags.DEFAULT;

let env: TestEnv;
async function setup(attempts?: number): Promise<TestEnv> {
  env = await makeEnv({
    domains: [
      { name: 'run', uuid: RUN },
      { name: 'off', uuid: OFF, state: DomainState.SHUTOFF },
      { name: 'transient', uuid: TRANSIENT, transient: true },
    ],
    config: (c) => {
      if (attempts !== undefined) c.destroy.attempts = attempts;
    },
  });
  return env;
}

async function stop(uuid: string, signal?: AbortSignal) {
  const ctx = env.ctx(signal ? { signal } : {});
  const guest = await env.host.lookup({ uuid });
  const result = await env.clock.run(forceStop(env.deps, ctx, guest));
  return { result, steps: ctx.steps.steps };
}

describe('forceStop', () => {
  it('graceful destroy succeeds: one call, no backoff', async () => {
    await setup();
    const plan = env.inject(RUN);
    const { result, steps } = await stop(RUN);
    expect(result).toEqual({ destroyed: true, gone: false, state: DomainState.SHUTOFF });
    expect(plan.argsOf('destroy')).toEqual([[G]]);
    expect(env.clock.sleeps).toEqual([]);
    expect(stepSeq(steps)).toEqual(['destroy-graceful:ok']);
    expect(await env.stateOf(RUN)).toBe(DomainState.SHUTOFF);
  });

  it('EBUSY (SYSTEM_ERROR, int1 16) twice: SIGKILL destroy on the third attempt, backoff 500 then 1000 ms', async () => {
    await setup();
    const plan = env.inject(RUN, { destroy: [destroyErrors.busy(), destroyErrors.busy()] });
    const { result, steps } = await stop(RUN);
    expect(result).toEqual({ destroyed: true, gone: false, state: DomainState.SHUTOFF });
    expect(plan.argsOf('destroy')).toEqual([[G], [G], [K]]);
    expect(plan.calls.filter((c) => c.method === 'destroy').map((c) => c.at)).toEqual([0, 500, 1500]);
    expect(env.clock.sleeps).toEqual([500, 1000]);
    expect(stepSeq(steps)).toEqual(['destroy-graceful:warning', 'destroy-graceful:warning', 'destroy:ok']);
    expect(steps[0]!.detail).toContain('Device or resource busy');
    expect(await env.stateOf(RUN)).toBe(DomainState.SHUTOFF);
  });

  it('OPERATION_TIMEOUT (state change lock) is retried', async () => {
    await setup();
    const plan = env.inject(RUN, { destroy: [destroyErrors.timeout()] });
    const { result } = await stop(RUN);
    expect(result).toEqual({ destroyed: true, gone: false, state: DomainState.SHUTOFF });
    expect(plan.argsOf('destroy')).toEqual([[G], [G]]);
    expect(env.clock.sleeps).toEqual([500]);
  });

  it('INTERNAL_ERROR "Failed to terminate process" is retried, other INTERNAL_ERRORs are not', async () => {
    await setup();
    const plan = env.inject(RUN, {
      destroy: [lverr('virDomainDestroyFlags', ErrorCode.INTERNAL_ERROR, 'Failed to terminate process 99 with SIGKILL')],
    });
    expect((await stop(RUN)).result.destroyed).toBe(true);
    expect(plan.count('destroy')).toBe(2);

    await env.host.raw({ uuid: RUN }).then((g) => g.create());
    plan.set({ destroy: [lverr('virDomainDestroyFlags', ErrorCode.INTERNAL_ERROR, 'internal error: unexpected reply')] });
    const err = await rejection(stop(RUN));
    expect(err.kind).toBe('Internal');
    expect(plan.count('destroy')).toBe(3);
  });

  it('NO_DOMAIN: success, gone', async () => {
    await setup();
    env.inject(RUN, { destroy: [destroyErrors.noDomain()] });
    expect((await stop(RUN)).result).toEqual({ destroyed: false, gone: true, state: DomainState.SHUTOFF });
  });

  it('transient domain: destroyed and gone', async () => {
    await setup();
    expect((await stop(TRANSIENT)).result).toEqual({ destroyed: true, gone: true, state: DomainState.SHUTOFF });
    expect(await env.stateOf(TRANSIENT)).toBe('gone');
  });

  it('OPERATION_INVALID on a shut-off domain (real test driver): success, nothing destroyed', async () => {
    await setup();
    const plan = env.inject(OFF);
    const { result, steps } = await stop(OFF);
    expect(result).toEqual({ destroyed: false, gone: false, state: DomainState.SHUTOFF });
    expect(plan.argsOf('destroy')).toEqual([[G]]);
    expect(stepSeq(steps)).toEqual(['destroy-graceful:warning']);
  });

  it('OPERATION_INVALID while the domain still runs: FailedPrecondition, no retry', async () => {
    await setup();
    const plan = env.inject(RUN, { destroy: destroyErrors.invalid() });
    const err = await rejection(stop(RUN));
    expect(err.kind).toBe('FailedPrecondition');
    expect(plan.count('destroy')).toBe(1);
  });

  it('non-retryable failure (OPERATION_DENIED): thrown at once', async () => {
    await setup();
    const plan = env.inject(RUN, { destroy: lverr('virDomainDestroyFlags', ErrorCode.OPERATION_DENIED, 'access denied') });
    const err = await rejection(stop(RUN));
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toContain('access denied');
    expect(plan.count('destroy')).toBe(1);
    expect(env.clock.sleeps).toEqual([]);
  });

  it('unkillable (every attempt fails): FailedPrecondition naming attempts and the libvirt message, bounded', async () => {
    await setup();
    const plan = env.inject(RUN, { destroy: destroyErrors.busy() });
    const err = await rejection(stop(RUN));
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toMatch(/domain 'run' could not be destroyed after 4 attempts: .*Device or resource busy/);
    expect(plan.argsOf('destroy')).toEqual([[G], [G], [K], [K]]);
    // Backoff between attempts, none after the last one.
    expect(env.clock.sleeps).toEqual([500, 1000, 2000]);
    expect(await env.stateOf(RUN)).toBe(DomainState.RUNNING);
  });

  it('destroy "succeeds" but the domain keeps running: FailedPrecondition naming the state', async () => {
    await setup();
    const plan = env.inject(RUN, { destroy: 'ignore' });
    const err = await rejection(stop(RUN));
    expect(err.message).toMatch(/after 4 attempts: still RUNNING after destroy/);
    expect(plan.count('destroy')).toBe(4);
  });

  it('a single attempt is a SIGKILL destroy', async () => {
    await setup(1);
    const plan = env.inject(RUN);
    await stop(RUN);
    expect(plan.argsOf('destroy')).toEqual([[K]]);
  });

  it('domain restarted with a new id between attempts: destroyed again', async () => {
    await setup();
    const before = (await env.host.raw({ uuid: RUN })).id;
    const plan = env.inject(RUN, {
      destroy: [async ({ real, guest }) => {
        await real();
        await guest.create(); // someone (or on_reboot) starts it again right away
      }],
    });
    const { result, steps } = await stop(RUN);
    expect(result).toEqual({ destroyed: true, gone: false, state: DomainState.SHUTOFF });
    expect(plan.argsOf('destroy')).toEqual([[G], [G]]);
    expect(stepSeq(steps)).toEqual(['destroy-graceful:ok', 'destroy-again:warning', 'destroy-graceful:ok']);
    expect(steps[1]!.detail).toMatch(new RegExp(`domain restarted \\(id ${before} -> \\d+\\)`));
    expect(await env.stateOf(RUN)).toBe(DomainState.SHUTOFF);
  });

  it('cancelled during the backoff: rejects with the reason, no further attempt', async () => {
    await setup();
    const plan = env.inject(RUN, { destroy: destroyErrors.busy() });
    const ac = new AbortController();
    const guest = await env.host.lookup({ uuid: RUN });
    const p = forceStop(env.deps, env.ctx({ signal: ac.signal }), guest);
    await env.clock.whenSleeping();
    ac.abort(new Error('cancelled by caller'));
    expect((await rejection(p)).message).toBe('cancelled by caller');
    expect(plan.count('destroy')).toBe(1);
  });

  it('destroy.gracefulAttempts is the number of graceful attempts: 0 = SIGKILL at once, 3 = graceful until the last', async () => {
    env = await makeEnv({ domains: [{ name: 'run', uuid: RUN }], config: (c) => { c.destroy.gracefulAttempts = 0; } });
    const plan = env.inject(RUN);
    expect(stepSeq((await stop(RUN)).steps)).toEqual(['destroy:ok']);
    expect(plan.argsOf('destroy')).toEqual([[K]]);

    env = await makeEnv({ domains: [{ name: 'run', uuid: RUN }], config: (c) => { c.destroy.gracefulAttempts = 3; } });
    const busy = env.inject(RUN, { destroy: [destroyErrors.busy(), destroyErrors.busy(), destroyErrors.busy()] });
    await stop(RUN);
    expect(busy.argsOf('destroy')).toEqual([[G], [G], [G], [K]]);
  });
});
