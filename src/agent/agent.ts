// Composes the agent: the libvirt Host, the flows' dependencies, the
// operation manager and the gRPC server. Used by the CLI and by tests, which
// start real agents in-process on the libvirt test driver.
import fs from 'node:fs';
import path from 'node:path';

import { Host } from '../libvirt/host';
import { listen, shutdown, createServer, type GrpcServer, type ListenResult } from '../grpc/server';
import { loadProtos } from '../grpc/protos';
import type { Logger } from '../logging';
import { systemClock, type Clock } from './clock';
import type { AgentConfig } from './config';
import { DomainStore } from './domain-store';
import { execFileRunner, type CommandRunner } from './exec';
import type { FlowDeps } from './flows/types';
import { Operations } from './operations';
import { hostAgentService } from './server';

export const AGENT_SERVICE = 'virtagent.v1.HostAgent';

export interface AgentHandle {
  deps: FlowDeps;
  ops: Operations;
  grpc: GrpcServer;
  listen: ListenResult;
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
  const ops = new Operations(deps);
  const protos = loadProtos(['virtagent/v1/agent.proto']);
  const grpcServer = createServer(protos, [
    { name: AGENT_SERVICE, implementation: hostAgentService(deps, ops, agentVersion()) },
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

  let bound: ListenResult;
  try {
    bound = await listen(grpcServer.server, config.listen);
  } catch (err) {
    await host.stop();
    throw err;
  }
  logger.info({ listen: config.listen, target: bound.target, port: bound.port, libvirt: config.libvirtUri }, 'virt-agent listening');

  return {
    deps,
    ops,
    grpc: grpcServer,
    listen: bound,
    async stop(drainMs = config.drainSeconds * 1000) {
      const closing = shutdown(grpcServer.server, drainMs, grpcServer.health);
      const drained = await ops.drain(drainMs);
      if (!drained) logger.warn({ in_flight: ops.active }, 'stopping with operations still running');
      await closing;
      await host.stop();
      if (bound.socketPath) fs.rmSync(bound.socketPath, { force: true });
    },
  };
}
