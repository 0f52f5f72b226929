// Composes the controller: database, store, quota, host liveness and its
// health watch, agent pool, service, periodic tasks (pending power-offs and
// detaches, reclaim, host cleanup), metrics and the gRPC server. Used by the
// CLI and by tests, which run it in-process against agents (in-process or
// real processes).
import fs from 'node:fs';
import os from 'node:os';

import { CONTROLLER_PROTO, CONTROLLER_SERVICE } from '../grpc/contract';
import { loadProtos } from '../grpc/protos';
import { createServer, listen, shutdown, type GrpcServer, type ListenResult } from '../grpc/server';
import { channelCredentials, serverCredentialsFromFlags, tlsConfigured } from '../grpc/tls';
import type { Logger } from '../logging';
import { AgentPool } from './agent-client';
import type { ControllerConfig } from './config';
import { NO_HOOKS, type Deps } from './deps';
import { HostRegistry } from './hosts';
import { HealthWatch, HostLiveness } from './liveness';
import { ControllerMetrics } from './metrics';
import { Quota } from './quota';
import { PeriodicTasks } from './periodic';
import { TaskLeases } from './task-leases';
import { controllerService, type CallerIdentity } from './server';
import { ControllerService } from './service';
import { openEngine, redactDbUrl, type SqlEngine } from './sql';
import { Store } from './store';
import { systemClock, type Clock } from './types';

export interface ControllerOverrides {
  clock?: Clock;
  /** Backoff sleeps between agent retries. */
  sleep?: (ms: number) => Promise<void>;
  /** Cap of the agent channels' reconnect backoff (default 5 s). */
  maxReconnectBackoffMs?: number;
  /** Do not start the periodic timer nor the health watch (tests drive runOnce() and health.checkOnce()). */
  manualPeriodic?: boolean;
}

export interface ControllerHandle {
  engine: SqlEngine;
  store: Store;
  service: ControllerService;
  periodic: PeriodicTasks;
  /** The renewal of this replica's task leases. */
  leases: TaskLeases;
  agents: AgentPool;
  /** Registered and static hosts (RegisterHost, Heartbeat, ListHosts, SetHostDisabled). */
  hosts: HostRegistry;
  liveness: HostLiveness;
  health: HealthWatch;
  /** With --metrics-listen: the registry and its endpoint (metrics.port). */
  metrics?: ControllerMetrics;
  grpc: GrpcServer;
  listen: ListenResult;
  /** Stops the server (running calls get drainMs), the periodic tasks, the agent channels and the database. */
  stop(drainMs?: number): Promise<void>;
}

