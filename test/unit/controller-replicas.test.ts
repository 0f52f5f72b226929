// Several controller replicas on one database, no leader, on both engines
// (PostgreSQL: one pool per replica, as separate processes would have;
// SQLite: replicas share the file's single writer). Each replica has its
// own scripted agent pool (test/unit/controller-fakes.ts: the agents are the
// part faked here; the integration suites run real agents) and its own
// periodic task. What must hold: every contested operation happens exactly
// once — restore vs reclaim, concurrent deletes, the last quota slot — and a
// replica that dies mid-work loses its leases when they expire, after which
// another one finishes its work.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { NO_HOOKS, type Deps } from '../../src/controller/deps';
import { HostLiveness } from '../../src/controller/liveness';
import { PeriodicTasks } from '../../src/controller/periodic';
import { Quota } from '../../src/controller/quota';
import { ControllerService } from '../../src/controller/service';
import { openEngine, type SqlEngine } from '../../src/controller/sql';
import { Store } from '../../src/controller/store';
import { TaskLeases } from '../../src/controller/task-leases';
import type { RequestContext } from '../../src/controller/types';
import { silentLogger } from '../../src/logging';
import { ManualClock } from '../helpers/clocks';
import { freshDatabase } from '../helpers/pg';
import { FakeAgents, XML } from './controller-fakes';

type Kind = 'sqlite' | 'postgres';
const INTERVAL_S = 3600;
const TASK_LEASE_MS = 600_000;
const BATCH_LEASE_MS = 120_000;

interface Replica {
  id: string;
  store: Store;
  /** Its task-lease renewal, driven by hand here (renew()): the controller runs it on a timer. */
  leases: TaskLeases;
  agents: FakeAgents;
  deps: Deps;
  svc: ControllerService;
  periodic: PeriodicTasks;
}

interface Fleet {
  clock: ManualClock;
  replicas: Replica[];
  close(): Promise<void>;
}

let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

async function startFleet(kind: Kind, n: number, quota = { instances: -1, vcpus: -1, memoryMib: -1 }): Promise<Fleet> {
  const clock = new ManualClock();
  const engines: SqlEngine[] = [];
  let url: string;
  let drop: () => Promise<void>;
  if (kind === 'postgres') ({ url, drop } = await freshDatabase());
  else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-replicas-'));
    url = path.join(dir, 'c.db');
    drop = async () => fs.rmSync(dir, { recursive: true, force: true });
  }
  const replicas: Replica[] = [];
  for (let i = 0; i < n; i++) {
    // SQLite: one engine (one writer) in this process; PostgreSQL: a pool per replica.
    const engine = kind === 'sqlite' && engines[0] ? engines[0] : await openEngine(url);
    if (!engines.includes(engine)) engines.push(engine);
    const store = new Store(engine, clock);
    const agents = new FakeAgents();
    const liveness = new HostLiveness({ clock, serviceDownSeconds: 10 * INTERVAL_S, hosts: agents.hostNames() });
    agents.onContact = (host) => liveness.recordContact(host);
    const id = `replica-${i}`;
    const leases = new TaskLeases(store, silentLogger(), { owner: id, taskLeaseMs: TASK_LEASE_MS });
    const deps: Deps = {
      store, agents, liveness, logger: silentLogger(), hooks: NO_HOOKS, leases,
      replica: { id, taskLeaseMs: TASK_LEASE_MS, batchLeaseMs: BATCH_LEASE_MS, shared: true },
      quota: new Quota(store, { defaults: quota, projects: {} }),
      config: {
        reclaimIntervalSeconds: INTERVAL_S, cleanShutdownTimeoutSeconds: 30, powerOnTimeoutSeconds: 30, agentTimeoutSeconds: 60,
        retryBaseMs: 60_000, retryCapMs: 3600_000,
      },
    };
    replicas.push({ id, store, agents, deps, leases, svc: new ControllerService(deps), periodic: new PeriodicTasks(deps, { pollSeconds: 0, batch: 25 }) });
  }
  return {
    clock, replicas,
    async close() {
      for (const e of engines) await e.close();
      await drop();
    },
  };
}

