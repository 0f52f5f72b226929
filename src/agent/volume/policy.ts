// os-brick's disconnect error semantics in one place, used by every connector:
//   neither flag    – the first failing step aborts (its error is rethrown as is);
//   force           – every step is attempted, errors are collected, finish() throws
//                     one AppError summarising all of them;
//   ignore_errors   – like force (keeps going: succeeding after an abort would hide
//                     undone work), but errors become warnings and finish() succeeds.
import { AppError, errorMessage, isAppError, type ErrorKind } from '../../errors';
import type { StepControl, StepRecorder } from '../steps';

export interface PolicyFlags {
  force?: boolean;
  ignoreErrors?: boolean;
}

export type Attempt<T> = { ok: true; value: T } | { ok: false; error: unknown };

export class ErrorPolicy {
  readonly force: boolean;
  readonly ignoreErrors: boolean;
  private readonly errors: Array<{ step: string; error: unknown }> = [];
  private readonly warningList: string[] = [];

  constructor(
    flags: PolicyFlags,
    private readonly steps: StepRecorder,
  ) {
    this.force = flags.force === true;
    this.ignoreErrors = flags.ignoreErrors === true;
  }

  /** True when a failing step does not abort the operation. */
  get keepsGoing(): boolean {
    return this.force || this.ignoreErrors;
  }

  /** True once any attempted step failed (under force / ignore_errors). */
  get failed(): boolean {
    return this.errors.length > 0;
  }

  get warnings(): string[] {
    return [...this.warningList];
  }

  /**
   * Run one step under the policy. Without force/ignore_errors a failure is
   * rethrown (abort); otherwise it is collected and `{ ok: false }` returned so
   * the caller can skip what depended on it.
   */
  async attempt<T>(name: string, fn: (step: StepControl) => T | Promise<T>): Promise<Attempt<T>> {
    try {
      const value = await this.steps.run(name, fn, { failedAs: this.ignoreErrors ? 'warning' : 'failed' });
      return { ok: true, value };
    } catch (error) {
      if (!this.keepsGoing) throw error;
      this.errors.push({ step: name, error });
      if (this.ignoreErrors) this.warningList.push(`${name}: ${errorMessage(error)}`);
      return { ok: false, error };
    }
  }

  /** A step whose failure is always only a warning (e.g. NFS umount of a busy share). */
  async tolerate<T>(name: string, fn: (step: StepControl) => T | Promise<T>): Promise<Attempt<T>> {
    try {
      return { ok: true, value: await this.steps.run(name, fn, { failedAs: 'warning' }) };
    } catch (error) {
      this.warningList.push(`${name}: ${errorMessage(error)}`);
      return { ok: false, error };
    }
  }

  warn(message: string): void {
    this.warningList.push(message);
  }

  /**
   * End of the operation: returns the warnings, or (force without
   * ignore_errors) throws one AppError naming every failed step. Its kind is
   * the first error's kind; the individual errors are in `cause`.
   */
  finish(): { warnings: string[] } {
    if (this.errors.length > 0 && !this.ignoreErrors) {
      const first = this.errors[0]!.error;
      const kind: ErrorKind = isAppError(first) ? first.kind : 'Internal';
      const summary = this.errors.map((e) => `${e.step}: ${errorMessage(e.error)}`).join('; ');
      throw new AppError(kind, `${this.errors.length} step(s) failed: ${summary}`, {
        cause: new AggregateError(
          this.errors.map((e) => e.error),
          summary,
        ),
      });
    }
    return { warnings: this.warnings };
  }
}
