// Reading the journal back: one line at a time from a stream (never the
// whole file as one string), each line checked to be a well-formed record.
import fs from 'node:fs';

import type { BeginRecord, EndRecord, Finished, JournalRecord, StepRecord, Unfinished } from './journal';
import type { DoneRecord } from './replay-cache';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

type Checked = { rec: JournalRecord } | { skip: 'broken' | 'unknown' };

/** Parses and checks one line. */
export function checkLine(line: string): Checked {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { skip: 'broken' };
  }
  if (!isObj(v)) return { skip: 'broken' };
  switch (v.t) {
    case 'begin':
      return isStr(v.id) && isStr(v.method) && isStr(v.requestId) && isStr(v.target) && (v.fingerprint === undefined || isStr(v.fingerprint))
        ? { rec: v as unknown as BeginRecord } : { skip: 'broken' };
    case 'step':
      return isStr(v.id) && isObj(v.step) && isStr(v.step.name) ? { rec: v as unknown as StepRecord } : { skip: 'broken' };
    case 'end':
      return isStr(v.id) && typeof v.ok === 'boolean' && (v.steps === undefined || Array.isArray(v.steps))
        ? { rec: v as unknown as EndRecord } : { skip: 'broken' };
    case 'done':
      return isStr(v.method) && isStr(v.requestId) && v.requestId !== '' && isStr(v.target) && isStr(v.at)
        && (v.fingerprint === undefined || isStr(v.fingerprint)) && (v.steps === undefined || Array.isArray(v.steps))
        ? { rec: v as unknown as DoneRecord } : { skip: 'broken' };
    default:
      return { skip: 'unknown' };
  }
}

/** Longest line read back; longer ones can only be garbage (a record is at most a few MiB). */
export const MAX_LINE_BYTES = 64 << 20;

/**
 * Calls onLine for every line of the file, streaming (at most one line and one
 * chunk in memory). Lines longer than maxLine are passed as null.
 */
export async function forEachLine(file: string, maxLine: number, onLine: (line: string | null) => void): Promise<number> {
  let bytes = 0;
  let parts: Buffer[] = [];
  let partLen = 0;
  let overlong = false;
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!overlong) {
        if (partLen + (end - start) > maxLine) {
          overlong = true;
          parts = [];
          partLen = 0;
        } else if (end > start) {
          parts.push(chunk.subarray(start, end));
          partLen += end - start;
        }
      }
      if (nl === -1) break;
      onLine(overlong ? null : Buffer.concat(parts, partLen).toString('utf8'));
      parts = [];
      partLen = 0;
      overlong = false;
      start = nl + 1;
    }
  }
  if (overlong || partLen > 0) onLine(overlong ? null : Buffer.concat(parts, partLen).toString('utf8'));
  return bytes;
}

/** For tests and tools: the state a journal text describes (finished = results kept, oldest first). */
export function parseJournal(text: string): { unfinished: Unfinished[]; finished: Finished[]; corrupt: number } {
  const begins = new Map<string, Unfinished>();
  const finished: Finished[] = [];
  let corrupt = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const c = checkLine(line);
    if ('skip' in c) {
      corrupt++;
      continue;
    }
    const rec = c.rec;
    if (rec.t === 'begin') begins.set(rec.id, { begin: rec, steps: [] });
    else if (rec.t === 'step') begins.get(rec.id)?.steps.push(rec.step);
    else if (rec.t === 'end') {
      const u = begins.get(rec.id);
      begins.delete(rec.id);
      if (u && rec.ok && u.begin.requestId) finished.push({ begin: u.begin, end: rec });
    } else {
      finished.push({
        begin: { t: 'begin', id: '', method: rec.method, requestId: rec.requestId, target: rec.target, fingerprint: rec.fingerprint, input: null, at: rec.at },
        end: { t: 'end', id: '', ok: true, result: rec.result, steps: rec.steps, at: rec.at },
      });
    }
  }
  return { unfinished: [...begins.values()], finished, corrupt };
}

