// The operation journal: unfinished operations and replay results survive a
// reopen; the file is compacted at open and whenever it passes its cap while
// running (and stays durable); replay reads it as a stream, skipping lines
// that are not well-formed records; results are kept for a bounded count,
// age and size.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { Journal, parseJournal, redact, type BeginRecord } from '../../src/agent/journal';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'journal-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const begin = (id: string, requestId = `req-${id}`, input: unknown = { id }): BeginRecord => ({
  t: 'begin', id, method: 'Destroy', requestId, target: `uuid-${id}`, fingerprint: `fp-${id}`, input, at: new Date().toISOString(),
});
const end = (id: string, result: unknown = { found: true }, at = new Date().toISOString()) => ({ t: 'end' as const, id, ok: true, result, at });

describe('journal', () => {
  it('finds unfinished operations and keeps finished results across a reopen', async () => {
    const dir = tmp();
    const j = new Journal(dir);
    expect((await j.open()).unfinished).toEqual([]);
    await Promise.all([j.append(begin('a')), j.append(begin('b')), j.append(begin('c', ''))]);
    await j.append({ t: 'step', id: 'b', step: { name: 'destroy', outcome: 'ok', detail: '', duration_ms: 1 } });
    await j.append(end('a'));
    await j.append(end('c', {}));
    // The end record put the result into the replay cache.
    expect(j.cache.get('req-a')).toMatchObject({ method: 'Destroy', target: 'uuid-a', fingerprint: 'fp-a' });
    await j.close();
    // the file is owner-only
    expect(fs.statSync(j.file).mode & 0o777).toBe(0o600);

    const again = new Journal(dir);
    const state = await again.open();
    expect(state.unfinished.map((u) => u.begin.id)).toEqual(['b']);
    expect(state.unfinished[0]!.steps.map((s) => s.name)).toEqual(['destroy']);
    // only results with a client request id are worth keeping for replay
    expect(state.restored).toBe(1);
    expect(again.cache.get('req-a')).toMatchObject({ target: 'uuid-a', fingerprint: 'fp-a' });
    // compacted at open: a "done" record and the unfinished operation, nothing else
    const lines = fs.readFileSync(again.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: string });
    expect(lines.map((l) => l.t)).toEqual(['done', 'begin', 'step']);
    await again.close();
    // and a third open reads the compacted form back the same way
    const third = new Journal(dir);
    const s3 = await third.open();
    expect([s3.restored, s3.unfinished.length]).toEqual([1, 1]);
    expect(parseJournal(fs.readFileSync(third.file, 'utf8')).finished.map((f) => f.begin.requestId)).toEqual(['req-a']);
    await third.close();
  });

  it('keeps the newest results up to the count and survives a torn last line', async () => {
    const dir = tmp();
    const lines: string[] = [];
    for (let i = 0; i < 50; i++) lines.push(JSON.stringify(begin(String(i))), JSON.stringify(end(String(i), i)));
    fs.writeFileSync(path.join(dir, 'journal.jsonl'), `${lines.join('\n')}\n{"t":"begin","id":"torn`);
    const j = new Journal(dir, { maxBytes: 1 << 20, replay: { maxEntries: 10, maxAgeMs: 3600_000 } });
    const state = await j.open();
    expect(state.broken).toBe(1);
    expect(state.skippedAt).toEqual([101]);
    expect([...j.cache.values()].map((e) => e.requestId)).toEqual(Array.from({ length: 10 }, (_, i) => `req-${40 + i}`));
    await j.close();
    expect(parseJournal(fs.readFileSync(j.file, 'utf8')).finished.map((f) => f.end.result)).toEqual([40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
  });

  it('skips null, non-objects, unknown record types and records missing fields, with counts and line numbers', async () => {
    const dir = tmp();
    const good = [JSON.stringify(begin('a')), JSON.stringify(end('a'))];
    const bad = ['null', '42', '"text"', '[1,2]', '{"t":"future-type","id":"x"}', '{"t":"begin","id":7}', '{"t":"end","id":"a"}',
      '{"t":"done","method":"Destroy","requestId":"","target":"x","at":"y"}', '{not json'];
    fs.writeFileSync(path.join(dir, 'journal.jsonl'), `${[good[0], ...bad, good[1]].join('\n')}\n\n`);
    const j = new Journal(dir);
    const state = await j.open();
    expect(state).toMatchObject({ broken: 8, unknown: 1, restored: 1, unfinished: [] });
    expect(state.skippedAt).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(j.cache.get('req-a')).toBeDefined();
    await j.close();
  });

  it('compacts while running whenever it passes its cap, and stays durable across it', async () => {
    const dir = tmp();
    const cap = 256 * 1024;
    const j = new Journal(dir, { maxBytes: cap, replay: { maxEntries: 100_000, maxAgeMs: 3600_000 } });
    await j.open();
    const big = { volumes: Array.from({ length: 20 }, (_, i) => ({ volume_id: `v${i}`, data: 'x'.repeat(500) })) };
    let maxSeen = 0;
    // One long-running operation stays open through every compaction.
    await j.append(begin('long', 'req-long', big));
    for (let i = 0; i < 200; i++) {
      await Promise.all([j.append(begin(`op${i}`, `req-${i}`, big)), j.append({ t: 'step', id: `op${i}`, step: { name: 's', outcome: 'ok', detail: '', duration_ms: 0 } })]);
      await j.append(end(`op${i}`, { i }));
      maxSeen = Math.max(maxSeen, fs.statSync(j.file).size);
    }
    expect(j.compactions).toBeGreaterThan(5);
    expect(maxSeen).toBeLessThanOrEqual(cap + 64 * 1024); // one batch past the cap at most
    expect(fs.statSync(j.file).size).toBe(j.bytes);
    expect(j.cache.size).toBe(200);
    await j.close();
    expect(fs.existsSync(`${j.file}.tmp`)).toBe(false);

    const again = new Journal(dir, { maxBytes: cap });
    const state = await again.open();
    expect(state.unfinished.map((u) => u.begin.id)).toEqual(['long']);
    expect(state.unfinished[0]!.begin.input).toEqual(big);
    expect(again.cache.get('req-199')).toBeDefined();
    expect(again.cache.get('req-0')).toBeDefined();
    await again.close();
  });

  it('keeps results for at most half the cap in bytes: the oldest go first', async () => {
    const dir = tmp();
    const cap = 64 * 1024;
    const j = new Journal(dir, { maxBytes: cap });
    await j.open();
    for (let i = 0; i < 100; i++) {
      await j.append(begin(`op${i}`));
      await j.append(end(`op${i}`, { warnings: ['w'.repeat(1000)] }));
    }
    expect(j.cache.bytes).toBeLessThanOrEqual(cap / 2);
    expect(j.cache.get('req-op0')).toBeUndefined();
    expect(j.cache.get('req-op99')).toBeDefined();
    await j.close();
  });

  it('forgets results older than the retention time', async () => {
    const dir = tmp();
    const old = new Date(Date.now() - 2 * 3600_000).toISOString();
    fs.writeFileSync(path.join(dir, 'journal.jsonl'), [
      JSON.stringify(begin('old')), JSON.stringify(end('old', 1, old)), JSON.stringify(begin('new')), JSON.stringify(end('new', 2)),
    ].join('\n'));
    const j = new Journal(dir, { maxBytes: 1 << 20, replay: { maxEntries: 100, maxAgeMs: 3600_000 } });
    expect((await j.open()).restored).toBe(1);
    expect(j.cache.get('req-old')).toBeUndefined();
    expect(j.cache.get('req-new')).toBeDefined();
    await j.close();
  });

  it('replays a 600 MiB journal as a stream: a giant line without a newline is skipped, the records after it are read', async () => {
    // Past ~512 MiB a journal read whole into one string cannot even be read
    // ("Invalid string length"). A sparse file: 600 MiB of NUL bytes without
    // a newline (a torn write gone wrong), then real records.
    const dir = tmp();
    const file = path.join(dir, 'journal.jsonl');
    fs.writeFileSync(file, `${JSON.stringify(begin('first'))}\n`);
    fs.truncateSync(file, 600 * 1024 * 1024);
    fs.appendFileSync(file, `\n${JSON.stringify(begin('a'))}\n${JSON.stringify(end('a'))}\n${JSON.stringify(begin('b'))}\n`);
    const heapBefore = process.memoryUsage().heapUsed;
    const j = new Journal(dir);
    const state = await j.open();
    expect(state.bytes).toBeGreaterThan(600 * 1024 * 1024);
    expect(state.broken).toBe(1);
    expect(state.unfinished.map((u) => u.begin.id)).toEqual(['first', 'b']);
    expect(j.cache.get('req-a')).toBeDefined();
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024);
    // compacted to what is needed
    expect(fs.statSync(file).size).toBeLessThan(4096);
    await j.close();
  }, 60_000);

  it('appends are durable when acknowledged: the file is open O_DSYNC (also after a compaction), a batch is one write', async () => {
    const dir = tmp();
    const j = new Journal(dir, { maxBytes: 4096 });
    await j.open();
    /** The open flags of the descriptor(s) this process holds on the journal file (/proc/self/fdinfo). */
    const flagsOfJournalFd = (): number[] => fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`) === j.file;
      } catch {
        return false;
      }
    }).map((fd) => parseInt(/^flags:\s+([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8));
    const dsync = (flags: number[]) => flags.length === 1 && (flags[0]! & fs.constants.O_DSYNC) === fs.constants.O_DSYNC;
    expect(dsync(flagsOfJournalFd())).toBe(true);
    const writes = vi.spyOn(fs, 'write');
    await Promise.all([j.append(begin('a')), j.append(begin('b')), j.append(begin('c'))]);
    expect(writes).toHaveBeenCalledTimes(1);
    writes.mockRestore();
    // Past the cap: compacted (a new descriptor), still O_DSYNC.
    for (let i = 0; i < 40; i++) await j.append(end(i % 3 === 0 ? 'a' : `x${i}`, { pad: 'y'.repeat(100) }));
    expect(j.compactions).toBeGreaterThan(1);
    expect(dsync(flagsOfJournalFd())).toBe(true);
    await j.close();
  });

  it('redacts secrets from recorded inputs', () => {
    expect(redact({ volumes: [{ connection_info: { data: { auth_password: 'p', target_iqn: 'iqn.x', secret_uuid: 's' } } }] }))
      .toEqual({ volumes: [{ connection_info: { data: { auth_password: '<redacted>', target_iqn: 'iqn.x', secret_uuid: '<redacted>' } } }] });
  });

  it('refuses appends before open', async () => {
    await expect(new Journal(tmp()).append(begin('x'))).rejects.toThrow(/not open/);
  });
});
