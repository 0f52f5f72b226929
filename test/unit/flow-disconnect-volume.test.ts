// DisconnectVolume's guest half on the test driver. The test driver has no
// device detach (and no guest to release a device), so virDomainDetachDeviceFlags
// and — where a guest's release must be shown — the live XML go through the
// fault port (test/helpers/fault-host.ts); lookups, the persistent definition,
// events and everything in the flow are real. Covered: the XML sent for a
// detach is the <devices> element of that disk (a <disk> in <metadata> cannot
// shift it), "already in the process of unplug" keeps waiting for
// DEVICE_REMOVED instead of failing, and the persistent definition is still
// updated when the live part of every request failed.
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { afterEach, describe, expect, it } from 'vitest';

import { disconnectVolume } from '../../src/agent/flows/disconnect-volume';
import { DeviceModifyFlags, DomainState } from '../../src/libvirt/constants';
import { parseDomainXml } from '../../src/libvirt/domain-xml';
import { ErrorCode } from '../../src/libvirt/errors';
import { closeEnvs, eventually, lverr, makeEnv, rejection, stepSeq, testUuid, type TestEnv } from '../helpers/agent-deps';

afterEach(() => closeEnvs());

const A = testUuid(1);
const LIVE_CONFIG = DeviceModifyFlags.LIVE | DeviceModifyFlags.CONFIG;
const pending = () => lverr('virDomainDetachDeviceFlags', ErrorCode.INTERNAL_ERROR,
  "internal error: unable to execute QEMU command 'device_del': Device virtio-disk1 is already in the process of unplug");

let env: TestEnv;
async function setup(attempts = 3, state = DomainState.RUNNING): Promise<TestEnv> {
  env = await makeEnv({
    domains: [{ name: 'a', uuid: A, state, disks: [{ file: `${A}/disk` }, { file: `${A}/vol.img`, dev: 'vdb' }] }],
    config: (c) => {
      c.detach = { timeoutSeconds: 2, attempts };
    },
  });
  return env;
}
const volume = () => ({
  volume_id: 'vol-1', target_dev: 'vdb',
  connection_info: { driver_volume_type: 'local', data: { device_path: env.inst(A, 'vol.img') } },
});
const run = () => {
  const ctx = env.ctx();
  return { ctx, p: disconnectVolume(env.deps, ctx, { ref: { uuid: A }, volume: volume(), force: false, ignoreErrors: false }) };
};

/** The live XML as the guest would leave it once it released `dev` (the test driver cannot). */
function withoutDisk(xml: string, dev: string): string {
  const opts = { ignoreAttributes: false, attributeNamePrefix: '@', preserveOrder: true, processEntities: false } as const;
  const doc = new XMLParser(opts).parse(xml) as Array<Record<string, unknown>>;
  const dom = doc.find((n) => 'domain' in n)!.domain as Array<Record<string, unknown>>;
  const devices = dom.find((n) => 'devices' in n)!.devices as Array<Record<string, unknown>>;
  const keep = devices.filter((n) => !('disk' in n) || !JSON.stringify(n).includes(`"@dev":"${dev}"`));
  devices.splice(0, devices.length, ...keep);
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the builder src/libvirt/domain-xml.ts uses too
  return new XMLBuilder(opts).build(doc);
}