const ctx = (r: Replica): RequestContext => ({ requestId: `req-${r.id}`, user: r.id });

/** Creates `n` instances through replica 0 and soft deletes them; returns their uuids. */
async function softDeleted(f: Fleet, n: number): Promise<string[]> {
  const r = f.replicas[0]!;
  const uuids: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = await r.svc.createInstance({ name: `vm-${i}`, project_id: 'p', host: i % 2 ? 'h2' : 'h1', domain_xml: XML(`vm-${i}`), vcpus: 1, memory_mib: 64 }, ctx(r));
    await r.svc.deleteInstance(v.instance.uuid, ctx(r));
    uuids.push(v.instance.uuid);
  }
  return uuids;
}

/** Destroy calls per instance uuid, over every replica's agents. */
function destroys(f: Fleet): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of f.replicas) {
    for (const c of r.agents.calls) {
      if (c.method !== 'Destroy') continue;
      const uuid = String((c.req.domain as { uuid?: string } | undefined)?.uuid);
      out.set(uuid, (out.get(uuid) ?? 0) + 1);
    }
  }
  return out;
}

/** Successful actions of `name` per instance. */
async function successes(store: Store, uuids: string[], name: string): Promise<number[]> {
  return Promise.all(uuids.map(async (u) => (await store.actions(u)).filter((a) => a.action === name && a.result === 'success').length));
}

