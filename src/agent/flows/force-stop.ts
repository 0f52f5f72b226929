// Destroying a running domain, used by every flow: graceful first (SIGTERM,
// so QEMU can flush; destroy.gracefulAttempts times), then without the flag
// (SIGKILL) when QEMU does not go, a bounded number of times with backoff.
// Gone or already off is success.
import { DomainState, DestroyFlags, isStopped } from '../../libvirt/constants';
import { ErrorCode, hasLibvirtCode, libvirtErrorOf } from '../../libvirt/errors';
import type { Guest } from '../../libvirt/guest';
import { errorMessage, FailedPrecondition } from '../../errors';
import type { FlowDeps, OpContext } from './types';

export interface ForceStopResult {
  /** The domain was running (or paused) and was destroyed by this call. */
  destroyed: boolean;
  /** The domain disappeared (a transient domain is gone once stopped). */
  gone: boolean;
  /** The state it was left in, as last read (SHUTOFF when gone). */
  state: DomainState;
}

/** libvirt failures after which another destroy attempt can succeed. */
function isRetryable(err: unknown): boolean {
  return hasLibvirtCode(err, ErrorCode.OPERATION_TIMEOUT, ErrorCode.SYSTEM_ERROR, ErrorCode.OPERATION_FAILED)
    || (hasLibvirtCode(err, ErrorCode.INTERNAL_ERROR) && /terminate process|EBUSY|busy/i.test(libvirtErrorOf(err)?.message ?? ''));
}

/**
 * Stopped means no QEMU process: a CRASHED domain kept by on_crash=preserve
 * is still active and must be destroyed too.
 */
async function stoppedOrGone(deps: FlowDeps, uuid: string): Promise<{ guest: Guest | null; stopped: boolean; state: DomainState }> {
  const guest = await deps.host.find({ uuid });
  if (!guest) return { guest: null, stopped: true, state: DomainState.SHUTOFF };
  const { state } = await guest.state();
  return { guest, stopped: isStopped(state) && !(await guest.isActive()), state };
}

export async function forceStop(deps: FlowDeps, ctx: OpContext, start: Guest): Promise<ForceStopResult> {
  const { attempts, gracefulAttempts, backoffMs } = deps.config.destroy;
  let guest = start;
  let destroyed = false;
  let lastError = '';
  for (let i = 0; i < attempts; i++) {
    const graceful = i < Math.min(gracefulAttempts, attempts - 1);
    const flags = graceful ? DestroyFlags.GRACEFUL : DestroyFlags.DEFAULT;
    const name = graceful ? 'destroy-graceful' : 'destroy';
    try {
      await ctx.steps.run(name, () => guest.destroy(flags), { failedAs: 'warning' });
      destroyed = true;
    } catch (err) {
      if (hasLibvirtCode(err, ErrorCode.NO_DOMAIN)) return { destroyed, gone: true, state: DomainState.SHUTOFF };
      if (hasLibvirtCode(err, ErrorCode.OPERATION_INVALID)) {
        const now = await stoppedOrGone(deps, guest.uuid);
        if (now.stopped) return { destroyed, gone: now.guest === null, state: now.state };
        throw err;
      }
      if (!isRetryable(err)) throw err;
      lastError = libvirtErrorOf(err)?.message ?? errorMessage(err);
      ctx.logger.warn({ uuid: guest.uuid, attempt: i + 1, err: lastError }, 'destroy failed, retrying');
      if (i + 1 < attempts) await deps.clock.sleep(backoffMs * 2 ** i, ctx.signal);
      continue;
    }
    // destroy returned: confirm, and catch a domain that was started again
    // meanwhile (its id changed) — that one must be destroyed too.
    const now = await stoppedOrGone(deps, guest.uuid);
    if (now.stopped) return { destroyed, gone: now.guest === null, state: now.state };
    if (now.guest && now.guest.id !== guest.id) {
      ctx.steps.record('destroy-again', 'warning', `domain restarted (id ${guest.id} -> ${now.guest.id})`);
    }
    guest = now.guest ?? guest;
    lastError = `still ${DomainState[now.state]} after destroy`;
  }
  throw new FailedPrecondition(
    `domain '${guest.name}' could not be destroyed after ${attempts} attempts: ${lastError}`,
  );
}
