// Prometheus metrics of one agent: a registry of its own (not prom-client's
// global one, so a process can hold many agents, as the tests do), fed by the
// gRPC call observer, the operation observer and the Host's events, and an
// HTTP endpoint (GET /metrics) on its own listen address.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

import * as grpc from '@grpc/grpc-js';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { ConnectionGuard } from '../grpc/connections';
import type { CallObserver } from '../grpc/status';
import type { Host } from '../libvirt/host';
import { nameOf } from '../enums';
import { libvirtAdmission, type Lane } from '../libvirt/admission';
import { native } from '../libvirt/native';
import { serveMetrics, type MetricsEndpoint } from '../metrics-http';
import type { Journal } from './journal';
import type { OperationObserver, Operations } from './operations';
import type { Step } from './steps';
import { storageIoStats } from './storage-io';
import type { EventStreams } from './watch-events';
import type { Watchdog } from './watchdog';

/** What the agent keeps bounded, for the gauges below (each optional). */
export interface BoundedParts {
  watchdog?: Watchdog;
  events?: EventStreams;
  journal?: Journal;
  connections?: ConnectionGuard;
}

/** Seconds; RPCs and steps range from sub-millisecond lookups to 60 s+ clean shutdowns. */
const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * A step name without its parameters, so labels stay few: "remove-disk vda"
 * → "remove-disk", "detach-live (1/3)" → "detach-live", "iscsi: logout
 * 10.0.0.1:3260 iqn..." → "iscsi: logout".
 */
