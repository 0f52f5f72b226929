// A CommandRunner for commands that cannot run on a test machine (host iSCSI
// login, multipath, krbd need kernel modules and storage we do not have).
// It plays back an exact, ordered script: any command not next in the script
// fails loudly, and assertDone() proves every expected command ran.
// Exit codes go through the same checkExit() as the real runner, so okCodes
// behave identically.
import { checkExit, formatCommand, timeoutError, type CommandRunner, type RunOptions, type RunResult } from '../../src/agent/exec';

export interface Expectation {
  cmd: string;
  args: string[];
  /** Defaults: stdout '', stderr '', code 0. */
  result?: Partial<RunResult>;
  /** Thrown instead of producing a result. */
  error?: Error;
  /** Behave like the real runner when the command hangs past its timeout. */
  timeout?: boolean;
  /** Awaited before the result is returned (e.g. to hold a command open). */
  hook?: () => void | Promise<void>;
}

export interface RecordedCall {
  cmd: string;
  args: string[];
  opts: RunOptions | undefined;
}

export class ScriptedRunner implements CommandRunner {
  readonly calls: RecordedCall[] = [];
  /** Every event in order: commands as "cmd arg ...", plus anything added with note(). */
  readonly log: string[] = [];
  private readonly script: Expectation[];
  private readonly unexpected: string[] = [];

  constructor(script: Expectation[] = []) {
    this.script = [...script];
  }

  expect(cmd: string, args: string[], result?: Partial<RunResult>): this {
    this.script.push({ cmd, args, ...(result ? { result } : {}) });
    return this;
  }

  push(...entries: Expectation[]): this {
    this.script.push(...entries);
    return this;
  }

  /** Record a non-command event (e.g. a sysfs write) in the shared log. */
  note(event: string): void {
    this.log.push(event);
  }

  get commands(): string[] {
    return this.calls.map((c) => formatCommand(c.cmd, c.args));
  }

  async run(cmd: string, args: string[], opts?: RunOptions): Promise<RunResult> {
    const line = formatCommand(cmd, args);
    this.calls.push({ cmd, args: [...args], opts });
    this.log.push(line);
    const next = this.script.shift();
    if (next === undefined || formatCommand(next.cmd, next.args) !== line) {
      const msg = `ScriptedRunner: unexpected command\n  got:      ${line}\n  expected: ${next ? formatCommand(next.cmd, next.args) : '(end of script)'}`;
      this.unexpected.push(msg);
      if (next !== undefined) this.script.unshift(next);
      throw new Error(msg);
    }
    if (next.hook) await next.hook();
    if (next.timeout) throw timeoutError(cmd, args, opts?.timeoutMs ?? 30_000);
    if (next.error) throw next.error;
    const result: RunResult = { stdout: '', stderr: '', code: 0, ...next.result };
    return checkExit(cmd, args, result, opts?.okCodes ?? [0], opts?.redact);
  }

  /** Throws unless every scripted command ran and nothing unexpected was asked. */
  assertDone(): void {
    const problems = [...this.unexpected];
    if (this.script.length > 0) {
      problems.push(`ScriptedRunner: ${this.script.length} expected command(s) never ran:\n  ${this.script.map((e) => formatCommand(e.cmd, e.args)).join('\n  ')}`);
    }
    if (problems.length > 0) throw new Error(problems.join('\n'));
  }
}
