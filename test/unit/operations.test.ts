// Operations: request-id replay, one operation at a time per domain (FIFO),
// different domains in parallel, a queued operation giving up on its signal
// without breaking the queue. Plus KeyedQueue and FakeClock on their own.
import fs from 'node:fs';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { FakeClock } from '../helpers/clocks';
import { destroy, DESTROY_FACTS } from '../../src/agent/flows/destroy';
import { powerOff } from '../../src/agent/flows/power-off';
import { Journal } from '../../src/agent/journal';
import { KeyedQueue } from '../../src/agent/locks';
import { Operations } from '../../src/agent/operations';
import { libvirtAdmission } from '../../src/libvirt/admission';
import { DomainState } from '../../src/libvirt/constants';
import {
  closeEnvs, deferred, eventually, makeEnv, rejection, testUuid, type TestEnv,
} from '../helpers/agent-deps';

afterEach(() => closeEnvs());

const A = testUuid(1);
const B = testUuid(2);

let env: TestEnv;
let ops: Operations;
async function setup(cacheSize?: number): Promise<void> {
  env = await makeEnv({
    domains: [{ name: 'a', uuid: A }, { name: 'b', uuid: B }],
    config: (c) => {
      if (cacheSize !== undefined) c.requestCacheSize = cacheSize;
    },
  });
  ops = new Operations(env.deps);
}

const off = (uuid: string) => (ctx: Parameters<typeof powerOff>[1]) =>
  powerOff(env.deps, ctx, { ref: { uuid }, timeoutSeconds: 0, retryIntervalSeconds: 10, methods: ['acpi'] });

/** Lets pending promise callbacks and queued I/O completions run. */
const settle = async (turns = 20): Promise<void> => {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
};

