// libvirt and guests for the real-guest e2e suite (re-exported by
// helpers.ts): virsh, guest XML from scripts/e2e-guest-xml.sh, serial-console
// markers, hot-plug disk XML, file checksums.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { pollUntil, REPO, run, type E2EEnv, type RunResult } from './commands';

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

export async function guestXml(env: E2EEnv, name: string, opts: { ignoreAcpi?: boolean; panic?: boolean; q35?: boolean; disks?: string[] } = {}): Promise<string> {
  const args = [path.join(REPO, 'scripts', 'e2e-guest-xml.sh'), name];
  if (opts.ignoreAcpi) args.push('--ignore-acpi');
  if (opts.panic) args.push('--panic');
  if (opts.q35) args.push('--q35');
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
    .catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n--- ${name} console (tail) ---\n${serialText(env, name).slice(-1500)}`, { cause: err });
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

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}
