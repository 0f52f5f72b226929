// Restore vs reclaim on the same soft-deleted instance, started together,
// many times: exactly one of them wins every time, and the records, the quota
// and the host agree with the winner.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { ManualClock } from '../helpers/clocks';
import { AgentProbe, createXml, errorOf, startTestAgent, startTestController, type TestAgent, type TestController } from './controller-helpers';

const INTERVAL = 60;
const ITERATIONS = 40;
let agent: TestAgent;
let ctl: TestController;
let probe: AgentProbe;
const clock = new ManualClock();

beforeAll(async () => {
  agent = await startTestAgent();
  ctl = await startTestController({ h1: agent.address }, (c) => {
    c.reclaimIntervalSeconds = INTERVAL;
    c.quota.defaults = { instances: 2, vcpus: 2, memoryMib: 1024 };
  }, { clock });
  probe = new AgentProbe(agent.address);
});

afterAll(async () => {
  probe?.close();
  await ctl?.stop();
  await agent?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it(`restore and reclaim started together: exactly one wins (${ITERATIONS} rounds)`, async () => {
  const wins = { restore: 0, reclaim: 0 };
  let uuid: string | undefined;
  for (let i = 0; i < ITERATIONS; i++) {
    if (uuid === undefined) {
      uuid = (await ctl.client.call('CreateInstance', {
        name: `race-${i}`, project_id: 'p', host: 'h1', domain_xml: createXml(`race-${i}`), vcpus: 1, memory_mib: 256,
      })).uuid as string;
    }
    await ctl.client.call('DeleteInstance', { uuid });
    await ctl.advance(INTERVAL * 1000);

    // Stagger one side's start by 0-8 ms (the restore's on odd rounds, the reclaim's on even ones) so either gets there first.
    const stagger = (i % 5) * 2;
    const restore = sleep(i % 2 === 1 ? stagger : 0).then(() => ctl.client.call('RestoreInstance', { uuid }))
      .then((r) => ({ ok: true as const, r }), (e: unknown) => ({ ok: false as const, e }));
    const reclaim = sleep(i % 2 === 0 ? stagger : 0).then(() => ctl.handle.periodic.runOnce());
    const [rs, rc] = await Promise.all([restore, reclaim]);

    const row = await ctl.client.call('GetInstance', { uuid });
    const usage = (await ctl.client.call('GetQuotaUsage', { project_id: 'p' })).in_use;
    if (rs.ok) {
      wins.restore++;
      expect(rc.reclaimed, `round ${i}: both won`).toBe(0);
      expect(row).toMatchObject({ vm_state: 'VM_STATE_ACTIVE', task_state: 'TASK_STATE_NONE' });
      expect(usage).toEqual({ instances: 1, vcpus: 1, memory_mib: 256 });
      expect(await probe.powerState(uuid)).toBe('POWER_STATE_RUNNING');
    } else {
      wins.reclaim++;
      const err = await errorOf(Promise.reject(rs.e));
      expect(err.code, err.details).toBe(grpc.status.FAILED_PRECONDITION);
      expect(rc.reclaimed, `round ${i}: nobody won`).toBe(1);
      expect(row).toMatchObject({ vm_state: 'VM_STATE_DELETED', task_state: 'TASK_STATE_NONE' });
      expect(usage).toEqual({ instances: 0, vcpus: 0, memory_mib: 0 });
      expect(await probe.powerState(uuid)).toBe('GONE');
      uuid = undefined;
    }
    // Never left half-claimed.
    const actions = (await ctl.client.call('ListInstanceActions', { uuid: row.uuid })).actions as Array<{ result: string }>;
    expect(actions.every((a) => a.result !== '')).toBe(true);
  }
  expect(wins.restore + wins.reclaim).toBe(ITERATIONS);
  // Both sides won at some point, so the race was real.
  expect(wins.restore).toBeGreaterThan(0);
  expect(wins.reclaim).toBeGreaterThan(0);
});
