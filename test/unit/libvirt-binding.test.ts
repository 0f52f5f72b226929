// The libvirt binding (src/native/) and its TS layer (src/libvirt/) against
// libvirt's test driver: connections, lookups and domain state. Power and
// lifecycle calls, undefineFlags: libvirt-binding-calls.test.ts; stderr,
// process exit and GC in child processes: libvirt-binding-process.test.ts.
// Events: libvirt-events.test.ts; load: libvirt-concurrency.test.ts.
import os from 'node:os';

import { afterEach, describe, expect, it } from 'vitest';

import { AppError } from '../../src/errors';
import { formatVersion, libraryVersion, LibvirtConnection } from '../../src/libvirt/connection';
import { DomainState, ListFlags } from '../../src/libvirt/constants';
import { ErrorCode, isConnectionError, LibvirtError, toAppError } from '../../src/libvirt/errors';
import { native } from '../../src/libvirt/native';
import {
  Connections, DEFAULT_URI, domainXml, FIXTURE_DOMAINS, FIXTURE_NAMES, fixtureUri, libvirtError, uuidFor,
} from '../helpers/libvirt';
import { DEFAULT_DOMAIN, FROM, LEVEL_ERROR, names, stateName } from '../helpers/libvirt-binding';

const conns = new Connections();
afterEach(() => conns.closeAll());

