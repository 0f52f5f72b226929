// Crash-safe operation journal: every mutating operation writes its intent
// before acting, each finished step, and its end, as JSON lines appended to
// <state-dir>/journal.jsonl and synced (group commit: concurrent appends
// share one write; the file is open O_DSYNC, so that write returns once the
// data is on disk, as write + fdatasync would, in one thread-pool job).
//
// Bounded: the journal holds what is still needed — operations that have not
// ended (to finish them after a crash) and the results kept for request-id
// replay (ReplayCache: by count, age and bytes). Whenever the file grows past
// maxBytes it is rewritten with just that (write a temp file, fsync, rename
// over, fsync the directory), also at start. On start it is read back as a
// stream, line by line (never the whole file as one string); lines that are
// not a well-formed record (a torn write, `null`, an unknown type) are
// skipped and counted.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

import { checkLine, forEachLine, MAX_LINE_BYTES } from './journal-lines';
import { doneEntry, ReplayCache, type DoneRecord, type ReplayLimits } from './replay-cache';
import type { Step } from './steps';

export interface BeginRecord {
  t: 'begin';
  id: string;
  method: string;
  requestId: string;
  /** Serialization target (domain uuid / name / volume key), for replay checks. */
  target: string;
  /** Hash of the request body (replay-cache.ts requestFingerprint); absent in older journals. */
  fingerprint?: string;
  /** The flow input, secrets redacted; enough to run the flow again. */
  input: unknown;
  at: string;
}

export interface StepRecord {
  t: 'step';
  id: string;
  step: Step;
}

export interface EndRecord {
  t: 'end';
  id: string;
  ok: boolean;
  /** The response value (ok) or the error message. */
  result?: unknown;
  steps?: Step[];
  error?: string;
  at: string;
}

export type { DoneRecord } from './replay-cache';
export { checkLine, parseJournal } from './journal-lines';
export type JournalRecord = BeginRecord | StepRecord | EndRecord | DoneRecord;

export interface Unfinished {
  begin: BeginRecord;
  steps: Step[];
}

export interface Finished {
  begin: BeginRecord;
  end: EndRecord;
}

export interface JournalState {
  unfinished: Unfinished[];
  /** Results put back into the replay cache. */
  restored: number;
  /** Lines skipped: not JSON (a torn write), not a record, a record missing fields, too long. */
  broken: number;
  /** Lines skipped: a record type this version does not know. */
  unknown: number;
  /** Where skipped lines were (1-based line numbers, the first few). */
  skippedAt: number[];
  /** Bytes read. */
  bytes: number;
}

export interface JournalOptions {
  /** Compact whenever the file grows past this. */
  maxBytes: number;
  /** Replay results kept; the journal keeps exactly these (their bytes at most maxBytes / 2). */
  cache?: ReplayCache;
  replay?: Omit<ReplayLimits, 'maxBytes'>;
}

const SECRET_KEY = /pass(word)?|secret|key|token|auth/i;

/** Deep copy with values of secret-looking keys replaced (CHAP passwords, cephx keys). */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = SECRET_KEY.test(k) && typeof v === 'string' ? '<redacted>' : redact(v);
    }
    return out;
  }
  return value;
}

/**
 * The state machine behind replay and compaction: operations begun and not
 * ended, and (through the cache) results worth keeping.
 */
class JournalModel {
  readonly open = new Map<string, Unfinished>();
  /** Journal bytes of each unfinished operation's records, and their sum. */
  private readonly openSizes = new Map<string, number>();
  openBytes = 0;

  constructor(readonly cache: ReplayCache) {}

