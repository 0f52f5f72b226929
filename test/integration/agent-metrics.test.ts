// The Prometheus endpoint of an in-process agent (--metrics-listen): RPC
// counters and latency histograms by method and code, operation and step
// durations, clean vs forced power-offs, in-flight and per-domain queue
// gauges, libvirt reconnects, the libvirt admission queue, event-loop lag;
// 404 elsewhere; closed by stop().
import fs from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startAgent } from '../../src/agent/agent';
import { defaultConfig } from '../../src/agent/config';
import type { CommandRunner } from '../../src/agent/exec';
import { stepLabel } from '../../src/agent/metrics';
import { silentLogger } from '../../src/logging';
import { makeTestNode, NODE_DOMAINS, startTestAgent, until, type TestAgent } from '../helpers/agent-client';
import { parseMetrics as parse, sampleValue as value, type Sample } from '../helpers/prometheus';


const AGENT = 'virtagent.v1.HostAgent';
let t: TestAgent;
let base: string;
/** Held by the test runner hook until released: keeps a DisconnectVolume running. */
let gate: { promise: Promise<void>; release: () => void } | undefined;
let commandsStarted = 0;

const runner: CommandRunner = {
  async run() {
    commandsStarted++;
    await gate?.promise;
    return { stdout: '', stderr: '', code: 0 };
  },
};

async function scrape(path = '/metrics'): Promise<Sample[]> {
  const res = await fetch(`${base}${path}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(await res.text());
}

beforeAll(async () => {
  t = await startTestAgent({ config: (c) => { c.metricsListen = '127.0.0.1:0'; }, overrides: { runner, requireLibvirt: true } });
  base = `http://127.0.0.1:${t.agent.metrics!.port}`;
});
afterAll(async () => {
  gate?.release();
  await t?.close();
});

