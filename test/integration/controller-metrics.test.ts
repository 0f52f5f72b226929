// The controller's Prometheus endpoint (--metrics-listen) over a real
// in-process agent: RPC counters and latency by method and code, agent calls
// by method and code, instances and volumes by state, the reclaim backlog,
// its failures and retries, pending power-offs and host cleanups, and hosts
// up/down by the liveness rule. These names are what dashboards and alert
// rules use.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { ManualClock } from '../helpers/clocks';
import { parseMetrics as parse, sampleValue as value, type Sample } from '../helpers/prometheus';
import { createXml, startTestAgent, startTestController, type TestAgent, type TestController } from './controller-helpers';


const INTERVAL = 600;
let agent: TestAgent;
let ctl: TestController;
const clock = new ManualClock();
let base: string;

beforeAll(async () => {
  agent = await startTestAgent();
  ctl = await startTestController({ h1: agent.address, h2: '127.0.0.1:9' }, (c) => {
    c.reclaimIntervalSeconds = INTERVAL;
    c.serviceDownSeconds = 30;
    c.metricsListen = '127.0.0.1:0';
    c.healthTimeoutMs = 1000;
  }, { clock });
  base = `http://127.0.0.1:${ctl.handle.metrics!.port}`;
});

afterAll(async () => {
  await ctl?.stop();
  await agent?.stop();
});

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  return parse(await res.text());
}

it('serves the controller metrics under their contract names', async () => {
  const make = async (name: string) => (await ctl.client.call('CreateInstance', {
    name, project_id: 'p', host: 'h1', domain_xml: createXml(name), vcpus: 1, memory_mib: 64,
    volumes: [{ volume_id: `vol-${name}`, target_dev: 'vdb', connection_info: { driver_volume_type: 'local', data: { device_path: '/dev/null' } } }],
  })).uuid as string;
  const a = await make('m-a');
  const b = await make('m-b');
  await ctl.client.call('DeleteInstance', { uuid: a });
  await ctl.client.call('DeleteInstance', { uuid: b });
  expect((await ctl.client.fail('GetInstance', { uuid: 'nope' })).code).toBe(grpc.status.INVALID_ARGUMENT);

  let s = await scrape();
  expect(value(s, 'virt_controller_grpc_requests_total', { service: 'virtcontroller.v1.Controller', method: 'CreateInstance', code: 'OK' })).toBe(2);
  expect(value(s, 'virt_controller_grpc_requests_total', { method: 'GetInstance', code: 'INVALID_ARGUMENT' })).toBe(1);
  expect(value(s, 'virt_controller_grpc_request_duration_seconds_count', { method: 'DeleteInstance', code: 'OK' })).toBe(2);
  expect(value(s, 'virt_controller_agent_calls_total', { method: 'DefineDomain', code: 'OK' })).toBe(2);
  expect(value(s, 'virt_controller_agent_calls_total', { method: 'PowerOff', code: 'OK' })).toBe(2);
  expect(value(s, 'virt_controller_instances', { vm_state: 'soft_deleted' })).toBe(2);
  expect(value(s, 'virt_controller_instances', { vm_state: 'active' })).toBe(0);
  expect(value(s, 'virt_controller_volumes', { status: 'in-use' })).toBe(2);
  expect(value(s, 'virt_controller_reclaim_backlog')).toBe(0);
  expect(value(s, 'virt_controller_reclaim_failures_total')).toBe(0);
  expect(value(s, 'virt_controller_hosts', { state: 'up' })).toBe(2); // both within their grace after the start

  // Due, and one reclaim fails: backlog, failures and retrying say so. h2 never answered: down.
  await ctl.advance(INTERVAL * 1000);
  s = await scrape();
  expect(value(s, 'virt_controller_reclaim_backlog')).toBe(2);
  expect(value(s, 'virt_controller_hosts', { state: 'down' })).toBe(1);
  expect(value(s, 'virt_controller_hosts', { state: 'up' })).toBe(1);
  expect(value(s, 'virt_controller_agent_calls_total', { method: 'Check', code: 'UNAVAILABLE' })).toBeGreaterThan(0);
  await agent.stop();
  expect((await ctl.handle.periodic.reclaimOnce())).toBe(0); // h1's health check fails: postponed, not a failure
  s = await scrape();
  expect(value(s, 'virt_controller_reclaim_failures_total')).toBe(0);
  expect(value(s, 'virt_controller_reclaim_retrying')).toBe(0);

  // h1 away past service_down_seconds: a force delete in the records, a soft delete with its power-off pending.
  await ctl.advance(31_000);
  const forced = await ctl.client.call('ForceDeleteInstance', { uuid: a });
  expect(forced.needs_host_cleanup).toBe(true);
  s = await scrape();
  expect(value(s, 'virt_controller_pending_host_cleanups')).toBe(1);
  expect(value(s, 'virt_controller_hosts', { state: 'down' })).toBe(2);
  expect(value(s, 'virt_controller_volumes', { status: 'detaching' })).toBe(1);
  expect(value(s, 'virt_controller_reclaim_backlog')).toBe(1);
  await ctl.handle.store.engine.run('UPDATE instances SET pending_power_off = 1, reclaim_attempts = 2 WHERE uuid = ?', [b]);
  s = await scrape();
  expect(value(s, 'virt_controller_pending_power_offs')).toBe(1);
  expect(value(s, 'virt_controller_reclaim_retrying')).toBe(1);

  const notFound = await fetch(`${base}/other`);
  expect(notFound.status).toBe(404);
});

it('counts failed reclaims', async () => {
  // Reclaim of b against an agent that answers with an error: a failure, retried later.
  const back = await startTestAgent({ port: agent.port });
  try {
    await ctl.advance(1000);
    const b = (await ctl.handle.store.listInstances({ vm_state: 'soft_deleted' }))[0]!;
    await ctl.handle.store.engine.run('UPDATE instances SET pending_power_off = 0, reclaim_next_at = NULL WHERE uuid = ?', [b.uuid]);
    // The new agent's node does not know the domain: Destroy of a missing domain succeeds (idempotent),
    // so make it fail for real with a volume path the agent refuses.
    await ctl.handle.store.engine.run('UPDATE volumes SET connection_info = ? WHERE instance_uuid = ?',
      [JSON.stringify({ driver_volume_type: 'local', data: { device_path: 'relative/path' } }), b.uuid]);
    expect(await ctl.handle.periodic.reclaimOnce()).toBe(0);
    const s = await scrape();
    expect(value(s, 'virt_controller_reclaim_failures_total')).toBe(1);
    expect(value(s, 'virt_controller_reclaim_retrying')).toBe(1);
    expect((await ctl.handle.store.requireInstance(b.uuid)).reclaim_error).toMatch(/device_path/);
  } finally {
    await back.stop();
  }
});
