// libvirt/admission.ts: the bound on libvirt calls in the binding, the order
// it admits them in, and the priority lane reads ride. Driven with promises
// the test settles itself (what a libvirt call would do), no timers.
import { describe, expect, it } from 'vitest';

import { Admission, laneOf, type Lane } from '../../src/libvirt/admission';

/** A call the test finishes: started when admission runs it, done when the test says. */
class Calls {
  readonly started: string[] = [];
  private readonly finishers = new Map<string, () => void>();

  submit(adm: Admission, lane: Lane, id: string): Promise<string> {
    return adm.run(lane, () => {
      this.started.push(id);
      return new Promise<string>((resolve) => this.finishers.set(id, () => resolve(id)));
    });
  }

  async finish(...ids: string[]): Promise<void> {
    for (const id of ids) {
      const f = this.finishers.get(id);
      if (!f) throw new Error(`${id} has not started`);
      f();
    }
    // Let the settled calls hand their slots on.
    for (let i = 0; i < 10; i++) await Promise.resolve();
  }
}

const settle = async () => { for (let i = 0; i < 10; i++) await Promise.resolve(); };

describe('libvirt call admission', () => {
  it('bounds the calls in flight and admits waiting ones in arrival order', async () => {
    const adm = new Admission({ limit: 2, reserved: 0, burst: 4 });
    const calls = new Calls();
    const done = ['a', 'b', 'c', 'd', 'e'].map((id) => calls.submit(adm, 'normal', id));
    await settle();
    expect(calls.started).toEqual(['a', 'b']);
    expect(adm.stats()).toMatchObject({ inFlight: 2, waiting: { normal: 3, priority: 0 } });
    await calls.finish('b');
    expect(calls.started).toEqual(['a', 'b', 'c']);
    await calls.finish('a');
    expect(calls.started).toEqual(['a', 'b', 'c', 'd']);
    await calls.finish('c', 'd');
    await calls.finish('e');
    expect(await Promise.all(done)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(adm.stats()).toMatchObject({ inFlight: 0, waited: 3 });
  });

  it('stats: calls in the binding and waiting by lane, and totals admitted and waited by lane (what the agent exports)', async () => {
    const adm = new Admission({ limit: 3, reserved: 1, burst: 8 });
    const calls = new Calls();
    for (const id of ['w1', 'w2', 'w3']) void calls.submit(adm, 'normal', id);
    for (const id of ['r1', 'r2']) void calls.submit(adm, 'priority', id);
    await settle();
    expect(calls.started).toEqual(['w1', 'w2', 'r1']);
    expect(adm.stats()).toEqual({
      limit: 3, reserved: 1, inFlight: 3,
      running: { priority: 1, normal: 2 }, waiting: { priority: 1, normal: 1 },
      waited: 2, waitedByLane: { priority: 1, normal: 1 }, admitted: { priority: 1, normal: 2 },
    });
    await calls.finish('r1', 'w1', 'w2');
    await calls.finish('r2', 'w3');
    expect(adm.stats()).toMatchObject({
      inFlight: 0, running: { priority: 0, normal: 0 }, waiting: { priority: 0, normal: 0 }, admitted: { priority: 2, normal: 3 },
    });
  });

  it('priority calls pass waiting writes, and reserved slots are theirs alone', async () => {
    const adm = new Admission({ limit: 3, reserved: 1, burst: 8 });
    const calls = new Calls();
    for (const id of ['w1', 'w2', 'w3', 'w4']) void calls.submit(adm, 'normal', id);
    await settle();
    // Two writes run; the third slot stays for reads although writes wait.
    expect(calls.started).toEqual(['w1', 'w2']);
    void calls.submit(adm, 'priority', 'r1');
    await settle();
    expect(calls.started).toEqual(['w1', 'w2', 'r1']);
    // Every slot busy: the next read waits too, but goes before the waiting writes.
    void calls.submit(adm, 'priority', 'r2');
    await settle();
    await calls.finish('w1');
    expect(calls.started).toEqual(['w1', 'w2', 'r1', 'r2']);
    await calls.finish('r1', 'r2');
    expect(calls.started).toEqual(['w1', 'w2', 'r1', 'r2', 'w3']);
    await calls.finish('w2', 'w3');
    await calls.finish('w4');
    expect(adm.stats().inFlight).toBe(0);
  });

  it('a flood of reads does not starve writes: one write after every `burst` reads', async () => {
    const adm = new Admission({ limit: 1, reserved: 0, burst: 2 });
    const calls = new Calls();
    void calls.submit(adm, 'priority', 'r0');
    await settle();
    void calls.submit(adm, 'normal', 'w1');
    for (const id of ['r1', 'r2', 'r3', 'r4']) void calls.submit(adm, 'priority', id);
    for (const id of ['r0', 'r1', 'r2', 'w1', 'r3', 'r4']) {
      await settle();
      await calls.finish(id);
    }
    expect(calls.started).toEqual(['r0', 'r1', 'r2', 'w1', 'r3', 'r4']);
  });

  it('a call that throws gives its slot back; so does one that fails synchronously', async () => {
    const adm = new Admission({ limit: 1, reserved: 0, burst: 1 });
    await expect(adm.run('normal', () => Promise.reject(new Error('libvirt said no')))).rejects.toThrow('libvirt said no');
    await expect(adm.run('normal', () => { throw new TypeError('flags must be a number'); })).rejects.toThrow(TypeError);
    await expect(adm.run('normal', () => Promise.resolve(7))).resolves.toBe(7);
    expect(adm.stats().inFlight).toBe(0);
  });

  it('raising the limit admits waiting calls at once', async () => {
    const adm = new Admission({ limit: 1, reserved: 0, burst: 1 });
    const calls = new Calls();
    for (const id of ['a', 'b', 'c']) void calls.submit(adm, 'normal', id);
    await settle();
    expect(calls.started).toEqual(['a']);
    adm.configure({ limit: 3 });
    await settle();
    expect(calls.started).toEqual(['a', 'b', 'c']);
    await calls.finish('a', 'b', 'c');
  });

  it('reads are the priority lane; anything that changes a domain is a write', () => {
    for (const call of ['virDomainGetState', 'virDomainGetXMLDesc', 'virDomainLookupByName', 'virConnectListAllDomains', 'virConnectGetLibVersion']) {
      expect(laneOf(call), call).toBe('priority');
    }
    for (const call of ['virDomainDestroyFlags', 'virDomainUndefineFlags', 'virDomainCreateWithFlags', 'virDomainShutdownFlags', 'virDomainDefineXMLFlags']) {
      expect(laneOf(call), call).toBe('normal');
    }
  });
});
