// The watchdog: a probe that does not answer within its deadline makes the
// agent unhealthy (with a reason) until it answers; connection loss does too;
// a failing probe (an error is an answer) does not; one probe at a time.
// The host is a stand-in whose calls the test settles by hand (the real
// stall, with the binding's threads blocked on a dead mount, is in
// test/integration/agent-hung-storage.test.ts).
import { EventEmitter } from 'node:events';
import { once } from 'node:events';

import { afterEach, describe, expect, it } from 'vitest';

import { Watchdog, type WatchedHost, type WatchdogState } from '../../src/agent/watchdog';
import { deferred } from '../helpers/agent-deps';

class StubHost extends EventEmitter {
  uri = 'test:///stub';
  connected = true;
  calls: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  /** Fail every later call at once. */
  failing = false;

  call<T>(): Promise<T> {
    if (this.failing) return Promise.reject(new Error('some libvirt error'));
    const d = deferred<T>();
    let reject!: (e: Error) => void;
    const p = new Promise<T>((res, rej) => {
      reject = rej;
      void d.promise.then(res);
    });
    this.calls.push({ resolve: () => d.resolve(1 as T), reject });
    return p;
  }
}

const dogs: Watchdog[] = [];
afterEach(() => dogs.splice(0).forEach((d) => d.stop()));

function start(host: StubHost, timeoutMs = 60): Watchdog {
  const w = new Watchdog(host as unknown as WatchedHost, { intervalMs: 20, timeoutMs });
  dogs.push(w);
  w.start();
  return w;
}

const nextChange = (w: Watchdog) => once(w, 'change') as Promise<[WatchdogState]>;

describe('Watchdog', () => {
  it('healthy while probes answer; one probe at a time', async () => {
    const host = new StubHost();
    const w = start(host);
    expect(w.healthy).toBe(true);
    await new Promise((r) => setTimeout(r, 50)); // several intervals pass with the first probe pending...
    expect(host.calls).toHaveLength(1); // ...but only one probe is in flight
    host.calls[0]!.resolve();
    await new Promise((r) => setTimeout(r, 40));
    expect(host.calls.length).toBeGreaterThan(1);
  });

  it('a probe past its deadline: unhealthy with the reason; healthy again when it answers', async () => {
    const host = new StubHost();
    const w = start(host, 60);
    const [down] = await nextChange(w);
    expect(down).toMatchObject({ healthy: false, stalled: true });
    expect(down.reason).toMatch(/^libvirt at test:\/\/\/stub is not answering: virConnectGetLibVersion pending for \d+ s \(deadline 60 ms\)/);
    expect(w.stalls).toBe(1);
    const up = nextChange(w);
    host.calls[0]!.resolve();
    expect((await up)[0]).toMatchObject({ healthy: true, reason: '', stalled: false });
  });

  it('a failing probe is an answer, not a stall', async () => {
    const host = new StubHost();
    const w = start(host, 60);
    host.failing = true;
    host.calls[0]!.reject(new Error('some libvirt error'));
    await new Promise((r) => setTimeout(r, 120));
    expect(w.healthy).toBe(true);
    expect(w.stalls).toBe(0);
  });

  it('follows the connection: unhealthy while disconnected, probes again on reconnect', async () => {
    const host = new StubHost();
    const w = start(host, 1000);
    host.calls[0]!.resolve();
    const down = nextChange(w);
    host.connected = false;
    host.emit('disconnected', 'keepalive timeout');
    expect((await down)[0]).toMatchObject({ healthy: false, reason: 'libvirt connection to test:///stub lost: keepalive timeout' });
    const before = host.calls.length;
    const up = nextChange(w);
    host.connected = true;
    host.emit('connected');
    expect((await up)[0].healthy).toBe(true);
    expect(host.calls.length).toBe(before + 1);
  });
});
