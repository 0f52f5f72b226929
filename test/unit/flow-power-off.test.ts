// PowerOff on the libvirt test driver: already-stopped, unknown, timeout 0,
// completion by the real STOPPED event, retries counted on a FakeClock for a
// guest that ignores shutdown, the guest-agent method, and the backstop check
// when an event is missed. Failures the test driver cannot produce are
// injected through the Host port (test/helpers/agent-deps.ts).
import { afterEach, describe, expect, it } from 'vitest';

import { powerOff, type PowerOffInput } from '../../src/agent/flows/power-off';
import type { ShutdownMethodName } from '../../src/agent/flows/types';
import { DomainState, ShutdownFlags } from '../../src/libvirt/constants';
import { ErrorCode } from '../../src/libvirt/errors';
import {
  closeEnvs, eventually, lverr, makeEnv, rejection, stepSeq, testUuid, type DomainSpec, type TestEnv,
} from '../helpers/agent-deps';

afterEach(() => closeEnvs());

const RUN = testUuid(1);
const OFF = testUuid(2);
const CRASHED = testUuid(3);
const AGENT = testUuid(4);

const DOMAINS: DomainSpec[] = [
  { name: 'run', uuid: RUN },
  { name: 'off', uuid: OFF, state: DomainState.SHUTOFF },
  { name: 'crashed', uuid: CRASHED, state: DomainState.CRASHED },
  { name: 'agent', uuid: AGENT, guestAgent: true },
];

function input(uuid: string, over: Partial<PowerOffInput> = {}): PowerOffInput {
  return {
    ref: { uuid },
    timeoutSeconds: 60,
    retryIntervalSeconds: 10,
    methods: ['guest_agent', 'acpi'] as ShutdownMethodName[],
    ...over,
  };
}

let env: TestEnv;
async function setup(): Promise<TestEnv> {
  env = await makeEnv({ domains: DOMAINS });
  return env;
}

describe('PowerOff: nothing to do / cannot do', () => {
  it('already off: clean, 0 requests, no shutdown call', async () => {
    await setup();
    const plan = env.inject(OFF);
    const ctx = env.ctx();
    const r = await powerOff(env.deps, ctx, input(OFF));
    expect(r).toMatchObject({ clean: true, shutdownRequests: 0, powerState: DomainState.SHUTOFF });
    expect(plan.calls.filter((c) => c.method !== 'state')).toEqual([]);
    expect(stepSeq(ctx.steps.steps)).toEqual(['check-state:skipped']);
  });

  it('CRASHED with its process kept (on_crash=preserve): destroyed, no shutdown request, SHUTOFF', async () => {
    await setup();
    // The test driver keeps a CRASHED domain active, as QEMU is kept under on_crash=preserve.
    expect(await (await env.host.raw({ uuid: CRASHED })).isActive()).toBe(true);
    const plan = env.inject(CRASHED);
    const ctx = env.ctx();
    const r = await powerOff(env.deps, ctx, input(CRASHED));
    expect(r).toMatchObject({ clean: false, shutdownRequests: 0, powerState: DomainState.SHUTOFF });
    expect(plan.argsOf('shutdown')).toEqual([]);
    expect(plan.count('destroy')).toBe(1);
    expect(stepSeq(ctx.steps.steps)).toEqual(['check-state:ok', 'destroy-graceful:ok']);
    expect(ctx.steps.steps[0]!.detail).toMatch(/CRASHED .*on_crash=preserve/);
    expect(await env.stateOf(CRASHED)).toBe(DomainState.SHUTOFF);
    expect(await (await env.host.raw({ uuid: CRASHED })).isActive()).toBe(false);
  });

  it('a guest that crashes while shutting down is destroyed, not reported as stopped', async () => {
    await setup();
    const ctx = env.ctx();
    let crashed = false;
    // The guest ignores the request and panics; libvirt then reports CRASHED (QEMU kept).
    const plan = env.inject(RUN, {
      shutdown: 'ignore',
      state: async ({ real }) => {
        const s = (await real()) as { state: DomainState; reason: number };
        return { value: crashed && s.state === DomainState.RUNNING ? { state: DomainState.CRASHED, reason: 1 } : s };
      },
    });
    const p = powerOff(env.deps, ctx, input(RUN, { timeoutSeconds: 60, retryIntervalSeconds: 10 }));
    await env.clock.whenSleeping(1);
    crashed = true;
    const r = await env.clock.run(p);
    expect(r).toMatchObject({ clean: false, shutdownRequests: 1, powerState: DomainState.SHUTOFF });
    expect(plan.count('destroy')).toBe(1);
    expect(stepSeq(ctx.steps.steps)).toEqual(['shutdown-request:ok', 'check-state:ok', 'destroy-graceful:ok']);
  });

  it('unknown domain (by uuid or name): NotFound', async () => {
    await setup();
    expect((await rejection(powerOff(env.deps, env.ctx(), input(testUuid(99))))).kind).toBe('NotFound');
    const byName = await rejection(powerOff(env.deps, env.ctx(), { ...input(''), ref: { name: 'nope' } }));
    expect(byName.kind).toBe('NotFound');
    expect(byName.message).toContain("'nope'");
  });

  it('timeout 0: destroyed at once (graceful destroy), clean:false, no shutdown request', async () => {
    await setup();
    const plan = env.inject(RUN);
    const ctx = env.ctx();
    const r = await powerOff(env.deps, ctx, input(RUN, { timeoutSeconds: 0 }));
    expect(r).toMatchObject({ clean: false, shutdownRequests: 0, powerState: DomainState.SHUTOFF, elapsedMs: 0 });
    expect(plan.argsOf('shutdown')).toEqual([]);
    expect(plan.argsOf('destroy')).toEqual([[1]]);
    expect(stepSeq(ctx.steps.steps)).toEqual(['destroy-graceful:ok']);
  });
});

