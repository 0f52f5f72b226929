// Helpers of the real-guest e2e suite, and its vitest globalSetup (setup()).
//
// globalSetup (main vitest process): brings up libvirtd + the guest image
// with scripts/e2e-setup.sh when qemu:///system does not answer, rebuilds
// dist/ when a src/ file is newer than its output, and hands the environment
// to the tests through provide('e2e'). When it had to start libvirtd, its
// teardown stops that libvirtd again (by the PID in its pidfile).
//
// Test side: the compiled agent as a child process (stopped by PID, also when
// the worker exits), virsh/qemu-img runners, serial-console markers and a
// timing record printed at the end. Nothing sleeps for a fixed time: every
// wait polls a condition until a deadline.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { AgentClient, type Msg } from '../helpers/agent-client';
import { ensureBuilt } from '../helpers/build';

export const REPO = path.resolve(__dirname, '..', '..');
export const AGENT_JS = path.join(REPO, 'dist', 'cli', 'virt-agent.js');

export interface E2EEnv {
  E2E_DIR: string;
  GUEST_KERNEL: string;
  GUEST_INITRD: string;
  LIBVIRT_URI: string;
  /** Date.now() when globalSetup began (for the 5-minute budget). */
  setupStartedAt: number;
  /** ms spent in globalSetup (environment + build). */
  setupMs: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2EEnv;
  }
}

// ---------------------------------------------------------------------------
// Commands

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (killed after timeoutMs); rejects on other exit codes than okCodes. */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; okCodes?: number[]; env?: NodeJS.ProcessEnv; cwd?: string } = {})
  : Promise<RunResult> {
  const okCodes = opts.okCodes ?? [0];
  return new Promise((resolve, reject) => {
    execFile(cmd, args, {
      timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024,
      env: opts.env ?? process.env, cwd: opts.cwd ?? REPO,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      const res = { code, stdout: String(stdout), stderr: String(stderr) };
      if (okCodes.includes(code)) resolve(res);
      else reject(new Error(`${cmd} ${args.join(' ')} -> ${err?.killed ? 'killed (timeout)' : `exit ${code}`}: ${String(stderr).trim() || err?.message}`));
    });
  });
}

/** KEY=value lines (scripts/e2e-setup.sh output). */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

// ---------------------------------------------------------------------------
// globalSetup

async function libvirtAnswers(uri: string): Promise<boolean> {
  try {
    await run('virsh', ['-c', uri, 'version'], { timeoutMs: 10_000 });
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The PID in pidFile when that process is alive and named comm. */
export function pidFromFile(pidFile: string, comm: string): number | null {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return null;
    if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== comm || !alive(pid)) return null;
    return pid;
  } catch {
    return null;
  }
}

/** SIGTERM, wait (zombies count as gone: PID 1 here reaps late), then SIGKILL. */
export async function stopPid(pid: number, termMs = 20_000): Promise<'term' | 'kill' | 'gone'> {
  if (!alive(pid)) return 'gone';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'gone';
  }
  if (await pollUntil(() => !alive(pid), termMs, 'pid exit', 50).then(() => true, () => false)) return 'term';
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'gone';
  }
  await pollUntil(() => !alive(pid), 5000, `pid ${pid} exit after SIGKILL`, 50);
  return 'kill';
}

/** vitest globalSetup: environment up, dist fresh; returns the teardown. */
export async function setup(project: { provide: (key: 'e2e', value: E2EEnv) => void }): Promise<() => Promise<void>> {
  const started = Date.now();
  if (process.getuid?.() !== 0) throw new Error('the e2e suite needs root (libvirtd, QEMU)');
  const defaults = {
    E2E_DIR: process.env.E2E_DIR ?? '/var/tmp/virt-agent-e2e',
    LIBVIRT_URI: process.env.LIBVIRT_URI ?? 'qemu:///system',
  };
  let env: Record<string, string> = {
    ...defaults,
    GUEST_KERNEL: process.env.GUEST_KERNEL ?? path.join(defaults.E2E_DIR, 'guest', 'vmlinuz'),
    GUEST_INITRD: process.env.GUEST_INITRD ?? path.join(defaults.E2E_DIR, 'guest', 'initrd.img'),
  };
  let startedLibvirtd = false;
  const imagePresent = fs.existsSync(env.GUEST_KERNEL!) && fs.existsSync(env.GUEST_INITRD!);
  if (!(imagePresent && (await libvirtAnswers(env.LIBVIRT_URI!)))) {
    startedLibvirtd = !(await libvirtAnswers(env.LIBVIRT_URI!));
    process.stderr.write('e2e globalSetup: running scripts/e2e-setup.sh\n');
    const r = await run('bash', [path.join(REPO, 'scripts', 'e2e-setup.sh')], {
      timeoutMs: 240_000, env: { ...process.env, E2E_DIR: defaults.E2E_DIR },
    });
    process.stderr.write(r.stderr);
    env = { ...env, ...parseKeyValues(r.stdout) };
  }

  ensureBuilt();
  if (!fs.existsSync(path.join(REPO, 'build', 'Release', 'virt_libvirt.node'))) {
    throw new Error('native addon build/Release/virt_libvirt.node is missing (node-gyp rebuild)');
  }

  const provided: E2EEnv = {
    E2E_DIR: env.E2E_DIR!, GUEST_KERNEL: env.GUEST_KERNEL!, GUEST_INITRD: env.GUEST_INITRD!, LIBVIRT_URI: env.LIBVIRT_URI!,
    setupStartedAt: started, setupMs: Date.now() - started,
  };
  project.provide('e2e', provided);

  return async () => {
    if (!startedLibvirtd) return;
    // We brought libvirtd up for this run: take it down again (by its PID).
    const pid = pidFromFile(path.join(provided.E2E_DIR, 'libvirtd.pid'), 'libvirtd');
    if (pid !== null) await stopPid(pid);
  };
}