describe.each<Kind>(['sqlite', 'postgres'])('replicas on %s', (kind) => {
  it('three replicas reclaiming while a fourth client restores: each instance is reclaimed or restored, exactly once', async () => {
    fleet = await startFleet(kind, 3);
    const f = fleet;
    const uuids = await softDeleted(f, 40);
    f.clock.advance((INTERVAL_S + 1) * 1000);
    const restoreAsked = uuids.filter((_, i) => i % 3 === 0);
    const [, ...restores] = await Promise.all([
      Promise.all(f.replicas.map((r) => r.periodic.runOnce())),
      ...restoreAsked.map((u, i) => f.replicas[i % 3]!.svc.restoreInstance(u, ctx(f.replicas[i % 3]!)).then(() => true, () => false)),
    ]);
    // Whatever is left (restores that lost, rows whose batch another replica held) goes in later ticks.
    for (let i = 0; i < 3; i++) await Promise.all(f.replicas.map((r) => r.periodic.runOnce()));
    const store = f.replicas[0]!.store;
    const d = destroys(f);
    for (const [i, uuid] of uuids.entries()) {
      const row = await store.requireInstance(uuid);
      const restored = restoreAsked.includes(uuid) && restores[restoreAsked.indexOf(uuid)] === true;
      expect(row.vm_state, uuid).toBe(restored ? 'active' : 'deleted');
      expect(row.task_state).toBe('none');
      expect(d.get(uuid) ?? 0, `Destroy calls for ${uuid} (#${i})`).toBe(restored ? 0 : 1);
    }
    expect((await successes(store, uuids, 'reclaim')).every((n, i) => n === (restoreAsked.includes(uuids[i]!) && restores[restoreAsked.indexOf(uuids[i]!)] ? 0 : 1))).toBe(true);
    const restoredCount = restores.filter(Boolean).length;
    expect(await store.quotaUsage('p')).toEqual({ instances: restoredCount, vcpus: restoredCount, memoryMib: 64 * restoredCount });
    // The work was shared: more than one replica reclaimed something.
    const byReplica = f.replicas.map((r) => r.agents.calls.filter((c) => c.method === 'Destroy').length);
    expect(byReplica.filter((n) => n > 0).length).toBeGreaterThan(1);
    // No lease is left behind.
    expect(await store.engine.all("SELECT uuid FROM instances WHERE lease_owner IS NOT NULL")).toEqual([]);
  });

  it('the same delete sent to three replicas at once: one soft delete, one PowerOff', async () => {
    fleet = await startFleet(kind, 3);
    const f = fleet;
    const r0 = f.replicas[0]!;
    const uuid = (await r0.svc.createInstance({ name: 'vm', project_id: 'p', host: 'h1', domain_xml: XML('vm'), vcpus: 1, memory_mib: 64 }, ctx(r0))).instance.uuid;
    // The winner's PowerOff is held, so the others arrive while it runs (a later DeleteInstance of a
    // soft-deleted instance would be a hard delete, by design).
    const holds = f.replicas.map((r) => r.agents.hold('PowerOff'));
    const settled: boolean[] = [];
    const deletes = f.replicas.map((r, i) => r.svc.deleteInstance(uuid, ctx(r)).finally(() => (settled[i] = true)));
    await Promise.race(holds.map((h) => h.entered));
    const deadline = Date.now() + 10_000;
    while (settled.filter(Boolean).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    for (const h of holds) h.release();
    const results = await Promise.allSettled(deletes);
    // The losers returned the instance mid-delete (or were told a task runs): never anything else.
    for (const r of results) {
      if (r.status === 'rejected') expect(String(r.reason)).toMatch(/task .* in progress|wait for the running task/);
      else expect(['soft_deleting', 'none']).toContain(r.value.instance.task_state);
    }
    const powerOffs = f.replicas.flatMap((r) => r.agents.calls.filter((c) => c.method === 'PowerOff'));
    expect(powerOffs).toHaveLength(1);
    expect(await successes(r0.store, [uuid], 'soft_delete')).toEqual([1]);
    expect(await r0.store.requireInstance(uuid)).toMatchObject({ vm_state: 'soft_deleted', task_state: 'none', quota_held: 0 });
  });

  it('the last quota slot, asked of three replicas at once, goes to exactly one', async () => {
    fleet = await startFleet(kind, 3, { instances: 2, vcpus: -1, memoryMib: -1 });
    const f = fleet;
    const r0 = f.replicas[0]!;
    await r0.svc.createInstance({ name: 'first', project_id: 'p', host: 'h1', domain_xml: XML('first'), vcpus: 1, memory_mib: 64 }, ctx(r0));
    const results = await Promise.allSettled(f.replicas.map((r, i) =>
      r.svc.createInstance({ name: `race-${i}`, project_id: 'p', host: 'h1', domain_xml: XML(`race-${i}`), vcpus: 1, memory_mib: 64 }, ctx(r))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(String(r.reason)).toMatch(/quota exceeded for project p/);
    expect(await r0.store.quotaUsage('p')).toMatchObject({ instances: 2 });
    expect(await r0.store.listInstances({})).toHaveLength(2);
  });

  it('a replica that dies mid-reclaim: its leases expire, another replica recovers and finishes; nothing is reclaimed twice', async () => {
    fleet = await startFleet(kind, 2);
    const f = fleet;
    const [dead, live] = [f.replicas[0]!, f.replicas[1]!];
    const uuids = await softDeleted(f, 20);
    f.clock.advance((INTERVAL_S + 1) * 1000);
    // The dying replica claims its batch and hangs in its Destroy calls (as a SIGKILLed process would: never answers again).
    const hang = dead.agents.hold('Destroy');
    const deadTick = dead.periodic.runOnce();
    await hang.entered;
    // Its two hosts' workers (8 each, PeriodicTasks' default) all end up waiting in Destroy.
    const deleting = () => dead.store.engine.all<{ uuid: string }>("SELECT uuid FROM instances WHERE task_state = 'deleting'");
    const deadline = Date.now() + 10_000;
    while ((await deleting()).length < 16 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const inFlight = await deleting();
    expect(inFlight).toHaveLength(16);

    // While its leases live, the other replica leaves its rows alone (batch and tasks alike).
    const before = await live.periodic.runOnce();
    expect(before.recovered).toBe(0);
    expect(before.reclaimed).toBe(0);
    expect(await live.store.requireInstance(inFlight[0]!.uuid)).toMatchObject({ task_state: 'deleting', lease_owner: dead.id });

    // Past the task lease: recovered (still soft deleted, restorable), then reclaimed by the live replica.
    f.clock.advance(TASK_LEASE_MS + 1);
    const after = await live.periodic.runOnce();
    expect(after.recovered).toBe(inFlight.length);
    for (let i = 0; i < 2; i++) await live.periodic.runOnce();
    for (const uuid of uuids) expect((await live.store.requireInstance(uuid)).vm_state, uuid).toBe('deleted');
    expect((await successes(live.store, uuids, 'reclaim')).every((n) => n === 1)).toBe(true);
    // The dead replica's late answers change nothing: its completion loses the CAS.
    hang.release();
    await deadTick;
    for (const uuid of uuids) expect((await live.store.requireInstance(uuid)).vm_state).toBe('deleted');
    expect((await successes(live.store, uuids, 'reclaim')).every((n) => n === 1)).toBe(true);
    // Only the instances the dead replica was destroying saw a second (idempotent) Destroy.
    const twice = [...destroys(f)].filter(([, n]) => n > 1).map(([u]) => u).sort();
    expect(twice).toEqual(inFlight.map((r) => r.uuid).sort());
  });

  it('a live replica\'s task that outlasts its lease keeps it (renewed): not recovered under it, its restore stands', async () => {
    fleet = await startFleet(kind, 2);
    const f = fleet;
    const [slow, other] = [f.replicas[0]!, f.replicas[1]!];
    const [a, b] = await softDeleted(f, 2);
    // Two restores hang in PowerOn on the slow replica (a guest slow to boot, an agent call retried).
    const hang = slow.agents.hold('PowerOn');
    const restoreA = slow.svc.restoreInstance(a, ctx(slow));
    await hang.entered;
    expect(slow.leases.size).toBe(1);
    // Past the first lease; the renewal (every third of a lease in the controller) ran in between.
    f.clock.advance(TASK_LEASE_MS / 2);
    expect(await slow.leases.renew()).toBe(1);
    f.clock.advance(TASK_LEASE_MS / 2 + 1);
    expect((await other.periodic.runOnce()).recovered).toBe(0);
    expect(await other.store.requireInstance(a!)).toMatchObject({ task_state: 'restoring', lease_owner: slow.id });
    hang.release();
    expect((await restoreA).instance).toMatchObject({ vm_state: 'active', task_state: 'none' });
    // Completed: given back, nothing left to renew.
    expect(slow.leases.size).toBe(0);
    expect(await slow.leases.renew()).toBe(0);

    // The hazard renewal removes: the same task without renewal is taken from a live replica.
    const hang2 = slow.agents.hold('PowerOn');
    const restoreB = slow.svc.restoreInstance(b, ctx(slow));
    await hang2.entered;
    f.clock.advance(TASK_LEASE_MS + 1);
    expect((await other.periodic.runOnce()).recovered).toBe(1);
    // Another replica's row is not renewed by the slow one any more.
    expect(await slow.leases.renew()).toBe(0);
    hang2.release();
    await restoreB;
    expect((await other.store.requireInstance(b!)).vm_state).toBe('soft_deleted');
  });

  it('a live replica\'s detach that outlasts a task lease is not made pending under it (kept fresh), and is done once', async () => {
    fleet = await startFleet(kind, 2);
    const f = fleet;
    const [slow, other] = [f.replicas[0]!, f.replicas[1]!];
    const created = await slow.svc.createInstance({ name: 'vm', project_id: 'p', host: 'h1', domain_xml: XML('vm'), vcpus: 1, memory_mib: 64 }, ctx(slow));
    const uuid = created.instance.uuid;
    await slow.svc.attachVolume({ uuid, volume_id: 'v1', target_dev: 'vdb', connection_info: { driver_volume_type: 'local', data: { device_path: '/dev/x' } } }, ctx(slow));
    const hang = slow.agents.hold('DisconnectVolume');
    const detach = slow.svc.detachVolume(uuid, 'v1', ctx(slow));
    await hang.entered;
    f.clock.advance(TASK_LEASE_MS / 2);
    expect(await slow.leases.renew()).toBe(1);
    f.clock.advance(TASK_LEASE_MS / 2 + 1);
    await other.periodic.runOnce();
    expect(await other.store.requireVolume('v1')).toMatchObject({ status: 'detaching', detach_pending: 0 });
    hang.release();
    expect(await detach).toMatchObject({ status: 'available' });
    expect(slow.leases.size).toBe(0);
    const disconnects = f.replicas.flatMap((r) => r.agents.calls.filter((c) => c.method === 'DisconnectVolume'));
    expect(disconnects).toHaveLength(1);
  });
});