  /** `bytes`: the record's line length in the journal. */
  apply(rec: JournalRecord, bytes: number): void {
    switch (rec.t) {
      case 'begin':
        if (!this.open.has(rec.id)) {
          this.open.set(rec.id, { begin: rec, steps: [] });
          this.grow(rec.id, bytes);
        }
        break;
      case 'step':
        if (this.open.has(rec.id)) {
          this.open.get(rec.id)!.steps.push(rec.step);
          this.grow(rec.id, bytes);
        }
        break;
      case 'end': {
        const u = this.open.get(rec.id);
        this.open.delete(rec.id);
        this.openBytes -= this.openSizes.get(rec.id) ?? 0;
        this.openSizes.delete(rec.id);
        // Only successful results with a client request id are worth keeping.
        if (u && rec.ok && u.begin.requestId !== '') {
          this.cache.put(doneEntry({
            t: 'done', method: u.begin.method, requestId: u.begin.requestId, target: u.begin.target,
            fingerprint: u.begin.fingerprint, result: rec.result ?? null, steps: rec.steps ?? [], at: rec.at,
          }));
        }
        break;
      }
      case 'done':
        this.cache.put(doneEntry(rec));
        break;
    }
  }

  private grow(id: string, bytes: number): void {
    this.openSizes.set(id, (this.openSizes.get(id) ?? 0) + bytes);
    this.openBytes += bytes;
  }

  /** About what a compaction would write now. */
  get neededBytes(): number {
    return this.cache.bytes + this.openBytes;
  }

  /** The lines a compacted journal holds: kept results (oldest first), then unfinished operations. */
  *lines(): Generator<string> {
    for (const e of this.cache.values()) yield `${e.line}\n`;
    for (const u of this.open.values()) {
      yield `${JSON.stringify(u.begin)}\n`;
      for (const step of u.steps) yield `${JSON.stringify({ t: 'step', id: u.begin.id, step })}\n`;
    }
  }
}

/** Appends acknowledged per turn of the event loop (see settle). */
const SETTLE_SLICE = 64;

/**
 * Acknowledges a batch's appends: a slice at a time, each later slice on a
 * later turn of the event loop (setImmediate), so a batch of a thousand does
 * not resume a thousand operations in one turn while requests and timers
 * wait.
 */
function settle(batch: Array<{ done: (err?: Error) => void }>, err?: Error): void {
  const slice = batch.splice(0, SETTLE_SLICE);
  for (const b of slice) b.done(err);
  if (batch.length > 0) setImmediate(() => settle(batch, err));
}

/** Writes all of `data` at the end of `fd` (a short write is continued, not left torn). */
async function writeAll(fd: number, data: Buffer): Promise<void> {
  for (let off = 0; off < data.length;) {
    off += await new Promise<number>((res, rej) => fs.write(fd, data, off, data.length - off, null, (e, n) => (e ? rej(e) : res(n))));
  }
}

export class Journal {
  readonly file: string;
  readonly cache: ReplayCache;
  private readonly model: JournalModel;
  private readonly maxBytes: number;
  private fd: number | null = null;
  private pending: Array<{ rec: JournalRecord; done: (err?: Error) => void }> = [];
  private flushing: Promise<void> | null = null;
  private size = 0;
  /** Rewrites since open (the one at open included). */
  compactions = 0;
  /** Called after a compaction with its result (logs, metrics); its errors are ignored. */
  onCompact?: (info: { bytes: number; results: number; unfinished: number; ms: number; error?: Error }) => void;

  constructor(stateDir: string, options: JournalOptions = { maxBytes: 64 << 20 }) {
    this.file = path.join(stateDir, 'journal.jsonl');
    this.maxBytes = options.maxBytes;
    this.cache = options.cache ?? new ReplayCache({
      maxEntries: options.replay?.maxEntries ?? 100_000,
      maxAgeMs: options.replay?.maxAgeMs ?? 24 * 3600 * 1000,
      maxBytes: Math.floor(options.maxBytes / 2),
    });
    this.model = new JournalModel(this.cache);
  }

  /** Bytes in the file now. */
  get bytes(): number {
    return this.size;
  }

