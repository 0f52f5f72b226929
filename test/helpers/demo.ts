// The demo of README and scripts/run.sh, for tests: run.sh itself (setup
// skipped: the test run has built everything) with its own directory and two
// free loopback ports, so the commands README prints can run against it.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { REPO_ROOT } from './agent-client';

/** A free loopback port: bound on port 0 and released (the demo binds it right after). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Demo {
  dir: string;
  agent: string;
  controller: string;
  /** What run.sh printed before the daemons' logs. */
  banner: string;
  stop(): Promise<void>;
}

export async function startDemo(): Promise<Demo> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virt-agent-demo-'));
  const agent = `127.0.0.1:${await freePort()}`;
  const controller = `127.0.0.1:${await freePort()}`;
  const child: ChildProcess = spawn('bash', ['scripts/run.sh'], {
    cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VIRT_AGENT_SKIP_SETUP: '1', VIRT_AGENT_DEMO_DIR: dir, VIRT_AGENT_LISTEN: agent, VIRT_CONTROLLER_LISTEN: controller },
  });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo not up within 30 s: ${out}${err}`)), 30_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('"virt-agent listening"') && out.includes('"virt-controller listening"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => reject(new Error(`demo exited: ${out}${err}`)));
  });
  const banner = out.slice(0, out.indexOf('Logs are JSON lines below.') + 'Logs are JSON lines below.'.length);
  return {
    dir, agent, controller, banner,
    async stop() {
      try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* gone */ }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
