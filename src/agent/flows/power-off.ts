// PowerOff as Nova's power_off does it: ask the guest to shut down, re-ask
// every retry interval (a booting guest can miss the first ACPI event), and
// destroy it when the timeout passes. Completion comes from libvirt's STOPPED
// event, with a state check as backstop. A CRASHED guest is destroyed (Nova's
// power_off always ends in a destroy): with on_crash=preserve its QEMU keeps
// running, holding its memory, until someone does.
import { DomainState, LifecycleEvent, ShutdownFlags, isStopped } from '../../libvirt/constants';
import { ErrorCode, hasLibvirtCode, isFlagRejection } from '../../libvirt/errors';
import type { Guest } from '../../libvirt/guest';
import { parseDomainXmlCached } from '../../libvirt/xml-cache';
import type { DomainRef } from '../../libvirt/host';
import { errorMessage } from '../../errors';
import { forceStop } from './force-stop';
import { requireTarget } from './target';
import type { FlowDeps, OpContext, ShutdownMethodName } from './types';
import { waitForGuest } from './wait';

export interface PowerOffInput {
  ref: DomainRef;
  timeoutSeconds: number;
  retryIntervalSeconds: number;
  methods: ShutdownMethodName[];
}

export interface PowerOffResult {
  clean: boolean;
  shutdownRequests: number;
  elapsedMs: number;
  powerState: DomainState;
}

const FLAG: Record<ShutdownMethodName, number> = {
  acpi: ShutdownFlags.ACPI_POWER_BTN,
  guest_agent: ShutdownFlags.GUEST_AGENT,
};

/** Current state, or SHUTOFF for a domain that vanished (transient, stopped). */
async function stateOf(deps: FlowDeps, uuid: string): Promise<DomainState> {
  const g = await deps.host.find({ uuid });
  return g ? (await g.state()).state : DomainState.SHUTOFF;
}

/**
 * One shutdown request: each method in order until one is accepted. A driver
 * that rejects every explicit method (the flag is unsupported) gets a plain
 * request, which lets the hypervisor choose.
 */
async function requestShutdown(guest: Guest, methods: ShutdownMethodName[], hasAgent: boolean): Promise<string> {
  let last: unknown = new Error('no usable shutdown method');
  let allRejected = true;
  for (const m of methods) {
    if (m === 'guest_agent' && !hasAgent) continue;
    try {
      await guest.shutdown(FLAG[m]);
      return m;
    } catch (err) {
      last = err;
      allRejected &&= isFlagRejection(err);
    }
  }
  if (!allRejected) throw last;
  await guest.shutdown(ShutdownFlags.DEFAULT);
  return 'default';
}

/** How a clean shutdown ended: stopped by itself, crashed meanwhile, or not stopped (it has to be destroyed). */
type CleanShutdown =
  | { outcome: 'stopped'; requests: number; state: DomainState }
  | { outcome: 'crashed' | 'not-stopped'; requests: number };

/**
 * Nova's _clean_shutdown: ask the guest to shut down, re-ask every retry
 * interval (a booting guest can miss the first ACPI event), and wait for
 * libvirt's STOPPED event (a state check as backstop) until the timeout.
 */
