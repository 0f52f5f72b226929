// Concurrent operations on one domain: DefineDomain joins the domain's queue,
// and whatever interleaving the clients produce, the answers are OK,
// NOT_FOUND or FAILED_PRECONDITION — never INTERNAL ("Domain not found",
// "already running" and friends are the caller's race, not the agent's bug).
import { afterEach, describe, expect, it } from 'vitest';

import { codeName, startTestAgent, type Msg, type TestAgent } from '../helpers/agent-client';

const agents: TestAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

const UUID = 'dddddddd-0000-4000-8000-000000000001';
const XML = `<domain type="test"><name>race-1</name><uuid>${UUID}</uuid><memory>262144</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`;

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('races between operations on one domain', () => {
  it('600 mixed calls on one name from 24 clients at once: only OK, NOT_FOUND, FAILED_PRECONDITION (Destroy: only OK)', async () => {
    const a = await startTestAgent({ overrides: { requireLibvirt: true } });
    agents.push(a);
    const rand = rng(20261123);
    const byName = { domain: { name: 'race-1' } };
    const byUuid = { domain: { uuid: UUID } };
    const calls: Array<[string, Msg]> = [
      ['DefineDomain', { xml: XML }],
      ['DefineDomain', { xml: XML, start: true }],
      ['DefineDomain', { xml: XML, transient: true }],
      ['Destroy', byName],
      ['Destroy', byUuid],
      ['PowerOn', byName],
      ['PowerOff', { ...byUuid, timeout_seconds: 0 }],
      ['HardReboot', byName],
      ['GetDomain', byName],
      ['GetDomain', byUuid],
    ];
    const codes = new Map<string, number>();
    const internal: string[] = [];
    await Promise.all(Array.from({ length: 24 }, async () => {
      for (let i = 0; i < 25; i++) {
        const [method, req] = calls[Math.floor(rand() * calls.length)]!;
        let code = 'OK';
        try {
          await a.client.call(method, req, 20_000);
        } catch (err) {
          const e = err as { code: number; details: string };
          code = codeName(e.code);
          // Destroying what is gone is success: never NOT_FOUND.
          const allowed = method === 'Destroy' ? [] : ['NOT_FOUND', 'FAILED_PRECONDITION'];
          if (!allowed.includes(code)) internal.push(`${method}: ${code} ${e.details}`);
        }
        codes.set(`${method} ${code}`, (codes.get(`${method} ${code}`) ?? 0) + 1);
      }
    }));
    console.log(`races: ${JSON.stringify(Object.fromEntries([...codes].sort()))}`);
    expect(internal).toEqual([]);
    expect([...codes.keys()].some((k) => k.endsWith(' OK'))).toBe(true);
  }, 120_000);
});
