// The libvirt binding's power, lifecycle and undefine calls against libvirt's
// test driver, with their error details (split from libvirt-binding.test.ts).
import { afterEach, describe, expect, it } from 'vitest';

import {
  CreateFlags, DeviceModifyFlags, DestroyFlags, DomainState, DomainXMLFlags, ListFlags, ShutdownFlags, UndefineFlags,
} from '../../src/libvirt/constants';
import { ErrorCode, toAppError } from '../../src/libvirt/errors';
import { Connections, domainXml, FIXTURE_DOMAINS, libvirtError, uuidFor } from '../helpers/libvirt';
import { FROM, LEVEL_ERROR, names, stateName } from '../helpers/libvirt-binding';

const conns = new Connections();
afterEach(() => conns.closeAll());

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
    // Each call is started only when awaited: a second rejection pending meanwhile would be unhandled.
    for (const [call, start] of [
      ['virDomainAttachDeviceFlags', () => web.attachDevice(disk, DeviceModifyFlags.LIVE | DeviceModifyFlags.CONFIG)],
      ['virDomainDetachDeviceFlags', () => web.detachDevice(disk, DeviceModifyFlags.LIVE)],
    ] as const) {
      const err = await libvirtError(start());
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