describe('DisconnectVolume: which disk is sent', () => {
  it('a <disk> in <metadata> (before <devices>) does not shift the pairing: the detach XML is vdb\'s own element', async () => {
    await setup(1, DomainState.SHUTOFF);
    const guest = await env.host.raw({ uuid: A });
    const meta = `<metadata><x:inst xmlns:x="urn:test"><disk type="file" device="disk"><source file="${env.inst(A, 'disk')}"/>`
      + '<target dev="vdb" bus="virtio"/></disk></x:inst></metadata>';
    const inactive = (await guest.xml(2)).replace('<devices>', `${meta}<devices>`);
    await env.host.call((c) => c.defineXML(inactive));
    await (await env.host.raw({ uuid: A })).create();
    expect(await (await env.host.raw({ uuid: A })).xml()).toContain('urn:test'); // the live XML has the decoy first
    const plan = env.inject(A, { detachDevice: 'ignore' });
    const { p } = run();
    await rejection(env.clock.run(p)); // the test driver never removes it: a timeout, not the point here
    const [xml, flags] = (plan.argsOf('detachDevice') as Array<[string, number]>)[0]!;
    expect(flags).toBe(LIVE_CONFIG);
    const sent = parseDomainXml(`<domain><devices>${xml}</devices></domain>`).disks;
    expect(sent.map((d) => [d.targetDev, d.source])).toEqual([['vdb', env.inst(A, 'vol.img')]]);
  });
});

describe('DisconnectVolume: an unplug already pending', () => {
  it('"already in the process of unplug" on every request: keeps waiting, ends DEADLINE_EXCEEDED naming the device (not INTERNAL)', async () => {
    await setup(3);
    env.inject(A, { detachDevice: pending() });
    const { ctx, p } = run();
    const err = await rejection(env.clock.run(p));
    expect(err.kind).toBe('Timeout');
    expect(err.message).toMatch(/device vdb .*not released .* after 3 detach requests of 2s each/);
    expect(stepSeq(ctx.steps.steps).slice(0, 3)).toEqual(['detach-live (1/3):skipped', 'detach-live (2/3):skipped', 'detach-live (3/3):skipped']);
    expect(ctx.steps.steps[0]!.detail).toContain('still pending; waiting for DEVICE_REMOVED');
    expect(env.clock.now()).toBe(6000); // each request waited its full 2 s for the event
  });

  it('pending, then the guest finishes the earlier unplug: DEVICE_REMOVED ends the wait; the definition is updated with a CONFIG-only detach', async () => {
    await setup(8);
    let released = false;
    const plan = env.inject(A, {
      detachDevice: ({ args }) => ((args[1] as number) === DeviceModifyFlags.CONFIG ? 'ignore' : pending()),
      xml: async ({ args, real }) => {
        const xml = (await real()) as string;
        return { value: released && (args[0] ?? 0) === 0 ? withoutDisk(xml, 'vdb') : xml };
      },
    });
    const { ctx, p } = run();
    // The flow asked once, was told the unplug is pending, and now waits for the event.
    await eventually(() => plan.count('detachDevice') === 1, 'first detach request');
    await env.clock.whenSleeping(1);
    released = true;
    env.host.emit('deviceRemoved', { name: 'a', uuid: A, id: 1, alias: 'virtio-disk1', receivedAt: Date.now() });
    const r = await p;
    expect(env.clock.now()).toBe(0); // the event, not a timeout, ended the wait
    expect(r).toMatchObject({ detachedFromDomain: true, hostDisconnected: true });
    expect(plan.argsOf('detachDevice').map((a) => a[1])).toEqual([LIVE_CONFIG, DeviceModifyFlags.CONFIG]);
    expect(stepSeq(ctx.steps.steps)).toEqual([
      'detach-live (1/8):skipped', 'confirm-detached:ok', 'detach-config:ok', 'detach:ok', 'local: host disconnect:skipped',
    ]);
    expect(ctx.steps.steps[1]!.detail).toBe('DEVICE_REMOVED event');
  });

  it('a live failure that is not "pending" on the last request: the libvirt error, mapped', async () => {
    await setup(1);
    env.inject(A, { detachDevice: lverr('virDomainDetachDeviceFlags', ErrorCode.INTERNAL_ERROR, 'unable to execute QEMU command device_del: Bus not found') });
    const { p } = run();
    const err = await rejection(env.clock.run(p));
    expect(err.kind).toBe('Internal');
    expect(err.message).toContain('Bus not found');
  });
});
