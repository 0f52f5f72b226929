// Composes the agent: the libvirt Host, the flows' dependencies, the
// operation manager and the gRPC server. Used by the CLI and by tests, which
// start real agents in-process on the libvirt test driver.
import fs from 'node:fs';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';

import { libvirtAdmission } from '../libvirt/admission';
import { Host } from '../libvirt/host';
import { native } from '../libvirt/native';
import { ConnectionGuard } from '../grpc/connections';
import { listen, shutdown, createServer, type GrpcServer, type ListenResult } from '../grpc/server';
import { AGENT_PROTO, AGENT_SERVICE } from '../grpc/contract';
import { loadProtos } from '../grpc/protos';
import { serverCredentialsFromFlags } from '../grpc/tls';
import type { Logger } from '../logging';
import { ServiceNotifier } from '../service-notify';
import { systemClock, type Clock } from './clock';
import type { AgentConfig } from './config';
import { DomainStore } from './domain-store';
import { execFileRunner, type CommandRunner } from './exec';
import type { FlowDeps } from './flows/types';
import { Journal } from './journal';
import { AgentMetrics } from './metrics';
import { Operations } from './operations';
import { recover, type RecoveryReport } from './recovery';
import { registerFromConfig } from './registration';
import { notifyServiceManager } from './service-manager';
import { hostAgentService } from './server';
import { lockStateDir } from './state-lock';
import { configureStorageIo } from './storage-io';
import { EventStreams } from './watch-events';
import { Watchdog } from './watchdog';

export interface AgentHandle {
  deps: FlowDeps;
  ops: Operations;
  grpc: GrpcServer;
  listen: ListenResult;
  /** With --metrics-listen: the registry and its HTTP endpoint (metrics.port). */
  metrics?: AgentMetrics;
  /** Settles once interrupted operations from the journal were handled (after libvirt connects). */
  recovered: Promise<RecoveryReport>;
  /**
   * Whether libvirt answers: `healthy`, and a 'change' event. A service
   * manager's watchdog (systemd WATCHDOG=1) should be fed only while healthy.
   */
  watchdog: Watchdog;
  journal: Journal;
  /** Connection limits of the gRPC port (open / handshaking counts). */
  connections: ConnectionGuard;
  /** Stops accepting calls, waits for in-flight operations up to drainMs, closes libvirt. */
  stop(drainMs?: number): Promise<void>;
}

export interface AgentOverrides {
  clock?: Clock;
  runner?: CommandRunner;
  /** Fail start-up when libvirt cannot be reached at once (tests); default: keep retrying. */
  requireLibvirt?: boolean;
  /** Where NOTIFY_SOCKET / WATCHDOG_USEC / WATCHDOG_PID are read (default process.env): systemd notifications. */
  serviceEnv?: NodeJS.ProcessEnv;
}

export function agentVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export async function startAgent(config: AgentConfig, logger: Logger, overrides: AgentOverrides = {}): Promise<AgentHandle> {
  // Before anything in the state directory is read or written: one agent per directory.
  const lock = lockStateDir(config.stateDir);
  const cleanups: Array<() => unknown> = [() => lock.release()];
  const undo = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    return await start(config, logger, overrides, cleanups);
  } catch (err) {
    await undo();
    throw err;
  }
}

