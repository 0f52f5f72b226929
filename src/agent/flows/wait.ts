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
  /**
   * Which of those mean the wait is over (e.g. STOPPED, not SHUTDOWN): only
   * their time is reported as eventAt. Default: every wakeOn event.
   */
  endsOn?: (e: LifecycleEventInfo) => boolean;
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
  /** The last event that means the wait is over (endsOn). */
  let lastEnd: LifecycleEventInfo | undefined;
  let wake: (() => void) | null = null;
  const onEvent = (e: LifecycleEventInfo) => {
    if (e.uuid !== opts.uuid || !opts.wakeOn(e)) return;
    lastEvent = e;
    if (opts.endsOn?.(e) ?? true) lastEnd = e;
    wake?.();
  };
  host.on('lifecycle', onEvent);
  // The last end event already answered by a failed check: it did not end the wait.
  let consumed: LifecycleEventInfo | undefined;
  try {
    for (;;) {
      if (opts.signal?.aborted) throw abortReason(opts.signal);
      const seen = lastEvent;
      const seenEnd = lastEnd;
      if (await opts.check()) {
        // Only an end event newer than the last failed check (possibly one
        // that arrived during this check) ended the wait; else the check did
        // (e.g. it saw SHUTOFF before the STOPPED event was delivered).
        return { done: true, eventAt: lastEnd !== consumed ? lastEnd?.receivedAt : undefined };
      }
      consumed = seenEnd;
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