export function stepLabel(name: string): string {
  const words = name.trim().split(/\s+/);
  const head = words[0] ?? '';
  const label = head.endsWith(':') && words.length > 1 ? `${head} ${words[1]}` : head.replace(/\(.*$/, '');
  return label.replace(/[^A-Za-z0-9:._ -]/g, '_').slice(0, 64) || 'unnamed';
}

/** "/virtagent.v1.HostAgent/PowerOff" → ["virtagent.v1.HostAgent", "PowerOff"]. */
function splitPath(path: string): [string, string] {
  const m = /^\/([^/]+)\/([^/]+)$/.exec(path);
  return m ? [m[1]!, m[2]!] : ['unknown', path.slice(0, 64)];
}

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly rpcTotal: Counter<'service' | 'method' | 'code'>;
  private readonly rpcSeconds: Histogram<'service' | 'method' | 'code'>;
  private readonly opSeconds: Histogram<'op' | 'result'>;
  private readonly stepSeconds: Histogram<'op' | 'step' | 'outcome'>;
  private readonly powerOffs: Counter<'result'>;
  private readonly reconnects: Counter;
  private readonly disconnects: Counter;
  private readonly loopDelay: IntervalHistogram;
  private host: Host | undefined;
  private ops: Operations | undefined;
  private parts: BoundedParts = {};
  private everConnected = false;
  private endpoint: MetricsEndpoint | undefined;
  /** The bound TCP port of the HTTP endpoint once serve() resolved. */
  port: number | undefined;

  constructor(version: string) {
    const registers = [this.registry];
    new Gauge({ name: 'virt_agent_info', help: 'Agent version (always 1).', labelNames: ['version'], registers }).set({ version }, 1);
    this.rpcTotal = new Counter({
      name: 'virt_agent_grpc_requests_total', help: 'Finished HostAgent calls by method and gRPC status code.',
      labelNames: ['service', 'method', 'code'], registers,
    });
    this.rpcSeconds = new Histogram({
      name: 'virt_agent_grpc_request_duration_seconds', help: 'HostAgent call latency by method and gRPC status code.',
      labelNames: ['service', 'method', 'code'], buckets: BUCKETS, registers,
    });
    this.opSeconds = new Histogram({
      name: 'virt_agent_operation_duration_seconds', help: 'Mutating operations (PowerOff, Destroy, ...) by result, queueing included.',
      labelNames: ['op', 'result'], buckets: BUCKETS, registers,
    });
    this.stepSeconds = new Histogram({
      name: 'virt_agent_operation_step_duration_seconds', help: 'Operation steps by operation, step (parameters stripped) and outcome.',
      labelNames: ['op', 'step', 'outcome'], buckets: BUCKETS, registers,
    });
    this.powerOffs = new Counter({
      name: 'virt_agent_power_off_total', help: 'Completed PowerOff operations: clean = the guest stopped itself, forced = destroyed.',
      labelNames: ['result'], registers,
    });
    for (const result of ['clean', 'forced']) this.powerOffs.inc({ result }, 0);
    this.reconnects = new Counter({ name: 'virt_agent_libvirt_reconnects_total', help: 'Times the libvirt connection was re-established after being lost.', registers });
    this.disconnects = new Counter({ name: 'virt_agent_libvirt_disconnects_total', help: 'Times the libvirt connection was lost.', registers });
    const self = this;
    new Gauge({
      name: 'virt_agent_libvirt_connected', help: '1 while the libvirt connection is up.', registers,
      collect() {
        this.set(self.host?.connected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'virt_agent_operations_in_flight', help: 'Mutating operations queued or running (what a stop drains).', registers,
      collect() {
        this.set(self.ops?.active ?? 0);
      },
    });
    new Gauge({
      name: 'virt_agent_operation_queue_depth',
      help: 'Operations queued or running per domain (uuid, or name:NAME for one libvirt did not know); only domains with work.',
      labelNames: ['domain'], registers,
      collect() {
        this.reset();
        for (const [key, n] of self.ops?.queueDepths() ?? []) {
          if (key.startsWith('key:')) continue;
          this.set({ domain: key.slice(0, 300) }, n);
        }
      },
    });
    this.boundedMetrics(registers);
    // Enabled by serve(), disabled by stop().
    this.loopDelay = monitorEventLoopDelay({ resolution: 10 });
    new Gauge({
      name: 'virt_agent_event_loop_lag_seconds',
      help: 'Event-loop delay since the previous scrape (stat: min, mean, p50, p90, p99, max).',
      labelNames: ['stat'], registers,
      collect() {
        const h = self.loopDelay;
        const s = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
        const count = h.count;
        this.set({ stat: 'min' }, count > 0 ? s(h.min) : 0);
        this.set({ stat: 'mean' }, count > 0 ? s(h.mean) : 0);
        this.set({ stat: 'p50' }, s(h.percentile(50)));
        this.set({ stat: 'p90' }, s(h.percentile(90)));
        this.set({ stat: 'p99' }, s(h.percentile(99)));
        this.set({ stat: 'max' }, s(h.max));
        h.reset();
      },
    });
  }

  /** Gauges and totals of the parts that keep the agent bounded (watchBounded). */
  private boundedMetrics(registers: Registry[]): void {
    const self = this;
    /** A counter whose total is kept elsewhere: set at scrape time. */
    const total = (name: string, help: string, value: () => number | undefined) => new Counter({
      name, help, registers,
      collect() {
        const v = value();
        this.reset();
        if (v !== undefined) this.inc(v);
      },
    });
    const gauge = (name: string, help: string, value: () => number | undefined) => new Gauge({
      name, help, registers,
      collect() {
        const v = value();
        if (v !== undefined) this.set(v);
      },
    });
    gauge('virt_agent_libvirt_responsive', '1 while libvirt answers the watchdog call in time (0: stalled or not connected).',
      () => (self.parts.watchdog ? (self.parts.watchdog.healthy ? 1 : 0) : undefined));
    total('virt_agent_libvirt_stalls_total', 'Watchdog calls that missed their deadline.', () => self.parts.watchdog?.stalls);
    new Gauge({
      name: 'virt_agent_libvirt_pool_threads', help: "The binding's libvirt threads: started, busy in a call, calls queued for one.",
      labelNames: ['state'], registers,
      collect() {
        const st = native().libvirtPool.stats();
        this.set({ state: 'max' }, st.max);
        this.set({ state: 'started' }, st.threads);
        this.set({ state: 'busy' }, st.busy);
        this.set({ state: 'queued' }, st.queued);
      },
    });
    this.admissionMetrics(registers);
    new Gauge({
      name: 'virt_agent_storage_io_calls', help: 'File-system calls on storage: in flight, of those given up on (stuck threads), waiting for a slot.',
      labelNames: ['state'], registers,
      collect() {
        const st = storageIoStats();
        this.set({ state: 'in_flight' }, st.inFlight);
        this.set({ state: 'stalled' }, st.stalled);
        this.set({ state: 'waiting' }, st.waiting);
      },
    });
    total('virt_agent_storage_io_stalls_total', 'File-system calls on storage that missed their deadline.', () => storageIoStats().stalledTotal);
    gauge('virt_agent_watch_streams', 'Open WatchEvents streams.', () => self.parts.events?.open);
    total('virt_agent_watch_streams_overflowed_total', 'WatchEvents streams ended with RESOURCE_EXHAUSTED because the client fell behind.',
      () => self.parts.events?.overflowed);
    gauge('virt_agent_journal_bytes', 'Size of the operation journal.', () => self.parts.journal?.bytes);
    total('virt_agent_journal_compactions_total', 'Journal rewrites (at start and whenever it passed its size cap).', () => self.parts.journal?.compactions);
    gauge('virt_agent_replay_cache_entries', 'Request ids whose results are kept for replay.', () => self.parts.journal?.cache.size);
    new Gauge({
      name: 'virt_agent_connections', help: 'Open gRPC connections; handshaking = TLS handshake not finished.',
      labelNames: ['state'], registers,
      collect() {
        const st = self.parts.connections?.stats();
        if (!st) return;
        this.set({ state: 'open' }, st.open);
        this.set({ state: 'handshaking' }, st.handshaking);
      },
    });
    new Counter({
      name: 'virt_agent_connections_dropped_total', help: 'Connections closed by the limits: refused (limit, all established), evicted (to make room), handshake_timeout.',
      labelNames: ['reason'], registers,
      collect() {
        const st = self.parts.connections?.stats();
        if (!st) return;
        this.reset();
        this.inc({ reason: 'refused' }, st.refused);
        this.inc({ reason: 'evicted' }, st.evicted);
        this.inc({ reason: 'handshake_timeout' }, st.handshakeTimeouts);
      },
    });
  }

  /**
   * The admission of libvirt calls into the binding (libvirt/admission.ts,
   * process-wide like the pool): calls in the binding and waiting for a slot
   * per lane (priority = reads), the slots, and totals admitted and made to wait.
   */
  private admissionMetrics(registers: Registry[]): void {
    const LANES: Lane[] = ['priority', 'normal'];
    new Gauge({
      name: 'virt_agent_libvirt_admission_calls', help: 'libvirt calls in the binding (in_flight) and waiting for a slot (waiting), by lane: priority = reads.',
      labelNames: ['lane', 'state'], registers,
      collect() {
        const st = libvirtAdmission.stats();
        for (const lane of LANES) {
          this.set({ lane, state: 'in_flight' }, st.running[lane]);
          this.set({ lane, state: 'waiting' }, st.waiting[lane]);
        }
      },
    });
    new Gauge({
      name: 'virt_agent_libvirt_admission_slots', help: 'Admission slots: limit = calls in the binding at once, reserved = of those, only for the priority lane.',
      labelNames: ['kind'], registers,
      collect() {
        const st = libvirtAdmission.stats();
        this.set({ kind: 'limit' }, st.limit);
        this.set({ kind: 'reserved' }, st.reserved);
      },
    });
    const perLane = (name: string, help: string, value: (lane: Lane) => number) => new Counter({
      name, help, labelNames: ['lane'], registers,
      collect() {
        this.reset();
        for (const lane of LANES) this.inc({ lane }, value(lane));
      },
    });
    perLane('virt_agent_libvirt_admission_admitted_total', 'libvirt calls given a slot in the binding, by lane.',
      (lane) => libvirtAdmission.stats().admitted[lane]);
    perLane('virt_agent_libvirt_admission_waited_total', 'libvirt calls that had to wait for a slot, by lane.',
      (lane) => libvirtAdmission.stats().waitedByLane[lane]);
  }

  /** Reports the watchdog, WatchEvents streams, the journal and connection limits. */
  watchBounded(parts: BoundedParts): void {
    this.parts = { ...this.parts, ...parts };
  }

  /** For the gRPC wrappers (and the TLS allow-list's refusals). */
  readonly callObserver: CallObserver = (path, code, durationMs) => {
    const [service, method] = splitPath(path);
    const labels = { service, method, code: nameOf(grpc.status, code) ?? String(code) };
    this.rpcTotal.inc(labels);
    this.rpcSeconds.observe(labels, durationMs / 1000);
  };

  /** For Operations. */
  readonly operationObserver: OperationObserver = {
    onStep: (op: string, step: Step) => {
      this.stepSeconds.observe({ op, step: stepLabel(step.name), outcome: step.outcome }, step.duration_ms / 1000);
    },
    onFinish: (op: string, ok: boolean, durationMs: number, value?: unknown) => {
      this.opSeconds.observe({ op, result: ok ? 'ok' : 'error' }, durationMs / 1000);
      if (ok && op === 'PowerOff' && typeof (value as { clean?: unknown } | undefined)?.clean === 'boolean') {
        this.powerOffs.inc({ result: (value as { clean: boolean }).clean ? 'clean' : 'forced' });
      }
    },
  };

  private readonly onConnected = (): void => {
    if (this.everConnected) this.reconnects.inc();
    this.everConnected = true;
  };

  private readonly onDisconnected = (): void => {
    this.disconnects.inc();
  };

  /** Counts the Host's connection events; attach before host.start() to see the first connect. */
  watchHost(host: Host): void {
    this.host = host;
    this.everConnected = host.connected;
    host.on('connected', this.onConnected);
    host.on('disconnected', this.onDisconnected);
  }

  watchOperations(ops: Operations): void {
    this.ops = ops;
  }

  /** The text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Serves GET /metrics on HOST:PORT (src/metrics-http.ts). */
  async serve(address: string): Promise<number> {
    this.endpoint = await serveMetrics(this.registry, address);
    this.loopDelay.enable();
    this.port = this.endpoint.port;
    return this.port;
  }

  /** Closes the endpoint (and its keep-alive connections), stops the loop monitor, detaches from the Host. */
  async stop(): Promise<void> {
    this.loopDelay.disable();
    if (this.host) {
      this.host.off('connected', this.onConnected);
      this.host.off('disconnected', this.onDisconnected);
    }
    const endpoint = this.endpoint;
    this.endpoint = undefined;
    await endpoint?.close();
  }
}
