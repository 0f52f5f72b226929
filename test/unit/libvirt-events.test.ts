// Lifecycle events from libvirt's test driver through the binding's event
// loop thread and ThreadSafeFunction to LibvirtConnection's 'lifecycle'.
import { afterEach, describe, expect, it } from 'vitest';

import type { LifecycleEventInfo } from '../../src/libvirt/connection';
import { LifecycleEvent, lifecycleDetailName } from '../../src/libvirt/constants';
import { native, type NativeEvent } from '../../src/libvirt/native';
import {
  Connections, DEFAULT_URI, domainXml, EventRecorder, FIXTURE_DOMAINS, fixtureUri, uuidFor,
} from '../helpers/libvirt';

const conns = new Connections();
afterEach(() => conns.closeAll());

const detail = (e: LifecycleEventInfo): string => lifecycleDetailName(e.event, e.detail);
const isFor = (name: string, want: string) => (e: LifecycleEventInfo): boolean => e.name === name && detail(e) === want;

async function setup(): Promise<{ rec: EventRecorder; c: Awaited<ReturnType<Connections['connect']>> }> {
  const c = await conns.connect(fixtureUri());
  return { c, rec: new EventRecorder(c) };
}

describe('lifecycle events', () => {
  it('shutdown: STOPPED_SHUTDOWN with name, uuid, id and receivedAt', async () => {
    const { c, rec } = await setup();
    const before = Date.now();
    await (await c.lookupByName('web-1')).shutdown();
    const e = await rec.waitFor(isFor('web-1', 'STOPPED_SHUTDOWN'));
    expect(e).toMatchObject({ name: 'web-1', uuid: FIXTURE_DOMAINS['web-1'].uuid, id: -1, event: LifecycleEvent.STOPPED });
    expect(e.receivedAt).toBeGreaterThanOrEqual(before);
  });

  it('destroy (default and GRACEFUL): STOPPED_DESTROYED', async () => {
    const { c, rec } = await setup();
    await (await c.lookupByName('web-1')).destroy();
    await rec.waitFor(isFor('web-1', 'STOPPED_DESTROYED'));
    await (await c.lookupByName('paused-1')).destroy(1);
    await rec.waitFor(isFor('paused-1', 'STOPPED_DESTROYED'));
  });

  it('start: STARTED_BOOTED with the new runtime id', async () => {
    const { c, rec } = await setup();
    await (await c.lookupByName('db-1')).create();
    const e = await rec.waitFor(isFor('db-1', 'STARTED_BOOTED'));
    expect(e.id).toBe((await c.lookupByName('db-1')).id);
    expect(e.id).toBeGreaterThan(0);
  });

  it('suspend / resume: SUSPENDED_PAUSED then RESUMED_UNPAUSED, in order', async () => {
    const { c, rec } = await setup();
    const web = await c.lookupByName('web-1');
    const since = rec.mark();
    await web.suspend();
    await web.resume();
    await rec.waitFor(isFor('web-1', 'RESUMED_UNPAUSED'), { since });
    expect(rec.events.slice(since).map(detail)).toEqual(['SUSPENDED_PAUSED', 'RESUMED_UNPAUSED']);
  });

  it('define / redefine / undefine: DEFINED_ADDED, DEFINED_UPDATED, UNDEFINED_REMOVED', async () => {
    const { c, rec } = await setup();
    const g = await c.defineXML(domainXml('ev-1', uuidFor(1)));
    await rec.waitFor(isFor('ev-1', 'DEFINED_ADDED'));
    await c.defineXML(domainXml('ev-1', uuidFor(1), 524288));
    await rec.waitFor(isFor('ev-1', 'DEFINED_UPDATED'));
    await g.undefine();
    const e = await rec.waitFor(isFor('ev-1', 'UNDEFINED_REMOVED'));
    expect(e.uuid).toBe(uuidFor(1));
    expect(rec.events.filter((x) => x.name === 'ev-1').map(detail)).toEqual(['DEFINED_ADDED', 'DEFINED_UPDATED', 'UNDEFINED_REMOVED']);
  });

  it('managed save: STOPPED_SAVED; starting from it: STARTED_BOOTED (test driver)', async () => {
    const { c, rec } = await setup();
    const web = await c.lookupByName('web-1');
    await web.managedSave();
    await rec.waitFor(isFor('web-1', 'STOPPED_SAVED'));
    const since = rec.mark();
    await web.create();
    await rec.waitFor(isFor('web-1', 'STARTED_BOOTED'), { since });
  });

  it('createXML: STARTED_BOOTED; destroying the transient domain: STOPPED_DESTROYED', async () => {
    const { c, rec } = await setup();
    const g = await c.createXML(domainXml('tmp-1', uuidFor(2)));
    await rec.waitFor(isFor('tmp-1', 'STARTED_BOOTED'));
    await g.destroy();
    await rec.waitFor(isFor('tmp-1', 'STOPPED_DESTROYED'));
  });

  it('undefine of a running domain: UNDEFINED_REMOVED while it runs on', async () => {
    const { c, rec } = await setup();
    await (await c.lookupByName('web-1')).undefine();
    await rec.waitFor(isFor('web-1', 'UNDEFINED_REMOVED'));
  });

  it('a sequence arrives complete and in order', async () => {
    const { c, rec } = await setup();
    const db = await c.lookupByName('db-1');
    await db.create();
    await db.suspend();
    await db.resume();
    await db.shutdown();
    await db.create();
    await db.destroy();
    await db.undefine();
    await rec.waitFor(isFor('db-1', 'UNDEFINED_REMOVED'));
    expect(rec.events.map(detail)).toEqual([
      'STARTED_BOOTED', 'SUSPENDED_PAUSED', 'RESUMED_UNPAUSED', 'STOPPED_SHUTDOWN', 'STARTED_BOOTED',
      'STOPPED_DESTROYED', 'UNDEFINED_REMOVED',
    ]);
  });

  it('failed calls and reset raise no event', async () => {
    const { c, rec } = await setup();
    const db = await c.lookupByName('db-1');
    await expect(db.destroy()).rejects.toThrow();
    await (await c.lookupByName('web-1')).reset();
    // A later event proves everything before it was delivered.
    await db.create();
    await rec.waitFor(isFor('db-1', 'STARTED_BOOTED'));
    expect(rec.events.map(detail)).toEqual(['STARTED_BOOTED']);
  });

  it('each custom-node connection has its own state: a second one sees no events of the first', async () => {
    const a = await setup();
    const b = await setup();
    await (await a.c.lookupByName('web-1')).destroy();
    await a.rec.waitFor(isFor('web-1', 'STOPPED_DESTROYED'));
    expect((await (await b.c.lookupByName('web-1')).state()).state).toBe(1);
    await (await b.c.lookupByName('db-1')).create();
    await b.rec.waitFor(isFor('db-1', 'STARTED_BOOTED'));
    expect(b.rec.events.map((e) => e.name)).toEqual(['db-1']);
  });

  it('test:///default is shared: every connection on it sees the events', async () => {
    const a = await conns.connect(DEFAULT_URI);
    const b = await conns.connect(DEFAULT_URI);
    const ra = new EventRecorder(a);
    const rb = new EventRecorder(b);
    const g = await a.defineXML(domainXml('shared-ev', uuidFor(3)));
    try {
      await ra.waitFor(isFor('shared-ev', 'DEFINED_ADDED'));
      await rb.waitFor(isFor('shared-ev', 'DEFINED_ADDED'));
    } finally {
      await g.undefine();
    }
    await rb.waitFor(isFor('shared-ev', 'UNDEFINED_REMOVED'));
  });
});