describe('Operations: request-id replay', () => {
  it('same id again: the first result, without acting again', async () => {
    await setup();
    const plan = env.inject(A);
    const first = await ops.run('PowerOff', { ref: { uuid: A }, requestId: 'req-1' }, off(A));
    expect(first.replayed).toBe(false);
    expect(first.value).toMatchObject({ clean: false, powerState: DomainState.SHUTOFF });
    await (await env.host.raw({ uuid: A })).create(); // would be destroyed again if the flow ran
    const again = await ops.run('PowerOff', { ref: { uuid: A }, requestId: 'req-1' }, off(A));
    expect(again).toEqual({ ...first, replayed: true });
    expect(plan.count('destroy')).toBe(1);
    expect(await env.stateOf(A)).toBe(DomainState.RUNNING);
  });

  it('same id for another domain: InvalidArgument (request_id)', async () => {
    await setup();
    await ops.run('PowerOff', { ref: { uuid: A }, requestId: 'req-1' }, off(A));
    const err = await rejection(ops.run('PowerOff', { ref: { uuid: B }, requestId: 'req-1' }, off(B)));
    expect(err).toMatchObject({ kind: 'InvalidArgument', field: 'request_id' });
    expect(await env.stateOf(B)).toBe(DomainState.RUNNING);
  });

  it('same id, another method: InvalidArgument (request_id), nothing runs', async () => {
    await setup();
    let n = 0;
    await ops.run('PowerOff', { ref: { uuid: A }, requestId: 'r' }, async () => ++n);
    const err = await rejection(ops.run('HardReboot', { ref: { uuid: A }, requestId: 'r' }, async () => ++n));
    expect(err).toMatchObject({ kind: 'InvalidArgument', field: 'request_id' });
    expect((err as Error).message).toMatch(/already used by a PowerOff request/);
    expect(n).toBe(1);
  });

  it('same id, same method and target, another body: InvalidArgument (request_id); the same body replays', async () => {
    await setup();
    let n = 0;
    const body = (timeout: number) => ({ domain: { uuid: A }, timeout_seconds: timeout, request_id: 'r' });
    await ops.run('PowerOff', { ref: { uuid: A }, requestId: 'r', request: body(5) }, async () => ++n);
    const err = await rejection(ops.run('PowerOff', { ref: { uuid: A }, requestId: 'r', request: body(6) }, async () => ++n));
    expect(err).toMatchObject({ kind: 'InvalidArgument', field: 'request_id' });
    expect((err as Error).message).toMatch(/different body/);
    // Key order does not matter: the fingerprint is of the canonical form.
    const same = { request_id: 'r', timeout_seconds: 5, domain: { uuid: A } };
    expect(await ops.run('PowerOff', { ref: { uuid: A }, requestId: 'r', request: same }, async () => ++n)).toMatchObject({ value: 1, replayed: true });
    expect(n).toBe(1);
  });

  it('the journal keeps a body hash only for a request with an id (nothing else is ever replayed)', async () => {
    await setup();
    const journal = new Journal(env.stateDir);
    await journal.open();
    const jops = new Operations(env.deps, journal);
    const body = { domain: { uuid: A }, timeout_seconds: 5 };
    await jops.run('PowerOff', { ref: { uuid: A }, requestId: '', request: body }, async () => 1);
    await jops.run('PowerOff', { ref: { uuid: A }, requestId: 'with-id', request: { ...body, request_id: 'with-id' } }, async () => 2);
    await journal.close();
    const begins = fs.readFileSync(journal.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r.t === 'begin');
    expect(begins.map((b) => [b.requestId, typeof b.fingerprint])).toEqual([['', 'undefined'], ['with-id', 'string']]);
  });

  it('while the first is running, another body with its id is refused too', async () => {
    await setup();
    const gate = deferred();
    const first = ops.run('Destroy', { ref: { uuid: A }, requestId: 'r', request: { a: 1 } }, async () => { await gate.promise; return 'x'; });
    await settle();
    const err = await rejection(ops.run('Destroy', { ref: { uuid: A }, requestId: 'r', request: { a: 2 } }, async () => 'y'));
    expect(err).toMatchObject({ kind: 'InvalidArgument', field: 'request_id' });
    gate.resolve();
    expect((await first).value).toBe('x');
  });

  it('a libvirt error escaping a flow is mapped (a domain gone meanwhile: NotFound, never Internal)', async () => {
    await setup();
    const err = await rejection(ops.run('PowerOff', { ref: { uuid: A }, requestId: '' }, async () => {
      await env.host.call((c) => c.lookupByName('no-such-domain'));
    }));
    expect(err).toMatchObject({ kind: 'NotFound' });
  });

  it('forgets results past the cache size and after the retention time', async () => {
    await setup(3);
    for (let i = 0; i < 5; i++) await ops.run('PowerOff', { ref: { uuid: A }, requestId: `r${i}` }, async () => i);
    expect(ops.cache.size).toBe(3);
    expect(ops.cache.get('r0')).toBeUndefined();
    expect(ops.cache.get('r4')).toBeDefined();
  });

  it('concurrent requests with the same id: one execution, both get its result', async () => {
    await setup();
    const gate = deferred();
    let runs = 0;
    const flow = async () => {
      runs++;
      await gate.promise;
      return 'done';
    };
    const p1 = ops.run('PowerOff', { ref: { uuid: A }, requestId: 'same' }, flow);
    const p2 = ops.run('PowerOff', { ref: { uuid: A }, requestId: 'same' }, flow);
    await settle();
    gate.resolve();
    const [r1, r2] = await Promise.all([p1, p2]);
    expect(runs).toBe(1);
    expect(r1).toMatchObject({ value: 'done', replayed: false });
    expect(r2).toMatchObject({ value: 'done', replayed: true });
  });

  it('concurrent same id for another domain: InvalidArgument, not the other domain\'s result', async () => {
    await setup();
    const gate = deferred();
    const p1 = ops.run('PowerOff', { ref: { uuid: A }, requestId: 'same' }, async () => { await gate.promise; return 'A'; });
    const err = await rejection(ops.run('PowerOff', { ref: { uuid: B }, requestId: 'same' }, async () => 'B'));
    expect(err).toMatchObject({ kind: 'InvalidArgument', field: 'request_id' });
    gate.resolve();
    expect((await p1).value).toBe('A');
  });

  it('a failed request is not remembered: the retry runs again', async () => {
    await setup();
    let n = 0;
    const flow = async () => {
      if (++n === 1) throw new Error('transient failure');
      return n;
    };
    await rejection(ops.run('PowerOff', { ref: { uuid: A }, requestId: 'retry-me' }, flow));
    expect(await ops.run('PowerOff', { ref: { uuid: A }, requestId: 'retry-me' }, flow)).toMatchObject({ value: 2, replayed: false });
  });

  it('bad request_id: InvalidArgument before anything runs; empty id: never replayed', async () => {
    await setup();
    let runs = 0;
    const flow = async () => ++runs;
    for (const bad of ['has space', 'x'.repeat(129), 'semi;colon', 'ünïcode']) {
      const err = await rejection(ops.run('PowerOff', { ref: { uuid: A }, requestId: bad }, flow));
      expect(err).toMatchObject({ kind: 'InvalidArgument', field: 'request_id' });
    }
    expect(runs).toBe(0);
    await ops.run('PowerOff', { ref: { uuid: A }, requestId: '' }, flow);
    const second = await ops.run('PowerOff', { ref: { uuid: A }, requestId: '' }, flow);
    expect(second).toMatchObject({ value: 2, replayed: false });
  });

  it('the replay cache is bounded: the oldest id is forgotten first', async () => {
    await setup(2);
    let runs = 0;
    const flow = async () => ++runs;
    for (const id of ['r1', 'r2', 'r3']) await ops.run('M', { ref: { uuid: A }, requestId: id }, flow);
    expect((await ops.run('M', { ref: { uuid: A }, requestId: 'r3' }, flow)).replayed).toBe(true);
    expect((await ops.run('M', { ref: { uuid: A }, requestId: 'r1' }, flow)).replayed).toBe(false);
    expect(runs).toBe(4);
  });
});