export async function startController(config: ControllerConfig, logger: Logger, overrides: ControllerOverrides = {}): Promise<ControllerHandle> {
  // The same TLS files serve the controller's port and authenticate it to the agents.
  const credentials = serverCredentialsFromFlags(config, (method, subject, peer) =>
    logger.warn({ method, subject, peer }, 'call refused: client certificate not in --tls-allow-subjects'));
  const agentCredentials = tlsConfigured(config)
    ? channelCredentials({ cert: config.tlsCert, key: config.tlsKey, ca: config.tlsCa })
    : undefined;
  const engine = await openEngine(config.db, { logger, poolSize: config.dbPoolSize, exclusive: true });
  const clock = overrides.clock ?? systemClock;
  const store = new Store(engine, clock);
  // Every host starts "up": down only service_down_seconds after the start without a contact.
  const liveness = new HostLiveness({ clock, serviceDownSeconds: config.serviceDownSeconds, hosts: config.hosts.keys() });
  const metrics = config.metricsListen !== ''
    ? new ControllerMetrics({ store, liveness, reclaimIntervalSeconds: config.reclaimIntervalSeconds })
    : undefined;
  const agents = new AgentPool({
    hosts: config.hosts,
    logger: logger.child({ component: 'agent-client' }),
    retry: { attempts: config.agentRetryAttempts, initialBackoffMs: config.agentRetryBackoffMs, maxBackoffMs: config.agentRetryBackoffMs * 8 },
    healthTimeoutMs: config.healthTimeoutMs,
    maxReconnectBackoffMs: overrides.maxReconnectBackoffMs ?? 5000,
    onContact: (host) => liveness.recordContact(host),
    isDown: (host) => liveness.isDown(host),
    ...(metrics ? { onCall: metrics.agentCallObserver } : {}),
    ...(agentCredentials ? { credentials: agentCredentials } : {}),
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
  });
  const deps: Deps = {
    store,
    replica: {
      id: config.replicaId || `${os.hostname()}/${config.listen}`,
      taskLeaseMs: config.taskLeaseSeconds * 1000,
      batchLeaseMs: config.batchLeaseSeconds * 1000,
      shared: engine.dialect === 'postgres',
    },
    quota: new Quota(store, config.quota),
    agents,
    liveness,
    logger,
    hooks: metrics?.hooks ?? NO_HOOKS,
    config: {
      reclaimIntervalSeconds: config.reclaimIntervalSeconds,
      cleanShutdownTimeoutSeconds: config.cleanShutdownTimeoutSeconds,
      powerOnTimeoutSeconds: config.powerOnTimeoutSeconds,
      agentTimeoutSeconds: config.agentTimeoutSeconds,
      // Retries of the periodic work: one poll interval, doubling, at most an hour.
      retryBaseMs: Math.max(1, config.reclaimPollSeconds) * 1000,
      retryCapMs: 3600 * 1000,
    },
  };
  const leases = new TaskLeases(store, logger.child({ component: 'task-leases' }), { owner: deps.replica.id, taskLeaseMs: deps.replica.taskLeaseMs });
  deps.leases = leases;
  const hosts = new HostRegistry({
    store, agents, liveness, logger: logger.child({ component: 'hosts' }), reportIntervalSeconds: config.reportIntervalSeconds, staticHosts: config.hosts,
  });
  deps.hosts = hosts;
  const service = new ControllerService(deps);
  let recovered: number;
  try {
    await hosts.init();
    recovered = await service.recoverInterrupted();
  } catch (err) {
    agents.close();
    await engine.close();
    throw err;
  }
  if (recovered > 0) logger.warn({ instances: recovered }, 'instances left mid-task by the last run were recovered');
  const periodic = new PeriodicTasks(deps, { pollSeconds: overrides.manualPeriodic ? 0 : config.reclaimPollSeconds, batch: config.periodicBatch });
  const health = new HealthWatch(agents, liveness, logger.child({ component: 'liveness' }),
    overrides.manualPeriodic ? 0 : config.healthCheckIntervalSeconds * 1000);
  const identity: CallerIdentity = credentials ? 'tls' : config.listen.startsWith('unix:') ? 'unix-socket' : 'plaintext-loopback';

  const protos = loadProtos([CONTROLLER_PROTO]);
  const grpcServer = createServer(protos, [{ name: CONTROLLER_SERVICE, implementation: controllerService(service, metrics?.callObserver, identity, hosts) }]);
  let bound: ListenResult;
  try {
    bound = await listen(grpcServer.server, config.listen, credentials, { plaintextLoopback: config.plaintextLoopback });
    if (metrics) {
      const port = await metrics.serve(config.metricsListen);
      logger.info({ metrics_listen: config.metricsListen, port }, 'metrics endpoint listening (GET /metrics)');
    }
  } catch (err) {
    grpcServer.server.forceShutdown();
    await metrics?.stop();
    agents.close();
    await engine.close();
    throw err;
  }
  periodic.start();
  health.start();
  if (!overrides.manualPeriodic) leases.start();
  // Other replicas' registrations and heartbeats, as often as the health watch runs.
  if (!overrides.manualPeriodic) hosts.start((config.healthCheckIntervalSeconds || config.reportIntervalSeconds) * 1000);
  logger.info({
    listen: config.listen, target: bound.target, port: bound.port, db: redactDbUrl(config.db), replica_id: deps.replica.id, hosts: Object.fromEntries(config.hosts),
    reclaim_interval_seconds: config.reclaimIntervalSeconds, service_down_seconds: config.serviceDownSeconds, caller_identity: identity,
  }, 'virt-controller listening');

  let stopping: Promise<void> | undefined;
  return {
    engine, store, service, periodic, leases, agents, hosts, liveness, health, grpc: grpcServer, listen: bound, ...(metrics ? { metrics } : {}),
    stop(drainMs = config.drainSeconds * 1000) {
      stopping ??= (async () => {
        const closing = shutdown(grpcServer.server, drainMs, grpcServer.health);
        await periodic.stop();
        await health.stop();
        await leases.stop();
        hosts.stop();
        await closing;
        await metrics?.stop();
        agents.close();
        await engine.close();
        if (bound.socketPath) fs.rmSync(bound.socketPath, { force: true });
      })();
      return stopping;
    },
  };
}
