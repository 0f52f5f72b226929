// Composes the controller: database, store, quota, agent pool, service,
// periodic tasks (reclaim + host cleanup) and the gRPC server. Used by the
// CLI and by tests, which run it in-process against in-process agents.
import fs from 'node:fs';

import { loadProtos } from '../grpc/protos';
import { createServer, listen, shutdown, type GrpcServer, type ListenResult } from '../grpc/server';
import { channelCredentials, serverCredentialsFromFlags, tlsConfigured } from '../grpc/tls';
import type { Logger } from '../logging';
import { AgentPool } from './agent-client';
import type { ControllerConfig } from './config';
import { openDatabase, type Db } from './db';
import type { Deps } from './lifecycle';
import { Quota } from './quota';
import { PeriodicTasks } from './reclaim';
import { CONTROLLER_SERVICE, controllerService } from './server';
import { ControllerService } from './service';
import { Store } from './store';
import { systemClock, type Clock } from './types';

export interface ControllerOverrides {
  clock?: Clock;
  /** Backoff sleeps between agent retries. */
  sleep?: (ms: number) => Promise<void>;
  /** Cap of the agent channels' reconnect backoff (default 5 s). */
  maxReconnectBackoffMs?: number;
  /** Do not start the periodic timer (tests drive runOnce()). */
  manualPeriodic?: boolean;
}

export interface ControllerHandle {
  db: Db;
  store: Store;
  service: ControllerService;
  periodic: PeriodicTasks;
  agents: AgentPool;
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
  const db = openDatabase(config.db, { logger });
  const store = new Store(db, overrides.clock ?? systemClock);
  const agents = new AgentPool({
    hosts: config.hosts,
    logger: logger.child({ component: 'agent-client' }),
    retry: { attempts: config.agentRetryAttempts, initialBackoffMs: config.agentRetryBackoffMs, maxBackoffMs: config.agentRetryBackoffMs * 8 },
    healthTimeoutMs: config.healthTimeoutMs,
    maxReconnectBackoffMs: overrides.maxReconnectBackoffMs ?? 5000,
    ...(agentCredentials ? { credentials: agentCredentials } : {}),
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
  });
  const deps: Deps = {
    store,
    quota: new Quota(db, config.quota),
    agents,
    logger,
    config: {
      reclaimIntervalSeconds: config.reclaimIntervalSeconds,
      cleanShutdownTimeoutSeconds: config.cleanShutdownTimeoutSeconds,
      powerOnTimeoutSeconds: config.powerOnTimeoutSeconds,
      agentTimeoutSeconds: config.agentTimeoutSeconds,
    },
  };
  const service = new ControllerService(deps);
  const recovered = service.recoverInterrupted();
  if (recovered > 0) logger.warn({ instances: recovered }, 'instances left mid-task by the last run were put in error');
  const periodic = new PeriodicTasks(deps, { pollSeconds: overrides.manualPeriodic ? 0 : config.reclaimPollSeconds });

  const protos = loadProtos(['virtcontroller/v1/controller.proto']);
  const grpcServer = createServer(protos, [{ name: CONTROLLER_SERVICE, implementation: controllerService(service) }]);
  let bound: ListenResult;
  try {
    bound = await listen(grpcServer.server, config.listen, credentials, { plaintextLoopback: config.plaintextLoopback });
  } catch (err) {
    agents.close();
    db.close();
    throw err;
  }
  periodic.start();
  logger.info({
    listen: config.listen, target: bound.target, port: bound.port, db: config.db, hosts: Object.fromEntries(config.hosts),
    reclaim_interval_seconds: config.reclaimIntervalSeconds,
  }, 'virt-controller listening');

  let stopping: Promise<void> | undefined;
  return {
    db, store, service, periodic, agents, grpc: grpcServer, listen: bound,
    stop(drainMs = config.drainSeconds * 1000) {
      stopping ??= (async () => {
        const closing = shutdown(grpcServer.server, drainMs, grpcServer.health);
        await periodic.stop();
        await closing;
        agents.close();
        db.close();
        if (bound.socketPath) fs.rmSync(bound.socketPath, { force: true });
      })();
      return stopping;
    },
  };
}
