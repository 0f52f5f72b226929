// Runs the agent's mutating operations (KubeVirt's "manager" behind a thin
// gRPC server): one at a time per domain, request-id replay, a step record and
// a log line per operation, and a count of what is in flight for draining.
import { randomUUID } from 'node:crypto';

import type { DomainFacts, Guest, XmlWanted } from '../libvirt/guest';
import type { DomainRef } from '../libvirt/host';
import { InvalidArgument, errorMessage, isAppError } from '../errors';
import { isRequestId, REQUEST_ID_RULE } from '../ids';
import { redact, type Journal } from './journal';
import { KeyedQueue } from './locks';
import { doneEntry, ReplayCache, replayOutcome, requestFingerprint, type ReplayEntry } from './replay-cache';
import { StepRecorder, type Step } from './steps';
import type { FlowDeps, OpContext } from './flows/types';

export interface OperationOptions {
  /** The domain the operation acts on; serializes operations per domain. */
  ref?: DomainRef;
  /** Serialization key when there is no domain (e.g. a host-only disconnect). */
  key?: string;
  requestId: string;
  signal?: AbortSignal;
  /**
   * The request as received: a reused request_id must come with the same
   * body (its fingerprint is compared) to get the first result.
   */
  request?: object;
  /** The fingerprint itself (journal recovery re-runs with the original one). */
  fingerprint?: string;
  /** More of the domain's identity to queue on (DefineDomain: the XML's uuid besides its name). */
  also?: DomainRef;
  /**
   * Read the domain's facts (Guest.describe) in the same binding job as its
   * lookup, for the flow (ctx.target.facts): Destroy's one hop instead of two.
   * Looked up again at the turn, they are read again with it.
   */
  describe?: XmlWanted;
}

type Found = { guest: Guest; facts?: DomainFacts } | null;

export interface Outcome<T> {
  value: T;
  steps: Step[];
  /** True when this is the stored result of an earlier request with the same id. */
  replayed: boolean;
}

function targetOf(opts: OperationOptions): string {
  return opts.ref ? (opts.ref.uuid ?? `name:${opts.ref.name}`) : (opts.key ?? '');
}

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

interface Identity {
  method: string;
  target: string;
  fingerprint: string;
}

/** Why a request id cannot be replayed for this request; undefined when it is the same request. */
function mismatch(seen: Identity, now: Identity): string | undefined {
  if (seen.method !== now.method) return `already used by a ${seen.method} request; a request id names one request`;
  if (seen.target !== now.target) return `already used by ${seen.method} for another target (${seen.target})`;
  if (seen.fingerprint !== '' && now.fingerprint !== '' && seen.fingerprint !== now.fingerprint) {
    return `already used by a ${seen.method} request with a different body; use a new request id for a different request`;
  }
  return undefined;
}

/** uuid, then "name:NAME", of the domain (and of `also`); "key:..." for host-only work. */
function queueKeys(ref: DomainRef | undefined, also: DomainRef | undefined, key: string): string[] {
  const uuids = [ref?.uuid, also?.uuid].filter((u): u is string => !!u).map((u) => u.toLowerCase());
  const names = [ref?.name, also?.name].filter((n): n is string => !!n).map((n) => `name:${n}`);
  const keys = [...uuids, ...names];
  return keys.length > 0 ? keys : [`key:${key}`];
}

function factsFor(found: Found, wanted: XmlWanted | undefined): { wanted: XmlWanted; facts: DomainFacts } | undefined {
  return found?.facts && wanted ? { wanted, facts: found.facts } : undefined;
}

/** Queue keys whose last finish is remembered (see Operations.lastFinish). */
const LAST_FINISH_KEYS = 10_000;