describe('Operations: the domain handed to the flow', () => {
  it('the flow acts on the Guest the manager looked up: libvirt is asked once', async () => {
    await setup();
    const lookups = vi.spyOn(env.host, 'lookup');
    const { value } = await ops.run('PowerOff', { ref: { name: 'a' }, requestId: '' }, async (ctx) => {
      expect(ctx.target).toMatchObject({ ref: { name: 'a' }, guest: { uuid: A, name: 'a' } });
      return lookups.mock.calls.length;
    });
    expect(value).toBe(1);
    // The flow's own lookup of the same ref is the manager's Guest; after its destroy it reads the state again (one more).
    await ops.run('PowerOff', { ref: { uuid: A }, requestId: '' }, off(A));
    expect(lookups.mock.calls.map((c) => c[0])).toEqual([{ name: 'a' }, { uuid: A }, { uuid: A }]);
  });

  it('an operation finished between the lookup and the turn: the domain is looked up again at the turn', async () => {
    await setup();
    const gate = deferred();
    const first = ops.run('Destroy', { ref: { uuid: A }, requestId: '' }, async () => {
      await gate.promise;
      // Someone's operation undefines A (through a Guest of its own).
      const raw = await env.host.raw({ uuid: A });
      await raw.destroy();
      await raw.undefine();
      return { found: true, undefined: true };
    });
    const lookups = vi.spyOn(env.host, 'lookup');
    const second = ops.run('Destroy', { ref: { uuid: A }, requestId: '' },
      (ctx) => destroy(env.deps, ctx, { ref: { uuid: A }, destroyDisks: false, keepNvram: false, volumes: [] }));
    await eventually(() => ops.queued(A) === 2, 'both queued');
    gate.resolve();
    expect((await first).value).toMatchObject({ found: true, undefined: true });
    // The first one undefined A while the second waited: gone is success, not a stale handle's NOT_FOUND.
    expect((await second).value).toMatchObject({ found: false });
    expect(lookups.mock.calls.map((c) => c[0])).toEqual([{ uuid: A }, { uuid: A }]);
  });

  it('with describe (Destroy): the lookup and the facts are one binding job; the flow uses those facts', async () => {
    env = await makeEnv({
      domains: [
        { name: 'a', uuid: A, state: DomainState.SHUTOFF, managedSave: true },
        { name: 'b', uuid: B, state: DomainState.SHUTOFF, managedSave: true },
      ],
    });
    ops = new Operations(env.deps);
    const destroyOf = (uuid: string) => ops.run('Destroy', { ref: { uuid }, requestId: '', describe: DESTROY_FACTS },
      (ctx) => destroy(env.deps, ctx, { ref: { uuid }, destroyDisks: false, keepNvram: false, volumes: [] }));
    // The first Destroy on the connection learns which undefine flags the test driver refuses.
    expect((await destroyOf(B)).value).toMatchObject({ found: true, undefined: true, managedSaveRemoved: true });
    const calls = () => {
      const a = libvirtAdmission.stats().admitted;
      return a.priority + a.normal;
    };
    const before = calls();
    const { value } = await destroyOf(A);
    expect(value).toMatchObject({ found: true, wasRunning: false, undefined: true, managedSaveRemoved: true });
    // lookup+describe (one job), undefine: two binding calls, not three.
    expect(calls() - before).toBe(2);
    expect(await env.stateOf(A)).toBe('gone');
  });

  it('with describe: an operation on the domain finished between the lookup and the turn: facts read again with the lookup', async () => {
    await setup();
    const gate = deferred();
    const first = ops.run('PowerOff', { ref: { uuid: A }, requestId: '' }, async () => {
      await gate.promise;
      // Someone's operation stops A (through a Guest of its own) while the Destroy waits.
      await (await env.host.raw({ uuid: A })).destroy();
      return 'stopped';
    });
    const describes = vi.spyOn(env.host, 'findDescribed');
    const second = ops.run('Destroy', { ref: { uuid: A }, requestId: '', describe: DESTROY_FACTS },
      (ctx) => destroy(env.deps, ctx, { ref: { uuid: A }, destroyDisks: false, keepNvram: false, volumes: [] }));
    await eventually(() => ops.queued(A) === 2, 'both queued');
    gate.resolve();
    expect((await first).value).toBe('stopped');
    // Facts from the lookup before the stop would say running (a destroy step); read again, they say shut off.
    const { value, steps } = await second;
    expect(value).toMatchObject({ found: true, wasRunning: false, undefined: true });
    expect(steps.map((s) => s.name)).not.toContain('destroy-graceful');
    expect(describes.mock.calls.map((c) => c[0])).toEqual([{ uuid: A }, { uuid: A }]);
  });

  it('an operation on ANOTHER domain finished meanwhile: no second lookup (it cannot have changed this one)', async () => {
    await setup();
    const gate = deferred();
    const onB = ops.run('PowerOff', { ref: { uuid: B }, requestId: '' }, async () => {
      await gate.promise;
      return 'b';
    });
    // A's lookup is done while B's operation still runs; B finishes before A's turn.
    const blocker = deferred();
    const holdA = ops.run('PowerOff', { ref: { uuid: A }, requestId: '' }, () => blocker.promise);
    await eventually(() => ops.queued(A) === 1, 'A held');
    const lookups = vi.spyOn(env.host, 'lookup');
    const second = ops.run('PowerOff', { ref: { name: 'a' }, requestId: '' }, () => Promise.resolve('a'));
    await eventually(() => ops.queued(A) === 2, 'second queued on A');
    gate.resolve();
    await onB;
    blocker.resolve();
    await holdA;
    // holdA (on A) finished after the second's lookup: that one does count.
    expect((await second).value).toBe('a');
    expect(lookups.mock.calls.map((c) => c[0])).toEqual([{ name: 'a' }, { name: 'a' }]);

    // Now only B's operation finishes between a lookup of A and A's turn: A's
    // turn waits for an earlier arrival (X) whose lookup is slow, not for A.
    const gate2 = deferred();
    const onB2 = ops.run('PowerOff', { ref: { uuid: B }, requestId: '' }, async () => {
      await gate2.promise;
      return 'b';
    });
    const slowLookup = deferred();
    const realFind = env.host.find.bind(env.host);
    const finds = vi.spyOn(env.host, 'find').mockImplementation(async (ref) => {
      if (ref.name === 'x') await slowLookup.promise;
      return realFind(ref);
    });
    const x = ops.run('PowerOff', { ref: { name: 'x' }, requestId: '' }, () => Promise.resolve('x'));
    lookups.mockClear();
    const third = ops.run('PowerOff', { ref: { uuid: A }, requestId: '' }, () => Promise.resolve('a'));
    await eventually(() => lookups.mock.calls.some((c) => c[0].uuid === A), 'A looked up');
    gate2.resolve();
    await onB2; // B finished after A's lookup, before A's turn
    slowLookup.resolve();
    expect((await x).value).toBe('x');
    expect((await third).value).toBe('a');
    finds.mockRestore();
    expect(lookups.mock.calls.map((c) => c[0]).filter((r) => r.uuid === A)).toEqual([{ uuid: A }]);
  });
});

