// The test fault host (test/helpers/fault-host.ts) itself: faults planned on
// a domain's state/XML read reach the one-job reads (Guest.describe,
// Host.describe, Host.describeAll) the agent uses for them, in the taxonomy
// the real Host reports; domains without such a plan are read untouched.
// The flows' side (Destroy's facts, the ownership scan): flow-destroy.test.ts.
import { afterEach, describe, expect, it } from 'vitest';

import { hostVolumeUsage } from '../../src/agent/volume-usage';
import { DomainState, DomainXMLFlags } from '../../src/libvirt/constants';
import { ErrorCode, hasLibvirtCode } from '../../src/libvirt/errors';
import { closeEnvs, lverr, makeEnv, testUuid, type TestEnv } from '../helpers/agent-deps';

afterEach(() => closeEnvs());

const A = testUuid(1);
const B = testUuid(2);

async function twoDomains(): Promise<TestEnv> {
  return makeEnv({ domains: [{ name: 'a', uuid: A, disks: [{ file: `${A}/disk` }] }, { name: 'b', uuid: B, state: DomainState.SHUTOFF }] });
}

describe('fault host: planned state/XML reads reach describe', () => {
  it('Host.describe: the planned state and XML replace what the job read; the Guest it hands out is planned too', async () => {
    const env = await twoDomains();
    const plan = env.inject(A, { state: { value: { state: DomainState.PAUSED, reason: 2 } }, xml: { value: '<domain>planned</domain>' } });
    const { guest, facts } = await env.host.describe({ uuid: A }, { inactiveIfPersistent: true });
    expect(facts).toMatchObject({ state: DomainState.PAUSED, reason: 2, active: true, persistent: true, xml: '<domain>planned</domain>' });
    expect(plan.argsOf('xml')).toEqual([[DomainXMLFlags.INACTIVE]]);
    expect((await guest.describe()).state).toBe(DomainState.PAUSED);
    expect(plan.count('state')).toBe(2);
  });

  it('Guest.describe: a planned state failure fails the read, in the taxonomy, naming the domain', async () => {
    const env = await twoDomains();
    env.inject(A, { state: lverr('virDomainGetState', ErrorCode.OPERATION_TIMEOUT, 'cannot acquire state change lock') });
    const guest = await env.host.lookup({ uuid: A });
    await expect(guest.describe()).rejects.toMatchObject({ kind: 'Timeout', message: expect.stringMatching(/domain 'a'.*state change lock/) });
  });

  it('Host.describeAll: a planned failure is that domain\'s error; the others are read as libvirt has them', async () => {
    const env = await twoDomains();
    env.inject(B, { xml: lverr('virDomainGetXMLDesc', ErrorCode.NO_DOMAIN, 'Domain not found') });
    const all = await env.host.describeAll(true);
    const a = all.find((d) => d.guest.uuid === A)!;
    const b = all.find((d) => d.guest.uuid === B)!;
    expect(a.facts).toMatchObject({ state: DomainState.RUNNING, active: true });
    expect(b.facts).toBeUndefined();
    expect(hasLibvirtCode(b.error, ErrorCode.NO_DOMAIN)).toBe(true);
    expect(b.error).toMatchObject({ kind: 'NotFound' });
  });

  it("Host.describeAll(true): the planned XML is both the live XML and the definition of a persistent domain", async () => {
    const env = await twoDomains();
    const plan = env.inject(B, { xml: ({ args }) => ({ value: `<domain flags='${String(args[0])}'/>` }) });
    const b = (await env.host.describeAll(true)).find((d) => d.guest.uuid === B)!;
    expect(b.facts).toMatchObject({ xml: "<domain flags='0'/>", inactiveXml: `<domain flags='${DomainXMLFlags.INACTIVE}'/>` });
    expect(plan.argsOf('xml')).toEqual([[0], [DomainXMLFlags.INACTIVE]]);
  });

  it('volume usage reads through describeAll: a planned XML is what it sees', async () => {
    const env = await twoDomains();
    env.inject(B, { xml: { value: "<domain><name>b</name><devices><disk type='block' device='disk'><source dev='/dev/sdz'/><target dev='vdc'/></disk></devices></domain>" } });
    const sources = await hostVolumeUsage(env.host).otherDiskSources();
    expect(sources).toContainEqual(expect.objectContaining({ domain: 'b', targetDev: 'vdc', source: '/dev/sdz' }));
  });

  it('a plan naming neither state nor XML leaves describe alone and logs nothing for it', async () => {
    const env = await twoDomains();
    const plan = env.inject(A, { destroy: 'ignore' });
    const { facts } = await env.host.describe({ uuid: A });
    expect(facts.state).toBe(DomainState.RUNNING);
    await env.host.describeAll(true);
    expect(plan.calls).toEqual([]);
  });
});
