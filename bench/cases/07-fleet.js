'use strict';
// Case 7: fleet scale. Expired soft-deleted instances spread over many agents
// — all in ONE child process built from the real agent code (createAgent(),
// bench/lib/fleet-agents.js), each on its own test-driver node and its own
// loopback port — reclaimed by 3 virt-controller replicas (child processes)
// on one PostgreSQL (a throwaway cluster from scripts/pg-test-cluster.sh).
// One replica is SIGKILLed when half the instances are reclaimed; its leases
// expire and the others finish. Then the same fleet with one controller on
// SQLite, for the ratio.
// Reported: time to reclaim all, per-replica shares (from their logs),
// duplicates (instances with more than one successful reclaim: must be 0),
// misses (instances not deleted plus domains left on the agents: must be 0),
// controller and PostgreSQL CPU seconds.
// Size: VIRT_BENCH_FLEET_INSTANCES (default 100000; --quick 2000) and
// VIRT_BENCH_FLEET_AGENTS (default 200; --quick 20).
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawn } = require('node:child_process');
const readline = require('node:readline');

const { DIST, REPO, dist } = require('../lib/env');
const { makeClient } = require('../lib/agent');
const { tempDir, cleanup, writeNode } = require('../lib/node-xml');
const { nowMs } = require('../lib/stats');

const RECLAIM_INTERVAL_S = 3600;
const CLK_TCK = 100;
/** Rows a replica claims per kind and tick: small enough that replicas share the work. */
const BATCH = Number(process.env.VIRT_BENCH_FLEET_BATCH ?? 250);

/** utime + stime of a process, in seconds (NaN when it is gone). */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** Tracks the CPU of a changing set of processes: the last value seen per pid. */
class CpuMeter {
  constructor() { this.last = new Map(); }
  sample(pids) {
    for (const pid of pids) {
      const s = cpuSeconds(pid);
      if (!Number.isNaN(s)) this.last.set(pid, s);
    }
  }
  total(pids) { return [...this.last].filter(([p]) => !pids || pids.includes(p)).reduce((a, [, s]) => a + s, 0); }
}

