// The seeded, model-checked random run: operations, periodic ticks and clock
// jumps, with agent faults (every error code an agent or the network gives),
// pauses (no answer in time) and hosts going down for longer than
// service_down_seconds, over the scripted agent. After every step:
//  - quota usage equals the model (what each call's outcome says is held);
//  - no row is left mid-task;
//  - a Destroy (the only call that removes disks) is only ever sent for an
//    instance whose hard delete was asked for, or whose reclaim is due;
//  - rows only reach states with a way out (checked at the end: with the
//    faults gone, every instance can be deleted and every volume released).
import * as grpc from '@grpc/grpc-js';
import { afterEach, expect, it } from 'vitest';

import { Quota } from '../../src/controller/quota';
import { CTX, harness, SERVICE_DOWN_SECONDS, XML, type Harness } from './controller-fakes';

const INTERVAL = 3600;
const SEEDS = Number(process.env.CONTROLLER_MODEL_SEEDS ?? 12);
const STEPS = 250;

/** mulberry32: small, seeded, good enough low bits. */
function random(seed: number): (n: number) => number {
  let s = seed;
  return (n: number) => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296 * n) | 0;
  };
}

let h: Harness | undefined;
afterEach(async () => h?.close());

const CODES = [grpc.status.INTERNAL, grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.FAILED_PRECONDITION, grpc.status.NOT_FOUND, grpc.status.ABORTED];
const METHODS = ['PowerOff', 'PowerOn', 'Destroy', 'DefineDomain', 'DisconnectVolume', 'GetDomain'];
const HOSTS = ['h1', 'h2'];

