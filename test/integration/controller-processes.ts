// Real agent PROCESSES for the controller's fault tests: `node
// dist/cli/virt-agent.js` on a private test-driver node (test:///…/node.xml)
// and a unix socket, behind a fault-injecting proxy (test/helpers/agent-proxy.ts)
// the controller dials. pause()/resume() are SIGSTOP/SIGCONT of that process
// (the agent stops answering but keeps its state, as a stuck host would);
// every instance gets a real disk file under the agent's instances directory,
// so "the disk is still there" is a file-system fact.
import fs from 'node:fs';
import path from 'node:path';

import { AgentProcess } from '../e2e/agent-process';
import { AgentProxy } from '../helpers/agent-proxy';
import { nodeXml, tempDir, type Msg } from './controller-helpers';

export interface ProcessAgent {
  dir: string;
  instancesPath: string;
  /** The current process (replaced by restart()). */
  proc: AgentProcess;
  proxy: AgentProxy;
  /** What the controller dials (the proxy). */
  address: string;
  paused: boolean;
  pause(): void;
  resume(): void;
  /** The instance's disk file (created by diskXml). */
  diskPath(uuid: string): string;
  /** A domain XML for CreateInstance with a file disk of its own under the instances directory (created now). */
  diskXml(name: string, uuid: string, extraDevices?: string): string;
  /**
   * Restarts the agent process on the same socket, as a host's agent restarts
   * while libvirt keeps its domains: the test driver forgets everything on a
   * new connection, so its node file is first rewritten with the domains as
   * they are now (names, uuids, power states, disks).
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const RUNSTATE: Record<string, number> = { POWER_STATE_RUNNING: 1, POWER_STATE_PAUSED: 3, POWER_STATE_SHUTOFF: 5 };

/** A test-driver node domain rebuilt from an agent's ListDomains entry. */
function domainFromListing(d: { name: string; uuid: string; power_state: string; disks?: Array<{ target_dev: string; source: string; type: string; device: string }> }): string {
  const disks = (d.disks ?? []).filter((k) => k.type === 'file').map((k) =>
    `<disk type="file" device="${k.device || 'disk'}"><source file="${k.source}"/><target dev="${k.target_dev}" bus="virtio"/></disk>`).join('');
  return `<domain type="test"><name>${d.name}</name><uuid>${d.uuid}</uuid><memory unit="MiB">64</memory><vcpu>1</vcpu>`
    + `<os><type>hvm</type></os><devices>${disks}</devices><test:runstate>${RUNSTATE[d.power_state] ?? 5}</test:runstate></domain>`;
}

export async function startProcessAgent(prefix = 'vc-proc-'): Promise<ProcessAgent> {
  const dir = tempDir(prefix);
  const nodeFile = path.join(dir, 'node.xml');
  fs.writeFileSync(nodeFile, nodeXml());
  const instancesPath = path.join(dir, 'instances');
  fs.mkdirSync(instancesPath, { recursive: true });
  const options = {
    dir, uri: `test://${nodeFile}`, instancesPath, logLevel: 'info',
    config: { powerOff: { stateCheckIntervalMs: 100 }, destroy: { backoffMs: 20 }, detach: { timeoutSeconds: 1, attempts: 1 }, drainSeconds: 2 },
  };
  const proc = await AgentProcess.start(options);
  let proxy: AgentProxy;
  try {
    proxy = await AgentProxy.start(proc.target);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  const diskPath = (uuid: string) => path.join(instancesPath, uuid, 'disk');
  const agent: ProcessAgent = {
    dir, instancesPath, proc, proxy, address: proxy.address, paused: false,
    pause() {
      process.kill(agent.proc.pid, 'SIGSTOP');
      agent.paused = true;
    },
    resume() {
      process.kill(agent.proc.pid, 'SIGCONT');
      agent.paused = false;
    },
    diskPath,
    diskXml(name, uuid, extraDevices = '') {
      fs.mkdirSync(path.dirname(diskPath(uuid)), { recursive: true });
      fs.writeFileSync(diskPath(uuid), 'tenant data');
      return `<domain type="test"><name>${name}</name><uuid>${uuid}</uuid><os><type>hvm</type></os><devices>`
        + `<disk type="file" device="disk"><source file="${diskPath(uuid)}"/><target dev="vda" bus="virtio"/></disk>${extraDevices}</devices></domain>`;
    },
    async restart() {
      if (agent.paused) agent.resume();
      const listed: Msg = await agent.proc.client.call('ListDomains', {});
      fs.writeFileSync(nodeFile, nodeXml((listed.domains as Parameters<typeof domainFromListing>[0][]).map(domainFromListing)));
      await agent.proc.stop(5000);
      agent.proc = await AgentProcess.start(options);
    },
    async stop() {
      if (agent.paused) agent.resume();
      await proxy.close();
      await agent.proc.stop(5000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return agent;
}
