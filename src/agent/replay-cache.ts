// Results of finished operations by request id, for replay: a client that
// retries with the same request_id gets the first answer instead of a second
// execution. Bounded by count, age and bytes (the journal keeps exactly these
// entries across compactions, so the bytes bound also bounds the journal).
// Each entry holds its result as the journal line that records it, parsed
// only on a hit: retries are rare, and one string per entry is compact.
import { createHash } from 'node:crypto';

import type { Step } from './steps';

export interface ReplayEntry {
  method: string;
  requestId: string;
  /** Serialization target (domain uuid / name / volume key). */
  target: string;
  /** requestFingerprint() of the request; '' when unknown (journals of older versions). */
  fingerprint: string;
  /** When the operation ended (ms since the epoch). */
  at: number;
  /** The journal's "done" record of this result, one JSON line without the newline. */
  line: string;
}

/** The journal record of a finished operation kept for replay. */
export interface DoneRecord {
  t: 'done';
  method: string;
  requestId: string;
  target: string;
  fingerprint?: string;
  result: unknown;
  steps: Step[];
  at: string;
}

export interface ReplayLimits {
  maxEntries: number;
  maxAgeMs: number;
  /** Sum of the entries' line lengths. */
  maxBytes: number;
}

export function doneEntry(rec: DoneRecord): ReplayEntry {
  const at = Date.parse(rec.at);
  return {
    method: rec.method, requestId: rec.requestId, target: rec.target, fingerprint: rec.fingerprint ?? '',
    at: Number.isFinite(at) ? at : Date.now(), line: JSON.stringify(rec),
  };
}

/** The stored result and steps of an entry. */
export function replayOutcome(e: ReplayEntry): { value: unknown; steps: Step[] } {
  // A line an older version wrote may have no steps.
  const rec = JSON.parse(e.line) as Omit<DoneRecord, 'steps'> & { steps?: Step[] };
  return { value: rec.result, steps: rec.steps ?? [] };
}

/** JSON with object keys sorted: the same value gives the same text. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v as Record<string, unknown>).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  // undefined (a function, a symbol) has no JSON text.
  return v === undefined || typeof v === 'function' || typeof v === 'symbol' ? 'null' : JSON.stringify(v);
}

/**
 * A hash of a request body without its request_id: two requests with the same
 * id must be the same request (same method, target and this hash) for the
 * second to get the first one's result.
 */
export function requestFingerprint(request: object): string {
  const body = Object.fromEntries(Object.entries(request).filter(([k]) => k !== 'request_id'));
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export class ReplayCache {
  private readonly entries = new Map<string, ReplayEntry>();
  private total = 0;

  constructor(private limits: ReplayLimits, private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.entries.size;
  }

  /** Sum of the entries' line lengths. */
  get bytes(): number {
    return this.total;
  }

  setLimits(limits: Partial<ReplayLimits>): void {
    this.limits = { ...this.limits, ...limits };
    this.prune();
  }

  get(requestId: string): ReplayEntry | undefined {
    const e = this.entries.get(requestId);
    if (e && e.at < this.now() - this.limits.maxAgeMs) {
      this.delete(requestId);
      return undefined;
    }
    return e;
  }

  put(e: ReplayEntry): void {
    this.delete(e.requestId);
    this.entries.set(e.requestId, e);
    this.total += e.line.length;
    this.prune();
  }

  /** Oldest first. */
  values(): IterableIterator<ReplayEntry> {
    return this.entries.values();
  }

  /** Drops the oldest entries past any limit. Map order is insertion order: the first is the oldest. */
  prune(): void {
    const expired = this.now() - this.limits.maxAgeMs;
    for (const [id, e] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries && this.total <= this.limits.maxBytes && e.at >= expired) break;
      this.delete(id);
    }
  }

  private delete(requestId: string): void {
    const e = this.entries.get(requestId);
    if (!e) return;
    this.entries.delete(requestId);
    this.total -= e.line.length;
  }
}