describe('PowerOff: completion', () => {
  it('test driver: shutdown stops the guest (real STOPPED): clean, 1 request, no time passes', async () => {
    await setup();
    const plan = env.inject(RUN);
    const ctx = env.ctx();
    const r = await powerOff(env.deps, ctx, input(RUN));
    expect(r).toMatchObject({ clean: true, shutdownRequests: 1, powerState: DomainState.SHUTOFF, elapsedMs: 0 });
    expect(env.clock.now()).toBe(0);
    // No agent channel: ACPI first; the test driver rejects the flag, the plain request follows.
    expect(plan.argsOf('shutdown')).toEqual([[ShutdownFlags.ACPI_POWER_BTN], [ShutdownFlags.DEFAULT]]);
    expect(plan.count('destroy')).toBe(0);
    expect(stepSeq(ctx.steps.steps)).toEqual(['shutdown-request:ok', 'wait-stopped:ok']);
    expect(ctx.steps.steps[0]!.detail).toBe('default');
  });

  it('a STOPPED event wakes the waiter without the clock moving', async () => {
    await setup();
    env.inject(RUN, { shutdown: 'ignore' });
    const ctx = env.ctx();
    const p = powerOff(env.deps, ctx, input(RUN));
    await env.clock.whenSleeping();
    // The guest goes down on its own (e.g. it finally handled ACPI): a real STOPPED event.
    await (await env.host.raw({ uuid: RUN })).destroy();
    const r = await p;
    expect(r).toMatchObject({ clean: true, shutdownRequests: 1, powerState: DomainState.SHUTOFF, elapsedMs: 0 });
    expect(env.clock.now()).toBe(0);
    const wait = ctx.steps.steps.find((s) => s.name === 'wait-stopped')!;
    expect(wait.outcome).toBe('ok');
    expect(wait.detail).toMatch(/^event \+\d+ms$/);
  });

  it('missed event: the backstop state check ends the wait', async () => {
    await setup();
    env.inject(RUN, { shutdown: 'ignore' });
    env.host.dropLifecycle = true;
    const ctx = env.ctx();
    let settled = false;
    const p = powerOff(env.deps, ctx, input(RUN)).finally(() => { settled = true; });
    await env.clock.whenSleeping();
    await (await env.host.raw({ uuid: RUN })).destroy();
    await eventually(() => env.host.dropped > 0, 'the STOPPED event reached the Host (and was dropped)');
    expect(settled).toBe(false);
    expect(await env.stateOf(RUN)).toBe(DomainState.SHUTOFF);
    await env.clock.advance(env.config.powerOff.stateCheckIntervalMs);
    const r = await p;
    expect(r).toMatchObject({ clean: true, shutdownRequests: 1, elapsedMs: 1000 });
    expect(ctx.steps.steps.find((s) => s.name === 'wait-stopped')!.detail).toBe('state check');
  });
});

