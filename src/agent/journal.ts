// Crash-safe operation journal: every mutating operation writes its intent
// before acting, each finished step, and its end, as JSON lines appended to
// <state-dir>/journal.jsonl and fsync'd (group commit: concurrent appends
// share one write + fdatasync). On start the agent reads it back to find
// operations that never ended and to restore finished results, so request ids
// survive restarts.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

import type { Step } from './steps';

export interface BeginRecord {
  t: 'begin';
  id: string;
  method: string;
  requestId: string;
  /** Serialization target (domain uuid / name / volume key), for replay checks. */
  target: string;
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

export type JournalRecord = BeginRecord | StepRecord | EndRecord;

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
  /** Successful operations with a client request id, oldest first. */
  finished: Finished[];
  /** Lines that could not be parsed (a torn last write after a crash). */
  corrupt: number;
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

export function parseJournal(text: string): JournalState {
  const begins = new Map<string, Unfinished>();
  const finished: Finished[] = [];
  let corrupt = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let rec: JournalRecord;
    try {
      rec = JSON.parse(line) as JournalRecord;
    } catch {
      corrupt++;
      continue;
    }
    if (rec.t === 'begin') begins.set(rec.id, { begin: rec, steps: [] });
    else if (rec.t === 'step') begins.get(rec.id)?.steps.push(rec.step);
    else if (rec.t === 'end') {
      const u = begins.get(rec.id);
      begins.delete(rec.id);
      if (u && rec.ok && u.begin.requestId) finished.push({ begin: u.begin, end: rec });
    }
  }
  return { unfinished: [...begins.values()], finished, corrupt };
}

export class Journal {
  readonly file: string;
  private fd: number | null = null;
  private pending: Array<{ line: string; done: (err?: Error) => void }> = [];
  private flushing: Promise<void> | null = null;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'journal.jsonl');
  }

  /**
   * Reads what the last run left, then rewrites the file with only the
   * finished results worth keeping (the newest `keep`) plus the unfinished
   * operations, so the journal does not grow without bound.
   */
  async open(keep: number): Promise<JournalState> {
    await fsp.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    let text = '';
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const state = parseJournal(text);
    state.finished = state.finished.slice(-keep);
    const lines: JournalRecord[] = [];
    for (const f of state.finished) lines.push(f.begin, f.end);
    for (const u of state.unfinished) {
      lines.push(u.begin);
      for (const step of u.steps) lines.push({ t: 'step', id: u.begin.id, step });
    }
    const tmp = `${this.file}.tmp`;
    await fsp.writeFile(tmp, lines.map((l) => `${JSON.stringify(l)}\n`).join(''), { mode: 0o600 });
    const fh = await fsp.open(tmp, 'r+');
    await fh.sync();
    await fh.close();
    await fsp.rename(tmp, this.file);
    this.fd = fs.openSync(this.file, 'a', 0o600);
    return state;
  }

  /** Appends one record; resolves once it is on disk. */
  append(rec: JournalRecord): Promise<void> {
    if (this.fd === null) return Promise.reject(new Error('journal is not open'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ line: `${JSON.stringify(rec)}\n`, done: (err) => (err ? reject(err) : resolve()) });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0 && this.fd !== null) {
        const batch = this.pending.splice(0);
        const fd = this.fd;
        try {
          await new Promise<void>((res, rej) => fs.write(fd, batch.map((b) => b.line).join(''), (e) => (e ? rej(e) : res())));
          await new Promise<void>((res, rej) => fs.fdatasync(fd, (e) => (e ? rej(e) : res())));
          for (const b of batch) b.done();
        } catch (err) {
          for (const b of batch) b.done(err as Error);
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
