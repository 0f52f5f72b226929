// FlowDeps for flow and operation tests: a real Host on a private libvirt
// test-driver node (written into a temporary directory, so disk paths point
// into a temporary instances directory with real files), a FakeClock (or the
// system clock), a silent logger, a ScriptedRunner and a DomainStore in a
// temporary state directory.
//
// Fault injection (FaultyHost, FaultPlan, error builders): fault-host.ts,
// re-exported here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';

import { systemClock } from '../../src/agent/clock';
import { defaultConfig, type AgentConfig } from '../../src/agent/config';
import { DomainStore } from '../../src/agent/domain-store';
import type { FlowDeps, OpContext } from '../../src/agent/flows/types';
import { StepRecorder, type Step } from '../../src/agent/steps';
import { DomainState } from '../../src/libvirt/constants';
import { FakeClock } from './clocks';
import { FaultyHost, type FaultPlan, type FaultSpec } from './fault-host';
import { ScriptedRunner } from './scripted-runner';

export * from './fault-host';

export const silent: Logger = pino({ level: 'silent' });

// ---------------------------------------------------------------------------
// Clock

/** A FakeClock that records every sleep and can run a promise to completion. */
export class TestClock extends FakeClock {
  /** Every sleep asked for, in ms, in order. */
  readonly sleeps: number[] = [];
  private readonly wakeAts = new Set<{ at: number }>();

  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    const entry = { at: this.now() + Math.max(0, ms) };
    this.wakeAts.add(entry);
    const p = super.sleep(ms, signal);
    const drop = () => this.wakeAts.delete(entry);
    p.then(drop, drop);
    return p;
  }

  /** Wake-up time of the earliest pending sleep. */
  nextWake(): number | undefined {
    let min: number | undefined;
    for (const e of this.wakeAts) if (min === undefined || e.at < min) min = e.at;
    return min;
  }

  /**
   * Settles `p` by moving time: whenever the code under test sleeps, time
   * jumps to that sleep's end (never further), so every timer fires in order.
   */
  async run<T>(p: Promise<T>, maxSteps = 1000): Promise<T> {
    let settled = false;
    const flag = p.then(() => { settled = true; }, () => { settled = true; });
    for (let i = 0; !settled; i++) {
      if (i >= maxSteps) throw new Error(`TestClock.run: still not settled after ${maxSteps} sleeps`);
      await Promise.race([this.whenSleeping(1), flag]);
      if (settled) break;
      const at = this.nextWake();
      if (at !== undefined) await this.advance(Math.max(0, at - this.now()));
    }
    return p;
  }
}

// ---------------------------------------------------------------------------
// Test-driver node

export interface DiskSpec {
  /** vda, vdb, ... (default: next free vdX). */
  dev?: string;
  /** File disk: absolute, or relative to the instances directory. */
  file?: string;
  /** Create the file (default true for file disks under the tmp root). */
  create?: boolean;
  /** Network RBD disk "pool/image". */
  rbd?: string;
  /** Block disk (a device path). */
  block?: string;
  device?: 'disk' | 'cdrom';
}

export interface DomainSpec {
  name: string;
  uuid: string;
  /** Initial state (default RUNNING). */
  state?: DomainState;
  transient?: boolean;
  managedSave?: boolean;
  guestAgent?: boolean;
  disks?: DiskSpec[];
}

