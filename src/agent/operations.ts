// Runs the agent's mutating operations (KubeVirt's "manager" behind a thin
// gRPC server): one at a time per domain, request-id replay, a step record and
// a log line per operation, and a count of what is in flight for draining.
import { randomUUID } from 'node:crypto';

import type { DomainRef } from '../libvirt/host';
import { InvalidArgument, errorMessage, isAppError } from '../errors';
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

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export class Operations {
  private readonly queue = new KeyedQueue();
  private readonly finished = new Map<string, Finished>();
  private readonly running = new Map<string, Promise<Outcome<unknown>>>();
  private inFlight = 0;
  private idle: Array<() => void> = [];

  constructor(private readonly deps: FlowDeps) {}

  get active(): number {
    return this.inFlight;
  }

  /** Operations queued or running for a domain (by uuid). */
  queued(uuid: string): number {
    return this.queue.queued(uuid);
  }

  async run<T>(method: string, opts: OperationOptions, flow: (ctx: OpContext) => Promise<T>): Promise<Outcome<T>> {
    if (opts.requestId !== '' && !REQUEST_ID_RE.test(opts.requestId)) {
      throw new InvalidArgument('request_id', 'must be 1-128 characters of [A-Za-z0-9._:-]');
    }
    const target = opts.ref ? (opts.ref.uuid ?? `name:${opts.ref.name}`) : (opts.key ?? '');
    if (opts.requestId === '') return this.execute(method, opts, flow);
    const cacheKey = `${method}:${opts.requestId}`;
    const done = this.finished.get(cacheKey);
    if (done) {
      if (done.target !== target) {
        throw new InvalidArgument('request_id', `already used by ${method} for another target (${done.target})`);
      }
      return { ...(done.outcome as Outcome<T>), replayed: true };
    }
    const same = this.running.get(cacheKey);
    if (same) return { ...((await same) as Outcome<T>), replayed: true };
    const p = this.execute(method, opts, flow);
    this.running.set(cacheKey, p);
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

  private async execute<T>(method: string, opts: OperationOptions, flow: (ctx: OpContext) => Promise<T>): Promise<Outcome<T>> {
    const requestId = opts.requestId || randomUUID();
    const logger = this.deps.logger.child({ op: method, request_id: requestId, domain: opts.ref?.uuid ?? opts.ref?.name });
    const steps = new StepRecorder({ logger });
    const ctx: OpContext = { signal: opts.signal, requestId, steps, logger };
    this.inFlight++;
    const started = performance.now();
    try {
      // Lock on the uuid so a name and a uuid for the same domain queue together.
      const guest = opts.ref ? await this.deps.host.find(opts.ref) : null;
      const key = guest?.uuid ?? (opts.ref ? `name:${opts.ref.name ?? opts.ref.uuid}` : `key:${opts.key ?? requestId}`);
      if (guest) logger.setBindings({ uuid: guest.uuid });
      const value = await this.queue.run(key, () => flow(ctx), opts.signal);
      logger.info({ duration_ms: Math.round(performance.now() - started), steps: steps.steps }, `${method} done`);
      return { value, steps: steps.steps, replayed: false };
    } catch (err) {
      const level = isAppError(err) && err.kind !== 'Internal' ? 'warn' : 'error';
      logger[level]({ duration_ms: Math.round(performance.now() - started), steps: steps.steps, err: errorMessage(err) }, `${method} failed`);
      throw err;
    } finally {
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
