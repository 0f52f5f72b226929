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
//
// The test-side helpers live in commands.ts (paths, commands, polling),
// guests.ts (virsh, guests, serial console) and agent-process.ts (the agent
// child process); this file re-exports them, so tests import from here only.
import fs from 'node:fs';
import path from 'node:path';

import type { Msg } from '../helpers/agent-client';
import { ensureBuilt } from '../helpers/build';
import { parseKeyValues, pollUntil, REPO, run, type E2EEnv } from './commands';

export * from './commands';
export * from './guests';
export * from './agent-process';

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
// Timings

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
