// The fault sweep: seeded random schedules of operations and faults over the
// real controller (gRPC, SQLite) and two real agent PROCESSES on the test
// driver. Faults: injected errors of every kind, lost answers (the agent
// acted, the controller did not hear), slow answers, short pauses
// (SIGSTOP, SIGCONT 0.1-0.7 s later, an operation running meanwhile), hosts
// away longer than service_down_seconds, and agent restarts (libvirt keeps
// the domains). The administrator's volume RPCs are among the operations.
// Checked after every step:
//  - no instance loses its disk file unless its hard delete was asked for, or
//    a reclaim ran for it after its reclaim interval;
//  - quota usage equals what the calls' outcomes say is held;
//  - no row is left mid-task.
// Checked at the end of each seed, the faults gone: every soft-deleted
// instance that kept its disk can be restored, then everything can be
// deleted, no host cleanup or pending work is left, every volume is
// released, no domain is left on the agents, usage is 0.
//
// The fast suite runs FAULT_SWEEP_SEEDS (default 2) seeds of
// FAULT_SWEEP_STEPS (default 60) steps; run more with e.g.
//   FAULT_SWEEP_SEEDS=50 FAULT_SWEEP_STEPS=150 npx vitest run test/integration/controller-fault-sweep.test.ts
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { ManualClock } from '../helpers/clocks';
import type { Fault } from '../helpers/agent-proxy';
import { AgentProbe, startTestController, type Msg, type TestController } from './controller-helpers';
import { startProcessAgent, type ProcessAgent } from './controller-processes';

const SEEDS = Number(process.env.FAULT_SWEEP_SEEDS ?? 2);
const FIRST_SEED = Number(process.env.FAULT_SWEEP_FIRST_SEED ?? 1);
const STEPS = Number(process.env.FAULT_SWEEP_STEPS ?? 60);
const INTERVAL = 600;
const DOWN = 20;
const HOSTS = ['h1', 'h2'] as const;
const METHODS = ['PowerOff', 'PowerOn', 'Destroy', 'DefineDomain', 'DisconnectVolume', 'GetDomain', 'Check'];
const CODES = [grpc.status.INTERNAL, grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.FAILED_PRECONDITION, grpc.status.NOT_FOUND, grpc.status.ABORTED];

const agents: Record<string, ProcessAgent> = {};
const probes: Record<string, AgentProbe> = {};

beforeAll(async () => {
  for (const h of HOSTS) {
    agents[h] = await startProcessAgent(`vc-sweep-${h}-`);
    probes[h] = new AgentProbe(agents[h].proc.target);
  }
}, 60_000);

afterAll(async () => {
  for (const h of HOSTS) {
    probes[h]?.close();
    await agents[h]?.stop();
  }
});

function random(seed: number): (n: number) => number {
  let s = seed;
  return (n: number) => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296 * n) | 0;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Totals over every seed run in this process, for the report. */
const totals = { seeds: 0, steps: 0, calls: 0, callErrors: 0, faults: 0, pauses: 0, downs: 0, restarts: 0, restoredAtEnd: 0, deletedAtEnd: 0 };
/** Record states the runs went through. */
const seen = new Set<string>();

