// HostVolumeUsage from libvirt (agent/volume-usage.ts) on the test driver,
// with faults planned on a domain's XML read (test/helpers/fault-host.ts,
// which reaches the one-job describeAll it reads through): other domains'
// disks are listed; a domain undefined meanwhile uses nothing; a domain whose
// disks cannot be read makes the answer unknown, so a connector keeps the
// host side (krbd here: `rbd` goes to a ScriptedRunner, no Ceph on this
// machine; /sys/bus/rbd is a temporary tree read by the real hostSysfs()).
import { afterEach, describe, expect, it } from 'vitest';

import { hostVolumeUsage } from '../../src/agent/volume-usage';
import { RbdConnector } from '../../src/agent/volume/rbd';
import { ErrorCode } from '../../src/libvirt/errors';
import { closeEnvs, lverr, makeEnv, testUuid } from '../helpers/agent-deps';
import { ScriptedRunner } from '../helpers/scripted-runner';
import { makeCtx, makeSysfsTree } from '../helpers/volume-ctx';

const A = testUuid(1);
const B = testUuid(2);
const cleanups: Array<() => void> = [];
afterEach(async () => {
  while (cleanups.length) cleanups.pop()!();
  await closeEnvs();
});

async function setup() {
  return makeEnv({ domains: [{ name: 'a', uuid: A, disks: [{ file: `${A}/disk` }] }, { name: 'b', uuid: B, disks: [{ block: '/dev/rbd1', dev: 'vdb' }] }] });
}

describe('host volume usage', () => {
  it("lists every other domain's disks (the excluded disk aside)", async () => {
    const env = await setup();
    const sources = await hostVolumeUsage(env.host, { uuid: A, targetDev: 'vda' }).otherDiskSources();
    expect(sources.map((s) => `${s.domain}/${s.targetDev} ${s.source}`)).toEqual(expect.arrayContaining(['b/vdb /dev/rbd1']));
    expect(sources.some((s) => s.domain === 'a' && s.targetDev === 'vda')).toBe(false);
  });

  it('a domain undefined while being read uses nothing', async () => {
    const env = await setup();
    env.inject(B, { xml: lverr('virDomainGetXMLDesc', ErrorCode.NO_DOMAIN, 'Domain not found') });
    const sources = await hostVolumeUsage(env.host).otherDiskSources();
    expect(sources.map((s) => s.domain)).not.toContain('b');
    expect(sources.map((s) => s.domain)).toContain('a');
  });

  it("a domain whose disks cannot be read: usage is unknown (thrown, naming it), not 'no users'", async () => {
    const env = await setup();
    env.inject(B, { xml: lverr('virDomainGetXMLDesc', ErrorCode.OPERATION_TIMEOUT, 'cannot acquire state change lock') });
    await expect(hostVolumeUsage(env.host).otherDiskSources()).rejects.toMatchObject({
      kind: 'Timeout', message: expect.stringMatching(/domain 'b'.*state change lock/),
    });
  });

  it('so an RBD mapping another domain may use is kept: the disconnect fails (retry later), no unmap', async () => {
    const env = await setup();
    env.inject(B, { xml: lverr('virDomainGetXMLDesc', ErrorCode.OPERATION_TIMEOUT, 'cannot acquire state change lock') });
    const tree = makeSysfsTree({ 'bus/rbd/devices/1/': '' });
    cleanups.push(tree.cleanup);
    const runner = new ScriptedRunner().expect('rbd', ['showmapped', '--format', 'json'], {
      stdout: JSON.stringify([{ id: '1', pool: 'volumes', namespace: '', name: 'volume-b', snap: '-', device: '/dev/rbd1' }]),
    });
    const { ctx, steps } = makeCtx({ runner, sysfsRoot: tree.root });
    ctx.usage = hostVolumeUsage(env.host);
    const disconnect = new RbdConnector().disconnect({ volume_id: 'v', target_dev: 'vdc', connection_info: { driver_volume_type: 'rbd', data: { name: 'volumes/volume-b' } } }, ctx);
    // Without force the unknown usage fails the disconnect (retry later); the mapping stays.
    await expect(disconnect).rejects.toMatchObject({ kind: 'Timeout' });
    runner.assertDone(); // no `rbd unmap`
    expect(steps.steps.at(-1)).toMatchObject({ name: 'rbd: check other users of volumes/volume-b', outcome: 'failed' });
  });
});
