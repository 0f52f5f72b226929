// Basics of the real-guest e2e suite, shared by globalSetup (helpers.ts) and
// the test-side helpers (guests.ts, agent-process.ts): repository paths, the
// environment handed to the tests, running commands, polling a condition.
// Tests import all of it through helpers.ts.
import { execFile } from 'node:child_process';
import path from 'node:path';

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
      const res = { code, stdout, stderr };
      if (okCodes.includes(code)) resolve(res);
      else reject(new Error(`${cmd} ${args.join(' ')} -> ${err?.killed ? 'killed (timeout)' : `exit ${code}`}: ${stderr.trim() || err?.message}`));
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
// Polling

/** Resolves once cond() holds (polled every intervalMs); rejects after ms. */
export async function pollUntil(cond: () => boolean | Promise<boolean>, ms: number, label: string, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${label}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
