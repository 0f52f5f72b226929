// Volume records over a real agent: attach (record only), detach through the
// agent's DisconnectVolume, the failure paths (in-use when the guest still
// holds the device, else error_detaching; both can be detached again), the
// administrator's ResetVolumeState and ForceDetachVolume, state
// preconditions, and what a delete does with the volumes.
import fs from 'node:fs';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestAgent, startTestController, type TestAgent, type TestController } from './controller-helpers';

let agent: TestAgent;
let ctl: TestController;
let diskFile: string;

beforeAll(async () => {
  agent = await startTestAgent();
  diskFile = path.join(agent.dir, 'vol-xml.img');
  fs.writeFileSync(diskFile, '');
  ctl = await startTestController({ h1: agent.address }, (c) => {
    c.reclaimIntervalSeconds = 0;
  });
});

afterAll(async () => {
  await ctl?.stop();
  await agent?.stop();
  if (agent) fs.rmSync(agent.dir, { recursive: true, force: true });
});

const local = (devicePath: string) => ({ driver_volume_type: 'local', data: { device_path: devicePath } });

async function instance(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await ctl.client.call('CreateInstance', {
    name, project_id: 'vols', host: 'h1', vcpus: 1, memory_mib: 128,
    domain_xml: `<domain type="test"><name>${name}</name><os><type>hvm</type></os></domain>`, ...extra,
  });
  return r.uuid as string;
}

