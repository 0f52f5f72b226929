// Composes the agent: the libvirt Host, the flows' dependencies, the
// operation manager and the gRPC server. Used by the CLI and by tests, which
// start real agents in-process on the libvirt test driver.
import fs from 'node:fs';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';

import { Host } from '../libvirt/host';
import { listen, shutdown, createServer, type GrpcServer, type ListenResult } from '../grpc/server';
import { loadProtos } from '../grpc/protos';
import { serverCredentialsFromFlags } from '../grpc/tls';
import type { Logger } from '../logging';
import { systemClock, type Clock } from './clock';
import type { AgentConfig } from './config';
import { DomainStore } from './domain-store';
import { execFileRunner, type CommandRunner } from './exec';
import type { FlowDeps } from './flows/types';
import { Journal } from './journal';
import { AgentMetrics } from './metrics';
import { Operations } from './operations';
import { recover, type RecoveryReport } from './recovery';
import { hostAgentService } from './server';

export const AGENT_SERVICE = 'virtagent.v1.HostAgent';

export interface AgentHandle {
  deps: FlowDeps;
  ops: Operations;
  grpc: GrpcServer;
  listen: ListenResult;
  /** With --metrics-listen: the registry and its HTTP endpoint (metrics.port). */
  metrics?: AgentMetrics;
  /** Settles once interrupted operations from the journal were handled (after libvirt connects). */
  recovered: Promise<RecoveryReport>;
  /** Stops accepting calls, waits for in-flight operations up to drainMs, closes libvirt. */
  stop(drainMs?: number): Promise<void>;
}

export interface AgentOverrides {
  clock?: Clock;
  runner?: CommandRunner;
  /** Fail start-up when libvirt cannot be reached at once (tests); default: keep retrying. */
  requireLibvirt?: boolean;
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
  const metrics = config.metricsListen !== '' ? new AgentMetrics(agentVersion()) : undefined;
  let credentials: grpc.ServerCredentials | undefined;
  try {
    // Certificate problems fail the start before anything else happens.
    credentials = serverCredentialsFromFlags(config, (method, subject, peer) => {
      logger.warn({ method, subject, peer }, 'call refused: client certificate not in --tls-allow-subjects');
      metrics?.callObserver(method, grpc.status.PERMISSION_DENIED, 0);
    });
  } catch (err) {
    await metrics?.stop();
    throw err;
  }
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
  const journal = new Journal(config.stateDir);
  const journalState = await journal.open(config.requestCacheSize);
  metrics?.watchHost(host);
  const ops = new Operations(deps, journal, metrics?.operationObserver);
  metrics?.watchOperations(ops);
  ops.restore(journalState);
  if (journalState.corrupt > 0) logger.warn({ lines: journalState.corrupt }, 'journal: skipped unreadable lines (torn write)');
  const protos = loadProtos(['virtagent/v1/agent.proto']);
  // Aborted by stop(): ends WatchEvents streams so they do not hold the shutdown up.
  const stopping = new AbortController();
  const grpcServer = createServer(protos, [
    { name: AGENT_SERVICE, implementation: hostAgentService(deps, ops, agentVersion(), metrics?.callObserver, stopping.signal) },
  ], { initialStatus: 'NOT_SERVING' });

  // Health follows the libvirt connection: NOT_SERVING while it is down.
  const setServing = (serving: boolean) => {
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    grpcServer.health.setStatus('', status);
    grpcServer.health.setStatus(AGENT_SERVICE, status);
  };
  host.on('connected', () => setServing(true));
  host.on('disconnected', () => setServing(false));
  await host.start(overrides.requireLibvirt ?? false);
  if (host.connected) setServing(true);

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

  let bound: ListenResult;
  try {
    if (metrics) {
      const port = await metrics.serve(config.metricsListen);
      logger.info({ metrics_listen: config.metricsListen, port }, 'metrics endpoint listening (GET /metrics)');
    }
    bound = await listen(grpcServer.server, config.listen, credentials, { plaintextLoopback: config.plaintextLoopback });
  } catch (err) {
    grpcServer.server.forceShutdown();
    await metrics?.stop();
    await host.stop();
    await journal.close();
    throw err;
  }
  logger.info({
    listen: config.listen, target: bound.target, port: bound.port, libvirt: config.libvirtUri,
    tls: credentials !== undefined, allow_subjects: config.tlsAllowSubjects.length > 0 ? config.tlsAllowSubjects : undefined,
  }, 'virt-agent listening');

  return {
    deps,
    ops,
    grpc: grpcServer,
    listen: bound,
    metrics,
    recovered,
    async stop(drainMs = config.drainSeconds * 1000) {
      stopping.abort();
      const closing = shutdown(grpcServer.server, drainMs, grpcServer.health);
      const drained = await ops.drain(drainMs);
      if (!drained) logger.warn({ in_flight: ops.active }, 'stopping with operations still running');
      await closing;
      await host.stop();
      await journal.close();
      await metrics?.stop();
      if (bound.socketPath) fs.rmSync(bound.socketPath, { force: true });
    },
  };
}
