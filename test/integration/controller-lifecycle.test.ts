// The controller's real gRPC server over real in-process agents (test driver):
// create -> soft delete -> restore -> soft delete -> reclaim, the force-delete
// story, stop/start, quota over the wire, the action log, and bad input.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FileDescriptorProto } from 'protobufjs/ext/descriptor';

import { ManualClock } from '../helpers/clocks';
import {
  AgentProbe, controllerPackage, createXml, startTestAgent, startTestController, type TestAgent, type TestController,
} from './controller-helpers';

const PROJECT = 'proj-a';
let agentA: TestAgent;
let agentB: TestAgent;
let ctl: TestController;
let probeA: AgentProbe;
let probeB: AgentProbe;
const clock = new ManualClock();
const INTERVAL = 3600;

beforeAll(async () => {
  agentA = await startTestAgent();
  agentB = await startTestAgent();
  ctl = await startTestController({ 'host-a': agentA.address, 'host-b': agentB.address }, (c) => {
    c.reclaimIntervalSeconds = INTERVAL;
    c.quota.defaults = { instances: 3, vcpus: 4, memoryMib: 2048 };
    c.quota.projects = { big: { instances: -1, vcpus: -1, memoryMib: -1 } };
  }, { clock });
  probeA = new AgentProbe(agentA.address);
  probeB = new AgentProbe(agentB.address);
});

afterAll(async () => {
  probeA?.close();
  probeB?.close();
  await ctl?.stop();
  await agentA?.stop();
  await agentB?.stop();
});

const create = (name: string, extra: Record<string, unknown> = {}) =>
  ctl.client.call('CreateInstance', { name, project_id: PROJECT, host: 'host-a', domain_xml: createXml(name), vcpus: 1, memory_mib: 256, ...extra });
/** One request on a fresh v1 reflection stream. */
function reflect(req: Record<string, unknown>): Promise<any> {
  const client = new (controllerPackage().grpc.reflection.v1.ServerReflection)(ctl.client.target, grpc.credentials.createInsecure());
  const stream = client.ServerReflectionInfo({ deadline: Date.now() + 10_000 });
  return new Promise((resolve, reject) => {
    stream.on('data', (r: unknown) => {
      resolve(r);
      stream.end();
      client.close();
    });
    stream.on('error', reject);
    stream.write(req);
  });
}

const usage = async (project = PROJECT) => (await ctl.client.call('GetQuotaUsage', { project_id: project })).in_use;