async function runSeed(seed: number): Promise<void> {
  const rnd = random(seed);
  const clock = new ManualClock();
  const ctl: TestController = await startTestController({ h1: agents.h1!.address, h2: agents.h2!.address }, (c) => {
    c.reclaimIntervalSeconds = INTERVAL;
    c.serviceDownSeconds = DOWN;
    c.healthCheckIntervalSeconds = 5;
    c.healthTimeoutMs = 500;
    c.cleanShutdownTimeoutSeconds = 1;
    c.powerOnTimeoutSeconds = 5;
    c.agentTimeoutSeconds = 5;
    c.quota.defaults = { instances: -1, vcpus: -1, memoryMib: -1 };
  }, { clock });
  const { store } = ctl.handle;
  const hostOf = new Map<string, string>();
  const holds = new Map<string, number>();
  const hardAsked = new Set<string>();
  const down = new Set<string>();
  let volumeSeq = 0;
  const call = async (method: string, req: Msg): Promise<Msg | undefined> => {
    totals.calls++;
    const t0 = Date.now();
    try {
      return await ctl.client.call(method, req, {}, 120_000);
    } catch (err) {
      // Errors are answers (the records say what happened); a call that outlived the client's deadline is a hang.
      if (typeof (err as grpc.ServiceError).code !== 'number' || Date.now() - t0 >= 119_000) throw err;
      totals.callErrors++;
      return undefined;
    }
  };
  const goDown = async (h: string) => {
    agents[h]!.pause();
    down.add(h);
    await ctl.advance((DOWN + 1) * 1000);
    totals.downs++;
  };
  const comeBack = async (h: string) => {
    if (agents[h]!.paused) agents[h]!.resume();
    down.delete(h);
    await ctl.advance(1000);
  };

  const check = async (where: string) => {
    for (const [uuid, host] of hostOf) {
      if (fs.existsSync(agents[host]!.diskPath(uuid)) || hardAsked.has(uuid)) continue;
      const r = await store.requireInstance(uuid);
      // A reclaim may have removed it: one that started at least INTERVAL after the soft delete before it.
      const log = await store.actions(uuid);
      const due = log.some((a, i) => {
        if (a.action !== 'reclaim') return false;
        const soft = log.slice(0, i).filter((b) => b.action === 'soft_delete' && b.result === 'success').at(-1);
        return soft !== undefined && a.started_at >= soft.started_at + INTERVAL * 1000;
      });
      const text = log.map((a) => `${a.action}:${a.result}@${a.started_at}${a.message ? ` (${a.message.slice(0, 160)})` : ''}`);
      expect(due, `${where}: instance ${uuid} (${r.vm_state}, deleted_at ${r.deleted_at}) lost its disk without a hard delete or a due reclaim; `
        + `actions: ${text.join(' | ')}`).toBe(true);
    }
    const got = await ctl.handle.service.deps.quota.usage('p');
    const want = { instances: holds.size, vcpus: [...holds.values()].reduce((a, b) => a + b, 0) };
    expect({ instances: got.instances, vcpus: got.vcpus }, `${where}: quota`).toEqual(want);
    expect(await store.interrupted(), `${where}: rows left mid-task`).toEqual([]);
    for (const r of await store.engine.all<Record<string, number | string>>(
      'SELECT vm_state, needs_host_cleanup, pending_power_off, reclaim_attempts, cleanup_attempts FROM instances')) {
      seen.add(String(r.vm_state));
      if (r.needs_host_cleanup) seen.add('deleted_in_records');
      if (r.pending_power_off) seen.add('pending_power_off');
      if (Number(r.reclaim_attempts) > 0) seen.add('reclaim_retried');
      if (Number(r.cleanup_attempts) > 1) seen.add('cleanup_retried');
    }
    for (const v of await store.engine.all<{ status: string; detach_pending: number }>('SELECT status, detach_pending FROM volumes')) {
      seen.add(`volume:${v.status}${v.detach_pending ? ' (pending)' : ''}`);
    }
  };

  try {
    for (let step = 0; step < STEPS; step++) {
      const where = `seed ${seed} step ${step}`;
      totals.steps++;
      // Faults first.
      const f = rnd(20);
      if (f < 5) {
        const kinds: Fault[] = [
          { kind: 'error', code: CODES[rnd(CODES.length)]! },
          { kind: 'lose-response' },
          { kind: 'delay', ms: 50 + rnd(300) },
        ];
        agents[HOSTS[rnd(2)]!]!.proxy.inject(METHODS[rnd(METHODS.length)]!, kinds[rnd(kinds.length)]!);
        totals.faults++;
      } else if (f === 5 && down.size === 0) {
        await goDown(HOSTS[rnd(2)]!);
      } else if (f === 6 && down.size > 0) {
        await comeBack([...down][0]!);
      } else if (f === 7 && rnd(3) === 0) {
        const h = HOSTS[rnd(2)]!;
        await agents[h]!.restart();
        down.delete(h);
        totals.restarts++;
      }
      // A short pause of an up host while the operation runs.
      const pauseHost = rnd(8) === 0 ? HOSTS.find((h) => !down.has(h)) : undefined;
      let resumeAt: Promise<void> | undefined;
      if (pauseHost) {
        agents[pauseHost]!.pause();
        totals.pauses++;
        resumeAt = sleep(100 + rnd(600)).then(() => agents[pauseHost]!.resume());
      }

      const live = await store.listInstances({});
      const target = live[rnd(Math.max(1, live.length))];
      const op = rnd(17);
      if (op <= 2 || !target) {
        const host = HOSTS[rnd(2)]!;
        const uuid = randomUUID();
        const vcpus = 1 + rnd(2);
        hostOf.set(uuid, host);
        const volumes = rnd(2) === 0 ? [{
          volume_id: `s${seed}-v${volumeSeq++}`, target_dev: 'vdb', delete_on_termination: rnd(2) === 0,
          connection_info: { driver_volume_type: 'local', data: { device_path: '/dev/null' } },
        }] : [];
        const res = await call('CreateInstance', {
          name: `s${seed}-${step}`, project_id: 'p', host, vcpus, memory_mib: 64, domain_xml: agents[host]!.diskXml(`s${seed}-${step}`, uuid), volumes,
        });
        if (res) holds.set(uuid, vcpus);
        else if (!await store.getInstance(uuid)) {
          hostOf.delete(uuid); // refused before anything was recorded (e.g. the host is down)
          fs.rmSync(agents[host]!.diskPath(uuid), { force: true });
        }
      } else if (op <= 5) {
        if (!(target.launched === 1 && ['active', 'stopped', 'error'].includes(target.vm_state))) hardAsked.add(target.uuid);
        const res = await call('DeleteInstance', { uuid: target.uuid });
        if (res && (res.vm_state === 'VM_STATE_SOFT_DELETED' || res.vm_state === 'VM_STATE_DELETED')) holds.delete(target.uuid);
      } else if (op === 6) {
        if (await call('RestoreInstance', { uuid: target.uuid })) holds.set(target.uuid, target.vcpus);
      } else if (op === 7) {
        hardAsked.add(target.uuid);
        const res = await call('ForceDeleteInstance', { uuid: target.uuid, force: rnd(2) === 0 });
        if (res?.vm_state === 'VM_STATE_DELETED') holds.delete(target.uuid);
      } else if (op === 8) {
        await call('StopInstance', { uuid: target.uuid });
      } else if (op === 9) {
        await call('StartInstance', { uuid: target.uuid });
      } else if (op === 10) {
        const [v] = await store.volumesOf(target.uuid);
        if (v) await call('DetachVolume', { uuid: target.uuid, volume_id: v.id });
      } else if (op === 11) {
        await ctl.advance((1 + rnd(4)) * (rnd(2) === 0 ? 60_000 : INTERVAL * 500));
      } else if (op === 12) {
        const [v] = await store.volumesOf(target.uuid);
        const status = ['VOLUME_STATUS_AVAILABLE', 'VOLUME_STATUS_IN_USE', 'VOLUME_STATUS_ERROR_DETACHING'][rnd(3)];
        if (v) await call('ResetVolumeState', { volume_id: v.id, status });
      } else if (op === 13) {
        const [v] = await store.volumesOf(target.uuid);
        if (v) await call('ForceDetachVolume', { volume_id: v.id });
      } else {
        await ctl.handle.periodic.runOnce();
      }
      await resumeAt;
      await check(where);
    }

    // The faults go away; the hosts answer again; the owed work is done.
    for (const h of HOSTS) {
      agents[h]!.proxy.clear();
      if (agents[h]!.paused) agents[h]!.resume();
    }
    down.clear();
    await ctl.advance(1000);
    await ctl.waitUp([...HOSTS]);
    await ctl.handle.periodic.runOnce();
    // Ways out: a soft-deleted instance that kept its disk can be restored.
    for (const r of await store.listInstances({ vm_state: 'soft_deleted' })) {
      if (!fs.existsSync(agents[r.host]!.diskPath(r.uuid))) continue;
      const res = await ctl.client.call('RestoreInstance', { uuid: r.uuid });
      expect(res.vm_state, `seed ${seed}: restore ${r.uuid}`).toBe('VM_STATE_ACTIVE');
      holds.set(r.uuid, r.vcpus);
      totals.restoredAtEnd++;
    }
    // Time passes: every retry's backoff (at most an hour) runs out.
    for (let i = 0; i < 6; i++) {
      await ctl.advance(3600 * 1000);
      await ctl.waitUp([...HOSTS]);
      await ctl.handle.periodic.runOnce();
    }
    await check(`seed ${seed} healed`);
    expect(await store.engine.get('SELECT COUNT(*) AS n FROM instances WHERE pending_power_off = 1'), `seed ${seed}`).toEqual({ n: 0 });
    expect(await store.engine.get('SELECT COUNT(*) AS n FROM volumes WHERE detach_pending = 1'), `seed ${seed}`).toEqual({ n: 0 });
    expect(await store.pendingCleanups(), `seed ${seed}: host cleanups left`).toEqual([]);
    expect(await store.listInstances({ vm_state: 'soft_deleted' }), `seed ${seed}: soft deletes past their interval`).toEqual([]);
    // Everything can be deleted.
    for (const r of await store.listInstances({})) {
      const res = await ctl.client.call('ForceDeleteInstance', { uuid: r.uuid });
      expect(res.vm_state, `seed ${seed}: delete ${r.uuid} from ${r.vm_state}`).toBe('VM_STATE_DELETED');
      totals.deletedAtEnd++;
    }
    await ctl.handle.periodic.runOnce();
    expect(await store.pendingCleanups(), `seed ${seed}`).toEqual([]);
    expect(await store.engine.all("SELECT id, status FROM volumes WHERE status <> 'available'"), `seed ${seed}: volumes`).toEqual([]);
    expect(await ctl.handle.service.deps.quota.usage('p'), `seed ${seed}: quota`).toEqual({ instances: 0, vcpus: 0, memoryMib: 0 });
    for (const h of HOSTS) {
      const left = ((await probes[h]!.call('ListDomains')).domains as Array<{ uuid: string }>).filter((d) => hostOf.has(d.uuid));
      expect(left.map((d) => d.uuid), `seed ${seed}: domains left on ${h}`).toEqual([]);
    }
    totals.seeds++;
  } finally {
    for (const h of HOSTS) {
      agents[h]!.proxy.clear();
      if (agents[h]!.paused) agents[h]!.resume();
    }
    await ctl.stop();
  }
}

it(`fault sweep: ${SEEDS} seeds x ${STEPS} steps over two agent processes`, async () => {
  const started = Date.now();
  for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) await runSeed(seed);
  // One line for the report (the totals of the run).
  console.log(`fault sweep: ${JSON.stringify({ ...totals, ms: Date.now() - started })}; states seen: ${[...seen].sort().join(', ')}`);
  expect(totals.seeds).toBe(SEEDS);
  expect(totals.faults + totals.pauses + totals.downs).toBeGreaterThan(0);
}, 30 * 60_000);
