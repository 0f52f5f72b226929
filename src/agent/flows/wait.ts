// Event-driven waiting with a backstop: a libvirt event for the domain wakes
// the waiter at once, a periodic check covers a missed event, and a deadline
// bounds it all. Events are hints; `check` decides.
import type { LifecycleEventInfo } from '../../libvirt/connection';
import { abortReason } from '../clock';
import type { FlowDeps } from './types';

export interface WaitOptions {
  uuid: string;
  /** Which lifecycle events of this domain are worth a check. */
  wakeOn: (e: LifecycleEventInfo) => boolean;
  /** True when the wait is over. */
  check: () => Promise<boolean>;
  /** Absolute time (deps.clock) after which the wait gives up. */
  deadlineAt: number;
  /** Backstop interval between checks without an event. */
  pollMs: number;
  signal?: AbortSignal;
}

export interface WaitResult {
  done: boolean;
  /** receivedAt of the event that ended the wait, if one did. */
  eventAt?: number;
}

export async function waitForGuest(deps: FlowDeps, opts: WaitOptions): Promise<WaitResult> {
  const { host, clock } = deps;
  let lastEvent: LifecycleEventInfo | undefined;
  let wake: (() => void) | null = null;
  const onEvent = (e: LifecycleEventInfo) => {
    if (e.uuid !== opts.uuid || !opts.wakeOn(e)) return;
    lastEvent = e;
    wake?.();
  };
  host.on('lifecycle', onEvent);
  // The last event already answered by a failed check: it did not end the wait.
  let consumed: LifecycleEventInfo | undefined;
  try {
    for (;;) {
      if (opts.signal?.aborted) throw abortReason(opts.signal);
      const seen = lastEvent;
      if (await opts.check()) {
        // Only an event newer than the last failed check (possibly one that
        // arrived during this check) ended the wait; else the check did.
        return { done: true, eventAt: lastEvent !== consumed ? lastEvent?.receivedAt : undefined };
      }
      consumed = seen;
      const left = opts.deadlineAt - clock.now();
      if (left <= 0) return { done: false };
      if (lastEvent !== seen) continue; // an event arrived during the check
      const nap = new AbortController();
      const onAbort = () => nap.abort(opts.signal?.reason);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      wake = () => nap.abort('event');
      try {
        await clock.sleep(Math.min(left, opts.pollMs), nap.signal);
      } catch {
        // woken by an event or aborted: the loop head sorts out which
      } finally {
        wake = null;
        opts.signal?.removeEventListener('abort', onAbort);
      }
    }
  } finally {
    host.off('lifecycle', onEvent);
  }
}
