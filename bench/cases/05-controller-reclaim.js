'use strict';
// Case 5: controller reclaim. 10,000 soft-deleted instances whose reclaim
// interval has passed, spread over 20 agent processes (test driver, 500 shut-off
// domains each, the instances' uuids), reclaimed by a virt-controller child
// process (dist/cli/virt-controller.js). Time from the controller's start until
// every row is vm_state 'deleted'. The database is seeded before the start;
// progress is read from it (a separate read-only connection).
// Skipped until the controller has a start-up entry point in dist/.
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const { DIST, REPO, dist } = require('../lib/env');
const { spawnAgent, procStatus } = require('../lib/agent');
const { tempDir, cleanup, writeNode } = require('../lib/node-xml');
const { nowMs } = require('../lib/stats');

const GOAL_S = 30;
const RECLAIM_INTERVAL_S = 3600;

/** dist/controller modules exporting a startController-like function. */
function findEntryPoint() {
  const dir = path.join(DIST, 'controller');
  if (!fs.existsSync(dir) || !fs.existsSync(path.join(DIST, 'cli', 'virt-controller.js'))) return null;
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('.js')) continue;
    const m = /exports\.(start\w*Controller\w*)\s*=/.exec(fs.readFileSync(path.join(dir, f), 'utf8'));
    if (m) return { file: path.join(dir, f), fn: m[1] };
  }
  return null;
}

function seed(dbFile, hosts) {
  const { openDatabase } = dist('controller/db');
  const db = openDatabase(dbFile);
  const deletedAt = Date.now() - 2 * RECLAIM_INTERVAL_S * 1000;
  const insert = db.prepare(`INSERT INTO instances (uuid, name, project_id, host, vcpus, memory_mib, vm_state, task_state,
    quota_held, deleted_at, created_at, updated_at) VALUES (?, ?, 'bench', ?, 1, 64, 'soft_deleted', 'none', 0, ?, ?, ?)`);
  db.transaction(() => {
    for (const h of hosts) for (let i = 0; i < h.uuids.length; i++) insert.run(h.uuids[i], h.names[i], h.name, deletedAt, deletedAt, deletedAt);
  })();
  db.close();
}

module.exports = {
  id: 5,
  title: 'Controller reclaim: expired soft-deleted instances over many agents',
  async run(ctx) {
    const entry = findEntryPoint();
    if (!entry) return { rows: [], skipped: 'controller not available (no startController-like export in dist/controller)' };
    const rows = [];
    // 1 s: a tuned production setting (the default is 60 s). 0.1 s: the reclaim loop itself is the limit.
    for (const pollSeconds of ctx.quick ? [1] : [1, 0.1]) rows.push(await reclaimRun(ctx, entry, pollSeconds));
    return { rows };
  },
};

