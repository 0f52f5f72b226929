// Builds a real VolumeContext (real StepRecorder, ErrorPolicy, sysfs reader
// over a temporary directory tree) around a given CommandRunner.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { onTestFinished } from 'vitest';
import type { Clock } from '../../src/agent/clock';
import type { CommandRunner } from '../../src/agent/exec';
import { StepRecorder } from '../../src/agent/steps';
import { hostSysfs, type HostIO, type SysfsIO } from '../../src/agent/volume/host-io';
import { ErrorPolicy, type PolicyFlags } from '../../src/agent/volume/policy';
import type { DiskSource, VolumeContext, VolumeHostConfig } from '../../src/agent/volume/types';

export const silentLogger = pino({ level: 'silent' });

/**
 * A fake /sys in a temp dir: keys are paths relative to the root; a key ending
 * in "/" is an empty directory, anything else a file with that content.
 * (Real sysfs cannot hold the iSCSI/krbd devices these tests need.)
 */
export function makeSysfsTree(tree: Record<string, string>): { root: string; cleanup(): void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'virt-agent-sysfs-'));
  for (const [rel, content] of Object.entries(tree)) {
    const p = path.join(root, rel);
    if (rel.endsWith('/')) {
      mkdirSync(p, { recursive: true });
    } else {
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, content);
    }
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** makeSysfsTree for the running test: its root, removed when the test ends. */
export function tempSysfs(tree: Record<string, string> = {}): string {
  const t = makeSysfsTree(tree);
  onTestFinished(t.cleanup);
  return t.root;
}

/**
 * Records sysfs writes as "write <rel> <data>" in the same log as the commands.
 * With `root`, it also does what the kernel does on "1" > block/sdX/device/delete:
 * block/sdX goes away.
 */
export function recordingSysfs(inner: SysfsIO, note: (event: string) => void, root?: string): SysfsIO {
  return {
    list: (rel) => inner.list(rel),
    read: (rel) => inner.read(rel),
    async write(rel, data) {
      note(`write ${rel} ${data}`);
      await inner.write(rel, data);
      const m = /^block\/(sd[a-z]+)\/device\/delete$/.exec(rel);
      if (root !== undefined && m && data === '1') rmSync(path.join(root, 'block', m[1]!), { recursive: true, force: true });
    },
  };
}

/**
 * A clock whose sleeps return at once, moving its time forward (retries and
 * device waits run without waiting); every sleep is recorded.
 */
export class InstantClock implements Clock {
  readonly sleeps: number[] = [];
  private t = 0;
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.sleeps.push(ms);
    this.t += Math.max(0, ms);
    await new Promise<void>((r) => setImmediate(r));
  }
}

export interface TestCtx {
  ctx: VolumeContext;
  steps: StepRecorder;
  errors: ErrorPolicy;
}

export function makeCtx(opts: {
  runner: CommandRunner & { note?(event: string): void };
  flags?: PolicyFlags;
  others?: DiskSource[];
  sysfsRoot?: string;
  host?: HostIO;
  config?: Partial<VolumeHostConfig>;
  clock?: Clock;
  /** Device links (/dev/disk/by-path/...) → their target, as udev would have made them; undefined = not there (yet). */
  devLinks?: (p: string) => string | undefined;
}): TestCtx & { clock: Clock } {
  const steps = new StepRecorder();
  const errors = new ErrorPolicy(opts.flags ?? {}, steps);
  const note = opts.runner.note?.bind(opts.runner) ?? (() => undefined);
  const host: HostIO | undefined =
    opts.host ??
    (opts.sysfsRoot === undefined
      ? undefined
      : {
          sysfs: recordingSysfs(hostSysfs({ root: opts.sysfsRoot }), note, opts.sysfsRoot),
          readMountinfo: () => Promise.reject(new Error('mountinfo not used by this test')),
          pathExists: async (p) => opts.devLinks?.(p) !== undefined,
          resolveLink: async (p) => opts.devLinks?.(p),
        });
  const clock = opts.clock ?? new InstantClock();
  const others = opts.others ?? [];
  const ctx: VolumeContext = {
    runner: opts.runner,
    logger: silentLogger,
    steps,
    errors,
    usage: { otherDiskSources: async () => others.map((d) => ({ ...d })) },
    config: { nfsMountBase: '/nonexistent/virt-agent-nfs', ...opts.config },
    clock,
    ...(host ? { host } : {}),
  };
  return { ctx, steps, errors, clock };
}
