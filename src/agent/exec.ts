// The one way the agent runs host commands. Everything goes through a
// CommandRunner so tests can script commands that cannot run on a dev box
// (iscsiadm, multipath, krbd) while production uses execFile: argument arrays,
// never a shell, always a timeout.
import { execFile } from 'node:child_process';
import type { BaseLogger } from 'pino';
import { AppError, Timeout } from '../errors';

export type Log = Pick<BaseLogger, 'debug' | 'info' | 'warn' | 'error'>;

export interface RunOptions {
  /** Kill the command and throw Timeout after this long. Default 30 s. */
  timeoutMs?: number;
  /** Written to the command's stdin, then stdin is closed. */
  input?: string;
  /** Exit codes that count as success. Default [0]. */
  okCodes?: number[];
  /** Argument values (e.g. a CHAP password) shown as <redacted> in logs and error messages. */
  redact?: string[];
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface CommandRunner {
  run(cmd: string, args: string[], opts?: RunOptions): Promise<RunResult>;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** A command that ran (or could not start) and failed. `code` is -1 when it never exited normally. */
export class CommandError extends AppError {
  readonly cmd: string;
  readonly args: readonly string[];
  readonly code: number;
  readonly stderr: string;

  constructor(cmd: string, args: readonly string[], code: number, stderr: string, options?: { cause?: unknown; reason?: string }) {
    const why = options?.reason ?? `exited with code ${code}`;
    const tail = stderr.trim() === '' ? '' : `: ${stderr.trim().slice(0, 500)}`;
    super('Internal', `${formatCommand(cmd, args)} ${why}${tail}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.cmd = cmd;
    this.args = [...args];
    this.code = code;
    this.stderr = stderr;
  }
}

/** For logs and messages only; never executed. */
export function formatCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** The arguments as they may be shown: secret values replaced. */
export function shownArgs(args: readonly string[], redact: readonly string[] | undefined): string[] {
  return redact && redact.length > 0 ? args.map((a) => (redact.includes(a) ? '<redacted>' : a)) : [...args];
}

/** Shared by real and scripted runners so both honour okCodes the same way. */
export function checkExit(cmd: string, args: readonly string[], result: RunResult, okCodes: readonly number[] = [0],
  redact?: readonly string[]): RunResult {
  if (!okCodes.includes(result.code)) throw new CommandError(cmd, shownArgs(args, redact), result.code, result.stderr);
  return result;
}

export function timeoutError(cmd: string, args: readonly string[], timeoutMs: number): Timeout {
  return new Timeout(`${formatCommand(cmd, args)} timed out after ${timeoutMs} ms and was killed`);
}

interface ExecErr extends Error {
  code?: number | string | null;
  signal?: NodeJS.Signals | null;
}

export function execFileRunner(logger?: Log): CommandRunner {
  return {
    run(cmd, args, opts = {}) {
      const timeoutMs = opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
      const okCodes = opts.okCodes ?? [0];
      const started = Date.now();
      const shown = shownArgs(args, opts.redact);
      logger?.debug({ cmd, args: shown, timeoutMs }, 'exec');
      return new Promise<RunResult>((resolve, reject) => {
        let settled = false;
        const settle = (fn: () => void): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          fn();
        };
        // LC_ALL=C: we parse output (iscsiadm, rbd, umount messages).
        const child = execFile(
          cmd,
          args,
          { encoding: 'utf8', maxBuffer: MAX_OUTPUT_BYTES, env: { ...process.env, LC_ALL: 'C' }, windowsHide: true },
          (err, stdout, stderr) => {
            const e = err as ExecErr | null;
            const ms = Date.now() - started;
            if (e === null) {
              logger?.debug({ cmd, code: 0, ms }, 'exec done');
              settle(() => resolve({ stdout, stderr, code: 0 }));
            } else if (typeof e.code === 'number') {
              logger?.debug({ cmd, code: e.code, ms }, 'exec done');
              settle(() => {
                try {
                  resolve(checkExit(cmd, args, { stdout, stderr, code: e.code as number }, okCodes, opts.redact));
                } catch (failure) {
                  reject(failure);
                }
              });
            } else {
              // Spawn failure (ENOENT, EACCES), a signal, or output overflow.
              const reason = e.signal ? `was killed by ${e.signal}` : `failed to run (${e.code ?? e.message})`;
              logger?.debug({ cmd, reason, ms }, 'exec failed');
              // execFile's error message repeats the whole command line: not kept when it holds a secret.
              settle(() => reject(new CommandError(cmd, shown, -1, stderr, { cause: opts.redact?.length ? undefined : e, reason })));
            }
          },
        );
        // Own timer rather than execFile's: a process stuck in D state (hung
        // iSCSI/NFS I/O) may not die on SIGKILL, and we must not wait for it.
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          logger?.debug({ cmd, timeoutMs }, 'exec timed out');
          settle(() => reject(timeoutError(cmd, shown, timeoutMs)));
        }, timeoutMs);
        if (child.stdin) {
          child.stdin.on('error', () => undefined); // EPIPE when the command ignores stdin
          child.stdin.end(opts.input ?? '');
        }
      });
    },
  };
}
