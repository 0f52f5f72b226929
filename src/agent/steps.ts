// Records what an operation did, in order, for the gRPC response (Step) and
// the log. Generic: used by volume connectors and the lifecycle flows alike.
import type { Log } from './exec';
import { errorMessage } from '../errors';

export type StepOutcome = 'ok' | 'skipped' | 'fallback' | 'warning' | 'failed';

/** Same shape as the proto message virtagent.v1.Step. */
export interface Step {
  name: string;
  outcome: StepOutcome;
  detail: string;
  duration_ms: number;
}

/** Handed to a running step so it can explain itself ("not mounted" → skipped). */
export interface StepControl {
  detail(text: string): void;
  outcome(outcome: Exclude<StepOutcome, 'failed'>): void;
}

export interface RunStepOptions {
  /** How a thrown error is recorded. Default 'failed'. */
  failedAs?: 'failed' | 'warning';
}

export class StepRecorder {
  private readonly list: Step[] = [];
  private readonly clock: () => number;
  private readonly logger: Log | undefined;

  private readonly onStep: ((step: Step) => void) | undefined;

  /** `onStep` sees every step as it is recorded (the operation journal). */
  constructor(opts: { clock?: () => number; logger?: Log; onStep?: (step: Step) => void } = {}) {
    this.clock = opts.clock ?? (() => performance.now());
    this.logger = opts.logger;
    this.onStep = opts.onStep;
  }

  /** Times fn and records ok (or what fn chose) / failed. Rethrows fn's error. */
  async run<T>(name: string, fn: (step: StepControl) => T | Promise<T>, opts: RunStepOptions = {}): Promise<T> {
    const start = this.clock();
    let outcome: StepOutcome = 'ok';
    let detail = '';
    const control: StepControl = {
      detail: (text) => {
        detail = text;
      },
      outcome: (o) => {
        outcome = o;
      },
    };
    try {
      const value = await fn(control);
      this.record(name, outcome, detail, this.clock() - start);
      return value;
    } catch (err) {
      this.record(name, opts.failedAs ?? 'failed', errorMessage(err), this.clock() - start);
      throw err;
    }
  }

  record(name: string, outcome: StepOutcome, detail = '', durationMs = 0): void {
    const step: Step = { name, outcome, detail, duration_ms: Math.max(0, Math.round(durationMs)) };
    this.list.push(step);
    this.onStep?.(step);
    const level = outcome === 'failed' || outcome === 'warning' ? 'warn' : 'debug';
    this.logger?.[level]({ step: name, outcome, detail, duration_ms: step.duration_ms }, 'step');
  }

  /** A copy, in the order recorded. */
  get steps(): Step[] {
    return this.list.map((s) => ({ ...s }));
  }
}