async function cleanShutdown(deps: FlowDeps, ctx: OpContext, guest: Guest, input: PowerOffInput, state: DomainState, started: number)
  : Promise<CleanShutdown> {
  const { clock } = deps;
  if (input.timeoutSeconds === 0) return { outcome: 'not-stopped', requests: 0 };
  const hasAgent = input.methods.includes('guest_agent')
    && parseDomainXmlCached(await guest.xml()).hasGuestAgentChannel;
  const deadlineAt = started + input.timeoutSeconds * 1000;
  const retryMs = Math.max(1, input.retryIntervalSeconds) * 1000;
  let requests = 0;

  // The last state read, so the answer needs no extra libvirt round trip.
  let last = state;
  const stoppedNow = async () => isStopped((last = await stateOf(deps, guest.uuid)));
  if (state === DomainState.SHUTDOWN) {
    // Already on its way down (asked by someone else): wait, don't ask again yet.
    ctx.steps.record('shutdown-request', 'skipped', 'domain already shutting down');
  } else {
    try {
      const method = await ctx.steps.run('shutdown-request', async (s) => {
        const m = await requestShutdown(guest, input.methods, hasAgent);
        s.detail(m);
        return m;
      });
      requests++;
      ctx.logger.debug({ uuid: guest.uuid, method }, 'shutdown requested');
    } catch (err) {
      // Gone (a transient domain that stopped) or stopped meanwhile.
      if (hasLibvirtCode(err, ErrorCode.NO_DOMAIN) || (await stoppedNow())) {
        return { outcome: 'stopped', requests: 0, state: await stateOf(deps, guest.uuid) };
      }
      // The guest cannot be asked at all: waiting would only delay the destroy.
      ctx.logger.warn({ uuid: guest.uuid, err: errorMessage(err) }, 'shutdown request failed; destroying');
      return { outcome: 'not-stopped', requests: 0 };
    }
  }

  const stopEvents = (e: { event: LifecycleEvent }) =>
    e.event === LifecycleEvent.STOPPED || e.event === LifecycleEvent.SHUTDOWN || e.event === LifecycleEvent.UNDEFINED;
  let retryAt = started + retryMs;
  for (;;) {
    const nextAt = Math.min(deadlineAt, retryAt);
    const waited = await waitForGuest(deps, {
      uuid: guest.uuid,
      wakeOn: stopEvents,
      // SHUTDOWN only says the guest is on its way down: not what the detail times.
      endsOn: (e) => e.event !== LifecycleEvent.SHUTDOWN,
      check: stoppedNow,
      deadlineAt: nextAt,
      pollMs: deps.config.powerOff.stateCheckIntervalMs,
      signal: ctx.signal,
    });
    if (waited.done) {
      if (last === DomainState.CRASHED) return { outcome: 'crashed', requests };
      const detail = waited.eventAt === undefined ? 'state check' : `event +${Date.now() - waited.eventAt}ms`;
      ctx.steps.record('wait-stopped', 'ok', detail, clock.now() - started);
      return { outcome: 'stopped', requests, state: last };
    }
    if (clock.now() >= deadlineAt) break;
    try {
      await requestShutdown(guest, input.methods, hasAgent);
    } catch (err) {
      // The guest may just have stopped; the next check tells.
      ctx.steps.record('shutdown-retry', 'warning', errorMessage(err));
    }
    requests++;
    retryAt += retryMs;
  }
  ctx.steps.record('wait-stopped', 'failed', `not stopped after ${input.timeoutSeconds}s and ${requests} requests`);
  return { outcome: 'not-stopped', requests };
}

/**
 * A CRASHED domain: libvirt reports it so while QEMU is kept (on_crash=
 * preserve) and, for some drivers, after it is gone. Destroy it either way;
 * force-stop treats "not running" as done. Returns the state it is left in.
 */
async function destroyCrashed(deps: FlowDeps, ctx: OpContext, guest: Guest): Promise<DomainState> {
  if (!(await guest.isActive().catch(() => false))) {
    ctx.steps.record('check-state', 'skipped', 'CRASHED, no process left: nothing to destroy');
    return DomainState.CRASHED;
  }
  ctx.steps.record('check-state', 'ok', 'CRASHED with its QEMU process still there (on_crash=preserve): destroying');
  return (await forceStop(deps, ctx, guest)).state;
}

/** Nova's power_off: a clean shutdown within the timeout, else destroy. */
export async function powerOff(deps: FlowDeps, ctx: OpContext, input: PowerOffInput): Promise<PowerOffResult> {
  const started = deps.clock.now();
  const result = (clean: boolean, shutdownRequests: number, powerState: DomainState): PowerOffResult =>
    ({ clean, shutdownRequests, powerState, elapsedMs: Math.round(deps.clock.now() - started) });

  const guest = await requireTarget(deps, ctx, input.ref);
  const { state } = await guest.state();
  if (state === DomainState.CRASHED) return result(false, 0, await destroyCrashed(deps, ctx, guest));
  if (isStopped(state)) {
    ctx.steps.record('check-state', 'skipped', `already ${DomainState[state]}`);
    return result(true, 0, state);
  }

  const shutdown = await cleanShutdown(deps, ctx, guest, input, state, started);
  if (shutdown.outcome === 'stopped') return result(true, shutdown.requests, shutdown.state);
  if (shutdown.outcome === 'crashed') return result(false, shutdown.requests, await destroyCrashed(deps, ctx, guest));
  return result(false, shutdown.requests, (await forceStop(deps, ctx, guest)).state);
}