describe('Operations: per-domain serialization', () => {
  it('two operations on one domain (by name and by uuid): the second starts after the first finished', async () => {
    await setup();
    const log: string[] = [];
    const gate = deferred();
    const p1 = ops.run('PowerOff', { ref: { name: 'a' }, requestId: 'one' }, async () => {
      log.push('1 start');
      await gate.promise;
      log.push('1 end');
    });
    const p2 = ops.run('HardReboot', { ref: { uuid: A }, requestId: 'two' }, async () => {
      log.push('2 start');
      log.push('2 end');
    });
    // Both are queued on the uuid once their lookups are done; the second must not have started.
    await eventually(() => log.length > 0 && ops.queued(A) === 2, 'both operations queued');
    await settle();
    expect(log).toEqual(['1 start']);
    expect(ops.active).toBe(2);
    gate.resolve();
    await Promise.all([p1, p2]);
    expect(log).toEqual(['1 start', '1 end', '2 start', '2 end']);
    expect(ops.queued(A)).toBe(0);
    expect(ops.active).toBe(0);
  });

  it('a failing operation does not block the next one', async () => {
    await setup();
    const p1 = ops.run('X', { ref: { uuid: A }, requestId: '' }, async () => { throw new Error('boom'); });
    const p2 = ops.run('Y', { ref: { uuid: A }, requestId: '' }, async () => 'ok');
    await rejection(p1);
    expect((await p2).value).toBe('ok');
  });

  it('different domains run concurrently', async () => {
    await setup();
    const gate = deferred();
    const started: string[] = [];
    const hold = (name: string) => async () => {
      started.push(name);
      await gate.promise;
    };
    const pa = ops.run('PowerOff', { ref: { uuid: A }, requestId: '' }, hold('a'));
    const pb = ops.run('PowerOff', { ref: { uuid: B }, requestId: '' }, hold('b'));
    await eventually(() => started.length === 2, 'both flows running at once');
    expect(started.sort()).toEqual(['a', 'b']);
    gate.resolve();
    await Promise.all([pa, pb]);
  });

  it('a queued operation whose signal aborts gives up without running; the queue goes on', async () => {
    await setup();
    const log: string[] = [];
    const gate = deferred();
    const ac = new AbortController();
    const p1 = ops.run('A1', { ref: { uuid: A }, requestId: '' }, async () => { log.push('1'); await gate.promise; });
    const p2 = ops.run('A2', { ref: { uuid: A }, requestId: 'aborted', signal: ac.signal }, async () => { log.push('2'); });
    const p3 = ops.run('A3', { ref: { uuid: A }, requestId: '' }, async () => { log.push('3'); });
    await eventually(() => log.length > 0 && ops.queued(A) === 3, 'three operations queued');
    ac.abort(new Error('deadline exceeded'));
    expect((await rejection(p2)).message).toBe('deadline exceeded');
    expect(log).toEqual(['1']); // 3 still waits for 1
    gate.resolve();
    await Promise.all([p1, p3]);
    expect(log).toEqual(['1', '3']);
    expect(ops.queued(A)).toBe(0);
    expect(ops.active).toBe(0);
  });

  it('arrival order is kept on a domain even when the first lookup is the slowest', async () => {
    await setup();
    const log: string[] = [];
    const slow = deferred();
    const find = env.host.find.bind(env.host);
    let calls = 0;
    // The first request's lookup answers last (e.g. a busy libvirtd).
    env.host.find = async (ref) => {
      const r = await find(ref);
      if (calls++ === 0) await slow.promise;
      return r;
    };
    const p1 = ops.run('A1', { ref: { uuid: A }, requestId: '' }, async () => { log.push('1'); });
    const p2 = ops.run('A2', { ref: { name: 'a' }, requestId: '' }, async () => { log.push('2'); });
    await settle();
    expect(log).toEqual([]); // 2 does not overtake 1
    slow.resolve();
    await Promise.all([p1, p2]);
    expect(log).toEqual(['1', '2']);
  });

  it('drain: true once in-flight operations finish', async () => {
    await setup();
    const gate = deferred();
    const p = ops.run('X', { ref: { uuid: A }, requestId: '' }, () => gate.promise);
    const drained = ops.drain(10_000);
    gate.resolve();
    await p;
    expect(await drained).toBe(true);
    expect(await ops.drain(0)).toBe(true);
  });
});

