// The daemon as a process: `node dist/cli/virt-agent.js` with flags, VIRT_AGENT_*
// environment variables and a --config file; JSON log lines on stdout; unix
// socket permissions; refusal of plaintext non-loopback TCP; SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { AgentClient, makeTestNode, REPO_ROOT, type Msg, type TestNode } from '../helpers/agent-client';

const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'virt-agent.js');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

class AgentProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private readonly listeners = new Set<() => void>();

  constructor(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string) {
    const base = { ...process.env };
    for (const k of Object.keys(base)) if (k.startsWith('VIRT_AGENT_') || k.startsWith('LIBVIRT_')) delete base[k];
    delete base.NODE_OPTIONS;
    this.child = spawn(process.execPath, [CLI, ...args], { env: { ...base, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => { this.stdout += d; this.listeners.forEach((l) => l()); });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.stderr += d; });
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => {
      this.listeners.forEach((l) => l());
      resolve({ code, signal });
    }));
    running.add(this);
    void this.exited.then(() => running.delete(this));
  }

  /** Every stdout line, parsed; fails on a line that is not a JSON object. */
  logs(): Msg[] {
    return this.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => {
      const parsed = JSON.parse(l) as unknown;
      if (typeof parsed !== 'object' || parsed === null) throw new Error(`not a JSON object: ${l}`);
      return parsed;
    });
  }

  /** The first log line with this msg; rejects on exit or after ms. */
  waitForLog(msg: string, ms = 15_000): Promise<Msg> {
    return new Promise((resolve, reject) => {
      let done = false;
      const check = (): void => {
        const line = this.stdout.split('\n').filter((l) => l.includes(msg)).map((l) => JSON.parse(l) as Msg).find((l) => l.msg === msg);
        if (line) finish(() => resolve(line));
        else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          finish(() => reject(new Error(`exited before logging ${JSON.stringify(msg)}; stderr: ${this.stderr}; stdout: ${this.stdout}`)));
        }
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`no ${JSON.stringify(msg)} log within ${ms} ms; stderr: ${this.stderr}`))), ms);
      const finish = (f: () => void): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.listeners.delete(check);
        f();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** The exit within ms, or a rejection (the child is SIGKILLed in afterEach). */
  exitWithin(ms: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still running after ${ms} ms; stdout: ${this.stdout.slice(-2000)}`)), ms);
    });
    return Promise.race([this.exited, late]).finally(() => clearTimeout(timer));
  }
}

const running = new Set<AgentProcess>();
const clients: AgentClient[] = [];
let node: TestNode;

beforeAll(() => {
  node = makeTestNode('virt-agent-proc-');
}, 180_000);
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  for (const p of [...running]) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
});
afterAll(() => {
  fs.rmSync(node.dir, { recursive: true, force: true });
});

function client(target: string): AgentClient {
  const c = new AgentClient(target);
  clients.push(c);
  return c;
}

/** Flags every run needs so nothing touches /run or /var/lib. */
function baseFlags(sub: string): string[] {
  return ['--plaintext-loopback', 'true', '--libvirt-uri', node.uri, '--state-dir', path.join(node.dir, sub, 'state'), '--instances-path', node.instancesPath,
    '--nfs-mount-base', path.join(node.dir, sub, 'mnt')];
}

async function sigterm(p: AgentProcess, ms = 10_000): Promise<Exit> {
  p.child.kill('SIGTERM');
  return p.exitWithin(ms);
}

describe('virt-agent process', () => {
  it('starts with flags, serves, logs JSON lines and exits 0 on SIGTERM', async () => {
    const p = new AgentProcess(['--listen', '127.0.0.1:0', '--log-level', 'debug', ...baseFlags('flags')]);
    const listening = await p.waitForLog('virt-agent listening');
    expect(listening).toMatchObject({ level: 'info', service: 'virt-agent', listen: '127.0.0.1:0', libvirt: node.uri });
    expect(listening.port).toBeGreaterThan(0);
    const c = client(`127.0.0.1:${listening.port}`);
    expect(await c.call('GetHostInfo')).toMatchObject({ libvirt_uri: node.uri, libvirt_version: '9.0.0', connected: true });
    expect(await c.healthCheck('')).toBe('SERVING');
    await c.call('PowerOff', { domain: { name: 'web-1' }, timeout_seconds: 0 });

    const started = Date.now();
    expect(await sigterm(p)).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(5000);
    const logs = p.logs();
    for (const l of logs) {
      expect(typeof l.msg).toBe('string');
      expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(l.level);
      expect(new Date(l.time as string).toISOString()).toBe(l.time);
      expect(l.service).toBe('virt-agent');
    }
    const msgs = logs.map((l) => l.msg);
    expect(msgs).toEqual(expect.arrayContaining(['libvirt connected', 'virt-agent listening', 'PowerOff done', 'stopped']));
    expect(logs.find((l) => l.msg === 'PowerOff done')).toMatchObject({ op: 'PowerOff', domain: 'web-1' });
    expect(logs.find((l) => l.msg.startsWith('stopping'))).toMatchObject({ signal: 'SIGTERM', in_flight: 0 });
    expect(p.stderr).toBe('');
  });

  it('takes its settings from VIRT_AGENT_* variables; a unix socket is mode 0600 and removed on exit', async () => {
    const sock = path.join(node.dir, 'env', 'run', 'agent.sock');
    const p = new AgentProcess([], {
      VIRT_AGENT_LISTEN: `unix://${sock}`,
      VIRT_AGENT_LIBVIRT_URI: node.uri,
      VIRT_AGENT_STATE_DIR: path.join(node.dir, 'env', 'state'),
      VIRT_AGENT_INSTANCES_PATH: node.instancesPath,
      VIRT_AGENT_LOG_LEVEL: 'warn',
    });
    const c = client(`unix:${sock}`);
    await waitServing(c, p);
    expect(fs.statSync(sock).isSocket()).toBe(true);
    expect(fs.statSync(sock).mode & 0o777).toBe(0o600);
    expect((await c.call('GetHostInfo')).libvirt_uri).toBe(node.uri);
    expect(await sigterm(p)).toEqual({ code: 0, signal: null });
    // warn level: no info lines at all.
    expect(p.logs().filter((l) => l.level === 'info')).toEqual([]);
    expect(fs.existsSync(sock)).toBe(false);
  });

  it('precedence: flag beats env beats --config file', async () => {
    const dir = path.join(node.dir, 'prec');
    fs.mkdirSync(dir, { recursive: true });
    const sock = (n: string) => path.join(dir, `${n}.sock`);
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify({
      listen: `unix://${sock('file')}`, libvirtUri: node.uri, stateDir: path.join(dir, 'state'),
      instancesPath: node.instancesPath, shutdownMethods: ['acpi'], powerOff: { stateCheckIntervalMs: 100 },
    }));
    const env = { VIRT_AGENT_LISTEN: `unix://${sock('env')}` };
    const runs: Array<[string[], NodeJS.ProcessEnv, string]> = [
      [['--config', config], {}, 'file'],
      [['--config', config], env, 'env'],
      [['--config', config, '--listen', `unix://${sock('flag')}`], env, 'flag'],
      [[], { ...env, VIRT_AGENT_CONFIG: config }, 'env'],
    ];
    for (const [args, e, want] of runs) {
      const p = new AgentProcess(args, e);
      const line = await p.waitForLog('virt-agent listening');
      expect(line.listen, JSON.stringify(args)).toBe(`unix://${sock(want)}`);
      expect(line.libvirt).toBe(node.uri); // only the file sets it
      expect(fs.statSync(sock(want)).mode & 0o777).toBe(0o600);
      expect(await sigterm(p)).toEqual({ code: 0, signal: null });
    }
  });

  it('refuses plaintext TCP on a non-loopback address with a clear message and exit code 1', async () => {
    for (const addr of ['0.0.0.0:0', '[::]:0']) {
      const p = new AgentProcess(['--listen', addr, ...baseFlags('tcp')]);
      expect(await p.exitWithin(10_000)).toEqual({ code: 1, signal: null });
      expect(p.stderr).toMatch(new RegExp(`refusing plaintext gRPC on non-loopback address ${addr.replace(/[[\]]/g, '\\$&')}`));
      expect(p.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    }
  });

  it('exits 1 with a message for bad settings', async () => {
    const bad = path.join(node.dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ listen: '127.0.0.1:0', nosuchSetting: 1 }));
    const cases: Array<[string[], RegExp]> = [
      [['--listen', '127.0.0.1:0', '--log-level', 'loud'], /log level/],
      [['--listen', '127.0.0.1:0', '--power-off-timeout-seconds', 'soon'], /powerOffTimeoutSeconds/],
      [['--listen', '127.0.0.1:0', '--shutdown-methods', 'acpi,magic'], /magic/],
      [['--listen', 'somewhere'], /--listen/],
      [['--config', bad], /nosuchSetting/],
      [['--config', path.join(node.dir, 'missing.json')], /missing\.json/],
    ];
    for (const [args, msg] of cases) {
      const p = new AgentProcess([...baseFlags('bad'), ...args]);
      const exit = await p.exitWithin(10_000);
      expect({ args, exit }).toEqual({ args, exit: { code: 1, signal: null } });
      expect(p.stderr).toMatch(msg);
    }
  });

  it('SIGTERM right after the "listening" line still stops cleanly (handlers are in before start)', async () => {
    for (let i = 0; i < 5; i++) {
      const p = new AgentProcess(['--listen', '127.0.0.1:0', ...baseFlags('race')]);
      await p.waitForLog('virt-agent listening');
      expect(await sigterm(p)).toEqual({ code: 0, signal: null });
      expect(p.logs().at(-1)!.msg).toBe('stopped');
    }
  });

  it('SIGTERM while a WatchEvents stream is open still exits 0, without waiting out the drain time', async () => {
    const p = new AgentProcess(['--listen', '127.0.0.1:0', ...baseFlags('watch')]);
    const { port } = await p.waitForLog('virt-agent listening');
    const c = client(`127.0.0.1:${port}`);
    const stream = c.watch({});
    // Prove the stream is live: an action's event arrives on it.
    await c.call('PowerOff', { domain: { name: 'paused-1' }, timeout_seconds: 0 });
    await stream.next((e) => e.domain_name === 'paused-1' && e.lifecycle?.event === 'STOPPED', 5000, 'STOPPED');
    const started = Date.now();
    // Default drain is 30 s: an exit well within that means the stream did not hold it up.
    expect(await sigterm(p, 20_000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await stream.ended).code).toBe(grpc.status.OK);
  });
});

/** Polls health until SERVING (the socket may not exist yet). */
async function waitServing(c: AgentClient, p: AgentProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await c.healthCheck('', 1000)) === 'SERVING') return;
    } catch {
      // not listening yet
    }
    if (p.child.exitCode !== null) throw new Error(`agent exited: ${p.stderr}`);
    if (Date.now() > deadline) throw new Error(`agent not SERVING; stderr: ${p.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