async function runSeed(seed: number, seen: Set<string>): Promise<void> {
  await h?.close();
  h = await harness({ config: { reclaimIntervalSeconds: INTERVAL } });
  const hh = h;
  hh.deps.quota = new Quota(hh.store, { defaults: { instances: -1, vcpus: -1, memoryMib: -1 }, projects: {} });
  const rnd = random(seed);
  const holds = new Map<string, number>(); // uuid -> vcpus, for instances that should hold quota
  const hardAsked = new Set<string>(); // instances whose hard delete (or force delete) was asked for
  const violations: string[] = [];
  // Every Destroy is checked against the rule before the fake acts on it.
  hh.agents.on('Destroy', async (req) => {
    const uuid = String(req.domain?.uuid);
    const r = await hh.store.getInstance(uuid);
    const due = r?.deleted_at !== null && r?.deleted_at !== undefined && hh.clock.now() >= r.deleted_at + INTERVAL * 1000;
    if (!hardAsked.has(uuid) && !(r?.vm_state === 'soft_deleted' && due)) violations.push(`Destroy of ${uuid} (${r?.vm_state}) before its reclaim was due`);
    return { found: true, warnings: [] };
  });
  let volumeSeq = 0;
  for (let step = 0; step < STEPS; step++) {
    const where = `seed ${seed} step ${step}`;
    // Faults: errors of any kind, pauses (no answer in time), a host down for longer than service_down_seconds.
    const f = rnd(10);
    if (f <= 2) hh.agents.failNext(METHODS[rnd(METHODS.length)]!, CODES[rnd(CODES.length)]!, 'injected');
    else if (f === 3) hh.agents.paused.add(HOSTS[rnd(2)]!);
    else if (f === 4) hh.agents.paused.clear();
    else if (f === 5 && rnd(3) === 0) {
      hh.agents.down.add(HOSTS[rnd(2)]!);
      hh.clock.advance((SERVICE_DOWN_SECONDS + 1) * 1000);
    } else if (f === 6) {
      hh.agents.down.clear();
      for (const x of HOSTS) await hh.agents.healthy(x);
    }
    const live = await hh.store.listInstances({});
    const target = live[rnd(Math.max(1, live.length))];
    const op = rnd(13);
    try {
      if (op === 0 || !target) {
        const vcpus = 1 + rnd(3);
        const v = await hh.svc.createInstance({
          name: `s${step}`, project_id: 'p', host: HOSTS[rnd(2)]!, domain_xml: XML(`s${step}`), vcpus, memory_mib: vcpus * 10,
          volumes: rnd(2) === 0 ? [{ volume_id: `vol-${volumeSeq++}`, target_dev: 'vdb', connection_info: { driver_volume_type: 'local', data: { device_path: '/dev/x' } }, delete_on_termination: rnd(2) === 0 }] : [],
        }, CTX);
        holds.set(v.instance.uuid, vcpus);
      } else if (op === 1 || op === 2) {
        if (!(target.launched === 1 && ['active', 'stopped', 'error'].includes(target.vm_state))) hardAsked.add(target.uuid);
        const v = await hh.svc.deleteInstance(target.uuid, CTX);
        if (v.instance.vm_state === 'soft_deleted' || v.instance.vm_state === 'deleted') holds.delete(target.uuid);
      } else if (op === 3) {
        await hh.svc.restoreInstance(target.uuid, CTX);
        holds.set(target.uuid, target.vcpus);
      } else if (op === 4) {
        hardAsked.add(target.uuid);
        const v = await hh.svc.forceDeleteInstance(target.uuid, CTX, rnd(2) === 0);
        if (v.instance.vm_state === 'deleted') holds.delete(target.uuid);
      } else if (op === 5) {
        await hh.svc.stopInstance(target.uuid, CTX);
      } else if (op === 6) {
        await hh.svc.startInstance(target.uuid, CTX);
      } else if (op === 7) {
        const [v] = await hh.store.volumesOf(target.uuid);
        if (v) await hh.svc.detachVolume(target.uuid, v.id, CTX);
      } else if (op === 8) {
        hh.clock.advance(rnd(4) * 1000 * (rnd(2) === 0 ? 60 : INTERVAL / 2));
      } else if (op === 9) {
        const [v] = await hh.store.volumesOf(target.uuid);
        if (v) {
          if (rnd(2) === 0) await hh.svc.resetVolumeState(v.id, (['available', 'in-use', 'error_detaching'] as const)[rnd(3)], CTX);
          else await hh.svc.forceDetachVolume(v.id, CTX);
        }
      } else {
        await hh.periodic.runOnce();
      }
    } catch (err) {
      // A failed call never changes what is held (restore and create reserve only on success).
      if (!(err as { kind?: string }).kind) throw err;
    }
    const got = await hh.deps.quota.usage('p');
    const want = { instances: holds.size, vcpus: [...holds.values()].reduce((a, b) => a + b, 0) };
    expect({ instances: got.instances, vcpus: got.vcpus }, where).toEqual(want);
    expect(await hh.store.interrupted(), `${where}: rows left mid-task`).toEqual([]);
    expect(violations, where).toEqual([]);
    for (const r of await hh.sql.all<{ vm_state: string; needs_host_cleanup: number; pending_power_off: number; reclaim_attempts: number }>(
      'SELECT vm_state, needs_host_cleanup, pending_power_off, reclaim_attempts FROM instances')) {
      seen.add(r.vm_state);
      if (r.needs_host_cleanup) seen.add('deleted_in_records');
      if (r.pending_power_off) seen.add('pending_power_off');
      if (r.reclaim_attempts > 0) seen.add('reclaim_retrying');
      if (r.pending_power_off) expect(r.vm_state, `${where}: pending power-off outside soft_deleted`).toBe('soft_deleted');
    }
    for (const v of await hh.sql.all<{ status: string }>('SELECT status FROM volumes')) seen.add(`volume:${v.status}`);
  }

  // Every state has a way out: faults gone, time passing, then delete everything.
  hh.agents.paused.clear();
  hh.agents.down.clear();
  hh.agents.clearFailures();
  for (let i = 0; i < 12; i++) {
    hh.clock.advance(3600 * 1000);
    await hh.periodic.runOnce();
  }
  for (const r of await hh.store.listInstances({})) {
    hardAsked.add(r.uuid);
    const v = await hh.svc.forceDeleteInstance(r.uuid, CTX);
    expect(v.instance.vm_state, `seed ${seed}: ${r.uuid} from ${r.vm_state}`).toBe('deleted');
  }
  await hh.periodic.runOnce();
  expect(await hh.store.listInstances({}), `seed ${seed}`).toEqual([]);
  expect(await hh.store.pendingCleanups(), `seed ${seed}`).toEqual([]);
  expect(await hh.sql.all("SELECT id, status FROM volumes WHERE status <> 'available'"), `seed ${seed}`).toEqual([]);
  expect(await hh.deps.quota.usage('p'), `seed ${seed}`).toEqual({ instances: 0, vcpus: 0, memoryMib: 0 });
  expect(violations, `seed ${seed}`).toEqual([]);
}

it(`usage, Destroy timing and ways out hold through ${SEEDS} seeded random runs with agent faults and pauses`, async () => {
  const seen = new Set<string>();
  for (let seed = 1; seed <= SEEDS; seed++) await runSeed(seed, seen);
  // The runs went through the states that matter.
  for (const s of ['active', 'stopped', 'soft_deleted', 'deleted', 'error', 'deleted_in_records', 'pending_power_off', 'reclaim_retrying',
    'volume:in-use', 'volume:detaching', 'volume:error_detaching', 'volume:available']) {
    expect(seen, s).toContain(s);
  }
}, 120_000);
