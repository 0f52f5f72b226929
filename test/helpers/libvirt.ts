// Helpers for the libvirt binding tests: test-driver connections on a fixture
// node, waiting for events with a deadline (never a fixed sleep), and child
// node processes running plain JS against the addon.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { LibvirtConnection, type LifecycleEventInfo, type OpenOptions } from '../../src/libvirt/connection';
import { DomainState } from '../../src/libvirt/constants';
import { LibvirtError } from '../../src/libvirt/errors';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const ADDON_PATH = path.join(REPO_ROOT, 'build', 'Release', 'virt_libvirt.node');
export const FIXTURE_NODE = path.join(REPO_ROOT, 'test', 'fixtures', 'test-node.xml');
export const DEFAULT_URI = 'test:///default';

/** test:///ABS/PATH.xml: each open starts from the file again (private state). */
export function fixtureUri(file = FIXTURE_NODE): string {
  return `test://${file}`;
}

/** What test/fixtures/test-node.xml holds (state reasons are 0 = UNKNOWN as loaded). */
export const FIXTURE_DOMAINS = {
  'web-1': { uuid: '11111111-1111-4111-8111-111111111111', state: DomainState.RUNNING, id: 1, persistent: true, managedSave: false },
  'db-1': { uuid: '22222222-2222-4222-8222-222222222222', state: DomainState.SHUTOFF, id: -1, persistent: true, managedSave: false },
  'saved-1': { uuid: '33333333-3333-4333-8333-333333333333', state: DomainState.SHUTOFF, id: -1, persistent: true, managedSave: true },
  'paused-1': { uuid: '44444444-4444-4444-8444-444444444444', state: DomainState.PAUSED, id: 2, persistent: true, managedSave: false },
  'transient-1': { uuid: '55555555-5555-4555-8555-555555555555', state: DomainState.RUNNING, id: 3, persistent: false, managedSave: false },
} as const;
export type FixtureName = keyof typeof FIXTURE_DOMAINS;
export const FIXTURE_NAMES = Object.keys(FIXTURE_DOMAINS) as FixtureName[];

/** A minimal test-driver domain definition. */
export function domainXml(name: string, uuid: string, memoryKiB = 262144): string {
  return `<domain type="test"><name>${name}</name><uuid>${uuid}</uuid>`
    + `<memory>${memoryKiB}</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`;
}

/** A deterministic v4-shaped UUID for generated domain number n. */
export function uuidFor(n: number): string {
  return `aaaaaaaa-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** Opens connections and closes whatever a test left open (call closeAll in afterEach). */
export class Connections {
  private readonly open: LibvirtConnection[] = [];

  async connect(uri = fixtureUri(), options?: OpenOptions): Promise<LibvirtConnection> {
    const c = await LibvirtConnection.open(uri, options);
    this.open.push(c);
    return c;
  }

  async closeAll(): Promise<void> {
    const all = this.open.splice(0);
    await Promise.all(all.map((c) => c.close().catch(() => undefined)));
  }
}

/** Rejects with a message naming `label` when `p` does not settle within `ms`. */
export async function withDeadline<T>(p: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`deadline of ${ms} ms passed waiting for ${label}`)), ms);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The LibvirtError a promise rejects with (fails the test when it resolves or throws something else). */
export async function libvirtError(p: Promise<unknown>): Promise<LibvirtError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof LibvirtError) return err;
    throw new Error(`expected a LibvirtError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected a LibvirtError, the call succeeded');
}

type Waiter = { pred: (e: LifecycleEventInfo) => boolean; resolve: (e: LifecycleEventInfo) => void };

/** Records a connection's lifecycle events; waitFor() resolves on a match or fails at a deadline. */
export class EventRecorder {
  readonly events: LifecycleEventInfo[] = [];
  private waiters: Waiter[] = [];

  constructor(conn: LibvirtConnection) {
    conn.on('lifecycle', (e) => {
      this.events.push(e);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(e)) return true;
        w.resolve(e);
        return false;
      });
    });
  }

  /** Index to pass as `since` so earlier events are ignored. */
  mark(): number {
    return this.events.length;
  }

  waitFor(pred: (e: LifecycleEventInfo) => boolean, opts: { since?: number; timeoutMs?: number; label?: string } = {}): Promise<LifecycleEventInfo> {
    const seen = this.events.slice(opts.since ?? 0).find(pred);
    if (seen) return Promise.resolve(seen);
    const p = new Promise<LifecycleEventInfo>((resolve) => this.waiters.push({ pred, resolve }));
    return withDeadline(p, opts.timeoutMs ?? 5000, opts.label ?? 'a lifecycle event');
  }

  /** Waits until `count` events matching `pred` were recorded since `since`. */
  async waitForCount(pred: (e: LifecycleEventInfo) => boolean, count: number, opts: { since?: number; timeoutMs?: number } = {}): Promise<LifecycleEventInfo[]> {
    const since = opts.since ?? 0;
    const matching = (): LifecycleEventInfo[] => this.events.slice(since).filter(pred);
    const p = new Promise<void>((resolve) => {
      if (matching().length >= count) { resolve(); return; }
      // Checked after each new event was recorded.
      this.waiters.push({ pred: (e) => pred(e) && matching().length >= count, resolve: () => resolve() });
    });
    await withDeadline(p, opts.timeoutMs ?? 10_000, `${count} matching events`);
    return matching();
  }
}

