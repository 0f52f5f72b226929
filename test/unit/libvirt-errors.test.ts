// libvirt failures are translated once, where the agent meets libvirt: the
// Guests the Host hands out (and its connection calls) fail with an AppError
// naming what was done to which domain, the LibvirtError kept as the cause;
// the binding's own Guests keep failing with LibvirtErrors. Plus the checks
// flows make on a translated error (its libvirt code, a flag rejection, a
// pending unplug). Against libvirt's test driver.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { AppError } from '../../src/errors';
import { DeviceModifyFlags, ShutdownFlags } from '../../src/libvirt/constants';
import {
  domainError, ErrorCode, hasLibvirtCode, isFlagRejection, isUnplugPending, LibvirtError, libvirtErrorOf,
} from '../../src/libvirt/errors';
import { Host } from '../../src/libvirt/host';
import { Connections, domainXml, fixtureUri, libvirtError, uuidFor } from '../helpers/libvirt';

const conns = new Connections();
const hosts: Host[] = [];
afterEach(async () => {
  await conns.closeAll();
  for (const h of hosts.splice(0)) await h.stop();
});

async function host(): Promise<Host> {
  const h = new Host({ uri: fixtureUri(), logger: pino({ level: 'silent' }) });
  hosts.push(h);
  await h.start(true);
  return h;
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`);
  return err;
}

const DISK = "<disk type='file' device='disk'><source file='/tmp/x.img'/><target dev='vdb' bus='virtio'/></disk>";

describe("the Host's Guests: failures in the taxonomy, naming the domain", () => {
  it('a call on a domain: the kind from its code, the action and domain in the message, the LibvirtError as cause', async () => {
    const web = await (await host()).lookup({ name: 'web-1' });
    const err = await failure(web.create());
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toMatch(/^starting domain 'web-1': .*already running/);
    expect(err.cause).toBeInstanceOf(LibvirtError);
    expect(libvirtErrorOf(err)).toMatchObject({ call: 'virDomainCreateWithFlags' });
  });

  it('a device call names the device from its XML; a refused flag is a flag rejection', async () => {
    const h = await host();
    const web = await h.lookup({ name: 'web-1' });
    const detach = await failure(web.detachDevice(DISK, DeviceModifyFlags.LIVE));
    expect(detach.message).toMatch(/^detaching disk vdb from domain 'web-1': .*\(libvirt [A-Z_]+\)$/);
    const shutdown = await failure(web.shutdown(ShutdownFlags.ACPI_POWER_BTN));
    expect(shutdown).toMatchObject({ kind: 'InvalidArgument', field: 'domain' });
    expect(isFlagRejection(shutdown)).toBe(true);
    expect(hasLibvirtCode(shutdown, ErrorCode.INVALID_ARG)).toBe(true);
    expect(hasLibvirtCode(shutdown, ErrorCode.NO_DOMAIN)).toBe(false);
  });

  it('lookups, definitions and listings through the Host: NotFound naming the ref, content errors naming "xml"', async () => {
    const h = await host();
    await expect(h.lookup({ name: 'ghost' })).rejects.toMatchObject({ kind: 'NotFound', message: "domain 'ghost' not found" });
    await expect(h.lookup({ uuid: uuidFor(99) })).rejects.toMatchObject({ kind: 'NotFound', message: `domain ${uuidFor(99)} not found` });
    expect(await h.find({ name: 'ghost' })).toBeNull();
    const bad = await failure(h.define(domainXml('bad', 'not-a-uuid')));
    expect(bad).toMatchObject({ kind: 'InvalidArgument', field: 'xml' });
    expect(bad.message).toMatch(/^xml: defining domain: /);
    const defined = await h.define(domainXml('new-1', uuidFor(50)));
    const clash = await failure(h.define(domainXml('new-1', uuidFor(51))));
    expect(clash).toMatchObject({ kind: 'FailedPrecondition' });
    expect(clash.message).toMatch(/defining domain: .*already/);
    // A domain undefined after it was handed out: NotFound naming it.
    await defined.undefine();
    await expect(defined.state()).rejects.toMatchObject({ kind: 'NotFound', message: "domain 'new-1' not found" });
    expect((await h.domains()).map((g) => g.name)).not.toContain('new-1');
  });

  it("the binding's own Guests (no Host) keep failing with the LibvirtError itself", async () => {
    const c = await conns.connect();
    const err = await libvirtError((await c.lookupByName('web-1')).create());
    expect(err.call).toBe('virDomainCreateWithFlags');
  });
});

describe('checks on a translated error', () => {
  it('see through to the libvirt error; anything else is not one', () => {
    const pending = domainError(new LibvirtError('virDomainDetachDeviceFlags', {
      code: ErrorCode.OPERATION_FAILED, message: "operation failed: Device virtio-disk1 is already in the process of unplug",
    }), 'a', [DISK]);
    expect(isUnplugPending(pending)).toBe(true);
    expect((pending as Error).message).toMatch(/^detaching disk vdb from domain 'a': /);
    expect(isUnplugPending(new Error('already in the process of unplug'))).toBe(false);
    expect(hasLibvirtCode(new Error('x'))).toBe(false);
    expect(domainError('not an error', 'a')).toBe('not an error');
  });
});