function postgresPids(clusterDir) {
  try {
    const master = Number(fs.readFileSync(path.join(clusterDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const kids = execFileSync('pgrep', ['-P', String(master)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
    return [master, ...kids];
  } catch {
    return [];
  }
}

async function startFleet(dir, nAgents, perAgent) {
  const spec = [];
  for (let h = 0; h < nAgents; h++) {
    const { uri } = writeNode(dir, { count: perAgent, start: h * perAgent, runstate: 5, file: `node-${h}.xml` });
    const adir = path.join(dir, `agent-${h}`);
    fs.mkdirSync(adir);
    spec.push({ name: `host-${h}`, uri, dir: adir });
  }
  fs.writeFileSync(path.join(dir, 'fleet.json'), JSON.stringify(spec));
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'lib', 'fleet-agents.js'), path.join(dir, 'fleet.json')],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  const hosts = await new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    rl.on('line', (line) => { if (line.startsWith('READY ')) resolve(JSON.parse(line.slice(6))); });
    child.on('exit', (code) => reject(new Error(`fleet exited (${code}): ${stderr}`)));
  });
  return {
    child, hosts,
    async stop() {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await done;
      clearTimeout(t);
    },
  };
}

/** Seeds `total` expired soft-deleted rows (uuids of the nodes' domains) through the project's own migrations. */
async function seed(db, hosts, perAgent) {
  const { uuidFor } = require('../lib/node-xml');
  const deletedAt = Date.now() - 2 * RECLAIM_INTERVAL_S * 1000;
  const rows = [];
  hosts.forEach((h, i) => { for (let j = 0; j < perAgent; j++) rows.push([uuidFor(i * perAgent + j), `vm-${i * perAgent + j}`, h.name]); });
  const { openEngine } = dist('controller/sql');
  const engine = await openEngine(db);
  for (let i = 0; i < rows.length; i += 500) {
    const part = rows.slice(i, i + 500);
    await engine.tx(() => engine.run(
      `INSERT INTO instances (uuid, name, project_id, host, vcpus, memory_mib, vm_state, task_state, quota_held, deleted_at, created_at, updated_at, launched)
       VALUES ${part.map(() => "(?, ?, 'bench', ?, 1, 64, 'soft_deleted', 'none', 0, ?, ?, ?, 1)").join(', ')}`,
      part.flatMap((r) => [...r, deletedAt, deletedAt, deletedAt])));
  }
  return engine;
}

async function run(ctx, { engineKind, replicas, nAgents, perAgent, kill, pgUrl, clusterDir, budgetS }) {
  const total = nAgents * perAgent;
  const dir = tempDir(`fleet-${engineKind}`);
  const fleet = await startFleet(dir, nAgents, perAgent);
  const procs = [];
  const cpu = new CpuMeter();
  let engine;
  try {
    const db = engineKind === 'postgres' ? pgUrl : path.join(dir, 'controller.db');
    engine = await seed(db, fleet.hosts, perAgent);
    const hostsFile = path.join(dir, 'hosts');
    fs.writeFileSync(hostsFile, fleet.hosts.map((h) => `${h.name}=${h.address}`).join('\n'));
    const shares = new Array(replicas).fill(0);
    const t0 = nowMs();
    for (let r = 0; r < replicas; r++) {
      const args = [
        path.join(DIST, 'cli', 'virt-controller.js'), '--listen', `unix://${path.join(dir, `ctl-${r}.sock`)}`, '--db', db,
        '--replica-id', `replica-${r}`, '--hosts-file', hostsFile, '--reclaim-interval-seconds', String(RECLAIM_INTERVAL_S),
        '--reclaim-poll-seconds', '0.2', '--batch-lease-seconds', '10', '--task-lease-seconds', '20',
        '--health-check-interval-seconds', '5', '--service-down-seconds', '60', '--db-pool-size', '8', '--log-level', 'info',
        '--periodic-batch', String(BATCH),
      ];
      const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.includes('"msg":"reclaim attempted"') && line.includes('"vm_state":"deleted"')) shares[r]++;
      });
      procs.push({ child, stderr: () => stderr, killed: false });
    }
    const progress = engineKind === 'postgres'
      ? async () => (await engine.get("SELECT COUNT(*) AS n FROM instances WHERE vm_state = 'deleted'")).n
      : async () => (await engine.get("SELECT COUNT(*) AS n FROM instances WHERE vm_state = 'deleted'")).n;
    let deleted = 0;
    let killedAt = null;
    for (;;) {
      cpu.sample([fleet.child.pid, ...procs.filter((p) => !p.killed).map((p) => p.child.pid),
        ...(clusterDir && engineKind === 'postgres' ? postgresPids(clusterDir) : [])]);
      for (const p of procs) if (!p.killed && p.child.exitCode !== null) throw new Error(`controller exited: ${p.stderr()}`);
      deleted = await progress();
      if (kill && killedAt === null && deleted >= total / 2) {
        procs[0].child.kill('SIGKILL');
        procs[0].killed = true;
        killedAt = (nowMs() - t0) / 1000;
        ctx.log(`SIGKILL replica-0 at ${killedAt.toFixed(1)} s (${deleted}/${total})`);
      }
      if (deleted >= total || nowMs() - t0 > budgetS * 1000) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const elapsed = (nowMs() - t0) / 1000;
    const controllerPids = procs.map((p) => p.child.pid);
    const controllerCpu = cpu.total(controllerPids);
    const fleetCpu = cpu.total([fleet.child.pid]);
    const pgCpu = engineKind === 'postgres' ? cpu.total() - controllerCpu - fleetCpu : 0;
    const dup = await engine.get(`SELECT COUNT(*) AS n FROM (SELECT instance_uuid FROM instance_actions
      WHERE action = 'reclaim' AND result = 'success' GROUP BY instance_uuid HAVING COUNT(*) > 1) d`);
    const redone = await engine.get("SELECT COUNT(*) AS n FROM instance_actions WHERE action = 'reclaim' AND result = 'error'");
    let left = 0;
    for (const h of fleet.hosts) {
      const c = makeClient(h.address);
      try { left += (await c.call('ListDomains', {})).domains.length; } finally { c.close(); }
    }
    const misses = (total - deleted) + left;
    ctx.log(`${engineKind} x${replicas}: ${deleted}/${total} in ${elapsed.toFixed(1)} s, shares ${shares.join('/')}, duplicates ${dup.n}, misses ${misses}`);
    return { total, deleted, elapsed, shares, duplicates: dup.n, misses, domainsLeft: left, redone: redone.n, killedAt,
      controllerCpu, pgCpu, fleetCpu, finished: deleted >= total };
  } finally {
    for (const p of procs) {
      if (p.child.exitCode === null && !p.killed) {
        const done = new Promise((r) => p.child.once('exit', r));
        p.child.kill('SIGTERM');
        const t = setTimeout(() => p.child.kill('SIGKILL'), 5000);
        await done;
        clearTimeout(t);
      }
    }
    await engine?.close();
    await fleet.stop();
    cleanup(dir);
  }
}