async function start(config: AgentConfig, logger: Logger, overrides: AgentOverrides, cleanups: Array<() => unknown>): Promise<AgentHandle> {
  // Process-wide: libvirt calls and storage I/O each on threads of their own (src/native/pool.h).
  native().libvirtPool.setMaxThreads(config.libvirtThreads);
  // No more calls in the binding than it has threads: the rest wait in order,
  // reads first (libvirt/admission.ts).
  libvirtAdmission.configure({ limit: config.libvirtThreads });
  configureStorageIo(config.storageIo);
  const metrics = config.metricsListen !== '' ? new AgentMetrics(agentVersion()) : undefined;
  cleanups.push(() => metrics?.stop());
  // Certificate problems fail the start before anything else happens.
  const credentials = serverCredentialsFromFlags(config, (method, subject, peer) => {
    logger.warn({ method, subject, peer }, 'call refused: client certificate not in --tls-allow-subjects');
    metrics?.callObserver(method, grpc.status.PERMISSION_DENIED, 0);
  });
  const host = new Host({
    uri: config.libvirtUri,
    logger: logger.child({ component: 'libvirt' }),
    keepalive: { intervalSeconds: 5, count: 3 },
  });
  const deps: FlowDeps = {
    host,
    clock: overrides.clock ?? systemClock,
    logger,
    config,
    runner: overrides.runner ?? execFileRunner(logger.child({ component: 'exec' })),
    store: new DomainStore(config.stateDir),
  };
  const journal = new Journal(config.stateDir, {
    maxBytes: config.journalMaxBytes,
    replay: { maxEntries: config.requestCacheSize, maxAgeMs: config.requestRetentionSeconds * 1000 },
  });
  const opened = performance.now();
  const journalState = await journal.open();
  cleanups.push(() => journal.close());
  logger.info({
    bytes_read: journalState.bytes, bytes: journal.bytes, results: journalState.restored,
    unfinished: journalState.unfinished.length, ms: Math.round(performance.now() - opened),
  }, 'journal replayed');
  if (journalState.broken + journalState.unknown > 0) {
    logger.warn({ broken: journalState.broken, unknown_type: journalState.unknown, lines: journalState.skippedAt },
      'journal: skipped lines that are not a known record (a torn write, or written by another version)');
  }
  journal.onCompact = (c) => {
    if (c.error) logger.error({ err: c.error.message, bytes: c.bytes }, 'journal compaction failed; appending to the old file');
    else logger.info({ bytes: c.bytes, results: c.results, unfinished: c.unfinished, ms: Math.round(c.ms) }, 'journal compacted');
  };
  metrics?.watchHost(host);
  const ops = new Operations(deps, journal, metrics?.operationObserver);
  metrics?.watchOperations(ops);
  const protos = loadProtos([AGENT_PROTO]);
  // Aborted by stop(): ends WatchEvents streams so they do not hold the shutdown up.
  const stopping = new AbortController();
  const events = new EventStreams(host, { ...config.watchEvents }, stopping.signal);
  const watchdog = new Watchdog(host, { ...config.watchdog, logger: logger.child({ component: 'watchdog' }) });
  const grpcServer = createServer(protos, [
    {
      name: AGENT_SERVICE,
      implementation: hostAgentService(deps, ops, { agentVersion: agentVersion(), observer: metrics?.callObserver, events, watchdog }),
    },
  ], {
    initialStatus: 'NOT_SERVING',
    // A connection without calls for this long is closed (GOAWAY; clients reconnect on their next call).
    serverOptions: { 'grpc.max_connection_idle_ms': config.connections.idleTimeoutMs },
  });
  cleanups.push(() => grpcServer.server.forceShutdown());
  const connections = new ConnectionGuard(config.connections);
  metrics?.watchBounded({ watchdog, events, journal, connections });

  // Health follows the watchdog: NOT_SERVING while libvirt is not connected or does not answer.
  const setServing = (serving: boolean) => {
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    grpcServer.health.setStatus('', status);
    grpcServer.health.setStatus(AGENT_SERVICE, status);
  };
  watchdog.on('change', (st) => {
    setServing(st.healthy);
    if (!st.healthy) logger.warn({ reason: st.reason }, 'health: NOT_SERVING');
    else logger.info('health: SERVING');
  });
  await host.start(overrides.requireLibvirt ?? false);
  cleanups.push(() => host.stop());
  watchdog.start();
  cleanups.push(() => watchdog.stop());

  // Finish what a crashed run left, once libvirt is there.
  const recovered = new Promise<RecoveryReport>((resolve) => {
    const go = () => {
      recover(deps, ops, journal, journalState.unfinished, logger).then(resolve, () => resolve({ rolledForward: 0, interrupted: 0, failed: journalState.unfinished.length }));
    };
    if (journalState.unfinished.length === 0) resolve({ rolledForward: 0, interrupted: 0, failed: 0 });
    else if (host.connected) go();
    else host.once('connected', go);
  });
  void recovered.then((r) => {
    if (r.rolledForward + r.interrupted + r.failed > 0) logger.info(r, 'journal recovery finished');
  });

  if (metrics) {
    const port = await metrics.serve(config.metricsListen);
    logger.info({ metrics_listen: config.metricsListen, port }, 'metrics endpoint listening (GET /metrics)');
  }
  const bound = await listen(grpcServer.server, config.listen, credentials, { plaintextLoopback: config.plaintextLoopback });
  connections.attachTo(grpcServer.server);
  logger.info({
    listen: config.listen, target: bound.target, port: bound.port, libvirt: config.libvirtUri,
    tls: credentials !== undefined, allow_subjects: config.tlsAllowSubjects.length > 0 ? config.tlsAllowSubjects : undefined,
    libvirt_threads: config.libvirtThreads, max_connections: config.connections.max,
  }, 'virt-agent listening');
  const notifier = ServiceNotifier.fromEnv({
    env: overrides.serviceEnv,
    onError: (err) => logger.warn({ err: err.message }, 'systemd notification failed'),
  });
  const notifications = notifier && notifyServiceManager(notifier, { host, watchdog, inFlight: () => ops.active }, logger);

  // --controller: announce the host and heartbeat (stopped first on stop()).
  const registration = registerFromConfig(config, bound.port, agentVersion(), logger);
  let stopped = false;
  return {
    deps,
    ops,
    grpc: grpcServer,
    listen: bound,
    metrics,
    recovered,
    watchdog,
    journal,
    connections,
    async stop(drainMs = config.drainSeconds * 1000) {
      if (stopped) return;
      stopped = true;
      notifications?.stopping();
      registration?.stop();
      stopping.abort();
      watchdog.stop();
      const closing = shutdown(grpcServer.server, drainMs, grpcServer.health);
      const drained = await ops.drain(drainMs);
      if (!drained) logger.warn({ in_flight: ops.active }, 'stopping with operations still running');
      await closing;
      // Closing the connection is a libvirt call: bounded, in case libvirt is stalled.
      await Promise.race([host.stop(), new Promise((r) => setTimeout(r, 5000).unref())]);
      await journal.close();
      await metrics?.stop();
      if (bound.socketPath) fs.rmSync(bound.socketPath, { force: true });
      cleanups[0]!(); // the state directory lock, last
    },
  };
}
