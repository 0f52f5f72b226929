// A long uptime does not grow the journal without bound: many large Destroys
// (16 volumes with bulky connection_info each) through an agent whose journal
// cap is 1 MiB keep the file under the cap (compacted while running), and a
// restart on that journal is fast and still answers the recent request ids.
import fs from 'node:fs';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { startAgent } from '../../src/agent/agent';
import { silentLogger } from '../../src/logging';
import { AgentClient, domainXml, startTestAgent, uuidFor, type TestAgent } from '../helpers/agent-client';

const agents: TestAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

const CAP = 1 << 20;

function bigVolumes(i: number) {
  return Array.from({ length: 16 }, (_, v) => ({
    volume_id: `vol-${i}-${v}`,
    target_dev: `vd${String.fromCharCode(98 + v)}`,
    connection_info: { driver_volume_type: 'local', data: { device_path: `/dev/null`, note: `${i}/${v} ${'x'.repeat(2000)}` } },
  }));
}

describe('journal under a long uptime', () => {
  it('stays under its cap through 300 large Destroys and restarts fast, replaying recent request ids', async () => {
    const a = await startTestAgent({ config: (cfg) => { cfg.journalMaxBytes = CAP; }, overrides: { requireLibvirt: true } });
    agents.push(a);
    const file = path.join(a.config.stateDir, 'journal.jsonl');
    for (let i = 0; i < 50; i++) await a.client.call('DefineDomain', { xml: domainXml(`big-${i}`, uuidFor(1000 + i)) });

    let maxSize = 0;
    const results: Record<string, unknown> = {};
    for (let batch = 0; batch < 300 / 20; batch++) {
      await Promise.all(Array.from({ length: 20 }, async (_, k) => {
        const i = batch * 20 + k;
        const r = await a.client.call('Destroy', { domain: { name: `big-${i}` }, volumes: bigVolumes(i), request_id: `del-${i}` });
        results[`del-${i}`] = r;
      }));
      maxSize = Math.max(maxSize, fs.statSync(file).size);
    }
    const compactions = a.agent.journal.compactions;
    expect(compactions).toBeGreaterThan(3);
    // Each Destroy's begin record is ~40 KiB; without compaction the file would be ~12 MiB. Between
    // batches nothing is in flight: the file is at most the cap plus the batch that crossed it.
    expect(maxSize).toBeLessThanOrEqual(CAP + 20 * 64 * 1024);
    expect(results['del-0']).toMatchObject({ found: true, undefined: true });
    await a.agent.stop(2000);
    const finalSize = fs.statSync(file).size;
    expect(finalSize).toBeLessThanOrEqual(CAP);

    const t0 = performance.now();
    const again = await startAgent({ ...a.config, listen: '127.0.0.1:0' }, silentLogger(), { requireLibvirt: true });
    const restartMs = performance.now() - t0;
    const client = new AgentClient(`127.0.0.1:${again.listen.port}`);
    try {
      // The newest results come back from the journal (big-299 never existed on this fresh node run: no re-execution).
      const replay = await client.call('Destroy', { domain: { name: 'big-299' }, volumes: bigVolumes(299), request_id: 'del-299' });
      expect(replay).toEqual(results['del-299']);
      expect(again.journal.cache.size).toBeGreaterThan(100);
      console.log(`journal: cap ${CAP} B, ${compactions} compactions in 300 Destroys, largest ${maxSize} B, at stop ${finalSize} B; `
        + `restart ${restartMs.toFixed(0)} ms with ${again.journal.cache.size} request ids`);
    } finally {
      client.close();
      await again.stop(1000);
    }
    expect(restartMs).toBeLessThan(10_000);
  }, 120_000);
});
