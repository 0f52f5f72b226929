#!/usr/bin/env node
// virt-agent: the host daemon. Flags > VIRT_AGENT_* environment > --config file > defaults.
import fs from 'node:fs';

import { Command, Option } from 'commander';

import { agentVersion, startAgent } from '../agent/agent';
import { FLAT_KEYS, envName, resolveConfig, type FlatKey } from '../agent/config';
import { createLogger, parseLogLevel } from '../logging';
import { kebabCase } from '../config-values';
import { runUntilSignalled } from './daemon';

const HELP: Record<FlatKey, string> = {
  listen: 'unix:///path/to.sock or HOST:PORT (plaintext TCP on loopback only; other hosts need --tls-*); default unix:///run/virt-agent/agent.sock as root',
  libvirtUri: 'libvirt connection URI, e.g. qemu:///system or test:///abs/path/node.xml (default qemu:///system)',
  stateDir: 'agent state directory (default /var/lib/virt-agent)',
  logLevel: 'fatal|error|warn|info|debug|trace (default info)',
  instancesPath: 'instance directories <path>/<uuid>/ (Nova\'s layout); Destroy removes a file disk only inside its own instance\'s directory (default /var/lib/virt-agent/instances)',
  nfsMountBase: 'NFS shares are mounted below this directory (default /var/lib/virt-agent/mnt)',
  localVolumeDirs: 'comma-separated directories a local volume\'s device_path must lie below (default: any absolute path)',
  powerOffTimeoutSeconds: 'default clean-shutdown budget of PowerOff (default 60)',
  powerOffRetrySeconds: 'default interval between shutdown requests (default 10)',
  shutdownMethods: 'default shutdown method order, comma separated: guest_agent,acpi',
  drainSeconds: 'on SIGTERM, wait this long for running operations (default 30)',
  tlsCert: 'PEM server certificate chain for mutual TLS on --listen (with --tls-key and --tls-ca)',
  tlsKey: 'PEM private key of --tls-cert (unencrypted, keep it 0600)',
  tlsCa: 'PEM CA bundle client certificates must chain to; a client certificate is always required',
  tlsAllowSubjects: 'comma list of allowed client certificate subjects: bare CNs or /O=.../CN=... (default: any the CA signed)',
  plaintextLoopback: 'allow plaintext gRPC on a loopback TCP address (default false: TLS or unix socket only)',
  nfsMountpointHash: 'name of an NFS export\'s mountpoint: md5 (Nova-compatible, default) or sha256 of the export string',
  nfsMountOptions: 'extra mount -o options for NFS volumes, comma separated (default none)',
  rbdPools: 'comma-separated Ceph pools in which Destroy may remove <uuid>_* images (default none)',
  rbdUser: 'cephx user for rbd commands (--id; default ceph\'s)',
  rbdConf: 'ceph.conf for rbd commands (--conf; default ceph\'s)',
  rbdCluster: 'Ceph cluster name for rbd commands (--cluster; default ceph\'s)',
  lvmVolumeGroup: 'volume group in which Destroy may remove <uuid>_* logical volumes (default none)',
  volumeClear: 'wipe an LV before removing it: none, zero (default) or shred',
  volumeClearSize: 'MiB to wipe from the start of an LV; 0 = all of it (default 0)',
  detachAttempts: 'detach requests sent before DisconnectVolume gives up (default 8)',
  metricsListen: 'HOST:PORT for the Prometheus endpoint GET /metrics, e.g. 127.0.0.1:9477 (default off)',
  libvirtThreads: 'threads the libvirt binding runs calls on, i.e. libvirt calls in flight at once (default 8)',
  journalMaxBytes: 'compact the operation journal whenever it grows past this many bytes (default 67108864 = 64 MiB)',
  requestCacheSize: 'request ids (and results) kept for replay, at most (default 100000)',
  requestRetentionSeconds: 'request ids (and results) kept for replay this long (default 86400 = 24 h)',
  maxConnections: 'open gRPC connections at most (default 1000)',
  handshakeTimeoutSeconds: 'close a connection whose TLS handshake has not finished after this long (default 10)',
  idleTimeoutSeconds: 'close a connection without calls after this long; clients reconnect (default 300)',
  controllers: 'comma-separated controller addresses to register with and heartbeat (same as repeating --controller)',
  hostName: 'this host\'s name at the controllers (default: the machine\'s host name)',
  advertiseAddress: 'HOST:PORT the controllers reach this agent at (default: --listen with its bound port)',
  reportIntervalSeconds: 'heartbeat interval toward the controllers (default 10)',
};

async function main(): Promise<void> {
  const program = new Command('virt-agent')
    .description('libvirt host agent: PowerOff, PowerOn/HardReboot, Destroy, ConnectVolume and DisconnectVolume over gRPC')
    .version(agentVersion())
    .option('--config <file>', 'JSON config file (env VIRT_AGENT_CONFIG)')
    .addOption(new Option('--controller <ADDR>', 'a virt-controller (HOST:PORT, mutual TLS with --tls-*; or unix:///path) to register with and heartbeat; repeatable for replicas')
      .argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]));
  for (const key of FLAT_KEYS) {
    program.addOption(new Option(`--${kebabCase(key)} <value>`, `${HELP[key]} [env ${envName(key)}]`));
  }
  program.parse();
  const opts = program.opts<Record<string, string> & { controller?: string[] }>();

  const configFile = opts.config ?? process.env.VIRT_AGENT_CONFIG;
  const flags: Partial<Record<FlatKey, string>> = {};
  for (const key of FLAT_KEYS) if (opts[key] !== undefined) flags[key] = opts[key];
  if (opts.controller) flags.controllers = [...(flags.controllers ? [flags.controllers] : []), ...opts.controller].join(',');
  const config = resolveConfig({
    flags,
    env: process.env,
    file: configFile ? JSON.parse(fs.readFileSync(configFile, 'utf8')) : undefined,
  });
  const logger = createLogger({ service: 'virt-agent', level: parseLogLevel(config.logLevel) });
  await runUntilSignalled(logger, () => startAgent(config, logger), (agent) => ({ in_flight: agent.ops.active }));
}

main().catch((err: unknown) => {
  process.stderr.write(`virt-agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