describe('controller lifecycle over real agents', () => {
  it('serves health and reflection for its service', async () => {
    expect((await ctl.client.healthCheck('virtcontroller.v1.Controller')).status).toBe('SERVING');
    const services = await reflect({ list_services: '' });
    expect(services.list_services_response.service.map((s: { name: string }) => s.name)).toContain('virtcontroller.v1.Controller');
    const files = await reflect({ file_containing_symbol: 'virtcontroller.v1.Controller' });
    const names = files.file_descriptor_response.file_descriptor_proto.map((b: Buffer) => (FileDescriptorProto.decode(b) as unknown as { name: string }).name);
    expect(names).toContain('virtcontroller/v1/controller.proto');
    expect(names).toContain('google/protobuf/timestamp.proto');
  });

  it('create -> soft delete -> restore -> soft delete -> reclaim', async () => {
    const inst = await create('web-1', {}, );
    expect(inst).toMatchObject({ vm_state: 'VM_STATE_ACTIVE', task_state: 'TASK_STATE_NONE', power_state: 'POWER_STATE_RUNNING', host: 'host-a' });
    expect(inst.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(await probeA.powerState(inst.uuid)).toBe('POWER_STATE_RUNNING');
    expect(await usage()).toEqual({ instances: 1, vcpus: 1, memory_mib: 256 });

    const soft = await ctl.client.call('DeleteInstance', { uuid: inst.uuid }, { 'x-request-id': 'req-soft-1', 'x-user': 'alice' });
    expect(soft).toMatchObject({ vm_state: 'VM_STATE_SOFT_DELETED', task_state: 'TASK_STATE_NONE', power_state: 'POWER_STATE_SHUTOFF' });
    expect(soft.deleted_at.seconds).toBe(Math.floor(clock.now() / 1000));
    expect(await probeA.powerState(inst.uuid)).toBe('POWER_STATE_SHUTOFF');
    expect(await usage()).toEqual({ instances: 0, vcpus: 0, memory_mib: 0 });

    // Not due yet: the reclaim leaves it alone.
    await ctl.advance((INTERVAL - 1) * 1000);
    expect(await ctl.handle.periodic.runOnce()).toEqual({ recovered: 0, poweredOff: 0, detached: 0, reclaimed: 0, cleaned: 0 });

    const restored = await ctl.client.call('RestoreInstance', { uuid: inst.uuid });
    expect(restored).toMatchObject({ vm_state: 'VM_STATE_ACTIVE', task_state: 'TASK_STATE_NONE', power_state: 'POWER_STATE_RUNNING', deleted_at: null });
    expect(await probeA.powerState(inst.uuid)).toBe('POWER_STATE_RUNNING');
    expect(await usage()).toEqual({ instances: 1, vcpus: 1, memory_mib: 256 });

    await ctl.client.call('DeleteInstance', { uuid: inst.uuid });
    await ctl.advance(INTERVAL * 1000 - 1);
    expect((await ctl.handle.periodic.runOnce()).reclaimed).toBe(0);
    await ctl.advance(1);
    expect((await ctl.handle.periodic.runOnce()).reclaimed).toBe(1);
    const gone = await ctl.client.call('GetInstance', { uuid: inst.uuid });
    expect(gone).toMatchObject({ vm_state: 'VM_STATE_DELETED', task_state: 'TASK_STATE_NONE', needs_host_cleanup: false });
    expect(await probeA.powerState(inst.uuid)).toBe('GONE');
    expect(await usage()).toEqual({ instances: 0, vcpus: 0, memory_mib: 0 });

    const { actions } = await ctl.client.call('ListInstanceActions', { uuid: inst.uuid });
    expect(actions.map((a: { action: string }) => a.action)).toEqual(['create', 'soft_delete', 'restore', 'soft_delete', 'reclaim']);
    expect(actions.every((a: { result: string }) => a.result === 'success')).toBe(true);
    expect(actions[1]).toMatchObject({ request_id: 'req-soft-1', user: 'alice', agent_request_id: `${inst.uuid}:soft_delete:1` });
    expect(actions[3].agent_request_id).toBe(`${inst.uuid}:soft_delete:2`);
    expect(actions[4].user).toBe('virt-controller/reclaim');

    // Deleted instances are not listed unless asked for.
    const listed = await ctl.client.call('ListInstances', { project_id: PROJECT });
    expect(listed.instances.map((i: { uuid: string }) => i.uuid)).not.toContain(inst.uuid);
    const deleted = await ctl.client.call('ListInstances', { vm_state: 'VM_STATE_DELETED' });
    expect(deleted.instances.map((i: { uuid: string }) => i.uuid)).toContain(inst.uuid);
  });

  it('force delete: from active, from soft deleted, and repeated', async () => {
    const a = await create('force-1');
    const b = await create('force-2', { host: 'host-b', domain_xml: createXml('force-2') });
    expect(await usage()).toEqual({ instances: 2, vcpus: 2, memory_mib: 512 });

    const fa = await ctl.client.call('ForceDeleteInstance', { uuid: a.uuid });
    expect(fa).toMatchObject({ vm_state: 'VM_STATE_DELETED', power_state: 'POWER_STATE_NOSTATE' });
    expect(await probeA.powerState(a.uuid)).toBe('GONE');
    expect(await usage()).toEqual({ instances: 1, vcpus: 1, memory_mib: 256 });

    await ctl.client.call('DeleteInstance', { uuid: b.uuid });
    expect(await usage()).toEqual({ instances: 0, vcpus: 0, memory_mib: 0 });
    const fb = await ctl.client.call('ForceDeleteInstance', { uuid: b.uuid });
    expect(fb.vm_state).toBe('VM_STATE_DELETED');
    expect(await probeB.powerState(b.uuid)).toBe('GONE');
    expect(await usage()).toEqual({ instances: 0, vcpus: 0, memory_mib: 0 });

    // A delete of a deleted instance returns it as it is.
    expect((await ctl.client.call('ForceDeleteInstance', { uuid: b.uuid })).vm_state).toBe('VM_STATE_DELETED');
    expect((await ctl.client.call('DeleteInstance', { uuid: b.uuid })).vm_state).toBe('VM_STATE_DELETED');
    const restore = await ctl.client.fail('RestoreInstance', { uuid: b.uuid });
    expect(restore.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(restore.details).toMatch(/is deleted.*only a soft-deleted instance can be restored/);
  });

  it('stop and start, with state preconditions', async () => {
    const i = await create('stop-1');
    const stopped = await ctl.client.call('StopInstance', { uuid: i.uuid });
    expect(stopped).toMatchObject({ vm_state: 'VM_STATE_STOPPED', power_state: 'POWER_STATE_SHUTOFF' });
    expect(await probeA.powerState(i.uuid)).toBe('POWER_STATE_SHUTOFF');
    const again = await ctl.client.fail('StopInstance', { uuid: i.uuid });
    expect(again.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(again.details).toMatch(/is stopped/);
    expect((await ctl.client.fail('RestoreInstance', { uuid: i.uuid })).code).toBe(grpc.status.FAILED_PRECONDITION);
    // Stopped instances keep their quota (as in Nova).
    expect((await usage()).instances).toBe(1);
    const started = await ctl.client.call('StartInstance', { uuid: i.uuid });
    expect(started).toMatchObject({ vm_state: 'VM_STATE_ACTIVE', power_state: 'POWER_STATE_RUNNING' });
    expect(await probeA.powerState(i.uuid)).toBe('POWER_STATE_RUNNING');
    // A stopped instance can be soft deleted and restored too.
    await ctl.client.call('StopInstance', { uuid: i.uuid });
    await ctl.client.call('DeleteInstance', { uuid: i.uuid });
    expect((await ctl.client.call('RestoreInstance', { uuid: i.uuid })).vm_state).toBe('VM_STATE_ACTIVE');
    await ctl.client.call('ForceDeleteInstance', { uuid: i.uuid });
    expect((await usage()).instances).toBe(0);
  });

  it('quota: create and restore over quota are RESOURCE_EXHAUSTED and change nothing', async () => {
    const a = await create('q-1', { vcpus: 2, memory_mib: 1024 });
    const b = await create('q-2', { vcpus: 2, memory_mib: 1024 });
    const over = await ctl.client.fail('CreateInstance', {
      name: 'q-3', project_id: PROJECT, host: 'host-a', domain_xml: createXml('q-3'), vcpus: 1, memory_mib: 1,
    });
    expect(over.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(over.details).toMatch(/vcpus \(requested 1, in use 4, limit 4\)/);
    expect(over.details).toMatch(/memory_mib/);

    await ctl.client.call('DeleteInstance', { uuid: b.uuid });
    const c = await create('q-3', { vcpus: 2, memory_mib: 1024 });
    const before = await ctl.client.call('GetInstance', { uuid: b.uuid });
    const full = await ctl.client.fail('RestoreInstance', { uuid: b.uuid });
    expect(full.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(await ctl.client.call('GetInstance', { uuid: b.uuid })).toEqual(before);
    expect(await usage()).toEqual({ instances: 2, vcpus: 4, memory_mib: 2048 });

    // Per-project overrides from the config file.
    const q = await ctl.client.call('GetQuotaUsage', { project_id: 'big' });
    expect(q.limits).toEqual({ instances: -1, vcpus: -1, memory_mib: -1 });
    for (const u of [a.uuid, b.uuid, c.uuid]) await ctl.client.call('ForceDeleteInstance', { uuid: u });
    expect(await usage()).toEqual({ instances: 0, vcpus: 0, memory_mib: 0 });
  });

  it('a failed create leaves the instance in error with the quota released', async () => {
    const bad = await ctl.client.fail('CreateInstance', {
      name: 'bad', project_id: PROJECT, host: 'host-a', vcpus: 1, memory_mib: 256,
      domain_xml: '<domain type="nosuchdriver"><name>bad</name><os><type>hvm</type></os></domain>',
    });
    expect(bad.code).not.toBe(grpc.status.OK);
    const uuid = /instance ([0-9a-f-]{36})/.exec(bad.details)![1]!;
    const row = await ctl.client.call('GetInstance', { uuid });
    expect(row).toMatchObject({ vm_state: 'VM_STATE_ERROR', task_state: 'TASK_STATE_NONE' });
    expect(row.error).toMatch(/create failed/);
    expect(await usage()).toEqual({ instances: 0, vcpus: 0, memory_mib: 0 });
    // An errored instance is deleted for good (no soft delete), still quota-neutral.
    expect((await ctl.client.call('DeleteInstance', { uuid })).vm_state).toBe('VM_STATE_DELETED');
    expect(await usage()).toEqual({ instances: 0, vcpus: 0, memory_mib: 0 });
  });

  it('uses the uuid of the XML when given, and refuses it twice', async () => {
    const uuid = '0c2f7c1e-8d4a-4e4b-9a57-3f2d8e0c1a11';
    const xml = `<domain type="test"><name>fixed</name><uuid>${uuid}</uuid><vcpu>1</vcpu><memory unit="KiB">262144</memory><os><type>hvm</type></os></domain>`;
    const i = await ctl.client.call('CreateInstance', { name: 'fixed', project_id: PROJECT, host: 'host-a', domain_xml: xml, vcpus: 1, memory_mib: 256 });
    expect(i.uuid).toBe(uuid);
    const dup = await ctl.client.fail('CreateInstance', { name: 'fixed', project_id: PROJECT, host: 'host-a', domain_xml: xml, vcpus: 1, memory_mib: 256 });
    expect(dup.code).toBe(grpc.status.ABORTED);
    await ctl.client.call('ForceDeleteInstance', { uuid });
  });

  it('bad input is INVALID_ARGUMENT naming the field', async () => {
    const base = { name: 'x', project_id: PROJECT, host: 'host-a', domain_xml: createXml('x'), vcpus: 1, memory_mib: 256 };
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['CreateInstance', { ...base, name: '' }, /^name: /],
      ['CreateInstance', { ...base, project_id: 'a b' }, /^project_id: /],
      ['CreateInstance', { ...base, host: 'nope' }, /^host: unknown host "nope"/],
      ['CreateInstance', { ...base, vcpus: 0 }, /^vcpus: /],
      ['CreateInstance', { ...base, memory_mib: 0 }, /^memory_mib: /],
      ['CreateInstance', { ...base, domain_xml: '<domain' }, /^domain_xml: not well-formed/],
      ['CreateInstance', { ...base, domain_xml: '<foo/>' }, /^domain_xml: the root element/],
      ['CreateInstance', { ...base, domain_xml: '<domain><vcpu>2</vcpu></domain>' }, /^domain_xml: <vcpu> "2" does not match vcpus 1/],
      ['CreateInstance', { ...base, volumes: [{ volume_id: 'v1', target_dev: 'vdb' }] }, /^volumes\[0\]\.connection_info: is required/],
      ['CreateInstance', { ...base, volumes: [{ volume_id: 'v1', target_dev: 'vdb', connection_info: { driver_volume_type: 'fc' } }] },
        /^volumes\[0\]\.connection_info\.driver_volume_type: /],
      ['GetInstance', { uuid: 'not-a-uuid' }, /^uuid: not a UUID/],
      ['DeleteInstance', {}, /^uuid: is required/],
      ['RestoreInstance', { uuid: 'x' }, /^uuid: /],
      ['ListInstances', { project_id: '../etc' }, /^project_id: /],
      ['GetQuotaUsage', {}, /^project_id: is required/],
      ['AttachVolume', { uuid: '0c2f7c1e-8d4a-4e4b-9a57-3f2d8e0c1a11', volume_id: 'v', target_dev: 'VDB' }, /^target_dev: /],
      ['DetachVolume', { uuid: '0c2f7c1e-8d4a-4e4b-9a57-3f2d8e0c1a11' }, /^volume_id: is required/],
    ];
    for (const [method, req, re] of cases) {
      const e = await ctl.client.fail(method, req);
      expect(e.code, `${method} ${JSON.stringify(req)}: ${e.details}`).toBe(grpc.status.INVALID_ARGUMENT);
      expect(e.details, method).toMatch(re);
    }
    expect((await ctl.client.fail('GetInstance', { uuid: '0c2f7c1e-8d4a-4e4b-9a57-3f2d8e0c1a12' })).code).toBe(grpc.status.NOT_FOUND);
    expect(await usage()).toEqual({ instances: 0, vcpus: 0, memory_mib: 0 });
  });
});