export class Operations {
  private readonly queue = new KeyedQueue();
  /** Finished results by request id: the journal's when there is one. */
  readonly cache: ReplayCache;
  private readonly running = new Map<string, Identity & { outcome: Promise<Outcome<unknown>> }>();
  private inFlight = 0;
  /**
   * Flows finished since the start, counted before their queue slot is freed;
   * `lastFinish` holds, per queue key, the count when a flow queued on it
   * last finished: a domain looked up before that may have changed. Only
   * flows sharing a key (the domain's uuid or name) can change the domain,
   * so operations on other domains do not force a second lookup. Bounded:
   * past LAST_FINISH_KEYS keys the map is cleared and lookups older than the
   * clearing are treated as stale.
   */
  private finished = 0;
  private readonly lastFinish = new Map<string, number>();
  private forgottenBefore = 0;
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
  ) {
    this.cache = journal?.cache ?? new ReplayCache({
      maxEntries: deps.config.requestCacheSize,
      maxAgeMs: deps.config.requestRetentionSeconds * 1000,
      maxBytes: Math.floor(deps.config.journalMaxBytes / 2),
    });
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
    if (opts.requestId !== '' && !isRequestId(opts.requestId)) {
      throw new InvalidArgument('request_id', REQUEST_ID_RULE);
    }
    const target = targetOf(opts);
    // Of the redacted body: the hash (kept in the journal) must not be a way to guess a CHAP password.
    // Only a request id is ever replayed (and checked against it): none, no hash.
    const fingerprint = opts.fingerprint
      ?? (opts.request && opts.requestId !== '' ? requestFingerprint(redact(opts.request) as object) : '');
    const me: Identity = { method, target, fingerprint };
    if (opts.requestId === '') return this.execute(method, opts, flow, me, input);
    const done = this.cache.get(opts.requestId);
    if (done) {
      const why = mismatch(done, me);
      if (why) throw new InvalidArgument('request_id', why);
      return { ...(replayOutcome(done) as Omit<Outcome<T>, 'replayed'>), replayed: true };
    }
    const same = this.running.get(opts.requestId);
    if (same) {
      // Same rule as for a finished request: never hand out another request's result.
      const why = mismatch(same, me);
      if (why) throw new InvalidArgument('request_id', why.replace('already used', 'in use'));
      return { ...((await same.outcome) as Outcome<T>), replayed: true };
    }
    const p = this.execute(method, opts, flow, me, input);
    this.running.set(opts.requestId, { ...me, outcome: p });
    try {
      const outcome = await p;
      // With a journal, its end record put the result into the cache already.
      if (!this.journal) this.cache.put(this.entry(me, opts.requestId, outcome));
      return outcome;
    } finally {
      this.running.delete(opts.requestId);
    }
  }

  private entry(me: Identity, requestId: string, outcome: Outcome<unknown>): ReplayEntry {
    return doneEntry({
      t: 'done', method: me.method, requestId, target: me.target, fingerprint: me.fingerprint,
      result: outcome.value ?? null, steps: outcome.steps, at: new Date().toISOString(),
    });
  }

  private async execute<T>(method: string, opts: OperationOptions, flow: (ctx: OpContext) => Promise<T>,
    me: Identity, input: unknown): Promise<Outcome<T>> {
    const { target, fingerprint } = me;
    // Taken synchronously, in arrival order (see `admission`).
    const previous = this.admission;
    let admit!: () => void;
    this.admission = new Promise<void>((resolve) => (admit = resolve));
    let lookedUpAfter = this.finished;
    const lookup = opts.ref ? this.find(opts.ref, opts.describe) : Promise.resolve(null);
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
      let found: Found;
      try {
        // Intent on disk before anything can act.
        if (journal) {
          await journal.append({
            t: 'begin', id, method, requestId: opts.requestId, target, fingerprint: fingerprint || undefined,
            input: redact(input ?? null), at: new Date().toISOString(),
          });
        }
        found = await lookup;
      } finally {
        await previous;
      }
      // Queue on the domain's uuid and name, so operations addressing it either
      // way (or defining it) queue together; the uuid first (metrics count it).
      const fallback = opts.key ?? requestId;
      const first = found?.guest;
      let keys = queueKeys(first ? { uuid: first.uuid, name: first.name } : opts.ref, opts.also, fallback);
      if (first) logger.setBindings({ uuid: first.uuid });
      // A domain unknown at lookup was queued on the one identity the request
      // names; if it exists by its turn (defined meanwhile), queue again on
      // both its uuid and name, so no operation addressing it the other way
      // runs alongside.
      let recheck = !found && opts.ref !== undefined;
      const turn = () => this.queue.run(keys, async (): Promise<{ value: T } | undefined> => {
        if (opts.ref && (recheck || this.changedSince(keys, lookedUpAfter))) {
          // Another operation finished since the lookup (it may have undefined,
          // redefined or restarted the domain): look it up again, at our turn.
          lookedUpAfter = this.finished;
          found = await this.find(opts.ref, opts.describe);
          if (recheck && found) {
            recheck = false;
            keys = queueKeys({ uuid: found.guest.uuid, name: found.guest.name }, opts.also, fallback);
            return undefined;
          }
          recheck = false;
        }
        // The flow gets the domain (and its facts) as found here: no second lookup.
        const target = opts.ref ? { ref: opts.ref, guest: found?.guest ?? null, facts: factsFor(found, opts.describe) } : undefined;
        try {
          return { value: await flow({ ...ctx, target }) };
        } finally {
          this.noteFinish(keys);
        }
      }, opts.signal);
      const queued = turn();
      admit(); // queue.run took its place synchronously
      const value = ((await queued) ?? (await turn())!).value;
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

  /** The domain `ref` names (with its facts when `describe`: one binding job); null when libvirt has none. */
  private async find(ref: DomainRef, describe: XmlWanted | undefined): Promise<Found> {
    if (describe) return this.deps.host.findDescribed(ref, describe);
    const guest = await this.deps.host.find(ref);
    return guest && { guest };
  }

  /** Whether a flow queued on any of `keys` finished after the count was `since`. */
  private changedSince(keys: readonly string[], since: number): boolean {
    if (since < this.forgottenBefore) return true;
    return keys.some((k) => (this.lastFinish.get(k) ?? 0) > since);
  }

  private noteFinish(keys: readonly string[]): void {
    this.finished++;
    if (this.lastFinish.size >= LAST_FINISH_KEYS) {
      this.lastFinish.clear();
      this.forgottenBefore = this.finished;
    }
    for (const k of keys) this.lastFinish.set(k, this.finished);
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