describe('connection', () => {
  it('opens a custom node and test:///default, reports alive, closes', async () => {
    for (const uri of [fixtureUri(), DEFAULT_URI]) {
      const c = await LibvirtConnection.open(uri, { events: false });
      expect(c.uri).toBe(uri);
      expect(c.isAlive()).toBe(true);
      expect(c.isClosed).toBe(false);
      await c.close();
      expect(c.isClosed).toBe(true);
      expect(c.isAlive()).toBe(false);
    }
  });

  it('close twice: the second is a no-op in TS; the raw binding rejects it with INVALID_CONN', async () => {
    const c = await conns.connect();
    await c.close();
    await expect(c.close()).resolves.toBeUndefined();

    const raw = await native().open(fixtureUri());
    expect(raw.isAlive()).toBe(true);
    await expect(raw.close()).resolves.toBe(0); // 0: last reference dropped
    expect(raw.isAlive()).toBe(false);
    await expect(raw.close()).rejects.toMatchObject({ name: 'LibvirtError', code: ErrorCode.INVALID_CONN, message: 'connection already closed' });
  });

  it('raw close returns 1 while a domain object still holds a reference', async () => {
    const raw = await native().open(fixtureUri());
    const dom = await raw.lookupByName('web-1');
    await expect(raw.close()).resolves.toBe(1);
    expect(dom.getName()).toBe('web-1');
  });

  it('calls after close reject with INVALID_CONN, mapped to Unavailable', async () => {
    const c = await conns.connect();
    await c.close();
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['virDomainLookupByName', () => c.lookupByName('web-1')],
      ['virDomainLookupByUUIDString', () => c.lookupByUUID(FIXTURE_DOMAINS['web-1'].uuid)],
      ['virDomainDefineXMLFlags', () => c.defineXML(domainXml('x', uuidFor(1)))],
      ['virDomainCreateXML', () => c.createXML(domainXml('x', uuidFor(1)))],
      ['virConnectListAllDomains', () => c.listAllDomains()],
      ['virConnectGetHostname', () => c.hostname()],
      ['virConnectGetLibVersion', () => c.libVersion()],
      ['virConnectGetVersion', () => c.hypervisorVersion()],
    ];
    for (const [call, fn] of calls) {
      const err = await libvirtError(fn());
      expect(err).toMatchObject({ code: ErrorCode.INVALID_CONN, call, message: 'connection closed' });
      expect(isConnectionError(err)).toBe(true);
      expect(toAppError(err, 'x').kind).toBe('Unavailable');
    }
  });

  it('a Guest looked up before close keeps working (its domain holds a connection reference)', async () => {
    const c = await conns.connect();
    const g = await c.lookupByName('web-1');
    await c.close();
    expect(await stateName(g)).toBe('RUNNING_UNKNOWN');
    await g.destroy();
    expect(await stateName(g)).toBe('SHUTOFF_DESTROYED');
  });

  it('open failures are LibvirtErrors with code, domain, level, int1, call', async () => {
    const missing = await libvirtError(LibvirtConnection.open('test:///nonexistent/virt-agent-node.xml'));
    expect(missing).toMatchObject({ code: ErrorCode.XML_ERROR, domain: FROM.TEST, level: LEVEL_ERROR, call: 'virConnectOpen' });
    expect(missing.message).toContain('/nonexistent/virt-agent-node.xml');

    // No libvirtd here: the remote driver fails on its socket (errno in int1);
    // with a daemon running it would say there is no such driver instead.
    const remote = await libvirtError(LibvirtConnection.open('bogus:///x'));
    expect([ErrorCode.SYSTEM_ERROR, ErrorCode.NO_CONNECT]).toContain(remote.code);
    if (remote.code === ErrorCode.SYSTEM_ERROR) expect(remote.int1).toBeGreaterThan(0);
  });

  it('read-only connections read but may not change anything (OPERATION_DENIED)', async () => {
    const c = await conns.connect(fixtureUri(), { readonly: true });
    const g = await c.lookupByName('web-1');
    expect((await g.state()).state).toBe(DomainState.RUNNING);
    const err = await libvirtError(g.destroy());
    expect(err).toMatchObject({ code: ErrorCode.OPERATION_DENIED, domain: FROM.DOMAIN, call: 'virDomainDestroyFlags' });
    await expect(c.defineXML(domainXml('ro', uuidFor(2)))).rejects.toMatchObject({ code: ErrorCode.OPERATION_DENIED });
    expect(toAppError(err, 'x').kind).toBe('FailedPrecondition');
  });

  it('keepalive: the test driver has none (NO_SUPPORT); open() with keepalive still succeeds', async () => {
    const raw = await native().open(fixtureUri());
    try {
      await expect(raw.setKeepAlive(5, 3)).rejects.toMatchObject({ code: ErrorCode.NO_SUPPORT, domain: FROM.DOMAIN });
    } finally {
      await raw.close();
    }
    const c = await conns.connect(fixtureUri(), { keepalive: { intervalSeconds: 5, count: 3 } });
    expect(c.isAlive()).toBe(true);
  });

  it('close callback: registration succeeds once; needs an event handler first', async () => {
    const raw = await native().open(DEFAULT_URI);
    try {
      expect(() => raw.registerCloseCallback()).toThrow('setEventHandler() must be called first');
      raw.setEventHandler(() => undefined);
      expect(() => raw.setEventHandler(() => undefined)).toThrow('event handler already set');
      await expect(raw.registerCloseCallback()).resolves.toBeUndefined();
      await expect(raw.registerCloseCallback()).rejects.toMatchObject({ code: ErrorCode.INVALID_CONN, message: 'close callback already registered' });
    } finally {
      await raw.close();
    }
  });

  it('domain event registration: ids, deregistration, bad ids', async () => {
    const raw = await native().open(DEFAULT_URI);
    try {
      expect(() => raw.registerDomainEvent(0)).toThrow('setEventHandler() must be called first');
      raw.setEventHandler(() => undefined);
      const id = await raw.registerDomainEvent(0);
      expect(id).toBeGreaterThanOrEqual(0);
      await expect(raw.deregisterDomainEvent(id)).resolves.toBeUndefined();
      await expect(raw.deregisterDomainEvent(id)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARG });
      expect(() => raw.registerDomainEvent(99)).toThrow(RangeError);
    } finally {
      await raw.close();
    }
  });

  it('argument checks throw TypeErrors synchronously', async () => {
    const raw = await native().open(fixtureUri());
    try {
      const anyRaw = raw as unknown as Record<string, (...a: unknown[]) => unknown>;
      expect(() => anyRaw.lookupByName!(5)).toThrow(TypeError);
      expect(() => anyRaw.listAllDomains!('all')).toThrow('flags must be a number');
      expect(() => anyRaw.setKeepAlive!('5', 3)).toThrow(TypeError);
      const dom = await raw.lookupByName('web-1');
      expect(() => (dom as unknown as Record<string, (...a: unknown[]) => unknown>).getXMLDesc!('x')).toThrow(TypeError);
      const Ctor = (native() as unknown as { Connect: new () => unknown }).Connect;
      expect(() => new Ctor()).toThrow('cannot be constructed from JS');
    } finally {
      await raw.close();
    }
  });

  it('hostname, library and driver versions, URI', async () => {
    const c = await conns.connect();
    expect(await c.hostname()).toBe(os.hostname());
    const lib = await c.libVersion();
    expect(lib).toMatch(/^\d+\.\d+\.\d+$/);
    expect(lib).toBe(libraryVersion());
    expect(Number(lib.split('.')[0])).toBeGreaterThanOrEqual(9);
    expect(await c.hypervisorVersion()).toBe('0.0.2'); // test driver's fixed version
    expect(formatVersion(9_000_000)).toBe('9.0.0');
    expect(formatVersion(10_002_003)).toBe('10.2.3');
    const raw = await native().open(fixtureUri());
    try {
      expect(await raw.getURI()).toBe(fixtureUri());
    } finally {
      await raw.close();
    }
  });
});

