// Runs the agent's mutating operations (KubeVirt's "manager" behind a thin
// gRPC server): one at a time per domain, request-id replay, a step record and
// a log line per operation, and a count of what is in flight for draining.
import { randomUUID } from 'node:crypto';

import type { DomainRef } from '../libvirt/host';
import { InvalidArgument, errorMessage, isAppError } from '../errors';
import { redact, type Journal, type JournalState } from './journal';
import { KeyedQueue } from './locks';
import { StepRecorder, type Step } from './steps';
import type { FlowDeps, OpContext } from './flows/types';

export interface OperationOptions {
  /** The domain the operation acts on; serializes operations per domain. */
  ref?: DomainRef;
  /** Serialization key when there is no domain (e.g. a host-only disconnect). */
  key?: string;
  requestId: string;
  signal?: AbortSignal;
}

export interface Outcome<T> {
  value: T;
  steps: Step[];
  /** True when this is the stored result of an earlier request with the same id. */
  replayed: boolean;
}

interface Finished {
  target: string;
  outcome: Outcome<unknown>;
}

function targetOf(opts: OperationOptions): string {
  return opts.ref ? (opts.ref.uuid ?? `name:${opts.ref.name}`) : (opts.key ?? '');
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Sees each executed operation's steps and end (metrics). Its errors are ignored. */
export interface OperationObserver {
  onStep?(method: string, step: Step): void;
  /** `value` is the flow's result when `ok`. Replayed results are not reported. */
  onFinish?(method: string, ok: boolean, durationMs: number, value?: unknown): void;
}

function notify(fn: () => void): void {
  try {
    fn();
  } catch {
    // Metrics must never break an operation.
  }
}

export class Operations {
  private readonly queue = new KeyedQueue();
  private readonly finished = new Map<string, Finished>();
  private readonly running = new Map<string, { target: string; outcome: Promise<Outcome<unknown>> }>();
  private inFlight = 0;
  private idle: Array<() => void> = [];
  /**
   * Operations enter the per-domain queue in the order they arrived, although
   * each first looks its domain up (in parallel): arrival N is admitted only
   * after arrival N-1, so a slow lookup cannot let a later request overtake.
   */
  private admission: Promise<void> = Promise.resolve();

  /** With a journal, every operation's intent, steps and end are on disk before it acts. */
  constructor(
    private readonly deps: FlowDeps,
    private readonly journal?: Journal,
    private readonly observer?: OperationObserver,
  ) {}

  /** Puts results journaled by an earlier run back into the replay cache. */
  restore(state: JournalState): void {
    for (const f of state.finished) {
      this.remember(`${f.begin.method}:${f.begin.requestId}`, {
        target: f.begin.target,
        outcome: { value: f.end.result, steps: f.end.steps ?? [], replayed: false },
      });
    }
  }

  get active(): number {
    return this.inFlight;
  }

  /** Operations queued or running for a domain (by uuid). */
  queued(uuid: string): number {
    return this.queue.queued(uuid);
  }

  /**
   * Queued-or-running counts by serialization key (a domain uuid, "name:NAME"
   * for a domain libvirt did not know, "key:..." for host-only work); only
   * keys with something queued.
   */
  queueDepths(): Map<string, number> {
    return this.queue.depths();
  }

  /**
   * Runs `flow` under the operation rules. `input` is what the journal records
   * so an interrupted operation can be run again after a restart.
   */
  async run<T>(method: string, opts: OperationOptions, flow: (ctx: OpContext) => Promise<T>, input?: unknown): Promise<Outcome<T>> {
    if (opts.requestId !== '' && !REQUEST_ID_RE.test(opts.requestId)) {
      throw new InvalidArgument('request_id', 'must be 1-128 characters of [A-Za-z0-9._:-]');
    }
    const target = targetOf(opts);
    if (opts.requestId === '') return this.execute(method, opts, flow, target, input);
    const cacheKey = `${method}:${opts.requestId}`;
    const done = this.finished.get(cacheKey);
    if (done) {
      if (done.target !== target) {
        throw new InvalidArgument('request_id', `already used by ${method} for another target (${done.target})`);
      }
      return { ...(done.outcome as Outcome<T>), replayed: true };
    }
    const same = this.running.get(cacheKey);
    if (same) {
      // Same rule as for a finished request: never hand out another target's result.
      if (same.target !== target) {
        throw new InvalidArgument('request_id', `already in use by ${method} for another target (${same.target})`);
      }
      return { ...((await same.outcome) as Outcome<T>), replayed: true };
    }
    const p = this.execute(method, opts, flow, target, input);
    this.running.set(cacheKey, { target, outcome: p });
    try {
      const outcome = await p;
      this.remember(cacheKey, { target, outcome });
      return outcome;
    } finally {
      this.running.delete(cacheKey);
    }
  }

  private remember(key: string, f: Finished): void {
    this.finished.set(key, f);
    // Map keeps insertion order: the first key is the oldest.
    while (this.finished.size > this.deps.config.requestCacheSize) {
      this.finished.delete(this.finished.keys().next().value as string);
    }
  }

  private async execute<T>(method: string, opts: OperationOptions, flow: (ctx: OpContext) => Promise<T>,
    target: string, input: unknown): Promise<Outcome<T>> {
    // Taken synchronously, in arrival order (see `admission`).
    const previous = this.admission;
    let admit!: () => void;
    this.admission = new Promise<void>((resolve) => (admit = resolve));
    const lookup = opts.ref ? this.deps.host.find(opts.ref) : Promise.resolve(null);
    lookup.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile

    const requestId = opts.requestId || randomUUID();
    const logger = this.deps.logger.child({ op: method, request_id: requestId, domain: opts.ref?.uuid ?? opts.ref?.name });
    const id = randomUUID();
    const journal = this.journal;
    const observer = this.observer;
    // Steps go to the journal as they finish; a failed append must not break the operation.
    const steps = new StepRecorder({
      logger,
      onStep: journal || observer?.onStep
        ? (step) => {
          if (journal) void journal.append({ t: 'step', id, step }).catch(() => undefined);
          if (observer?.onStep) notify(() => observer.onStep!(method, step));
        }
        : undefined,
    });
    const end = async (ok: boolean, result: unknown, error?: string) => {
      if (!journal) return;
      await journal.append({ t: 'end', id, ok, result, steps: steps.steps, error, at: new Date().toISOString() })
        .catch((err: unknown) => logger.error({ err }, 'journal append failed'));
    };
    const ctx: OpContext = { signal: opts.signal, requestId, steps, logger };
    this.inFlight++;
    const started = performance.now();
    try {
      let guest;
      try {
        // Intent on disk before anything can act.
        if (journal) {
          await journal.append({
            t: 'begin', id, method, requestId: opts.requestId, target, input: redact(input ?? null), at: new Date().toISOString(),
          });
        }
        guest = await lookup;
      } finally {
        await previous;
      }
      // Lock on the uuid so a name and a uuid for the same domain queue together.
      const key = guest?.uuid ?? (opts.ref ? `name:${opts.ref.name ?? opts.ref.uuid}` : `key:${opts.key ?? requestId}`);
      if (guest) logger.setBindings({ uuid: guest.uuid });
      const queued = this.queue.run(key, () => flow(ctx), opts.signal);
      admit(); // queue.run took its place synchronously
      const value = await queued;
      const ms = performance.now() - started;
      logger.info({ duration_ms: Math.round(ms), steps: steps.steps }, `${method} done`);
      if (observer?.onFinish) notify(() => observer.onFinish!(method, true, ms, value));
      await end(true, value);
      return { value, steps: steps.steps, replayed: false };
    } catch (err) {
      const ms = performance.now() - started;
      const level = isAppError(err) && err.kind !== 'Internal' ? 'warn' : 'error';
      logger[level]({ duration_ms: Math.round(ms), steps: steps.steps, err: errorMessage(err) }, `${method} failed`);
      if (observer?.onFinish) notify(() => observer.onFinish!(method, false, ms, undefined));
      await end(false, undefined, errorMessage(err));
      throw err;
    } finally {
      admit();
      if (--this.inFlight === 0) for (const w of this.idle.splice(0)) w();
    }
  }

  /** Resolves true once nothing runs, false when `ms` passes first. */
  drain(ms: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.idle.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }
}