/** A v4-shaped uuid for test domain n. */
export function testUuid(n: number): string {
  return `bbbbbbbb-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

function diskXml(d: DiskSpec, i: number, instancesDir: string): string {
  const dev = d.dev ?? `vd${String.fromCharCode(97 + i)}`;
  const target = `<target dev="${dev}" bus="virtio"/>`;
  const device = d.device ?? 'disk';
  if (d.rbd) {
    return `<disk type="network" device="${device}"><source protocol="rbd" name="${d.rbd}">`
      + `<host name="192.0.2.1" port="6789"/></source>${target}</disk>`;
  }
  if (d.block) return `<disk type="block" device="${device}"><source dev="${d.block}"/>${target}</disk>`;
  const file = path.isAbsolute(d.file!) ? d.file! : path.join(instancesDir, d.file!);
  return `<disk type="file" device="${device}"><source file="${file}"/>${target}</disk>`;
}

/** Domain XML (as defined in a node file, or for defineXML/createXML). */
export function domainXml(spec: DomainSpec, instancesDir: string, inNode = false): string {
  const disks = (spec.disks ?? []).map((d, i) => diskXml(d, i, instancesDir)).join('');
  const agent = spec.guestAgent
    ? '<channel type="unix"><source mode="bind"/><target type="virtio" name="org.qemu.guest_agent.0"/></channel>'
    : '';
  const state = spec.state ?? DomainState.RUNNING;
  const testTags = inNode
    ? `<test:runstate>${state}</test:runstate>${spec.transient ? '<test:transient/>' : ''}${spec.managedSave ? '<test:hasmanagedsave/>' : ''}`
    : '';
  return `<domain type="test"><name>${spec.name}</name><uuid>${spec.uuid}</uuid>`
    + '<memory unit="MiB">256</memory><vcpu>1</vcpu><os><type>hvm</type></os>'
    + `<devices>${disks}${agent}</devices>${testTags}</domain>`;
}

export interface TestEnv {
  deps: FlowDeps;
  host: FaultyHost;
  /** deps.clock when it is the fake one (the default). */
  clock: TestClock;
  runner: ScriptedRunner;
  store: DomainStore;
  config: AgentConfig;
  root: string;
  instancesDir: string;
  stateDir: string;
  uri: string;
  /** Absolute path of a file below the instances directory. */
  inst(...parts: string[]): string;
  /** A fresh OpContext (own StepRecorder). */
  ctx(opts?: { signal?: AbortSignal; requestId?: string }): OpContext & { steps: StepRecorder };
  /** Installs a fault plan on a domain (by uuid). */
  inject(uuid: string, spec?: FaultSpec): FaultPlan;
  /** Current state of a domain, 'gone' when libvirt does not know it. */
  stateOf(uuid: string): Promise<DomainState | 'gone'>;
  close(): Promise<void>;
}

export interface EnvOptions {
  /** The node's domains; a function gets the tmp root and instances dir to build paths from. */
  domains: DomainSpec[] | ((dirs: { root: string; instancesDir: string }) => DomainSpec[]);
  /** 'fake' (default): a TestClock; 'system': real time. */
  clock?: 'fake' | 'system';
  runner?: ScriptedRunner;
  config?: (c: AgentConfig) => void;
}

const opened: TestEnv[] = [];

/** Writes a node, starts a Host on it and builds FlowDeps. Close with closeEnvs() in afterEach. */
export async function makeEnv(opts: EnvOptions): Promise<TestEnv> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'virt-agent-flow-'));
  const instancesDir = path.join(root, 'instances');
  const stateDir = path.join(root, 'state');
  fs.mkdirSync(instancesDir, { recursive: true });
  fs.mkdirSync(stateDir, { recursive: true });
  const domains = typeof opts.domains === 'function' ? opts.domains({ root, instancesDir }) : opts.domains;
  for (const dom of domains) {
    for (const d of dom.disks ?? []) {
      if (!d.file || d.create === false) continue;
      const file = path.isAbsolute(d.file) ? d.file : path.join(instancesDir, d.file);
      if (!file.startsWith(root)) continue; // never create files outside the tmp root
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `disk of ${dom.name}\n`);
    }
  }
  const nodeFile = path.join(root, 'node.xml');
  fs.writeFileSync(nodeFile, '<node xmlns:test="http://libvirt.org/schemas/domain/test/1.0">'
    + '<cpu><mhz>2400</mhz><model>i686</model><active>4</active><nodes>1</nodes><sockets>1</sockets>'
    + '<cores>4</cores><threads>1</threads></cpu><memory>16777216</memory>'
    + `${domains.map((d) => domainXml(d, instancesDir, true)).join('\n')}</node>\n`);
  const uri = `test://${nodeFile}`;

  const config = defaultConfig();
  config.libvirtUri = uri;
  config.stateDir = stateDir;
  config.instancesPath = instancesDir;
  config.nfsMountBase = path.join(root, 'mnt');
  opts.config?.(config);

  const clock = new TestClock();
  const host = new FaultyHost({ uri, logger: silent });
  host.clock = opts.clock === 'system' ? systemClock : clock;
  await host.start(true);
  const runner = opts.runner ?? new ScriptedRunner();
  const store = new DomainStore(stateDir);
  const deps: FlowDeps = {
    host,
    clock: opts.clock === 'system' ? systemClock : clock,
    logger: silent,
    config,
    runner,
    store,
  };
  let n = 0;
  const env: TestEnv = {
    deps, host, clock, runner, store, config, root, instancesDir, stateDir, uri,
    inst: (...parts) => path.join(instancesDir, ...parts),
    ctx: (o = {}) => ({
      requestId: o.requestId ?? `test-${++n}`,
      steps: new StepRecorder({ logger: silent, clock: () => deps.clock.now() }),
      logger: silent,
      ...(o.signal ? { signal: o.signal } : {}),
    }),
    inject: (uuid, spec) => host.inject(uuid, spec),
    async stateOf(uuid) {
      const g = await host.find({ uuid });
      return g ? (await g.state()).state : 'gone';
    },
    async close() {
      await host.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  opened.push(env);
  return env;
}

/** Stops every Host started by makeEnv and removes its files. */
export async function closeEnvs(): Promise<void> {
  await Promise.all(opened.splice(0).map((e) => e.close().catch(() => undefined)));
}

/** "name:outcome" of each step, for compact sequence assertions. */
export function stepSeq(steps: Step[]): string[] {
  return steps.map((s) => `${s.name}:${s.outcome}`);
}

/** The AppError (or other Error) a promise rejects with; fails when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error & { kind?: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`expected an Error, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected a rejection, the promise resolved');
}

/** A promise with its resolve function, for holding a flow at a known point. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Resolves once `cond` holds, checking after every turn of the event loop.
 * The real-time limit only turns a hang into a failure; it is never waited
 * out by a passing test.
 */
export async function eventually(cond: () => boolean, label: string, limitMs = 5000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not within ${limitMs} ms: ${label}`);
    await new Promise<void>((r) => setImmediate(r));
  }
}
