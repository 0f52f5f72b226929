// The controller's side of "remove only what belongs to the instance" and of
// reconnecting volumes: CreateInstance refuses file disks outside the new
// instance's own directory on its host (asking the host's agent for its
// instances_path once, then from a cache), and StartInstance / RestoreInstance
// pass the instance's attached volumes to PowerOn so the agent can connect
// them first. Over the scripted agent of controller-fakes.ts.
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { CTX, createActive, harness, INSTANCES_PATH, rejection, type Harness } from './controller-fakes';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => h.close());

const U = '6f1d1b6e-7c44-4b8a-9f51-5d8a0f5c2b11';
const OTHER = '0e8f3a52-2d5b-4c11-8a7e-3c9b8e1f4d22';
const disk = (file: string, dev: string, device = 'disk') =>
  `<disk type="file" device="${device}"><source file="${file}"/><target dev="${dev}" bus="virtio"/></disk>`;
const xmlWith = (...disks: string[]) =>
  `<domain type="test"><name>vm</name><uuid>${U}</uuid><os><type>hvm</type></os><devices>${disks.join('')}</devices></domain>`;
const create = (domainXml: string, extra: Record<string, unknown> = {}) =>
  h.svc.createInstance({ name: 'vm', project_id: 'p', host: 'h1', domain_xml: domainXml, vcpus: 1, memory_mib: 1, ...extra }, CTX);

describe('CreateInstance: file disks only in the instance\'s own directory', () => {
  it.each([
    ["another instance's disk", `${INSTANCES_PATH}/${OTHER}/disk`],
    ['a file outside the instances path', '/srv/data/precious.img'],
    ['the shared base images', `${INSTANCES_PATH}/_base/abc`],
    ['a ".." path that leaves the directory', `${INSTANCES_PATH}/${U}/../${OTHER}/disk`],
    ['a ".." path that would even stay inside', `${INSTANCES_PATH}/${U}/x/../disk`],
    ['the directory itself', `${INSTANCES_PATH}/${U}`],
    ['a relative path', `${U}/disk`],
  ])('%s: INVALID_ARGUMENT naming the disk, nothing recorded, no DefineDomain', async (_what, file) => {
    const e = await rejection(create(xmlWith(disk(`${INSTANCES_PATH}/${U}/disk`, 'vda'), disk(file, 'vdb'))));
    expect(e.kind).toBe('InvalidArgument');
    expect(e.message).toContain(`domain_xml: disk vdb: file ${JSON.stringify(file)} is outside this instance's directory ${INSTANCES_PATH}/${U} on host h1`);
    expect(await h.store.listInstances({})).toEqual([]);
    expect(h.agents.methods()).toEqual(['GetHostInfo']);
  });

  it('disks (and a config-drive cdrom) in its own directory are fine; the instances path is asked once per host', async () => {
    const inside = xmlWith(disk(`${INSTANCES_PATH}/${U}/disk`, 'vda'), disk(`${INSTANCES_PATH}/${U}/disk.config`, 'hdd', 'cdrom'));
    expect((await create(inside)).instance.vm_state).toBe('active');
    await createActive(h, 'plain'); // no file disks: nothing to ask
    const second = inside.replaceAll(U, '7a2c1e90-1111-4222-8333-944455556666');
    expect((await create(second)).instance.vm_state).toBe('active');
    expect(h.agents.methods()).toEqual(['GetHostInfo', 'DefineDomain', 'DefineDomain', 'DefineDomain']);
  });

  it("a volume's file disk (by target) is not held to the rule: it is a Cinder volume, never removed with the instance", async () => {
    const nfs = '/var/lib/virt-agent/mnt/63552241bb16ec83b193db717b25fbae/volume-1';
    const v = await create(xmlWith(disk(nfs, 'vdb')), {
      volumes: [{ volume_id: 'vol-1', target_dev: 'vdb', connection_info: { driver_volume_type: 'nfs', data: { export: '192.0.2.20:/srv/cinder', name: 'volume-1' } } }],
    });
    expect(v.instance.vm_state).toBe('active');
    expect(h.agents.methods()).toEqual(['DefineDomain']);
  });

  it("an agent that does not report its instances path: FAILED_PRECONDITION; an unreachable one: UNAVAILABLE; nothing recorded", async () => {
    h.agents.on('GetHostInfo', () => ({ hostname: 'old-agent' }));
    const old = await rejection(create(xmlWith(disk(`${INSTANCES_PATH}/${U}/disk`, 'vda'))));
    expect(old.kind).toBe('FailedPrecondition');
    expect(old.message).toContain('does not report its instances path');
    h.agents.failNext('GetHostInfo', grpc.status.UNAVAILABLE, 'connect ECONNREFUSED');
    const down = await rejection(create(xmlWith(disk(`${INSTANCES_PATH}/${U}/disk`, 'vda'))));
    expect(down.kind).toBe('Unavailable');
    expect(await h.store.listInstances({})).toEqual([]);
  });
});

describe('StartInstance and RestoreInstance pass the attached volumes to PowerOn', () => {
  const vol = (id: string, dev: string) => ({
    volume_id: id, target_dev: dev, connection_info: { driver_volume_type: 'iscsi', data: { target_portal: '192.0.2.10:3260', target_iqn: `iqn.2010-10.org.openstack:${id}`, target_lun: '1' } },
  });

  it('start after stop, and restore after soft delete: PowerOn carries every in-use volume', async () => {
    const uuid = await createActive(h, 'vm', { volumes: [vol('v1', 'vdb'), vol('v2', 'vdc')] });
    await h.svc.stopInstance(uuid, CTX);
    await h.svc.startInstance(uuid, CTX);
    const start = h.agents.calls.at(-1)!;
    expect(start.method).toBe('PowerOn');
    expect(start.req.volumes).toEqual([
      { volume_id: 'v1', target_dev: 'vdb', connection_info: (vol('v1', 'vdb')).connection_info },
      { volume_id: 'v2', target_dev: 'vdc', connection_info: (vol('v2', 'vdc')).connection_info },
    ]);

    await h.svc.deleteInstance(uuid, CTX); // soft delete (reclaim interval > 0)
    await h.svc.restoreInstance(uuid, CTX);
    const restore = h.agents.calls.at(-1)!;
    expect(restore.method).toBe('PowerOn');
    expect(restore.req.volumes.map((v: { volume_id: string }) => v.volume_id)).toEqual(['v1', 'v2']);
  });

  it('a volume that is being detached is not connected again', async () => {
    const uuid = await createActive(h, 'vm', { volumes: [vol('v1', 'vdb'), vol('v2', 'vdc')] });
    await h.svc.stopInstance(uuid, CTX);
    await h.sql.run("UPDATE volumes SET status = 'error_detaching' WHERE id = 'v2'");
    await h.svc.startInstance(uuid, CTX);
    expect(h.agents.calls.at(-1)!.req.volumes.map((v: { volume_id: string }) => v.volume_id)).toEqual(['v1']);
  });
});
