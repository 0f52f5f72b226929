#!/usr/bin/env node
// virt-controller: instances and volume records over the hosts' virt-agents.
// Flags > VIRT_CONTROLLER_* environment > --config file > defaults.
import fs from 'node:fs';

import { Command, Option } from 'commander';

import { agentVersion } from '../agent/agent';
import { CONTROLLER_KEYS, controllerEnvName, resolveControllerConfig, type ControllerKey } from '../controller/config';
import { startController } from '../controller/controller';
import { createLogger, parseLogLevel } from '../logging';
import { kebabCase } from '../config-values';
import { ServiceNotifier } from '../service-notify';
import { runUntilSignalled } from './daemon';

const HELP: Record<ControllerKey, string> = {
  listen: 'HOST:PORT (TLS, or plaintext on loopback with --plaintext-loopback true) or unix:///path (default 127.0.0.1:50052)',
  db: 'SQLite database file, or postgres://USER@HOST/DB for several replicas on PostgreSQL (default /var/lib/virt-controller/controller.db)',
  dbPoolSize: 'PostgreSQL connections per replica (default 10)',
  replicaId: 'this replica\'s name in work leases, stable across its restarts (default HOSTNAME/LISTEN)',
  taskLeaseSeconds: 'lease of a running task; another replica recovers it after this long if this one dies (default 900)',
  periodicBatch: 'rows of each kind of periodic work (reclaim, pending power-offs, host cleanups) one replica claims per tick (default 2000)',
  reportIntervalSeconds: 'heartbeat interval told to agents that register (agent --controller) (default 10)',
  batchLeaseSeconds: 'lease of a claimed batch of periodic work; another replica takes it over after this long (default 300)',
  hostsFile: 'hosts: JSON {"name": "address"} / [{"name","address"}] or lines NAME=ADDRESS',
  reclaimIntervalSeconds: 'keep soft-deleted instances this long; 0 = deletes are immediate (default 0)',
  reclaimPollSeconds: 'run the reclaim and the host cleanup this often (default 60)',
  quotaInstances: 'default instances per project, -1 = unlimited (default 10)',
  quotaVcpus: 'default vCPUs per project, -1 = unlimited (default 20)',
  quotaMemoryMib: 'default memory (MiB) per project, -1 = unlimited (default 51200)',
  cleanShutdownTimeoutSeconds: 'PowerOff clean-shutdown budget for soft delete and stop (default 60)',
  powerOnTimeoutSeconds: 'PowerOn wait for RUNNING (default 60)',
  agentTimeoutSeconds: 'deadline of DefineDomain, Destroy and DisconnectVolume calls (default 120)',
  agentRetryAttempts: 'attempts of idempotent agent calls on UNAVAILABLE/DEADLINE_EXCEEDED (default 3)',
  logLevel: 'fatal|error|warn|info|debug|trace (default info)',
  drainSeconds: 'on SIGTERM, wait this long for running calls (default 30)',
  tlsCert: 'PEM certificate: served to clients, and presented to agents (mutual TLS; with --tls-key, --tls-ca)',
  tlsKey: 'PEM private key of --tls-cert',
  tlsCa: 'PEM CA bundle: client certificates must be signed by it, and so must the agents\' certificates',
  tlsAllowSubjects: 'comma-separated client certificate CNs or subjects allowed to call (default: any the CA signed)',
  plaintextLoopback: 'allow plaintext gRPC on a loopback TCP --listen (default false: TLS or unix socket only)',
  serviceDownSeconds: 'a host is down only after this long without a successful contact with its agent (default 60)',
  healthCheckIntervalSeconds: 'health-check every agent this often; a SERVING answer counts as contact, 0 = off (default 10)',
  metricsListen: 'HOST:PORT for the Prometheus endpoint GET /metrics, e.g. 127.0.0.1:9478 (default off)',
};

async function main(): Promise<void> {
  const program = new Command('virt-controller')
    .description('instance lifecycle (soft delete, restore, reclaim, force delete) and volume records over virt-agents')
    .version(agentVersion())
    .option('--config <file>', 'JSON config file; per-project quotas go in its "projectQuotas" (env VIRT_CONTROLLER_CONFIG)')
    .addOption(new Option('--agent <NAME=ADDRESS>', 'a host and its agent (HOST:PORT or unix:///path); repeatable [env VIRT_CONTROLLER_AGENTS, comma separated]')
      .argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]));
  for (const key of CONTROLLER_KEYS) {
    program.addOption(new Option(`--${kebabCase(key)} <value>`, `${HELP[key]} [env ${controllerEnvName(key)}]`));
  }
  program.parse();
  const opts = program.opts<Record<string, string> & { agent?: string[] }>();

  const configFile = opts.config ?? process.env.VIRT_CONTROLLER_CONFIG;
  const flags: Partial<Record<ControllerKey, string>> & { agent?: string[] } = { agent: opts.agent ?? [] };
  for (const key of CONTROLLER_KEYS) if (opts[key] !== undefined) flags[key] = opts[key];
  const config = resolveControllerConfig({
    flags,
    env: process.env,
    file: configFile ? JSON.parse(fs.readFileSync(configFile, 'utf8')) : undefined,
  });
  const logger = createLogger({ service: 'virt-controller', level: parseLogLevel(config.logLevel) });
  if (config.hosts.size === 0) logger.info('no static hosts (--agent NAME=ADDRESS or --hosts-file): hosts are those whose agents register (virt-agent --controller)');
  // systemd (Type=notify): READY=1 once listening; the watchdog is fed while the event loop runs.
  const notifier = ServiceNotifier.fromEnv({ onError: (err) => logger.warn({ err: err.message }, 'systemd notification failed') });
  await runUntilSignalled(logger, async () => {
    const controller = await startController(config, logger);
    if (!notifier) return controller;
    const status = `listening on ${config.listen}, ${config.hosts.size} host${config.hosts.size === 1 ? '' : 's'}`;
    notifier.notify({ ready: true, status, watchdog: notifier.watchdogMs !== undefined });
    const stopTimer = notifier.every(() => ({ healthy: true, status }));
    return {
      stop: () => {
        stopTimer();
        notifier.notify({ stopping: true, status: 'stopping: draining calls' });
        return controller.stop();
      },
    };
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`virt-controller: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
