// The operation journal across a restart: an agent that died in the middle of
// operations (simulated by the journal it left behind, since the test driver
// starts every connection from its node file again — the kill -9 proof with a
// real libvirtd is in test/e2e) finishes Destroy and DisconnectVolume, reports
// the others as interrupted, and still answers retries by request id.
import fs from 'node:fs';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { parseJournal, type JournalRecord } from '../../src/agent/journal';
import { NODE_DOMAINS, startTestAgent, type TestAgent } from '../helpers/agent-client';

const agents: TestAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

const at = new Date().toISOString();
const web1 = NODE_DOMAINS['web-1'].uuid;

function seedJournal(stateDir: string, records: JournalRecord[]): void {
  fs.mkdirSync(stateDir, { recursive: true });
  fs.writeFileSync(path.join(stateDir, 'journal.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

describe('journal recovery', () => {
  it('rolls an interrupted Destroy forward and answers its retry from the result', async () => {
    const ta = await startTestAgent({
      config: (cfg) => seedJournal(cfg.stateDir, [
        {
          t: 'begin', id: 'op-1', method: 'Destroy', requestId: 'del-web-1', target: web1, at,
          input: { ref: { uuid: web1 }, destroyDisks: false, keepNvram: false, volumes: [] },
        },
        { t: 'step', id: 'op-1', step: { name: 'destroy-graceful', outcome: 'ok', detail: '', duration_ms: 3 } },
        {
          t: 'begin', id: 'op-2', method: 'PowerOff', requestId: 'off-db-1', target: 'name:db-1', at,
          input: { ref: { name: 'db-1' }, timeoutSeconds: 60, retryIntervalSeconds: 10, methods: ['acpi'] },
        },
      ]),
    });
    agents.push(ta);
    expect(await ta.agent.recovered).toEqual({ rolledForward: 1, interrupted: 1, failed: 0 });

    // The domain is gone: the interrupted Destroy was completed.
    expect((await ta.client.fail('GetDomain', { domain: { uuid: web1 } })).code).toBe(5);
    // The client's retry gets the result of the completed run, not a fresh "not found".
    const retry = await ta.client.call('Destroy', { domain: { uuid: web1 }, request_id: 'del-web-1' });
    expect(retry).toMatchObject({ found: true, was_running: true, undefined: true });

    // Both old records are closed in the journal; the re-run is journaled as finished.
    const state = parseJournal(fs.readFileSync(path.join(ta.config.stateDir, 'journal.jsonl'), 'utf8'));
    expect(state.unfinished).toEqual([]);
    expect(state.finished.map((f) => f.begin.requestId)).toContain('del-web-1');
    // A power operation is not replayed: db-1 stays as the node defines it.
    expect((await ta.client.call('GetDomain', { domain: { name: 'db-1' } })).power_state).toBe('POWER_STATE_SHUTOFF');
  });

  it('keeps finished results across a restart so a retried request id is not run again', async () => {
    const first = await startTestAgent();
    agents.push(first);
    const r1 = await first.client.call('Destroy', { domain: { name: 'saved-1' }, request_id: 'del-saved-1' });
    expect(r1).toMatchObject({ found: true, undefined: true, managed_save_removed: true });
    const journal = fs.readFileSync(path.join(first.config.stateDir, 'journal.jsonl'), 'utf8');
    await first.close();

    // A new agent on a fresh node (saved-1 exists again there) with the old journal.
    const second = await startTestAgent({ config: (cfg) => seedJournal(cfg.stateDir, journal.trim().split('\n').map((l) => JSON.parse(l) as JournalRecord)) });
    agents.push(second);
    await second.agent.recovered;
    const r2 = await second.client.call('Destroy', { domain: { name: 'saved-1' }, request_id: 'del-saved-1' });
    expect(r2).toEqual(r1);
    // It was answered from the journal: saved-1 was not touched by the retry.
    expect((await second.client.call('GetDomain', { domain: { name: 'saved-1' } })).has_managed_save).toBe(true);
  });

  it('writes intent before acting and each step as it finishes', async () => {
    const ta = await startTestAgent();
    agents.push(ta);
    await ta.client.call('PowerOff', { domain: { name: 'web-1' }, timeout_seconds: 0, request_id: 'off-1' });
    const lines = fs.readFileSync(path.join(ta.config.stateDir, 'journal.jsonl'), 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as JournalRecord);
    expect(lines.map((l) => l.t)).toEqual(['begin', 'step', 'end']);
    expect(lines[0]).toMatchObject({ method: 'PowerOff', requestId: 'off-1', input: { ref: { name: 'web-1' }, timeoutSeconds: 0 } });
    expect(lines[2]).toMatchObject({ ok: true, result: { clean: false } });
    expect(fs.statSync(path.join(ta.config.stateDir, 'journal.jsonl')).mode & 0o777).toBe(0o600);
  });
});
