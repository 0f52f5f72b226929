// The libvirt binding (src/native/) and its TS layer (src/libvirt/) against
// libvirt's test driver: every call the test driver supports, error details,
// and how processes using the addon exit. Events: libvirt-events.test.ts;
// load: libvirt-concurrency.test.ts.
import os from 'node:os';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { AppError } from '../../src/errors';
import { formatVersion, libraryVersion, LibvirtConnection } from '../../src/libvirt/connection';
import {
  CreateFlags, DeviceModifyFlags, DestroyFlags, DomainState, DomainXMLFlags, ListFlags, ShutdownFlags,
  stateReasonName, UndefineFlags,
} from '../../src/libvirt/constants';
import { ErrorCode, isConnectionError, LibvirtError, toAppError } from '../../src/libvirt/errors';
import type { Guest } from '../../src/libvirt/guest';
import { native } from '../../src/libvirt/native';
import {
  Connections, DEFAULT_URI, domainXml, FIXTURE_DOMAINS, FIXTURE_NAMES, fixtureUri, libvirtError, removeScripts,
  runScript, spawnScript, TS_REQUIRE_PRELUDE, uuidFor, writeScript,
} from '../helpers/libvirt';

/** virErrorDomain values seen here (the binding's own rejections use 0). */
const FROM = { NONE: 0, TEST: 12, DOMAIN: 20 } as const;
/** virErrorLevel VIR_ERR_ERROR */
const LEVEL_ERROR = 2;
/** The default test driver's one domain. */
const DEFAULT_DOMAIN = { name: 'test', uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f' };

const conns = new Connections();
afterEach(() => conns.closeAll());
afterAll(() => removeScripts());

async function stateName(g: Guest): Promise<string> {
  const s = await g.state();
  return stateReasonName(s.state, s.reason);
}

async function names(c: LibvirtConnection, flags: number): Promise<string[]> {
  return (await c.listAllDomains(flags)).map((g) => g.name).sort();
}

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

describe('power and lifecycle calls', () => {
  it('shutdownFlags default: SHUTOFF_SHUTDOWN; again: INTERNAL_ERROR (test driver)', async () => {
    const c = await conns.connect();
    const g = await c.lookupByName('web-1');
    await g.shutdown(ShutdownFlags.DEFAULT);
    expect(await stateName(g)).toBe('SHUTOFF_SHUTDOWN');
    // Real drivers say OPERATION_INVALID here; the test driver an internal error.
    await expect(g.shutdown()).rejects.toMatchObject({ code: ErrorCode.INTERNAL_ERROR, call: 'virDomainShutdownFlags' });
  });

  it('shutdownFlags ACPI / GUEST_AGENT: the test driver refuses any flag (INVALID_ARG)', async () => {
    const c = await conns.connect();
    const g = await c.lookupByName('web-1');
    for (const flag of [ShutdownFlags.ACPI_POWER_BTN, ShutdownFlags.GUEST_AGENT]) {
      const err = await libvirtError(g.shutdown(flag));
      expect(err).toMatchObject({ code: ErrorCode.INVALID_ARG, domain: FROM.TEST, level: LEVEL_ERROR, int1: 0, call: 'virDomainShutdownFlags' });
      expect(err.message).toContain(`unsupported flags (0x${flag.toString(16)})`);
      expect(toAppError(err, 'x').kind).toBe('InvalidArgument');
    }
    expect(await stateName(g)).toBe('RUNNING_UNKNOWN');
  });

  it('destroyFlags default and GRACEFUL: SHUTOFF_DESTROYED; on a shutoff domain: OPERATION_INVALID', async () => {
    const c = await conns.connect();
    const web = await c.lookupByName('web-1');
    await web.destroy(DestroyFlags.DEFAULT);
    expect(await stateName(web)).toBe('SHUTOFF_DESTROYED');
    const paused = await c.lookupByName('paused-1');
    await paused.destroy(DestroyFlags.GRACEFUL);
    expect(await stateName(paused)).toBe('SHUTOFF_DESTROYED');

    const err = await libvirtError((await c.lookupByName('db-1')).destroy());
    expect(err).toMatchObject({ code: ErrorCode.OPERATION_INVALID, domain: FROM.DOMAIN, level: LEVEL_ERROR, call: 'virDomainDestroyFlags' });
    expect(err.message).toContain('domain is not running');
    expect(toAppError(err, "domain 'db-1'").kind).toBe('FailedPrecondition');
  });

  it('destroying a transient domain removes it', async () => {
    const c = await conns.connect();
    await (await c.lookupByName('transient-1')).destroy();
    await expect(c.lookupByName('transient-1')).rejects.toMatchObject({ code: ErrorCode.NO_DOMAIN });
  });

  it('createWithFlags: boots a shutoff domain; a running one is an error; START_PAUSED unsupported', async () => {
    const c = await conns.connect();
    const db = await c.lookupByName('db-1');
    await expect(db.create(CreateFlags.START_PAUSED)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARG });
    await db.create();
    expect(await stateName(db)).toBe('RUNNING_BOOTED');
    expect((await c.lookupByName('db-1')).id).toBeGreaterThan(0);
    // Real drivers: OPERATION_INVALID; the test driver: internal error.
    await expect(db.create()).rejects.toMatchObject({ code: ErrorCode.INTERNAL_ERROR, call: 'virDomainCreateWithFlags' });
  });

  it('createXML starts a transient domain; a clashing name is OPERATION_FAILED', async () => {
    const c = await conns.connect();
    const g = await c.createXML(domainXml('tmp-1', uuidFor(10)));
    expect(g).toMatchObject({ name: 'tmp-1', uuid: uuidFor(10) });
    expect(g.id).toBeGreaterThan(0);
    expect(await g.isActive()).toBe(true);
    expect(await g.isPersistent()).toBe(false);
    expect(await names(c, ListFlags.TRANSIENT)).toEqual(['tmp-1', 'transient-1']);
    await expect(c.createXML(domainXml('web-1', uuidFor(11)))).rejects.toMatchObject({ code: ErrorCode.OPERATION_FAILED, call: 'virDomainCreateXML' });
    await g.destroy();
    await expect(c.lookupByName('tmp-1')).rejects.toMatchObject({ code: ErrorCode.NO_DOMAIN });
  });

  it('defineXML defines and updates; bad XML is XML_DETAIL (InvalidArgument); a UUID clash is OPERATION_FAILED', async () => {
    const c = await conns.connect();
    const g = await c.defineXML(domainXml('new-1', uuidFor(20), 262144));
    expect(g).toMatchObject({ name: 'new-1', uuid: uuidFor(20), id: -1 });
    expect(await stateName(g)).toBe('SHUTOFF_UNKNOWN');
    expect(await g.isPersistent()).toBe(true);
    await c.defineXML(domainXml('new-1', uuidFor(20), 524288));
    expect(await g.xml(DomainXMLFlags.INACTIVE)).toContain('524288');

    const bad = await libvirtError(c.defineXML('<domain>'));
    expect(bad).toMatchObject({ code: ErrorCode.XML_DETAIL, call: 'virDomainDefineXMLFlags' });
    expect(toAppError(bad, 'xml', 'xml')).toMatchObject({ kind: 'InvalidArgument', field: 'xml' });
    const clash = await libvirtError(c.defineXML(domainXml('other', FIXTURE_DOMAINS['web-1'].uuid)));
    expect(clash.code).toBe(ErrorCode.OPERATION_FAILED);
    expect(clash.message).toContain('already defined');
  });

  it('managedSave / hasManagedSaveImage / managedSaveRemove; starting consumes the image', async () => {
    const c = await conns.connect();
    const web = await c.lookupByName('web-1');
    await web.managedSave();
    expect(await stateName(web)).toBe('SHUTOFF_SAVED');
    expect(await web.hasManagedSaveImage()).toBe(true);
    await web.managedSaveRemove();
    expect(await web.hasManagedSaveImage()).toBe(false);
    await expect(web.managedSave()).rejects.toMatchObject({ code: ErrorCode.OPERATION_INVALID, call: 'virDomainManagedSave' });

    const saved = await c.lookupByName('saved-1');
    expect(await saved.hasManagedSaveImage()).toBe(true);
    await saved.create();
    expect((await saved.state()).state).toBe(DomainState.RUNNING);
    expect(await saved.hasManagedSaveImage()).toBe(false);
  });

  it('reset: a running domain stays running; a shutoff one is OPERATION_INVALID', async () => {
    const c = await conns.connect();
    const web = await c.lookupByName('web-1');
    await web.reset();
    expect((await web.state()).state).toBe(DomainState.RUNNING);
    await expect((await c.lookupByName('db-1')).reset()).rejects.toMatchObject({ code: ErrorCode.OPERATION_INVALID, call: 'virDomainReset' });
  });

  it('suspend/resume: PAUSED_USER then RUNNING_UNPAUSED; wrong states fail', async () => {
    const c = await conns.connect();
    const web = await c.lookupByName('web-1');
    await web.suspend();
    expect(await stateName(web)).toBe('PAUSED_USER');
    await web.resume();
    expect(await stateName(web)).toBe('RUNNING_UNPAUSED');
    const paused = await c.lookupByName('paused-1');
    await paused.resume();
    expect(await stateName(paused)).toBe('RUNNING_UNPAUSED');
    // Test driver: internal errors where real drivers say OPERATION_INVALID.
    await expect(web.resume()).rejects.toMatchObject({ code: ErrorCode.INTERNAL_ERROR, call: 'virDomainResume' });
    await expect((await c.lookupByName('db-1')).suspend()).rejects.toMatchObject({ code: ErrorCode.INTERNAL_ERROR, call: 'virDomainSuspend' });
  });

  it('getXMLDesc: live XML has the id, INACTIVE does not; unknown flags are INVALID_ARG', async () => {
    const c = await conns.connect();
    const web = await c.lookupByName('web-1');
    const live = await web.xml();
    expect(live).toMatch(/<domain type='test' id='1'>/);
    expect(live).toContain('<name>web-1</name>');
    expect(live).toContain(`<uuid>${FIXTURE_DOMAINS['web-1'].uuid}</uuid>`);
    expect(live).toContain('iqn.2010-10.org.openstack:volume-1-lun-1');
    const inactive = await web.xml(DomainXMLFlags.INACTIVE);
    expect(inactive).toMatch(/<domain type='test'>/);
    expect(inactive).toContain('<name>web-1</name>');
    await expect(web.xml(1 << 20)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARG, call: 'virDomainGetXMLDesc' });
  });

  it('attach/detachDeviceFlags: NO_SUPPORT on the test driver (FailedPrecondition)', async () => {
    const c = await conns.connect();
    const web = await c.lookupByName('web-1');
    const disk = '<disk type="file" device="disk"><source file="/tmp/x"/><target dev="vdz" bus="virtio"/></disk>';
    for (const [call, p] of [
      ['virDomainAttachDeviceFlags', web.attachDevice(disk, DeviceModifyFlags.LIVE | DeviceModifyFlags.CONFIG)],
      ['virDomainDetachDeviceFlags', web.detachDevice(disk, DeviceModifyFlags.LIVE)],
    ] as const) {
      const err = await libvirtError(p);
      expect(err).toMatchObject({ code: ErrorCode.NO_SUPPORT, domain: FROM.DOMAIN, level: LEVEL_ERROR, int1: -1, call });
      expect(toAppError(err, 'x').kind).toBe('FailedPrecondition');
    }
  });

  it('snapshotCreateXML / snapshotNum', async () => {
    const c = await conns.connect();
    const db = await c.lookupByName('db-1');
    expect(await db.snapshotCount()).toBe(0);
    await db.createSnapshot('<domainsnapshot><name>s1</name></domainsnapshot>');
    await db.createSnapshot('<domainsnapshot><name>s2</name></domainsnapshot>');
    expect(await db.snapshotCount()).toBe(2);
    await expect(db.createSnapshot('<domainsnapshot>')).rejects.toMatchObject({ call: 'virDomainSnapshotCreateXML' });
  });
});

