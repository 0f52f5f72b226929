// createAgent(): the real agent, embeddable — many of them in one process
// (the fleet bench: hundreds of hosts, each on its own libvirt test-driver
// node and its own loopback port). Settings are the daemon's defaults with
// the given ones on top; the state lives below `stateRoot` unless the
// settings name their own directories. Nothing here differs from what
// virt-agent runs: it is startAgent() with a config built in code.
import path from 'node:path';

import { silentLogger, type Logger } from '../logging';
import { startAgent, type AgentHandle, type AgentOverrides } from './agent';
import { checkConfig, defaultConfig, type AgentConfig } from './config';

export interface CreateAgentOptions {
  /** Settings over the defaults (e.g. libvirtUri, listen, controllers, hostName). */
  config?: Partial<AgentConfig>;
  /** Directory for stateDir, instancesPath and nfsMountBase when the config does not set them. */
  stateRoot: string;
  logger?: Logger;
  overrides?: AgentOverrides;
}

export async function createAgent(options: CreateAgentOptions): Promise<AgentHandle> {
  const config: AgentConfig = {
    ...defaultConfig(),
    listen: '127.0.0.1:0',
    plaintextLoopback: true,
    stateDir: path.join(options.stateRoot, 'state'),
    instancesPath: path.join(options.stateRoot, 'instances'),
    nfsMountBase: path.join(options.stateRoot, 'mnt'),
    ...options.config,
  };
  checkConfig(config);
  return startAgent(config, options.logger ?? silentLogger(), options.overrides);
}