describe('volume attach and detach', () => {
  it('attach records in-use; detach goes through the agent to available', async () => {
    const uuid = await instance('v-ok');
    const v = await ctl.client.call('AttachVolume', {
      uuid, volume_id: 'vol-ok', target_dev: 'vdb', connection_info: local('/dev/null'), delete_on_termination: false,
    });
    expect(v).toMatchObject({ volume_id: 'vol-ok', instance_uuid: uuid, status: 'VOLUME_STATUS_IN_USE', target_dev: 'vdb' });
    expect(v.connection_info).toEqual(local('/dev/null'));
    expect((await ctl.client.call('GetInstance', { uuid })).volumes).toHaveLength(1);

    const d = await ctl.client.call('DetachVolume', { uuid, volume_id: 'vol-ok' });
    expect(d).toMatchObject({ volume_id: 'vol-ok', instance_uuid: '', status: 'VOLUME_STATUS_AVAILABLE' });
    expect((await ctl.client.call('GetInstance', { uuid })).volumes).toEqual([]);
    const log = (await ctl.client.call('ListInstanceActions', { uuid })).actions as Array<Record<string, string>>;
    expect(log.map((a) => `${a.action}:${a.result}`)).toEqual(['create:success', 'attach_volume:success', 'detach_volume:success']);
    expect(log[2]!.agent_request_id).toBe(`${uuid}:detach_volume:1`);

    // Detached again: not attached any more. An available volume can be attached again.
    const again = await ctl.client.fail('DetachVolume', { uuid, volume_id: 'vol-ok' });
    expect(again.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(again.details).toMatch(/volume vol-ok is available.*not attached to instance/);
    await ctl.client.call('AttachVolume', { uuid, volume_id: 'vol-ok', target_dev: 'vdc', connection_info: local('/dev/null') });
    const other = await instance('v-other');
    const taken = await ctl.client.fail('AttachVolume', { uuid: other, volume_id: 'vol-ok', target_dev: 'vdb', connection_info: local('/dev/null') });
    expect(taken.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(taken.details).toMatch(/volume vol-ok is in-use \(instance .*\): only an available volume can be attached/);
    const clash = await ctl.client.fail('AttachVolume', { uuid, volume_id: 'vol-2', target_dev: 'vdc', connection_info: local('/dev/null') });
    expect(clash.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(clash.details).toMatch(/target vdc .* is used by volume vol-ok/);
    expect((await ctl.client.fail('DetachVolume', { uuid, volume_id: 'nope' })).code).toBe(grpc.status.NOT_FOUND);
  });

  it('connection info the agent rejects: error_detaching, still attached', async () => {
    const uuid = await instance('v-bad');
    await ctl.client.call('AttachVolume', { uuid, volume_id: 'vol-bad', target_dev: 'vdb', connection_info: local('relative/path') });
    const e = await ctl.client.fail('DetachVolume', { uuid, volume_id: 'vol-bad' });
    expect(e.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(e.details).toMatch(/error_detaching/);
    expect(e.details).toMatch(/device_path/);
    const [v] = (await ctl.client.call('GetInstance', { uuid })).volumes;
    expect(v).toMatchObject({ volume_id: 'vol-bad', instance_uuid: uuid, status: 'VOLUME_STATUS_ERROR_DETACHING' });
    expect(v.error).toMatch(/device_path/);
    // error_detaching can be detached again: the agent refuses the same bad input again.
    const retry = await ctl.client.fail('DetachVolume', { uuid, volume_id: 'vol-bad' });
    expect(retry.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(retry.details).toMatch(/volume is error_detaching/);
    // ForceDetachVolume cannot get past the agent's input check either; ResetVolumeState is the way out.
    const force = await ctl.client.fail('ForceDetachVolume', { volume_id: 'vol-bad' }, { 'x-user': 'admin-1' });
    expect(force.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(await ctl.handle.store.getVolume('vol-bad')).toMatchObject({ status: 'error_detaching' });
    const reset = await ctl.client.call('ResetVolumeState', { volume_id: 'vol-bad', status: 'VOLUME_STATUS_AVAILABLE' }, { 'x-user': 'admin-1' });
    expect(reset).toMatchObject({ volume_id: 'vol-bad', status: 'VOLUME_STATUS_AVAILABLE', instance_uuid: '' });
    const log = (await ctl.client.call('ListInstanceActions', { uuid })).actions as Array<Record<string, string>>;
    expect(log.slice(-4).map((a) => `${a.action}:${a.result}:${a.user}`)).toEqual([
      'detach_volume:error:anonymous', 'detach_volume:error:anonymous', 'force_detach_volume:error:admin-1', 'reset_volume_state:success:admin-1',
    ]);
    const bad = await ctl.client.fail('ResetVolumeState', { volume_id: 'vol-bad', status: 'VOLUME_STATUS_DETACHING' });
    expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.details).toMatch(/^status: /);
  });

  it('a disk the guest cannot release (detach unsupported by the driver): back to in-use; force detach; delete releases', async () => {
    const disk = `<devices><disk type="file" device="disk"><source file="${diskFile}"/><target dev="vdb" bus="virtio"/></disk></devices>`;
    const uuid = await instance('v-xml', {
      domain_xml: `<domain type="test"><name>v-xml</name><os><type>hvm</type></os>${disk}</domain>`,
      volumes: [{ volume_id: 'vol-xml', target_dev: 'vdb', connection_info: local(diskFile), delete_on_termination: true },
        { volume_id: 'vol-keep', target_dev: 'vdc', connection_info: local('/dev/null') }],
    });
    const created = await ctl.client.call('GetInstance', { uuid });
    expect(created.volumes.map((v: Record<string, string>) => `${v.volume_id}:${v.status}`)).toEqual(['vol-xml:VOLUME_STATUS_IN_USE', 'vol-keep:VOLUME_STATUS_IN_USE']);
    const e = await ctl.client.fail('DetachVolume', { uuid, volume_id: 'vol-xml' });
    expect(e.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(e.details).toMatch(/volume is in-use: the guest still holds the device.*not supported/);
    // Cinder's roll_detaching: the agent's GetDomain still lists vdb, so the volume is in-use again.
    expect(await ctl.handle.store.getVolume('vol-xml')).toMatchObject({ status: 'in-use', instance_uuid: uuid, error: expect.stringMatching(/not supported/) });
    // The administrator's force detach: host side only (nothing to undo for a local volume), then available.
    const forced = await ctl.client.call('ForceDetachVolume', { volume_id: 'vol-keep' });
    expect(forced).toMatchObject({ volume_id: 'vol-keep', status: 'VOLUME_STATUS_AVAILABLE', instance_uuid: '' });
    await ctl.client.call('AttachVolume', { uuid, volume_id: 'vol-keep', target_dev: 'vdc', connection_info: local('/dev/null') });

    // Deleting the instance releases its volumes: deleted when delete_on_termination, else available.
    const del = await ctl.client.call('DeleteInstance', { uuid });
    expect(del).toMatchObject({ vm_state: 'VM_STATE_DELETED', volumes: [] });
    expect(await ctl.handle.store.getVolume('vol-xml')).toBeUndefined();
    expect(await ctl.handle.store.getVolume('vol-keep')).toMatchObject({ status: 'available', instance_uuid: null, connection_info: null });
  });

  it('volumes given at create must be available; a failed create releases them', async () => {
    const uuid = await instance('v-c1', { volumes: [{ volume_id: 'vol-c', target_dev: 'vdb', connection_info: local('/dev/null') }] });
    const busy = await ctl.client.fail('CreateInstance', {
      name: 'v-c2', project_id: 'vols', host: 'h1', vcpus: 1, memory_mib: 128, domain_xml: '<domain type="test"><name>v-c2</name><os><type>hvm</type></os></domain>',
      volumes: [{ volume_id: 'vol-c', target_dev: 'vdb', connection_info: local('/dev/null') }],
    });
    expect(busy.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(busy.details).toMatch(/volumes\[0\]\.volume_id: volume vol-c is in-use/);
    expect((await ctl.client.call('ListInstances', { project_id: 'vols' })).instances.map((i: { name: string }) => i.name)).not.toContain('v-c2');

    const failed = await ctl.client.fail('CreateInstance', {
      name: 'v-c3', project_id: 'vols', host: 'h1', vcpus: 1, memory_mib: 128, domain_xml: '<domain type="bogus"><name>v-c3</name></domain>',
      volumes: [{ volume_id: 'vol-new', target_dev: 'vdb', connection_info: local('/dev/null') }],
    });
    expect(failed.code).not.toBe(grpc.status.OK);
    expect(await ctl.handle.store.getVolume('vol-new')).toMatchObject({ status: 'available', instance_uuid: null });

    // No attach or detach while the instance is soft deleted or deleted.
    await ctl.client.call('DeleteInstance', { uuid });
    const att = await ctl.client.fail('AttachVolume', { uuid, volume_id: 'vol-z', target_dev: 'vdd', connection_info: local('/dev/null') });
    expect(att.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(att.details).toMatch(/is deleted/);
  });
});