async function reclaimRun(ctx, entry, pollSeconds) {
  const nHosts = ctx.quick ? 4 : 20;
  const perHost = ctx.quick ? 100 : 500;
  const total = nHosts * perHost;
  const budgetS = ctx.quick ? 20 : 180;
  const dir = tempDir('reclaim');
  const agents = [];
  let controller = null;
  try {
    const hosts = [];
    for (let h = 0; h < nHosts; h++) {
      const { uri, names, uuids } = writeNode(dir, { count: perHost, start: h * perHost, runstate: 5, file: `node-${h}.xml` });
      hosts.push({ name: `host-${h}`, uri, names, uuids });
    }
    // Start the agents a few at a time (2 cores).
    for (let h = 0; h < nHosts; h += 4) {
      const batch = await Promise.all(hosts.slice(h, h + 4).map((host) =>
        spawnAgent({ dir, uri: host.uri, transport: 'unix', tag: host.name })));
      agents.push(...batch);
    }
    const dbFile = path.join(dir, 'controller.db');
    seed(dbFile, hosts);

    const sock = path.join(dir, 'controller.sock');
    const args = [
      path.join(DIST, 'cli', 'virt-controller.js'), '--listen', `unix://${sock}`, '--db', dbFile,
      '--reclaim-interval-seconds', String(RECLAIM_INTERVAL_S), '--reclaim-poll-seconds', String(pollSeconds), '--log-level', 'info',
      ...hosts.flatMap((host, i) => ['--agent', `${host.name}=unix://${agents[i].target.slice('unix:'.length)}`]),
    ];
    let stderr = '';
    const t0 = nowMs();
    controller = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
    controller.stderr.on('data', (d) => (stderr = (stderr + d.toString()).slice(-2000)));
    let exited = null;
    controller.on('exit', (code, sig) => (exited = `controller exited (${code ?? sig}): ${stderr.trim()}`));

    const Database = require(require.resolve('better-sqlite3', { paths: [REPO] }));
    const ro = new Database(dbFile, { readonly: true, fileMustExist: true });
    const count = ro.prepare(`SELECT
        SUM(vm_state = 'deleted' AND needs_host_cleanup = 0) AS deleted,
        SUM(needs_host_cleanup = 1) AS local,
        SUM(vm_state = 'error') AS errors FROM instances`);
    let firstAt = null;
    let last = { deleted: 0, local: 0, errors: 0 };
    for (;;) {
      if (exited) throw new Error(exited);
      last = count.get();
      const done = last.deleted + last.local + last.errors;
      if (firstAt === null && done > 0) firstAt = nowMs();
      if (done >= total) break;
      if (nowMs() - t0 > budgetS * 1000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const elapsed = (nowMs() - t0) / 1000;
    ro.close();
    const ctlStatus = procStatus(controller.pid);
    const finished = last.deleted + last.local + last.errors >= total;
    let remaining = 0;
    for (const a of agents) remaining += (await a.client.call('ListDomains', {})).domains.length;
    const rate = last.deleted / (elapsed - (firstAt === null ? 0 : (firstAt - t0) / 1000));
    const projected = finished ? elapsed : firstAt === null ? NaN : (firstAt - t0) / 1000 + total / rate;
    ctx.log(`${last.deleted}/${total} reclaimed in ${elapsed.toFixed(1)} s (${rate.toFixed(0)}/s), ${last.local} local, ${last.errors} errors`);
    return {
      name: `reclaim ${total} expired soft-deleted instances, ${nHosts} agents, controller poll ${pollSeconds} s`,
      unit: finished ? 's to reclaim all' : 's projected', ours: projected, opsPerSec: rate, rssMiB: ctlStatus.hwmMiB,
      goal: ctx.quick ? undefined : `<= ${GOAL_S} s`, goalMet: ctx.quick ? undefined : finished && projected <= GOAL_S,
      notes: `${last.deleted} reclaimed, ${last.local} deleted locally (agent unreachable), ${last.errors} in error, `
        + `${remaining} domains left on the agents; ${finished ? '' : `stopped after ${budgetS} s budget, time projected from the rate; `}`
        + `first reclaim ${firstAt === null ? '-' : ((firstAt - t0) / 1000).toFixed(2)} s after the controller was spawned; `
        + `reclaim interval ${RECLAIM_INTERVAL_S} s; the reclaim takes up to 2,000 instances per tick, hosts in parallel `
        + `with 8 destroys in flight per host; peak RSS column = the controller's`,
      extra: { instances: total, hosts: nHosts, poll_seconds: pollSeconds, finished, elapsed_s: elapsed,
        reclaimed: last.deleted, local_deletes: last.local, errors: last.errors, domains_left: remaining,
        entry_point: `${path.relative(DIST, entry.file)}:${entry.fn}` },
    };
  } finally {
    if (controller && controller.exitCode === null) {
      const done = new Promise((r) => controller.once('exit', r));
      controller.kill('SIGTERM');
      const t = setTimeout(() => controller.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    }
    await Promise.all(agents.map((a) => a.stop()));
    cleanup(dir);
  }
}
