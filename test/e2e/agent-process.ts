// The agent process of the real-guest e2e suite (re-exported by helpers.ts):
// the compiled agent as a child process, stopped by PID, also when the worker
// exits; its JSON log lines and a gRPC client on its unix socket.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { AgentClient, type Msg } from '../helpers/agent-client';
import { AGENT_JS, pollUntil, REPO } from './commands';

const running = new Set<ChildProcess>();
// Last resort when the worker goes away without afterAll: no agent outlives it.
process.on('exit', () => {
  for (const p of running) if (p.pid !== undefined && p.exitCode === null) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export interface AgentOptions {
  dir: string;
  uri: string;
  instancesPath: string;
  /** Written to <dir>/agent-config.json and passed with --config. */
  config?: Record<string, unknown>;
  logLevel?: string;
  /** Extra environment of the agent process (e.g. PATH with a stand-in for a host tool). */
  env?: NodeJS.ProcessEnv;
}

/** `node dist/cli/virt-agent.js` on a unix socket in dir, with its JSON log lines. */
export class AgentProcess {
  readonly lines: Msg[] = [];
  readonly client: AgentClient;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private raw = '';

  private constructor(readonly proc: ChildProcess, readonly target: string, readonly logFile: string) {
    this.client = new AgentClient(target);
    const out = fs.createWriteStream(logFile, { flags: 'a' });
    proc.stdout!.on('data', (chunk: Buffer) => {
      out.write(chunk);
      this.raw += chunk.toString('utf8');
      let nl: number;
      while ((nl = this.raw.indexOf('\n')) >= 0) {
        const line = this.raw.slice(0, nl).trim();
        this.raw = this.raw.slice(nl + 1);
        if (line === '') continue;
        try {
          this.lines.push(JSON.parse(line) as Msg);
        } catch {
          this.lines.push({ msg: line, unparsed: true });
        }
      }
    });
    proc.stderr!.on('data', (chunk: Buffer) => out.write(chunk));
    this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => {
      running.delete(proc);
      resolve({ code, signal });
    }));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  static async start(opts: AgentOptions): Promise<AgentProcess> {
    fs.mkdirSync(opts.dir, { recursive: true });
    const socket = path.join(opts.dir, 'agent.sock');
    const args = [
      AGENT_JS, '--listen', `unix://${socket}`, '--libvirt-uri', opts.uri,
      '--state-dir', path.join(opts.dir, 'state'), '--instances-path', opts.instancesPath,
      '--nfs-mount-base', path.join(opts.dir, 'mnt'), '--log-level', opts.logLevel ?? 'debug',
    ];
    if (opts.config) {
      const file = path.join(opts.dir, 'agent-config.json');
      fs.writeFileSync(file, JSON.stringify(opts.config));
      args.push('--config', file);
    }
    const proc = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    running.add(proc);
    const agent = new AgentProcess(proc, `unix:${socket}`, path.join(opts.dir, 'agent.log'));
    try {
      let exited = false;
      void agent.exited.then(() => { exited = true; });
      await pollUntil(() => exited || agent.lines.some((l) => l.msg === 'virt-agent listening'), 30_000, 'virt-agent listening');
      if (exited) throw new Error(`agent exited at start-up: ${fs.readFileSync(agent.logFile, 'utf8').slice(-2000)}`);
      await agent.waitHealth('SERVING', 30_000);
    } catch (err) {
      await agent.stop();
      throw err;
    }
    return agent;
  }

  /** Health status, or 'UNREACHABLE'. */
  async health(): Promise<string> {
    try {
      return await this.client.healthCheck('', 2000);
    } catch {
      return 'UNREACHABLE';
    }
  }

  async waitHealth(status: string, ms: number): Promise<number> {
    await pollUntil(async () => (await this.health()) === status, ms, `agent health ${status}`, 100);
    return Date.now();
  }

  /** Log lines with this msg. */
  logs(msg: string | RegExp): Msg[] {
    return this.lines.filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg))));
  }

  /** SIGTERM (the agent drains and exits), SIGKILL after timeoutMs. Idempotent. */
  async stop(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.client.close();
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      const t = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
      try {
        return await this.exited;
      } finally {
        clearTimeout(t);
      }
    }
    return this.exited;
  }
}

/** Stops every agent process still running (afterAll). */
export async function stopAllAgents(): Promise<void> {
  await Promise.all([...running].map(async (p) => {
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)));
    clearTimeout(t);
  }));
}