describe('undefineFlags', () => {
  const { MANAGED_SAVE, SNAPSHOTS_METADATA, NVRAM, KEEP_NVRAM, CHECKPOINTS_METADATA } = UndefineFlags;
  // [domain, flags, expected failure code or null for success]
  const cases: Array<[string, number, ErrorCode | null]> = [
    ['db-1', 0, null],
    ['db-1', MANAGED_SAVE, null],
    ['db-1', SNAPSHOTS_METADATA, null],
    ['db-1', NVRAM, ErrorCode.INVALID_ARG],
    ['db-1', KEEP_NVRAM, ErrorCode.INVALID_ARG],
    ['db-1', CHECKPOINTS_METADATA, ErrorCode.INVALID_ARG],
    ['db-1', MANAGED_SAVE | SNAPSHOTS_METADATA, null],
    ['db-1', MANAGED_SAVE | SNAPSHOTS_METADATA | NVRAM, ErrorCode.INVALID_ARG],
    ['db-1', MANAGED_SAVE | SNAPSHOTS_METADATA | NVRAM | CHECKPOINTS_METADATA, ErrorCode.INVALID_ARG],
    ['saved-1', 0, ErrorCode.OPERATION_INVALID], // managed save image exists
    ['saved-1', SNAPSHOTS_METADATA, ErrorCode.OPERATION_INVALID],
    ['saved-1', MANAGED_SAVE, null],
    ['saved-1', MANAGED_SAVE | SNAPSHOTS_METADATA, null],
  ];

  const named = cases.map(([name, flags, failure]) => [name, `0x${flags.toString(16)}`, flags, failure] as const);
  it.each(named)('%s with flags %s', async (name, _hex, flags, failure) => {
    const c = await conns.connect();
    const g = await c.lookupByName(name);
    if (failure === null) {
      await g.undefine(flags);
      await expect(c.lookupByName(name)).rejects.toMatchObject({ code: ErrorCode.NO_DOMAIN });
      await expect(g.state()).rejects.toMatchObject({ code: ErrorCode.NO_DOMAIN, call: 'virDomainGetState' });
    } else {
      const err = await libvirtError(g.undefine(flags));
      expect(err).toMatchObject({ code: failure, level: LEVEL_ERROR, call: 'virDomainUndefineFlags' });
      if (failure === ErrorCode.INVALID_ARG) expect(err.message).toContain('unsupported flags');
      expect((await c.lookupByName(name)).name).toBe(name); // still defined
    }
  });

  it('a domain with snapshots needs SNAPSHOTS_METADATA', async () => {
    const c = await conns.connect();
    const db = await c.lookupByName('db-1');
    await db.createSnapshot('<domainsnapshot><name>s1</name></domainsnapshot>');
    const err = await libvirtError(db.undefine());
    expect(err.code).toBe(ErrorCode.OPERATION_INVALID);
    expect(err.message).toContain('snapshots');
    await db.undefine(UndefineFlags.SNAPSHOTS_METADATA | UndefineFlags.MANAGED_SAVE);
    await expect(c.lookupByName('db-1')).rejects.toMatchObject({ code: ErrorCode.NO_DOMAIN });
  });

  it('a running domain becomes transient and runs on; destroy then removes it', async () => {
    const c = await conns.connect();
    const web = await c.lookupByName('web-1');
    await web.undefine(UndefineFlags.MANAGED_SAVE | UndefineFlags.SNAPSHOTS_METADATA);
    expect((await web.state()).state).toBe(DomainState.RUNNING);
    expect(await web.isPersistent()).toBe(false);
    expect(await names(c, ListFlags.TRANSIENT)).toEqual(['transient-1', 'web-1']);
    await web.destroy();
    await expect(c.lookupByName('web-1')).rejects.toMatchObject({ code: ErrorCode.NO_DOMAIN });
  });

  it('undefining a transient domain succeeds on the test driver (real drivers refuse)', async () => {
    const c = await conns.connect();
    const t = await c.lookupByName('transient-1');
    await t.undefine();
    expect((await t.state()).state).toBe(DomainState.RUNNING);
  });
});