describe('KeyedQueue', () => {
  it('FIFO per key; an already-aborted signal is refused at once', async () => {
    const q = new KeyedQueue();
    const order: number[] = [];
    const ps = [1, 2, 3].map((n) => q.run('k', async () => { order.push(n); }));
    const ac = new AbortController();
    ac.abort(new Error('gone'));
    await expect(q.run('k', async () => order.push(99), ac.signal)).rejects.toThrow('gone');
    await Promise.all(ps);
    expect(order).toEqual([1, 2, 3]);
    expect(q.queued('k')).toBe(0);
  });

  it('the head of the queue ignores its signal once running (it is the flow\'s to honour)', async () => {
    const q = new KeyedQueue();
    const ac = new AbortController();
    const gate = deferred();
    const p = q.run('k', async () => { await gate.promise; return 'finished'; }, ac.signal);
    await settle(2);
    ac.abort(new Error('late'));
    gate.resolve();
    expect(await p).toBe('finished');
  });
});

describe('FakeClock', () => {
  it('advance wakes sleepers in time order; aborted sleeps reject and are dropped', async () => {
    const clock = new FakeClock();
    const woke: string[] = [];
    const s1 = clock.sleep(300).then(() => woke.push(`300@${clock.now()}`));
    const s2 = clock.sleep(100).then(() => woke.push(`100@${clock.now()}`));
    const ac = new AbortController();
    const s3 = clock.sleep(200, ac.signal);
    await clock.whenSleeping(3);
    ac.abort(new Error('stop'));
    await expect(s3).rejects.toThrow('stop');
    expect(clock.pending).toBe(2);
    await clock.advance(250);
    expect(woke).toEqual(['100@100']);
    expect(clock.now()).toBe(250);
    await clock.advance(50);
    await Promise.all([s1, s2]);
    expect(woke).toEqual(['100@100', '300@300']);
  });
});