describe('lookup', () => {
  it('by name on test:///default', async () => {
    const c = await conns.connect(DEFAULT_URI, { events: false });
    const g = await c.lookupByName(DEFAULT_DOMAIN.name);
    expect(g).toMatchObject({ name: DEFAULT_DOMAIN.name, uuid: DEFAULT_DOMAIN.uuid });
    expect(g.id).toBeGreaterThan(0);
  });

  it('by name and by UUID: name, uuid and id of every fixture domain', async () => {
    const c = await conns.connect();
    for (const name of FIXTURE_NAMES) {
      const want = FIXTURE_DOMAINS[name];
      const byName = await c.lookupByName(name);
      expect({ name: byName.name, uuid: byName.uuid, id: byName.id }).toEqual({ name, uuid: want.uuid, id: want.id });
      const byUuid = await c.lookupByUUID(want.uuid);
      expect({ name: byUuid.name, uuid: byUuid.uuid, id: byUuid.id }).toEqual({ name, uuid: want.uuid, id: want.id });
    }
  });

  it('UUID strings: uppercase and dash-less forms are accepted; garbage is INVALID_ARG', async () => {
    const c = await conns.connect();
    const uuid = FIXTURE_DOMAINS['db-1'].uuid;
    expect((await c.lookupByUUID(uuid.toUpperCase())).name).toBe('db-1');
    expect((await c.lookupByUUID(uuid.replace(/-/g, ''))).name).toBe('db-1');
    const err = await libvirtError(c.lookupByUUID('not-a-uuid'));
    expect(err).toMatchObject({ code: ErrorCode.INVALID_ARG, domain: FROM.DOMAIN, level: LEVEL_ERROR, call: 'virDomainLookupByUUIDString' });
    expect(err.message).toContain('Invalid UUID');
    expect(toAppError(err, "domain 'x'").kind).toBe('InvalidArgument');
  });

  it('unknown name or UUID: NO_DOMAIN with full details, mapped to NotFound', async () => {
    const c = await conns.connect();
    const byName = await libvirtError(c.lookupByName('nope'));
    expect(byName).toBeInstanceOf(LibvirtError);
    expect(byName).toMatchObject({
      name: 'LibvirtError', code: ErrorCode.NO_DOMAIN, domain: FROM.TEST, level: LEVEL_ERROR, int1: -1,
      call: 'virDomainLookupByName', codeName: 'NO_DOMAIN',
    });
    expect(byName.message).toMatch(/Domain not found/);
    expect(byName.is(ErrorCode.NO_DOMAIN)).toBe(true);
    const app = toAppError(byName, "domain 'nope'");
    expect(app).toBeInstanceOf(AppError);
    expect(app).toMatchObject({ kind: 'NotFound', message: "domain 'nope' not found" });
    expect(app.cause).toBe(byName);

    const byUuid = await libvirtError(c.lookupByUUID('99999999-9999-4999-8999-999999999999'));
    expect(byUuid).toMatchObject({ code: ErrorCode.NO_DOMAIN, call: 'virDomainLookupByUUIDString' });
  });

  it('Guest.id is the one seen at lookup', async () => {
    const c = await conns.connect();
    const g = await c.lookupByName('web-1');
    await g.destroy();
    expect(g.id).toBe(1);
    expect((await c.lookupByName('web-1')).id).toBe(-1);
  });
});

describe('state', () => {
  it('state, reason, active, persistent and managed save of each fixture domain', async () => {
    const c = await conns.connect();
    for (const name of FIXTURE_NAMES) {
      const want = FIXTURE_DOMAINS[name];
      const g = await c.lookupByName(name);
      expect(await g.state(), name).toEqual({ state: want.state, reason: 0 });
      expect(await g.isActive(), name).toBe(want.state !== DomainState.SHUTOFF);
      expect(await g.isPersistent(), name).toBe(want.persistent);
      expect(await g.hasManagedSaveImage(), name).toBe(want.managedSave);
    }
  });

  it('test:///default: its domain runs', async () => {
    const c = await conns.connect(DEFAULT_URI, { events: false });
    expect((await (await c.lookupByName(DEFAULT_DOMAIN.name)).state()).state).toBe(DomainState.RUNNING);
  });

  it('listAllDomains with each flag', async () => {
    const c = await conns.connect();
    expect(await names(c, ListFlags.ALL)).toEqual(['db-1', 'paused-1', 'saved-1', 'transient-1', 'web-1']);
    expect(await names(c, ListFlags.ACTIVE)).toEqual(['paused-1', 'transient-1', 'web-1']);
    expect(await names(c, ListFlags.INACTIVE)).toEqual(['db-1', 'saved-1']);
    expect(await names(c, ListFlags.PERSISTENT)).toEqual(['db-1', 'paused-1', 'saved-1', 'web-1']);
    expect(await names(c, ListFlags.TRANSIENT)).toEqual(['transient-1']);
    expect(await names(c, ListFlags.ACTIVE | ListFlags.PERSISTENT)).toEqual(['paused-1', 'web-1']);
    expect(await names(c, ListFlags.ACTIVE | ListFlags.INACTIVE)).toHaveLength(5);
    const d = await conns.connect(DEFAULT_URI, { events: false });
    expect(await names(d, ListFlags.ALL)).toContain(DEFAULT_DOMAIN.name);
  });
});