describe('PowerOff: retries and destroy', () => {
  it('guest ignores shutdown: timeout 30 s, retry 10 s -> 3 requests, then destroyed', async () => {
    await setup();
    const plan = env.inject(RUN, { shutdown: 'ignore' });
    const ctx = env.ctx();
    const r = await env.clock.run(powerOff(env.deps, ctx, input(RUN, { timeoutSeconds: 30, retryIntervalSeconds: 10 })));
    expect(r).toEqual({ clean: false, shutdownRequests: 3, powerState: DomainState.SHUTOFF, elapsedMs: 30_000 });
    expect(plan.calls.filter((c) => c.method === 'shutdown').map((c) => [c.at, c.args[0]])).toEqual([
      [0, ShutdownFlags.ACPI_POWER_BTN], [10_000, ShutdownFlags.ACPI_POWER_BTN], [20_000, ShutdownFlags.ACPI_POWER_BTN],
    ]);
    expect(plan.calls.filter((c) => c.method === 'destroy').map((c) => [c.at, c.args[0]])).toEqual([[30_000, 1]]);
    expect(stepSeq(ctx.steps.steps)).toEqual(['shutdown-request:ok', 'wait-stopped:failed', 'destroy-graceful:ok']);
    expect(ctx.steps.steps[0]!.detail).toBe('acpi');
    expect(ctx.steps.steps[1]!.detail).toBe('not stopped after 30s and 3 requests');
    // The backstop polled once a second in between, never past a retry point.
    expect(env.clock.sleeps).toHaveLength(30);
    expect(new Set(env.clock.sleeps)).toEqual(new Set([1000]));
  });

  it('errors of re-sent requests are warnings; the flow goes on to the destroy', async () => {
    await setup();
    env.inject(RUN, {
      shutdown: [
        'ignore',
        lverr('virDomainShutdownFlags', ErrorCode.OPERATION_FAILED, 'operation failed: monitor busy'),
        lverr('virDomainShutdownFlags', ErrorCode.INTERNAL_ERROR, 'internal error: qemu unexpectedly closed the monitor'),
      ],
    });
    const ctx = env.ctx();
    const r = await env.clock.run(powerOff(env.deps, ctx, input(RUN, { timeoutSeconds: 30, retryIntervalSeconds: 10 })));
    expect(r).toMatchObject({ clean: false, shutdownRequests: 3, powerState: DomainState.SHUTOFF });
    expect(stepSeq(ctx.steps.steps)).toEqual([
      'shutdown-request:ok', 'shutdown-retry:warning', 'shutdown-retry:warning', 'wait-stopped:failed', 'destroy-graceful:ok',
    ]);
    expect(ctx.steps.steps[1]!.detail).toContain('monitor busy');
  });

  it('first request fails for good (not a flag rejection): destroyed at once, clean:false', async () => {
    await setup();
    const plan = env.inject(RUN, { shutdown: lverr('virDomainShutdownFlags', ErrorCode.OPERATION_FAILED, 'monitor gone') });
    const ctx = env.ctx();
    const r = await powerOff(env.deps, ctx, input(RUN));
    expect(r).toMatchObject({ clean: false, shutdownRequests: 0, powerState: DomainState.SHUTOFF });
    expect(plan.argsOf('destroy')).toEqual([[1]]);
    expect(stepSeq(ctx.steps.steps)).toEqual(['shutdown-request:failed', 'destroy-graceful:ok']);
  });

  it('first request hits a domain that vanished (NO_DOMAIN): clean', async () => {
    await setup();
    const plan = env.inject(RUN, { shutdown: lverr('virDomainShutdownFlags', ErrorCode.NO_DOMAIN, 'Domain not found') });
    const r = await powerOff(env.deps, env.ctx(), input(RUN));
    expect(r).toMatchObject({ clean: true, shutdownRequests: 0 });
    expect(plan.count('destroy')).toBe(0);
  });

  it('the caller cancels while waiting: rejects with the reason, no destroy', async () => {
    await setup();
    const plan = env.inject(RUN, { shutdown: 'ignore' });
    const ac = new AbortController();
    const p = powerOff(env.deps, env.ctx({ signal: ac.signal }), input(RUN));
    await env.clock.whenSleeping();
    ac.abort(new Error('deadline exceeded'));
    expect((await rejection(p)).message).toBe('deadline exceeded');
    expect(plan.count('destroy')).toBe(0);
    expect(await env.stateOf(RUN)).toBe(DomainState.RUNNING);
  });
});

