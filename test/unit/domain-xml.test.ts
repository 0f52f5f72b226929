// Domain XML as the agent reads it: disks only from <domain><devices>, each
// disk's XML re-serialized from its parsed element (so a <disk> in <metadata>
// or a comment can never shift which element is sent for a detach), entity
// decoding for paths, backing chains, and a real libvirt round trip (test
// driver) of XML with a <disk> in its metadata.
import { XMLParser } from 'fast-xml-parser';
import { afterEach, describe, expect, it } from 'vitest';

import { parseDomainXml } from '../../src/libvirt/domain-xml';
import { closeEnvs, makeEnv, testUuid } from '../helpers/agent-deps';

afterEach(() => closeEnvs());

const META_DISK = `<metadata><nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
  <disk type='file' device='disk'><source file='/var/lib/nova/instances/OTHER/disk'/><target dev='vda' bus='virtio'/></disk>
  <disk type='file' device='disk'><source file='/decoy'/><target dev='vdb' bus='virtio'/></disk>
</nova:instance></metadata>`;

const XML = `<domain type='kvm'>
  <name>web-1</name>
  <uuid>11111111-1111-4111-8111-111111111111</uuid>
  ${META_DISK}
  <devices>
    <!-- <disk type='file'><source file='/in-a-comment'/><target dev='vdz'/></disk> -->
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/nova/instances/11111111-1111-4111-8111-111111111111/disk' index='2'/>
      <backingStore type='file' index='3'>
        <format type='raw'/>
        <source file='/var/lib/nova/instances/_base/abc'/>
        <backingStore/>
      </backingStore>
      <target dev='vda' bus='virtio'/>
      <serial>0123</serial>
      <alias name='virtio-disk0'/>
    </disk>
    <disk type='file' device='disk'>
      <source file='/vols/a&amp;b &quot;c&quot; &#x41;'/>
      <target dev='vdb' bus='virtio'/>
      <alias name='virtio-disk1'/>
    </disk>
    <disk type='network' device='disk'>
      <source protocol='rbd' name='vms/11111111-1111-4111-8111-111111111111_disk.eph0'><host name='192.0.2.1' port='6789'/></source>
      <target dev='vdc' bus='virtio'/>
    </disk>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
  </devices>
</domain>`;

const reparse = (xml: string) => new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml) as {
  disk: { '@type': string; source: Record<string, string>; target: Record<string, string>; serial?: unknown };
};

describe('parseDomainXml', () => {
  it('takes disks from <devices> only: metadata and comments hold none', () => {
    const info = parseDomainXml(XML);
    expect(info.name).toBe('web-1');
    expect(info.uuid).toBe('11111111-1111-4111-8111-111111111111');
    expect(info.disks.map((d) => d.targetDev)).toEqual(['vda', 'vdb', 'vdc']);
    expect(info.disks.map((d) => d.source)).toEqual([
      '/var/lib/nova/instances/11111111-1111-4111-8111-111111111111/disk',
      '/vols/a&b "c" A',
      'vms/11111111-1111-4111-8111-111111111111_disk.eph0',
    ]);
    expect(info.hasGuestAgentChannel).toBe(true);
  });

  it("each disk's xml is that element: its own target and source, nothing of the metadata decoys", () => {
    const [vda, vdb, vdc] = parseDomainXml(XML).disks;
    for (const [d, dev] of [[vda, 'vda'], [vdb, 'vdb'], [vdc, 'vdc']] as const) {
      const el = reparse(d!.xml).disk;
      expect(el.target['@dev']).toBe(dev);
      expect(d!.xml).not.toContain('/decoy');
      expect(d!.xml).not.toContain('OTHER');
      expect(d!.xml).not.toContain('in-a-comment');
    }
    // Values keep libvirt's escaping: read back, the element names the very same file.
    expect(parseDomainXml(`<domain><devices>${vdb!.xml}</devices></domain>`).disks[0]!.source).toBe('/vols/a&b "c" A');
    // Text is not turned into a number (serial 0123 stays 0123).
    expect(vda!.xml).toContain('<serial>0123</serial>');
    expect(vda!.serial).toBe('0123');
    expect(vda!.alias).toBe('virtio-disk0');
  });

  it('backing chain paths, outermost first', () => {
    expect(parseDomainXml(XML).disks[0]!.backingPaths).toEqual(['/var/lib/nova/instances/_base/abc']);
    expect(parseDomainXml(XML).disks[1]!.backingPaths).toEqual([]);
  });

  it('a domain without devices has no disks', () => {
    expect(parseDomainXml("<domain type='test'><name>x</name></domain>").disks).toEqual([]);
  });

  it('libvirt round trip (test driver): metadata with <disk> elements, pairing still by <devices>', async () => {
    const uuid = testUuid(1);
    const env = await makeEnv({ domains: [{ name: 'm', uuid, disks: [{ file: `${uuid}/disk` }, { file: `${uuid}/data`, dev: 'vdb' }] }] });
    const guest = await env.host.raw({ uuid });
    const defined = (await guest.xml()).replace('<devices>', `${META_DISK}<devices>`);
    await env.host.call((c) => c.defineXML(defined));
    const xml = await (await env.host.raw({ uuid })).xml(2 /* INACTIVE */);
    expect(xml).toContain('/decoy'); // libvirt kept the metadata disks
    const disks = parseDomainXml(xml).disks;
    expect(disks.map((d) => [d.targetDev, d.source])).toEqual([['vda', env.inst(uuid, 'disk')], ['vdb', env.inst(uuid, 'data')]]);
    expect(reparse(disks[1]!.xml).disk.source['@file']).toBe(env.inst(uuid, 'data'));
  });
});
