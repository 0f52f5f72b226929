// Prometheus metrics of one controller: a registry of its own (tests run
// several controllers in one process). Counters are fed by the gRPC call
// observer, the agent pool and the reclaim; gauges are read from the records
// and the host liveness at scrape time. The names are a contract with the
// dashboards and alert rules: keep them.
import * as grpc from '@grpc/grpc-js';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { CallObserver } from '../grpc/status';
import { nameOf } from '../enums';
import { serveMetrics, type MetricsEndpoint } from '../metrics-http';
import type { ControllerHooks } from './deps';
import type { HostLiveness } from './liveness';
import type { Store } from './store';
import { VM_STATES, VOLUME_STATUSES } from './types';

/** Seconds; controller calls range from record reads to waits for a clean shutdown. */
const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

function splitPath(path: string): [string, string] {
  const m = /^\/([^/]+)\/([^/]+)$/.exec(path);
  return m ? [m[1]!, m[2]!] : ['unknown', path.slice(0, 64)];
}

const codeName = (code: grpc.status): string => nameOf(grpc.status, code) ?? String(code);

export interface MetricSources {
  store: Store;
  liveness: HostLiveness;
  /** For the reclaim backlog's cutoff. */
  reclaimIntervalSeconds: number;
}

export class ControllerMetrics {
  readonly registry = new Registry();
  private readonly rpcTotal: Counter<'service' | 'method' | 'code'>;
  private readonly rpcSeconds: Histogram<'service' | 'method' | 'code'>;
  private readonly agentCalls: Counter<'method' | 'code'>;
  private readonly reclaimFailures: Counter;
  private endpoint: MetricsEndpoint | undefined;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    const { store, liveness } = sources;
    this.rpcTotal = new Counter({
      name: 'virt_controller_grpc_requests_total', help: 'Finished Controller calls by method and gRPC status code.',
      labelNames: ['service', 'method', 'code'], registers,
    });
    this.rpcSeconds = new Histogram({
      name: 'virt_controller_grpc_request_duration_seconds', help: 'Controller call latency by method and gRPC status code.',
      labelNames: ['service', 'method', 'code'], buckets: BUCKETS, registers,
    });
    this.agentCalls = new Counter({
      name: 'virt_controller_agent_calls_total', help: 'Calls to the agents (each attempt; Check = health check) by method and gRPC status code.',
      labelNames: ['method', 'code'], registers,
    });
    this.reclaimFailures = new Counter({
      name: 'virt_controller_reclaim_failures_total', help: 'Reclaim attempts that failed (the instance stays soft deleted and is retried).', registers,
    });
    new Gauge({
      name: 'virt_controller_instances', help: 'Instance records by vm_state (deleted ones included).', labelNames: ['vm_state'], registers,
      async collect() {
        const counts = new Map((await store.counts.instanceCounts()).map((r) => [r.vm_state, r.n]));
        for (const s of VM_STATES) this.set({ vm_state: s }, counts.get(s) ?? 0);
      },
    });
    new Gauge({
      name: 'virt_controller_volumes', help: 'Volume records by status.', labelNames: ['status'], registers,
      async collect() {
        const counts = new Map((await store.counts.volumeCounts()).map((r) => [r.status, r.n]));
        for (const s of VOLUME_STATUSES) this.set({ status: s }, counts.get(s) ?? 0);
      },
    });
    const cutoff = () => store.clock.now() - sources.reclaimIntervalSeconds * 1000;
    const gauge = (name: string, help: string, pick: (b: Awaited<ReturnType<Store['counts']['backlog']>>) => number) => new Gauge({
      name, help, registers,
      async collect() {
        this.set(pick(await store.counts.backlog(cutoff())));
      },
    });
    gauge('virt_controller_reclaim_backlog', 'Soft-deleted instances due for reclaim and not yet reclaimed.', (b) => b.reclaimDue);
    gauge('virt_controller_reclaim_retrying', 'Soft-deleted instances whose reclaim failed at least once (retried with backoff).', (b) => b.reclaimRetrying);
    gauge('virt_controller_pending_power_offs', 'Instances soft deleted in the records only, power-off pending until their host is back.', (b) => b.pendingPowerOffs);
    gauge('virt_controller_pending_host_cleanups', 'Instances deleted in the records only, domain and disks still to destroy on their host.',
      (b) => b.pendingCleanups);
    new Gauge({
      name: 'virt_controller_hosts', help: 'Configured hosts by liveness state (down: no successful contact for service_down_seconds).',
      labelNames: ['state'], registers,
      collect() {
        const states = liveness.states();
        this.set({ state: 'up' }, states.filter((h) => h.state === 'up').length);
        this.set({ state: 'down' }, states.filter((h) => h.state === 'down').length);
      },
    });
  }

  /** For the gRPC wrappers. */
  readonly callObserver: CallObserver = (path, code, durationMs) => {
    const [service, method] = splitPath(path);
    const labels = { service, method, code: codeName(code) };
    this.rpcTotal.inc(labels);
    this.rpcSeconds.observe(labels, durationMs / 1000);
  };

  /** For the agent pool. */
  readonly agentCallObserver = (_host: string, method: string, code: grpc.status): void => {
    this.agentCalls.inc({ method, code: codeName(code) });
  };

  readonly hooks: ControllerHooks = {
    reclaimFailed: () => this.reclaimFailures.inc(),
  };

  text(): Promise<string> {
    return this.registry.metrics();
  }

  async serve(address: string): Promise<number> {
    this.endpoint = await serveMetrics(this.registry, address);
    return this.endpoint.port;
  }

  get port(): number | undefined {
    return this.endpoint?.port;
  }

  async stop(): Promise<void> {
    const e = this.endpoint;
    this.endpoint = undefined;
    await e?.close();
  }
}