describe('no events after close', () => {
  it('a closed connection on test:///default gets nothing while another one still does', async () => {
    const closed = await conns.connect(DEFAULT_URI);
    const open = await conns.connect(DEFAULT_URI);
    const rc = new EventRecorder(closed);
    const ro = new EventRecorder(open);
    await closed.close();
    const g = await open.defineXML(domainXml('after-close', uuidFor(4)));
    await g.undefine();
    // Both events were dispatched to every registered callback by now.
    await ro.waitFor(isFor('after-close', 'UNDEFINED_REMOVED'));
    await new Promise((r) => setImmediate(r));
    expect(ro.events.filter((e) => e.name === 'after-close').map(detail)).toEqual(['DEFINED_ADDED', 'UNDEFINED_REMOVED']);
    expect(rc.events).toEqual([]);
  });

  it('events queued before close() are not emitted after it', async () => {
    // The loop thread may have queued an event on the ThreadSafeFunction
    // before close(); the binding still delivers it, the TS layer drops it.
    let late = 0;
    let delivered = 0;
    for (let i = 0; i < 50; i++) {
      const c = await conns.connect(fixtureUri());
      let isClosed = false;
      c.on('lifecycle', () => {
        delivered++;
        if (isClosed) late++;
      });
      await (await c.lookupByName('web-1')).destroy();
      isClosed = true;
      await c.close();
    }
    await new Promise((r) => setImmediate(r));
    expect(late).toBe(0);
    expect(delivered).toBeLessThanOrEqual(50);
  });

  it('raw binding: after close the handler is released; queued events may still arrive, later ones do not', async () => {
    const raw = await native().open(DEFAULT_URI);
    const other = await conns.connect(DEFAULT_URI);
    const ro = new EventRecorder(other);
    const got: NativeEvent[] = [];
    raw.setEventHandler((e) => got.push(e));
    await raw.registerDomainEvent(0);
    await raw.close();
    const g = await other.defineXML(domainXml('raw-after-close', uuidFor(5)));
    await g.undefine();
    await ro.waitFor(isFor('raw-after-close', 'UNDEFINED_REMOVED'));
    await new Promise((r) => setImmediate(r));
    expect(got.filter((e) => e.name === 'raw-after-close')).toEqual([]);
  });

  it('events: false registers nothing', async () => {
    const quiet = await conns.connect(DEFAULT_URI, { events: false });
    const other = await conns.connect(DEFAULT_URI);
    const rq = new EventRecorder(quiet);
    const ro = new EventRecorder(other);
    const g = await quiet.defineXML(domainXml('no-events', uuidFor(6)));
    await g.undefine();
    await ro.waitFor(isFor('no-events', 'UNDEFINED_REMOVED'));
    await new Promise((r) => setImmediate(r));
    expect(rq.events).toEqual([]);
  });
});