// ---------------------------------------------------------------------------
// Child processes

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The child was killed by us at the deadline. */
  timedOut: boolean;
  ms: number;
}

let scriptDir: string | undefined;

/**
 * Writes a plain JS script to a temporary directory. The script finds the
 * addon in process.env.VIRT_ADDON and the fixture URI in process.env.VIRT_URI.
 */
export function writeScript(name: string, body: string): string {
  scriptDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'virt-agent-libvirt-'));
  const file = path.join(scriptDir, name);
  fs.writeFileSync(file, body);
  return file;
}

/** Removes the scripts written so far (call in afterAll). */
export function removeScripts(): void {
  if (scriptDir !== undefined) fs.rmSync(scriptDir, { recursive: true, force: true });
  scriptDir = undefined;
}

export interface SpawnedScript {
  child: ChildProcess;
  /** Resolves once stdout contains `text`; rejects at the deadline or when the child exits first. */
  waitForOutput(text: string, ms: number): Promise<void>;
  /** The result once the child exits, or undefined if it is still running after `ms`. */
  exitWithin(ms: number): Promise<ChildResult | undefined>;
  /** SIGKILLs the child (only this child) and returns its result. */
  kill(): Promise<ChildResult>;
}

export function spawnScript(file: string, opts: { execArgv?: string[]; env?: NodeJS.ProcessEnv } = {}): SpawnedScript {
  const started = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env, VIRT_ADDON: ADDON_PATH, VIRT_URI: fixtureUri(), ...opts.env };
  // Keep libvirt's own logging at its defaults: the test is about what it prints unasked.
  delete env.LIBVIRT_DEBUG;
  delete env.LIBVIRT_LOG_OUTPUTS;
  delete env.LIBVIRT_LOG_FILTERS;
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [...(opts.execArgv ?? []), file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let killed = false;
  const listeners = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; listeners.forEach((l) => l()); });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<ChildResult>((resolve) => {
    child.on('close', (code, signal) => {
      listeners.forEach((l) => l());
      resolve({ code, signal, stdout, stderr, timedOut: killed, ms: Date.now() - started });
    });
  });
  let done = false;
  void exited.then(() => { done = true; });

  return {
    child,
    waitForOutput(text, ms) {
      const p = new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (stdout.includes(text)) { listeners.delete(check); resolve(); } else if (done) {
            listeners.delete(check);
            reject(new Error(`child exited before printing ${JSON.stringify(text)}; stderr: ${stderr}`));
          }
        };
        listeners.add(check);
        check();
      });
      return withDeadline(p, ms, `child output ${JSON.stringify(text)}`);
    },
    async exitWithin(ms) {
      let timer: NodeJS.Timeout | undefined;
      const still = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms); });
      try {
        return await Promise.race([exited, still]);
      } finally {
        clearTimeout(timer);
      }
    },
    async kill() {
      if (!done) {
        killed = true;
        child.kill('SIGKILL');
      }
      return exited;
    },
  };
}

/** Runs a script to completion; SIGKILLs it at `timeoutMs` (result.timedOut). */
export async function runScript(file: string, opts: { timeoutMs?: number; execArgv?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<ChildResult> {
  const s = spawnScript(file, opts);
  return (await s.exitWithin(opts.timeoutMs ?? 15_000)) ?? s.kill();
}

/**
 * A prelude for child scripts that lets them require the project's .ts
 * sources (transpiled on load with the project's TypeScript, no type check).
 * Sets `REPO` to the repository root.
 */
export const TS_REQUIRE_PRELUDE = `
const REPO = ${JSON.stringify(REPO_ROOT)};
const ts = require(REPO + '/node_modules/typescript');
require.extensions['.ts'] = (m, filename) => {
  const src = require('fs').readFileSync(filename, 'utf8');
  const out = ts.transpileModule(src, { fileName: filename, compilerOptions: {
    module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
  m._compile(out.outputText, filename);
};
`;
