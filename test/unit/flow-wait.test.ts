// waitForGuest on its own: events wake the waiter (only matching ones), the
// backstop check covers a missed event, the deadline bounds the wait, an
// event during a check is not lost, abort rejects, and the listener is always
// removed. Driven by a FakeClock and hand-emitted events: no real time passes.
import { EventEmitter } from 'node:events';

import { describe, expect, it } from 'vitest';

import type { FlowDeps } from '../../src/agent/flows/types';
import { waitForGuest, type WaitOptions } from '../../src/agent/flows/wait';
import type { LifecycleEventInfo } from '../../src/libvirt/connection';
import { LifecycleEvent } from '../../src/libvirt/constants';
import type { HostEvents } from '../../src/libvirt/host';
import { TestClock, deferred, rejection } from '../helpers/agent-deps';

const UUID = 'cccccccc-0000-4000-8000-000000000001';

function harness() {
  const host = new EventEmitter<HostEvents>();
  const clock = new TestClock();
  const deps = { host, clock } as unknown as FlowDeps;
  let stopped = false;
  let checks = 0;
  const event = (over: Partial<LifecycleEventInfo> = {}): void => {
    host.emit('lifecycle', { name: 'g', uuid: UUID, id: -1, event: LifecycleEvent.STOPPED, detail: 0, receivedAt: Date.now(), ...over });
  };
  const opts = (over: Partial<WaitOptions> = {}): WaitOptions => ({
    uuid: UUID,
    wakeOn: (e) => e.event === LifecycleEvent.STOPPED,
    check: async () => {
      checks++;
      return stopped;
    },
    deadlineAt: 10_000,
    pollMs: 1000,
    ...over,
  });
  return {
    host, clock, deps, event, opts,
    stop: () => { stopped = true; },
    get checks() { return checks; },
  };
}

describe('waitForGuest', () => {
  it('done at the first check: no sleep, no event time', async () => {
    const h = harness();
    h.stop();
    expect(await waitForGuest(h.deps, h.opts())).toEqual({ done: true, eventAt: undefined });
    expect(h.clock.sleeps).toEqual([]);
    expect(h.host.listenerCount('lifecycle')).toBe(0);
  });

  it('a matching event wakes the waiter at once and is reported', async () => {
    const h = harness();
    const p = waitForGuest(h.deps, h.opts());
    await h.clock.whenSleeping();
    h.stop();
    h.event({ receivedAt: 1234 });
    expect(await p).toEqual({ done: true, eventAt: 1234 });
    expect(h.clock.now()).toBe(0);
    expect(h.checks).toBe(2);
    expect(h.host.listenerCount('lifecycle')).toBe(0);
  });

  it('events of other domains or other kinds do not wake it', async () => {
    const h = harness();
    const p = waitForGuest(h.deps, h.opts());
    await h.clock.whenSleeping();
    h.stop();
    h.event({ uuid: 'cccccccc-0000-4000-8000-000000000099' });
    h.event({ event: LifecycleEvent.SUSPENDED });
    await new Promise<void>((r) => setImmediate(r));
    expect(h.checks).toBe(1);
    expect(h.clock.pending).toBe(1);
    await h.clock.advance(1000); // the backstop finds it
    expect(await p).toEqual({ done: true, eventAt: undefined });
  });

  it('missed event: the periodic check ends the wait', async () => {
    const h = harness();
    const p = waitForGuest(h.deps, h.opts());
    await h.clock.whenSleeping();
    await h.clock.advance(1000);
    await h.clock.whenSleeping();
    h.stop();
    await h.clock.advance(1000);
    expect(await p).toEqual({ done: true, eventAt: undefined });
    expect(h.checks).toBe(3);
    expect(h.clock.now()).toBe(2000);
  });

  it('deadline: gives up with done:false; the last nap is cut to the deadline', async () => {
    const h = harness();
    const r = await h.clock.run(waitForGuest(h.deps, h.opts({ deadlineAt: 2500 })));
    expect(r).toEqual({ done: false });
    expect(h.clock.sleeps).toEqual([1000, 1000, 500]);
    expect(h.clock.now()).toBe(2500);
    expect(h.host.listenerCount('lifecycle')).toBe(0);
  });

  it('deadline already passed: one check, no sleep', async () => {
    const h = harness();
    await h.clock.advance(5000);
    expect(await waitForGuest(h.deps, h.opts({ deadlineAt: 5000 }))).toEqual({ done: false });
    expect(h.checks).toBe(1);
    expect(h.clock.sleeps).toEqual([]);
  });

  it('an event during a check is not lost: checked again without sleeping', async () => {
    const h = harness();
    const inCheck = deferred();
    let n = 0;
    const p = waitForGuest(h.deps, h.opts({
      check: async () => {
        n++;
        if (n === 1) {
          h.stop();
          h.event({ receivedAt: 42 }); // arrives while the first check is still running
          await inCheck.promise;
          return false; // this check read the state just before the stop
        }
        return true;
      },
    }));
    inCheck.resolve();
    expect(await p).toEqual({ done: true, eventAt: 42 });
    expect(n).toBe(2);
    expect(h.clock.sleeps).toEqual([]);
  });

  it('abort while sleeping: rejects with the reason and removes the listener', async () => {
    const h = harness();
    const ac = new AbortController();
    const p = waitForGuest(h.deps, h.opts({ signal: ac.signal }));
    await h.clock.whenSleeping();
    ac.abort(new Error('client went away'));
    expect((await rejection(p)).message).toBe('client went away');
    expect(h.host.listenerCount('lifecycle')).toBe(0);
    expect(h.clock.pending).toBe(0);
  });

  it('a check that throws ends the wait with that error, listener removed', async () => {
    const h = harness();
    const err = await rejection(waitForGuest(h.deps, h.opts({ check: async () => { throw new Error('libvirt down'); } })));
    expect(err.message).toBe('libvirt down');
    expect(h.host.listenerCount('lifecycle')).toBe(0);
  });
});