describe('child processes', () => {
  it('libvirt and libxml2 print nothing to stderr on failing calls', async () => {
    const file = writeScript('quiet.js', `
const a = require(process.env.VIRT_ADDON);
const codes = [];
const fail = async (p) => { try { await p; codes.push('ok'); } catch (e) { codes.push(e.code); } };
(async () => {
  const c = await a.open(process.env.VIRT_URI);
  await fail(c.lookupByName('nope'));
  await fail(c.lookupByUUIDString('garbage'));
  await fail(c.defineXML('<domain>'));
  await fail(c.createXML('<domain type="test"><name>web-1</name><memory>1024</memory><os><type>hvm</type></os></domain>'));
  const db = await c.lookupByName('db-1');
  await fail(db.destroyFlags(0));
  await fail(db.undefineFlags(4));
  await fail(db.detachDeviceFlags('<disk/>', 0));
  await fail(db.getXMLDesc(1 << 20));
  await fail(db.suspend());
  await fail(c.setKeepAlive(5, 3));
  await fail(a.open('test:///nonexistent/virt-agent-node.xml'));
  await fail(a.open('::not a uri::'));
  await c.close();
  await fail(c.close());
  await fail(c.lookupByName('db-1'));
  console.log('codes=' + codes.join(','));
})();
`);
    const r = await runScript(file, { timeoutMs: 15_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('codes=42,8,35,9,55,8,3,8,1,3,27,1,6,6');
  });

  const LIFECYCLE_SCRIPT = `
const a = require(process.env.VIRT_ADDON);
(async () => {
  const c = await a.open(process.env.VIRT_URI);
  let events = 0;
  if (process.env.EVENTS === '1') {
    c.setEventHandler(() => { events++; });
    await c.registerDomainEvent(0);
    await c.registerDomainEvent(15);
    await c.registerCloseCallback();
  }
  const web = await c.lookupByName('web-1');
  await web.getState();
  await web.destroyFlags(0);
  await web.createWithFlags(0);
  await Promise.all([web.getXMLDesc(0), c.listAllDomains(0), c.getHostname()]);
  const mode = process.env.MODE;
  if (mode === 'close') await c.close();
  console.log('ready');
  if (mode === 'exit') process.exit(3);
  if (mode === 'throw') throw new Error('boom');
})();
`;

  it('opens, registers events, works, closes: exits by itself with code 0', async () => {
    const file = writeScript('close.js', LIFECYCLE_SCRIPT);
    const r = await runScript(file, { timeoutMs: 10_000, env: { EVENTS: '1', MODE: 'close' } });
    expect(r).toMatchObject({ code: 0, signal: null, timedOut: false, stderr: '' });
    expect(r.stdout).toContain('ready');
  });

  it('with registered events and no close: stays alive (the handler keeps it running)', async () => {
    const file = writeScript('hang.js', LIFECYCLE_SCRIPT);
    const s = spawnScript(file, { env: { EVENTS: '1', MODE: 'open' } });
    try {
      await s.waitForOutput('ready', 10_000);
      expect(await s.exitWithin(1000)).toBeUndefined();
    } finally {
      const r = await s.kill();
      expect(r.signal).toBe('SIGKILL');
      expect(r.stderr).toBe('');
    }
  });

  it('without events and no close: exits by itself with code 0 (nothing keeps it alive)', async () => {
    const file = writeScript('noevents.js', LIFECYCLE_SCRIPT);
    const r = await runScript(file, { timeoutMs: 10_000, env: { EVENTS: '0', MODE: 'open' } });
    expect(r).toMatchObject({ code: 0, signal: null, timedOut: false, stderr: '' });
  });

  it('process.exit() with an open connection and events keeps its exit code (no abort)', async () => {
    const file = writeScript('exit.js', LIFECYCLE_SCRIPT);
    const r = await runScript(file, { timeoutMs: 10_000, env: { EVENTS: '1', MODE: 'exit' } });
    expect(r).toMatchObject({ code: 3, signal: null, stderr: '' });
  });

  it('an uncaught exception exits with code 1, not an abort', async () => {
    const file = writeScript('throw.js', LIFECYCLE_SCRIPT);
    const r = await runScript(file, { timeoutMs: 10_000, env: { EVENTS: '1', MODE: 'throw' } });
    expect(r.code).toBe(1);
    expect(r.signal).toBeNull();
    expect(r.stderr).toContain('boom');
    expect(r.stderr).not.toContain('terminate called');
  });

  it('worker threads: each has its own addon instance; terminating one with open events is clean', async () => {
    const file = writeScript('workers.js', `
const { Worker, isMainThread, workerData, parentPort } = require('worker_threads');
const a = require(process.env.VIRT_ADDON);
if (isMainThread) {
  (async () => {
    const c = await a.open(process.env.VIRT_URI);
    c.setEventHandler(() => {});
    await c.registerDomainEvent(0);
    const run = (mode) => new Promise((resolve) => {
      const w = new Worker(__filename, { workerData: mode });
      w.on('message', () => { if (mode === 'hang') w.terminate(); });
      w.on('error', (e) => { console.log('worker error ' + e.message); });
      w.on('exit', resolve);
    });
    const codes = await Promise.all([run('close'), run('hang'), run('close'), run('hang')]);
    const web = await c.lookupByName('web-1');
    await web.getState();
    await c.close();
    console.log('codes=' + codes.join(','));
  })();
} else {
  (async () => {
    const c = await a.open(process.env.VIRT_URI);
    c.setEventHandler(() => {});
    await c.registerDomainEvent(0);
    await c.registerCloseCallback();
    const web = await c.lookupByName('web-1');
    await web.destroyFlags(0);
    if (workerData === 'close') await c.close();
    parentPort.postMessage('ready');
  })();
}
`);
    const r = await runScript(file, { timeoutMs: 15_000 });
    expect(r).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(r.stdout.trim()).toBe('codes=0,1,0,1');
  });

  it('worker threads terminated with calls and events in flight: no abort', async () => {
    // Before the fix ~every run aborted: "terminate called after throwing an
    // instance of 'Napi::Error'" from AsyncWorker / ThreadSafeFunction completions.
    const file = writeScript('inflight.js', `
const { Worker, isMainThread, parentPort } = require('worker_threads');
const a = require(process.env.VIRT_ADDON);
if (isMainThread) {
  (async () => {
    let n = 0;
    const run = () => new Promise((resolve) => {
      const w = new Worker(__filename);
      w.on('message', () => setTimeout(() => w.terminate(), (n++ % 10) * 2));
      w.on('error', (e) => { console.log('worker error ' + e.message); });
      w.on('exit', resolve);
    });
    const codes = [];
    for (let i = 0; i < 8; i++) codes.push(...await Promise.all([run(), run(), run()]));
    console.log('terminated=' + codes.filter((c) => c === 1).length);
  })();
} else {
  (async () => {
    const c = await a.open(process.env.VIRT_URI);
    c.setEventHandler(() => {});
    await c.registerDomainEvent(0);
    parentPort.postMessage('ready');
    const web = await c.lookupByName('web-1');
    for (;;) {
      await Promise.all([
        web.destroyFlags(0).then(() => web.createWithFlags(0)).catch(() => {}),
        ...Array.from({ length: 50 }, () => c.lookupByName('db-1')),
        ...Array.from({ length: 50 }, () => c.lookupByName('nope').catch(() => {})),
      ]);
    }
  })();
}
`);
    const r = await runScript(file, { timeoutMs: 30_000 });
    expect(r).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(r.stdout.trim()).toBe('terminated=24');
  }, 40_000);

  it('GC: 10,000 Guest objects and 10,000 raw domains dropped and collected, no crash', async () => {
    const file = writeScript('gc.js', `${TS_REQUIRE_PRELUDE}
const { LibvirtConnection } = require(REPO + '/src/libvirt/connection.ts');
const a = require(process.env.VIRT_ADDON);
(async () => {
  const c = await LibvirtConnection.open(process.env.VIRT_URI);
  let guests = [];
  while (guests.length < 10000) guests.push(...await c.listAllDomains(0));
  let raw = await a.open(process.env.VIRT_URI);
  let doms = await Promise.all(Array.from({ length: 10000 }, (_, i) => raw.lookupByName(['web-1', 'db-1', 'paused-1'][i % 3])));
  const n = guests.length + doms.length;
  guests = []; doms = [];
  for (let i = 0; i < 5; i++) { global.gc(); await new Promise((r) => setImmediate(r)); }
  const web = await c.lookupByName('web-1');
  const st = await web.state();
  await raw.close();
  raw = null;
  await c.close();
  for (let i = 0; i < 3; i++) { global.gc(); await new Promise((r) => setImmediate(r)); }
  console.log('objects=' + n + ' state=' + st.state + ' rss=' + Math.round(process.memoryUsage().rss / 1048576));
})();
`);
    const r = await runScript(file, { timeoutMs: 60_000, execArgv: ['--expose-gc'] });
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, signal: null });
    expect(r.stdout).toMatch(/objects=20000 state=1 /);
  }, 90_000);
});