module.exports = {
  id: 7,
  title: 'Fleet: 3 controller replicas on PostgreSQL (one SIGKILLed half way) vs one on SQLite',
  async run(ctx) {
    if (!fs.existsSync(path.join(DIST, 'agent', 'create-agent.js'))) return { rows: [], skipped: 'dist/ has no createAgent()' };
    const total = Number(process.env.VIRT_BENCH_FLEET_INSTANCES ?? (ctx.quick ? 2000 : 100_000));
    const nAgents = Number(process.env.VIRT_BENCH_FLEET_AGENTS ?? (ctx.quick ? 20 : 200));
    const perAgent = Math.max(1, Math.floor(total / nAgents));
    const budgetS = Number(process.env.VIRT_BENCH_FLEET_BUDGET_S ?? (ctx.quick ? 120 : 1500));
    const clusterDir = tempDir('fleet-pg');
    let pgUrl;
    try {
      pgUrl = execFileSync('bash', [path.join(REPO, 'scripts', 'pg-test-cluster.sh'), 'start', clusterDir], { encoding: 'utf8' }).trim();
    } catch (err) {
      cleanup(clusterDir);
      return { rows: [], skipped: `no PostgreSQL cluster (scripts/pg-test-cluster.sh): ${err.message}` };
    }
    try {
      const pg = await run(ctx, { engineKind: 'postgres', replicas: 3, nAgents, perAgent, kill: true, pgUrl, clusterDir, budgetS });
      const lite = await run(ctx, { engineKind: 'sqlite', replicas: 1, nAgents, perAgent, kill: false, budgetS });
      const n = nAgents * perAgent;
      const goalMet = pg.finished && pg.duplicates === 0 && pg.misses === 0;
      return {
        rows: [{
          name: `reclaim ${n} expired soft-deleted instances over ${nAgents} in-process agents: 3 replicas on PostgreSQL, one SIGKILLed half way`,
          baseline: { name: '1 controller on SQLite', value: lite.elapsed }, ours: pg.elapsed, unit: pg.finished ? 's to reclaim all' : 's (budget hit)',
          ratio: lite.elapsed / pg.elapsed, ratioLabel: 'baseline/ours (higher is better)', opsPerSec: pg.deleted / pg.elapsed,
          goal: 'duplicates = 0, misses = 0, all reclaimed despite the kill', goalMet,
          notes: `shares ${pg.shares.join(' / ')} (replica-0 killed at ${pg.killedAt?.toFixed(1)} s); duplicates ${pg.duplicates}; `
            + `misses ${pg.misses}; reclaims redone after the kill ${pg.redone}; controller CPU ${pg.controllerCpu.toFixed(1)} s, PostgreSQL CPU `
            + `${pg.pgCpu.toFixed(1)} s, agents' process CPU ${pg.fleetCpu.toFixed(1)} s; SQLite: ${lite.deleted}/${n} in ${lite.elapsed.toFixed(1)} s, controller CPU ${lite.controllerCpu.toFixed(1)} s, agents' process CPU ${lite.fleetCpu.toFixed(1)} s; batch ${BATCH} rows per claim`,
          extra: { postgres: pg, sqlite: lite, agents: nAgents, per_agent: perAgent },
        }],
      };
    } finally {
      try { execFileSync('bash', [path.join(REPO, 'scripts', 'pg-test-cluster.sh'), 'stop', clusterDir]); } catch { /* already gone */ }
    }
  },
};