describe('PowerOff: shutdown methods', () => {
  it('guest agent only when the XML has the org.qemu.guest_agent.0 channel', async () => {
    await setup();
    const withAgent = env.inject(AGENT);
    const without = env.inject(RUN);
    await powerOff(env.deps, env.ctx(), input(AGENT));
    await powerOff(env.deps, env.ctx(), input(RUN));
    // The test driver rejects both explicit flags (INVALID_ARG), so the plain request follows each time.
    expect(withAgent.argsOf('shutdown')).toEqual([[ShutdownFlags.GUEST_AGENT], [ShutdownFlags.ACPI_POWER_BTN], [0]]);
    expect(without.argsOf('shutdown')).toEqual([[ShutdownFlags.ACPI_POWER_BTN], [0]]);
  });

  it('guest_agent not among the methods: not used even with the channel', async () => {
    await setup();
    const plan = env.inject(AGENT);
    await powerOff(env.deps, env.ctx(), input(AGENT, { methods: ['acpi'] }));
    expect(plan.argsOf('shutdown')).toEqual([[ShutdownFlags.ACPI_POWER_BTN], [0]]);
  });

  it('an accepted guest-agent request is the one used', async () => {
    await setup();
    const plan = env.inject(AGENT, {
      // A driver that supports the flag: the agent shuts the guest down.
      shutdown: ({ args, guest }) => (args[0] === ShutdownFlags.GUEST_AGENT ? guest.shutdown(0).then(() => 'ignore' as const) : 'pass'),
    });
    const ctx = env.ctx();
    const r = await powerOff(env.deps, ctx, input(AGENT));
    expect(r).toMatchObject({ clean: true, shutdownRequests: 1 });
    expect(plan.argsOf('shutdown')).toEqual([[ShutdownFlags.GUEST_AGENT]]);
    expect(ctx.steps.steps[0]!.detail).toBe('guest_agent');
  });
});

describe('PowerOff: a domain already shutting down', () => {
  it('sends no request at first, waits, and re-asks only at the retry interval', async () => {
    const DOWN = testUuid(5);
    env = await makeEnv({ domains: [{ name: 'down', uuid: DOWN, state: DomainState.SHUTDOWN }] });
    const plan = env.inject(DOWN);
    const ctx = env.ctx();
    const r = await env.clock.run(powerOff(env.deps, ctx, input(DOWN, { timeoutSeconds: 30, retryIntervalSeconds: 10 })));
    // The test driver's domain never finishes on its own: the re-send at 10 s stops it.
    expect(r).toMatchObject({ clean: true, shutdownRequests: 1, powerState: DomainState.SHUTOFF });
    expect(stepSeq(ctx.steps.steps)[0]).toBe('shutdown-request:skipped');
    expect(plan.calls.find((c) => c.method === 'shutdown')?.at).toBe(10_000);
  });
});