// ---------------------------------------------------------------------------
// Polling and timings

/** Resolves once cond() holds (polled every intervalMs); rejects after ms. */
export async function pollUntil(cond: () => boolean | Promise<boolean>, ms: number, label: string, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${label}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const timings: Record<string, number | number[] | string> = {};

/** Records a measurement (ms); repeated keys collect into a list. */
export function record(key: string, value: number | string): void {
  const v = typeof value === 'number' ? Math.round(value) : value;
  const prev = timings[key];
  if (prev === undefined) timings[key] = v;
  else if (Array.isArray(prev) && typeof v === 'number') prev.push(v);
  else if (typeof prev === 'number' && typeof v === 'number') timings[key] = [prev, v];
  else timings[key] = v;
}

/** Event.time (google.protobuf.Timestamp) in ms. */
export function timestampMs(t: Msg | undefined): number {
  return Number(t?.seconds ?? 0) * 1000 + Math.round(Number(t?.nanos ?? 0) / 1e6);
}

// ---------------------------------------------------------------------------
// libvirt and guests

export class Virsh {
  constructor(private readonly uri: string) {}

  async run(args: string[], opts: { timeoutMs?: number; okCodes?: number[] } = {}): Promise<RunResult> {
    return run('virsh', ['-q', '-c', this.uri, ...args], { timeoutMs: opts.timeoutMs ?? 60_000, okCodes: opts.okCodes });
  }

  async out(...args: string[]): Promise<string> {
    return (await this.run(args)).stdout.trim();
  }

  /** 'running', 'shut off', 'paused', ... or null when there is no such domain. */
  async state(name: string): Promise<string | null> {
    const r = await this.run(['domstate', name], { okCodes: [0, 1] });
    return r.code === 0 ? r.stdout.trim() : null;
  }

  async names(): Promise<string[]> {
    return (await this.out('list', '--all', '--name')).split('\n').map((s) => s.trim()).filter(Boolean);
  }

  async liveXml(name: string): Promise<string> {
    return this.out('dumpxml', name);
  }

  /** Destroy (if running) and undefine with its managed save; ignores a missing domain. */
  async remove(name: string): Promise<void> {
    await this.run(['destroy', name], { okCodes: [0, 1] });
    const r = await this.run(['undefine', name, '--managed-save', '--snapshots-metadata'], { okCodes: [0, 1] });
    if (r.code !== 0) await this.run(['undefine', name], { okCodes: [0, 1] });
  }
}

/** The UUID scripts/e2e-guest-xml.sh derives from the name. */
export function guestUuid(name: string): string {
  const h = createHash('md5').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export async function guestXml(env: E2EEnv, name: string, opts: { ignoreAcpi?: boolean; disks?: string[] } = {}): Promise<string> {
  const args = [path.join(REPO, 'scripts', 'e2e-guest-xml.sh'), name];
  if (opts.ignoreAcpi) args.push('--ignore-acpi');
  for (const d of opts.disks ?? []) args.push('--disk', d);
  const r = await run('bash', args, {
    env: { ...process.env, E2E_DIR: env.E2E_DIR, GUEST_KERNEL: env.GUEST_KERNEL, GUEST_INITRD: env.GUEST_INITRD },
  });
  return r.stdout;
}

export function serialLog(env: E2EEnv, name: string): string {
  return path.join(env.E2E_DIR, 'serial', `${name}.log`);
}

export function serialText(env: E2EEnv, name: string): string {
  try {
    return fs.readFileSync(serialLog(env, name), 'utf8');
  } catch {
    return '';
  }
}

/** Whole console lines (the markers are exact lines; kernel messages may sit in between). */
export function serialHas(env: E2EEnv, name: string, line: string | RegExp): boolean {
  const lines = serialText(env, name).split(/\r?\n/);
  return lines.some((l) => (typeof line === 'string' ? l.trim() === line : line.test(l.trim())));
}

/** Waits for a console line; returns Date.now() when it was seen. */
export async function waitSerial(env: E2EEnv, name: string, line: string | RegExp, ms = 60_000): Promise<number> {
  await pollUntil(() => serialHas(env, name, line), ms, `${name}: console line ${String(line)}\n--- console ---\n${serialText(env, name).slice(-1500)}`, 50)
    .catch((err: Error) => {
      throw new Error(`${err.message}\n--- ${name} console (tail) ---\n${serialText(env, name).slice(-1500)}`);
    });
  return Date.now();
}

export const READY = 'virt-agent-e2e: ready';
export const blockAdded = (serial: string) => new RegExp(`^virt-agent-e2e: block added vd[a-z]+ serial=${serial}$`);
export const blockRemoved = (serial: string) => new RegExp(`^virt-agent-e2e: block removed vd[a-z]+ serial=${serial}$`);

/** A <disk> for virsh attach-device, with <serial> = target (the guest names disks by order). */
export function diskXml(file: string, target: string, format: 'raw' | 'qcow2'): string {
  return `<disk type='file' device='disk'><driver name='qemu' type='${format}'/><source file='${file}'/>`
    + `<target dev='${target}' bus='virtio'/><serial>${target}</serial></disk>\n`;
}

// ---------------------------------------------------------------------------
// The agent process

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
    const proc = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
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

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}