describe('metrics endpoint', () => {
  it('counts calls by method and code, and the counters increase', async () => {
    await t.client.call('GetHostInfo');
    await t.client.call('ListDomains');
    await t.client.fail('GetDomain', { domain: { name: 'no-such-domain' } });
    await t.client.fail('GetDomain', { domain: { uuid: 'bad' } });
    const first = await scrape();
    const ok = { service: AGENT, method: 'GetHostInfo', code: 'OK' };
    expect(value(first, 'virt_agent_grpc_requests_total', ok)).toBe(1);
    expect(value(first, 'virt_agent_grpc_requests_total', { service: AGENT, method: 'ListDomains', code: 'OK' })).toBe(1);
    expect(value(first, 'virt_agent_grpc_requests_total', { service: AGENT, method: 'GetDomain', code: 'NOT_FOUND' })).toBe(1);
    expect(value(first, 'virt_agent_grpc_requests_total', { service: AGENT, method: 'GetDomain', code: 'INVALID_ARGUMENT' })).toBe(1);

    for (let i = 0; i < 3; i++) await t.client.call('GetHostInfo');
    const second = await scrape();
    expect(value(second, 'virt_agent_grpc_requests_total', ok)).toBe(4);
    // Histogram: cumulative buckets up to +Inf, whose count matches _count.
    const buckets = second.filter((s) => s.name === 'virt_agent_grpc_request_duration_seconds_bucket'
      && s.labels.method === 'GetHostInfo' && s.labels.code === 'OK');
    expect(buckets.length).toBeGreaterThan(10);
    expect(buckets.map((b) => b.value)).toEqual([...buckets.map((b) => b.value)].sort((a, b) => a - b));
    expect(buckets.at(-1)).toMatchObject({ labels: { le: '+Inf' }, value: 4 });
    expect(value(second, 'virt_agent_grpc_request_duration_seconds_count', ok)).toBe(4);
    expect(value(second, 'virt_agent_grpc_request_duration_seconds_sum', ok)).toBeGreaterThan(0);
  });

  it('counts clean and forced power-offs, operation and step durations', async () => {
    const before = await scrape();
    expect(value(before, 'virt_agent_power_off_total', { result: 'clean' })).toBe(0);
    expect(value(before, 'virt_agent_power_off_total', { result: 'forced' })).toBe(0);

    // The test driver stops a domain at once on a shutdown request: clean.
    expect((await t.client.call('PowerOff', { domain: { name: 'web-1' }, shutdown_methods: ['SHUTDOWN_METHOD_ACPI'] })).clean).toBe(true);
    // timeout 0: destroyed at once.
    expect((await t.client.call('PowerOff', { domain: { name: 'transient-1' }, timeout_seconds: 0 })).clean).toBe(false);
    // A replay of a finished request is not a second power-off.
    await t.client.call('PowerOff', { domain: { name: 'db-1' }, request_id: 'metrics-replay' });
    await t.client.call('PowerOff', { domain: { name: 'db-1' }, request_id: 'metrics-replay' });

    const after = await scrape();
    expect(value(after, 'virt_agent_power_off_total', { result: 'clean' })).toBe(2); // web-1, db-1 (already off)
    expect(value(after, 'virt_agent_power_off_total', { result: 'forced' })).toBe(1);
    expect(value(after, 'virt_agent_operation_duration_seconds_count', { op: 'PowerOff', result: 'ok' })).toBe(3);
    expect(value(after, 'virt_agent_operation_step_duration_seconds_count', { op: 'PowerOff', step: 'shutdown-request', outcome: 'ok' })).toBe(1);
    expect(value(after, 'virt_agent_operation_step_duration_seconds_count', { op: 'PowerOff', step: 'wait-stopped', outcome: 'ok' })).toBe(1);
    expect(value(after, 'virt_agent_operation_step_duration_seconds_count', { op: 'PowerOff', step: 'check-state', outcome: 'skipped' })).toBe(1);

    await t.client.fail('PowerOff', { domain: { name: 'no-such-domain' } });
    const failed = await scrape();
    expect(value(failed, 'virt_agent_operation_duration_seconds_count', { op: 'PowerOff', result: 'error' })).toBe(1);
    expect(value(failed, 'virt_agent_grpc_requests_total', { service: AGENT, method: 'PowerOff', code: 'NOT_FOUND' })).toBe(1);
  });

  it('shows operations in flight and the queue per domain while they run', async () => {
    let release!: () => void;
    gate = { promise: new Promise<void>((r) => (release = r)), release: () => release() };
    const uuid = NODE_DOMAINS['db-1'].uuid;
    const started = commandsStarted;
    // The host-side iSCSI teardown runs commands through the (held) runner.
    const volume = {
      volume_id: 'metrics-vol', target_dev: 'vdz',
      connection_info: { driver_volume_type: 'iscsi', data: { target_portal: '192.0.2.10:3260', target_iqn: 'iqn.2010-10.org.openstack:volume-9', target_lun: '1' } },
    };
    const first = t.client.call('DisconnectVolume', { domain: { uuid }, volume, ignore_errors: true });
    await until(() => commandsStarted > started, 5000, 'the disconnect to reach the runner');
    const second = t.client.call('PowerOff', { domain: { name: 'db-1' } });
    // Awaited below; a failure before that must not be an unhandled rejection.
    first.catch(() => undefined);
    second.catch(() => undefined);
    let during: ReturnType<typeof parse> = [];
    await until(async () => {
      during = await scrape();
      return value(during, 'virt_agent_operation_queue_depth', { domain: uuid }) === 2;
    }, 5000, 'queue depth 2');
    expect(value(during, 'virt_agent_operations_in_flight')).toBe(2);
    // Only domains with queued work are listed.
    expect(during.filter((s) => s.name === 'virt_agent_operation_queue_depth')).toHaveLength(1);

    gate.release();
    await Promise.all([first, second]);
    gate = undefined;
    const afterwards = await scrape();
    expect(value(afterwards, 'virt_agent_operations_in_flight')).toBe(0);
    expect(afterwards.filter((s) => s.name === 'virt_agent_operation_queue_depth')).toHaveLength(0);
    expect(value(afterwards, 'virt_agent_operation_step_duration_seconds_count', { op: 'DisconnectVolume', step: 'iscsi: list', outcome: 'ok' })).toBe(1);
  });

  it('reports the libvirt connection and counts reconnects from the Host events', async () => {
    const s = await scrape();
    expect(value(s, 'virt_agent_libvirt_connected')).toBe(1);
    expect(value(s, 'virt_agent_libvirt_reconnects_total')).toBe(0);
    expect(value(s, 'virt_agent_libvirt_disconnects_total')).toBe(0);
    // What the Host emits when its connection drops and comes back.
    const host = t.agent.deps.host;
    host.emit('disconnected', 'test: connection reset');
    host.emit('connected');
    const after = await scrape();
    expect(value(after, 'virt_agent_libvirt_disconnects_total')).toBe(1);
    expect(value(after, 'virt_agent_libvirt_reconnects_total')).toBe(1);
    expect(await t.client.healthCheck()).toBe('SERVING');
  });

  it("reports the libvirt admission queue: the agent's reads went through the priority lane, the slots are the libvirt threads", async () => {
    const before = await scrape();
    const admitted = value(before, 'virt_agent_libvirt_admission_admitted_total', { lane: 'priority' })!;
    await t.client.call('ListDomains');
    await t.client.call('GetDomain', { domain: { name: 'web-1' } });
    const s = await scrape();
    expect(value(s, 'virt_agent_libvirt_admission_admitted_total', { lane: 'priority' })).toBeGreaterThanOrEqual(admitted + 2);
    expect(value(s, 'virt_agent_libvirt_admission_slots', { kind: 'limit' })).toBe(t.config.libvirtThreads);
    for (const lane of ['priority', 'normal']) {
      for (const state of ['in_flight', 'waiting']) expect(value(s, 'virt_agent_libvirt_admission_calls', { lane, state }), `${lane} ${state}`).toBeGreaterThanOrEqual(0);
      expect(value(s, 'virt_agent_libvirt_admission_waited_total', { lane })).toBeGreaterThanOrEqual(0);
    }
  });

  it('reports event-loop lag and the agent version', async () => {
    await scrape();
    // The monitor samples every 10 ms; give it a few samples since that scrape.
    await new Promise((r) => setTimeout(r, 100));
    const s = await scrape();
    for (const stat of ['min', 'mean', 'p50', 'p90', 'p99', 'max']) {
      const v = value(s, 'virt_agent_event_loop_lag_seconds', { stat });
      expect(v, stat).toBeGreaterThanOrEqual(0);
      expect(v, stat).toBeLessThan(10);
    }
    expect(value(s, 'virt_agent_event_loop_lag_seconds', { stat: 'max' })).toBeGreaterThan(0);
    expect(s.find((x) => x.name === 'virt_agent_info')?.labels.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    for (const p of ['/', '/metric', '/metrics/', '/metrics/x', '/favicon.ico']) {
      const res = await fetch(`${base}${p}`);
      expect(res.status, p).toBe(404);
      await res.text();
    }
    const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    await post.text();
    expect((await fetch(`${base}/metrics?format=text`)).status).toBe(200);
  });

  it('step labels drop parameters', () => {
    expect(stepLabel('remove-disk vda')).toBe('remove-disk');
    expect(stepLabel('detach-live (1/3)')).toBe('detach-live');
    expect(stepLabel('iscsi: logout 192.0.2.10:3260 iqn.x')).toBe('iscsi: logout');
    expect(stepLabel('nfs: umount /var/lib/virt-agent/mnt/abc')).toBe('nfs: umount');
    expect(stepLabel('wait-stopped')).toBe('wait-stopped');
  });
});

describe('lifecycle', () => {
  it('is off by default and closed by stop()', async () => {
    const plain = await startTestAgent();
    try {
      expect(plain.agent.metrics).toBeUndefined();
    } finally {
      await plain.close();
    }
    const other = await startTestAgent({ config: (c) => { c.metricsListen = '127.0.0.1:0'; } });
    const url = `http://127.0.0.1:${other.agent.metrics!.port}/metrics`;
    expect((await fetch(url)).status).toBe(200);
    await other.close();
    await expect(fetch(url)).rejects.toThrow();
  });

  async function startError(metricsListen: string): Promise<string> {
    const node = makeTestNode('virt-agent-metrics-cfg-');
    const cfg = defaultConfig();
    Object.assign(cfg, { libvirtUri: node.uri, stateDir: node.stateDir, instancesPath: node.instancesPath, listen: '127.0.0.1:0', plaintextLoopback: true, metricsListen });
    try {
      const agent = await startAgent(cfg, silentLogger(), { requireLibvirt: true });
      await agent.stop(1000);
      return 'started';
    } catch (err) {
      return (err as Error).message;
    } finally {
      fs.rmSync(node.dir, { recursive: true, force: true });
    }
  }

  it('refuses a bad --metrics-listen', async () => {
    expect(await startError('unix:///tmp/m.sock')).toMatch(/^--metrics-listen: expected HOST:PORT/);
    expect(await startError('9477')).toMatch(/^--metrics-listen: expected HOST:PORT/);
    expect(await startError(`127.0.0.1:${t.agent.metrics!.port}`)).toMatch(/^--metrics-listen 127\.0\.0\.1:\d+: address in use/);
  });
});