  /**
   * Reads what the last run left (streaming), puts kept results into the
   * cache, rewrites the file with what is still needed, and opens it for
   * appending.
   */
  async open(): Promise<JournalState> {
    await fsp.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const state: JournalState = { unfinished: [], restored: 0, broken: 0, unknown: 0, skippedAt: [], bytes: 0 };
    let lineNo = 0;
    try {
      state.bytes = await forEachLine(this.file, Math.max(MAX_LINE_BYTES, this.maxBytes), (line) => {
        lineNo++;
        if (line !== null && line.trim() === '') return;
        const c = line === null ? { skip: 'broken' as const } : checkLine(line);
        if ('rec' in c) {
          this.model.apply(c.rec, line!.length + 1);
          return;
        }
        state[c.skip]++;
        if (state.skippedAt.length < 10) state.skippedAt.push(lineNo);
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.cache.prune();
    state.unfinished = [...this.model.open.values()];
    state.restored = this.cache.size;
    await this.rewrite();
    return state;
  }

  /** Appends one record; resolves once it is on disk. */
  append(rec: JournalRecord): Promise<void> {
    if (this.fd === null) return Promise.reject(new Error('journal is not open'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ rec, done: (err) => (err ? reject(err) : resolve()) });
      // Started on the next turn of the event loop, so every append made in
      // this one (a read's worth of requests, their steps) shares the write.
      this.flushing ??= new Promise<void>((res) => setImmediate(res)).then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0 && this.fd !== null) {
        const batch = this.pending.splice(0);
        // The model (and the replay cache) follow the records in write order,
        // so a compaction between two batches keeps exactly what was written.
        const lines = batch.map((b) => `${JSON.stringify(b.rec)}\n`);
        batch.forEach((b, i) => this.model.apply(b.rec, lines[i]!.length));
        const fd = this.fd;
        const data = Buffer.from(lines.join(''));
        try {
          await writeAll(fd, data);
          this.size += data.length;
          settle(batch);
        } catch (err) {
          settle(batch, err as Error);
        }
        // Past the cap, compact — unless what must be kept (operations in
        // flight) is so large that a rewrite would win back less than a
        // quarter of the cap: then wait for them to end, not rewrite per batch.
        if (this.size > this.maxBytes && this.size - this.model.neededBytes >= this.maxBytes / 4) await this.compact();
      }
    } finally {
      this.flushing = null;
    }
  }

  private async compact(): Promise<void> {
    const t0 = performance.now();
    try {
      await this.rewrite();
      this.report({ bytes: this.size, results: this.cache.size, unfinished: this.model.open.size, ms: performance.now() - t0 });
    } catch (err) {
      // Keep appending to the old file; try again after the next batch.
      this.report({ bytes: this.size, results: this.cache.size, unfinished: this.model.open.size, ms: performance.now() - t0, error: err as Error });
    }
  }

  private report(info: Parameters<NonNullable<Journal['onCompact']>>[0]): void {
    try {
      this.onCompact?.(info);
    } catch {
      // Logging must never break the journal.
    }
  }

  /** Writes the needed records to a temp file, fsyncs it, renames it over the journal and fsyncs the directory. */
  private async rewrite(): Promise<void> {
    this.cache.prune();
    const tmp = `${this.file}.tmp`;
    const fh = await fsp.open(tmp, 'w', 0o600);
    let written = 0;
    try {
      let chunk: string[] = [];
      let chunkLen = 0;
      for (const line of this.model.lines()) {
        chunk.push(line);
        chunkLen += line.length;
        if (chunkLen >= 1 << 20) {
          written += (await fh.write(chunk.join(''))).bytesWritten;
          chunk = [];
          chunkLen = 0;
        }
      }
      if (chunk.length > 0) written += (await fh.write(chunk.join(''))).bytesWritten;
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, this.file);
    const dir = await fsp.open(path.dirname(this.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    const old = this.fd;
    // O_DSYNC: every append is durable when its write returns (see the header).
    const { O_WRONLY, O_APPEND, O_CREAT, O_DSYNC } = fs.constants;
    this.fd = fs.openSync(this.file, O_WRONLY | O_APPEND | O_CREAT | O_DSYNC, 0o600);
    if (old !== null) fs.closeSync(old);
    this.size = written;
    this.compactions++;
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
