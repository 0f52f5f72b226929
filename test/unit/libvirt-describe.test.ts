// The one-job reads (src/native/describe.cc, Guest.describe,
// LibvirtConnection.lookupDescribed / listDescribed, Host.describe /
// describeAll) on libvirt's test driver: they return what the separate calls
// return, read the XML the caller asks for, and fail the way the separate
// calls fail (the LibvirtError names the call that failed).
import { afterEach, describe, expect, it } from 'vitest';

import { NotFound } from '../../src/errors';
import type { LibvirtConnection } from '../../src/libvirt/connection';
import { DomainXMLFlags } from '../../src/libvirt/constants';
import { ErrorCode, hasLibvirtCode, LibvirtError } from '../../src/libvirt/errors';
import type { Guest } from '../../src/libvirt/guest';
import { Host } from '../../src/libvirt/host';
import { native } from '../../src/libvirt/native';
import { silentLogger } from '../../src/logging';
import { Connections, domainXml, FIXTURE_DOMAINS, FIXTURE_NAMES, fixtureUri, libvirtError } from '../helpers/libvirt';

const conns = new Connections();
afterEach(() => conns.closeAll());

/** What the five separate calls say about a domain. */
async function separately(g: Guest, xmlFlags = 0) {
  const { state, reason } = await g.state();
  return {
    state, reason,
    active: await g.isActive(),
    persistent: await g.isPersistent(),
    managedSave: await g.hasManagedSaveImage(),
    xml: await g.xml(xmlFlags),
  };
}

/** web-1 runs; redefining it makes its definition differ from its live XML (4 GiB vs 512 MiB). */
async function redefinedWhileRunning(c: LibvirtConnection): Promise<void> {
  await c.defineXML(domainXml('web-1', FIXTURE_DOMAINS['web-1'].uuid, 4 * 1024 * 1024));
}

describe('one-job reads on the test driver', () => {
  it('Guest.describe equals the separate calls, for every fixture domain', async () => {
    const c = await conns.connect();
    for (const name of FIXTURE_NAMES) {
      const g = await c.lookupByName(name);
      expect(await g.describe(), name).toEqual(await separately(g));
    }
  });

  it('lookupDescribed by name and by uuid equals lookup + the separate calls', async () => {
    const c = await conns.connect();
    for (const name of FIXTURE_NAMES) {
      const { uuid } = FIXTURE_DOMAINS[name];
      for (const ref of [{ name }, { uuid }]) {
        const { guest, facts } = await c.lookupDescribed(ref);
        expect({ name: guest.name, uuid: guest.uuid, id: guest.id }).toEqual({ name, uuid, id: FIXTURE_DOMAINS[name].id });
        expect(facts, name).toEqual(await separately(await c.lookupByName(name)));
      }
    }
  });

  it('inactiveIfPersistent: the definition of a persistent domain, the live XML of a transient one', async () => {
    const c = await conns.connect();
    await redefinedWhileRunning(c);
    const web = await c.lookupByName('web-1');
    const facts = await web.describe({ inactiveIfPersistent: true });
    expect(facts.xml).toBe(await web.xml(DomainXMLFlags.INACTIVE));
    expect(facts.xml).not.toBe(await web.xml());
    expect(facts.xml).toContain('4194304');
    const transient = await c.lookupByName('transient-1');
    expect((await transient.describe({ inactiveIfPersistent: true })).xml).toBe(await transient.xml());
    // Flags are passed through.
    expect((await web.describe({ flags: DomainXMLFlags.INACTIVE })).xml).toBe(await web.xml(DomainXMLFlags.INACTIVE));
  });

  it('listDescribed: every domain, each as described alone; withInactive adds the definition of persistent ones', async () => {
    const c = await conns.connect();
    await redefinedWhileRunning(c);
    const listed = await c.listDescribed(true);
    expect(listed.map((e) => e.guest.name).sort()).toEqual((await c.listAllDomains()).map((g) => g.name).sort());
    for (const { guest, facts, error } of listed) {
      expect(error).toBeUndefined();
      const { inactiveXml, ...live } = facts!;
      expect(live, guest.name).toEqual(await separately(guest));
      expect(inactiveXml, guest.name).toBe(live.persistent ? await guest.xml(DomainXMLFlags.INACTIVE) : '');
    }
    // Without withInactive there is no definition.
    for (const { facts } of await c.listDescribed()) expect(facts?.inactiveXml).toBeUndefined();
  });

  it('a failure names the libvirt call that failed: the lookup, or a read after it', async () => {
    const c = await conns.connect();
    const missing = await libvirtError(c.lookupDescribed({ name: 'nope' }));
    expect(missing).toMatchObject({ call: 'virDomainLookupByName', code: ErrorCode.NO_DOMAIN });
    const byUuid = await libvirtError(c.lookupDescribed({ uuid: '99999999-9999-4999-8999-999999999999' }));
    expect(byUuid).toMatchObject({ call: 'virDomainLookupByUUIDString', code: ErrorCode.NO_DOMAIN });
    // Undefined after the lookup: the first read of the job fails.
    const db = await c.lookupByName('db-1');
    await db.undefine();
    const gone = await libvirtError(db.describe());
    expect(gone).toBeInstanceOf(LibvirtError);
    expect(gone).toMatchObject({ call: 'virDomainGetState', code: ErrorCode.NO_DOMAIN });
  });

  it('the raw binding checks its arguments', () => {
    const d = native().describe as unknown as Record<string, (...a: unknown[]) => unknown>;
    expect(() => d.domain!({}, 0, false)).toThrow('Domain expected');
    expect(() => d.lookup!(null, false, 'x', 0, false)).toThrow('Connect expected');
    expect(() => d.all!('c', 0, 0, false)).toThrow('Connect expected');
  });
});

describe('Host.describe / describeAll', () => {
  it('GetDomain\'s read: the Guest and its facts; NotFound naming the domain', async () => {
    const host = new Host({ uri: fixtureUri(), logger: silentLogger() });
    await host.start(true);
    try {
      const { guest, facts } = await host.describe({ name: 'saved-1' });
      expect(guest.uuid).toBe(FIXTURE_DOMAINS['saved-1'].uuid);
      expect(facts).toMatchObject({ persistent: true, managedSave: true, active: false });
      await expect(host.describe({ name: 'nope' })).rejects.toThrow(NotFound);
      await expect(host.describe({ name: 'nope' })).rejects.toThrow("domain 'nope' not found");
      // A Guest the Host hands out reports in the taxonomy.
      const db = (await host.describe({ name: 'db-1' })).guest;
      await db.undefine();
      const err = await db.describe().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFound);
      expect(hasLibvirtCode(err, ErrorCode.NO_DOMAIN)).toBe(true);
    } finally {
      await host.stop();
    }
  });

  it('describeAll lists every domain with its facts', async () => {
    const host = new Host({ uri: fixtureUri(), logger: silentLogger() });
    await host.start(true);
    try {
      const all = await host.describeAll();
      expect(all.map((d) => d.guest.name).sort()).toEqual([...FIXTURE_NAMES].sort());
      for (const d of all) expect(d.facts?.persistent, d.guest.name).toBe(FIXTURE_DOMAINS[d.guest.name as keyof typeof FIXTURE_DOMAINS].persistent);
    } finally {
      await host.stop();
    }
  });
});
