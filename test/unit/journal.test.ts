import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

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

const begin = (id: string, requestId = `req-${id}`): BeginRecord => ({
  t: 'begin', id, method: 'Destroy', requestId, target: `uuid-${id}`, input: { id }, at: new Date().toISOString(),
});

describe('journal', () => {
  it('finds unfinished operations and keeps finished results across a reopen', async () => {
    const dir = tmp();
    const j = new Journal(dir);
    expect((await j.open(100)).unfinished).toEqual([]);
    await Promise.all([j.append(begin('a')), j.append(begin('b')), j.append(begin('c', ''))]);
    await j.append({ t: 'step', id: 'b', step: { name: 'destroy', outcome: 'ok', detail: '', duration_ms: 1 } });
    await j.append({ t: 'end', id: 'a', ok: true, result: { found: true }, at: 'x' });
    await j.append({ t: 'end', id: 'c', ok: true, result: {}, at: 'x' });
    await j.close();
    // the file is owner-only
    expect(fs.statSync(j.file).mode & 0o777).toBe(0o600);

    const again = new Journal(dir);
    const state = await again.open(100);
    expect(state.unfinished.map((u) => u.begin.id)).toEqual(['b']);
    expect(state.unfinished[0]!.steps.map((s) => s.name)).toEqual(['destroy']);
    // only results with a client request id are worth keeping for replay
    expect(state.finished.map((f) => f.begin.id)).toEqual(['a']);
    await again.close();
  });

  it('compacts to the newest results and survives a torn last line', async () => {
    const dir = tmp();
    const lines: string[] = [];
    for (let i = 0; i < 50; i++) {
      lines.push(JSON.stringify(begin(String(i))), JSON.stringify({ t: 'end', id: String(i), ok: true, result: i, at: 'x' }));
    }
    fs.writeFileSync(path.join(dir, 'journal.jsonl'), `${lines.join('\n')}\n{"t":"begin","id":"torn`);
    const j = new Journal(dir);
    const state = await j.open(10);
    expect(state.corrupt).toBe(1);
    expect(state.finished.map((f) => f.end.result)).toEqual([40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
    await j.close();
    expect(parseJournal(fs.readFileSync(j.file, 'utf8')).finished).toHaveLength(10);
  });

  it('redacts secrets from recorded inputs', () => {
    expect(redact({ volumes: [{ connection_info: { data: { auth_password: 'p', target_iqn: 'iqn.x', secret_uuid: 's' } } }] }))
      .toEqual({ volumes: [{ connection_info: { data: { auth_password: '<redacted>', target_iqn: 'iqn.x', secret_uuid: '<redacted>' } } }] });
  });

  it('refuses appends before open', async () => {
    await expect(new Journal(tmp()).append(begin('x'))).rejects.toThrow(/not open/);
  });
});
