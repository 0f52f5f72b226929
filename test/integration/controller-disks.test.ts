// The incident of issue 12, replayed over the real controller and a real
// in-process agent (test driver): project B names project A's disk in its
// domain XML. The controller refuses it at CreateInstance (the agent tells it
// its instances path); a domain defined behind the controller's back and then
// destroyed with destroy_disks still cannot take A's disk, because A's domain
// uses it; A's own delete removes it.
import fs from 'node:fs';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AgentClient } from '../helpers/agent-client';
import { startTestAgent, startTestController, type TestAgent, type TestController } from './controller-helpers';

let agent: TestAgent;
let ctl: TestController;
let direct: AgentClient;

beforeAll(async () => {
  agent = await startTestAgent();
  ctl = await startTestController({ 'host-a': agent.address });
  direct = new AgentClient(agent.address);
});

afterAll(async () => {
  direct?.close();
  await ctl?.stop();
  await agent?.stop();
});

const A = '5b0d6c9e-1a2b-4c3d-8e4f-a1b2c3d4e5f6';
const B = '9c8d7e6f-5a4b-4c3d-9e2f-f6e5d4c3b2a1';
const xml = (name: string, uuid: string, file: string) =>
  `<domain type="test"><name>${name}</name><uuid>${uuid}</uuid><os><type>hvm</type></os>`
  + `<devices><disk type="file" device="disk"><source file="${file}"/><target dev="vda" bus="virtio"/></disk></devices></domain>`;

describe("another project's disk", () => {
  it('is refused at CreateInstance, survives a destroy_disks of a domain that names it, and goes with its own instance', async () => {
    const instances = agent.agent.deps.config.instancesPath;
    const diskA = path.join(instances, A, 'disk');
    fs.mkdirSync(path.dirname(diskA), { recursive: true });
    fs.writeFileSync(diskA, 'tenant A data');

    const a = await ctl.client.call('CreateInstance', { name: 'a', project_id: 'proj-a', host: 'host-a', domain_xml: xml('a', A, diskA), vcpus: 1, memory_mib: 128 });
    expect(a.vm_state).toBe('VM_STATE_ACTIVE');

    const refused = await ctl.client.fail('CreateInstance', { name: 'b', project_id: 'proj-b', host: 'host-a', domain_xml: xml('b', B, diskA), vcpus: 1, memory_mib: 128 });
    expect(refused.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(refused.details).toContain(`domain_xml: disk vda: file "${diskA}" is outside this instance's directory ${path.join(instances, B)} on host host-a`);
    expect((await ctl.client.call('ListInstances', { project_id: 'proj-b' })).instances ?? []).toEqual([]);

    // Behind the controller's back: the agent still keeps A's disk, because A uses it.
    await direct.call('DefineDomain', { xml: xml('b', B, diskA).replace('<os>', '<memory unit="MiB">128</memory><os>'), start: true });
    const d = await direct.call('Destroy', { domain: { uuid: B }, destroy_disks: true });
    expect(d).toMatchObject({ found: true, undefined: true });
    expect(d.warnings.join('\n')).toMatch(/outside this instance's directory/);
    expect(fs.readFileSync(diskA, 'utf8')).toBe('tenant A data');
    expect((await ctl.client.call('GetInstance', { uuid: A })).vm_state).toBe('VM_STATE_ACTIVE');

    // A's own delete removes it, with its directory.
    await ctl.client.call('ForceDeleteInstance', { uuid: A });
    expect(fs.existsSync(diskA)).toBe(false);
    expect(fs.existsSync(path.join(instances, A))).toBe(false);
  });
});
