'use strict';
// Case 4: Destroy (with undefine) at scale. 1,000 shut-off domains with a
// managed-save image (<test:hasmanagedsave/>), destroyed through a child agent
// over gRPC, 32 in flight. Baseline: the bare binding calls in-process
// (lookup + virDomainUndefineFlags(MANAGED_SAVE|SNAPSHOTS_METADATA)),
// sequential, on a fresh connection to the same node file. virsh is no
// baseline here: every virsh process would open its own fresh test:/// state.
// The agent first destroys three times as many other domains the same way
// (a fresh process: V8 still compiles and re-compiles the Destroy path, on
// the same 2 cores, for the first few thousand) and is measured on the next
// ones, a long-running agent's steady state; the rate of its first `count`
// (cold) is reported too. CPU per Destroy (agent's JS thread,
// its other threads, this client) shows what the machine's cores allow.
const { dist } = require('../lib/env');
const os = require('node:os');

const { spawnAgent } = require('../lib/agent');
const { tempDir, cleanup, writeNode } = require('../lib/node-xml');
const { summarize, nowMs, pool } = require('../lib/stats');

const UNDEFINE_MANAGED_SAVE = 1;
const UNDEFINE_SNAPSHOTS_METADATA = 2;

/** CPU used from now on (µs): the agent's JS thread, its other threads, and this process (the client). */
function cpuOf(agent) {
  const a0 = agent.cpu();
  const c0 = process.cpuUsage();
  return {
    perOp(n) {
      const a1 = agent.cpu();
      const c = process.cpuUsage(c0);
      return { agentMain: (a1.main - a0.main) / n, agentOther: (a1.other - a0.other) / n, client: (c.user + c.system) / n };
    },
  };
}

function roundAll(o) {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v)]));
}

module.exports = {
  id: 4,
  title: 'Destroy+undefine at scale (managed-save domains)',
  async run(ctx) {
    const count = ctx.quick ? 300 : 1000;
    const concurrency = 32;
    const dir = tempDir('destroy');
    // 3 * count to warm the agent up (the first count of them timed: the cold rate), then count measured
    const WARM = 3;
    const { uri, names: all } = writeNode(dir, { count: (WARM + 1) * count, runstate: 5, managedSave: true });
    const coldNames = all.slice(0, count);
    const warmNames = all.slice(count, WARM * count);
    const names = all.slice(WARM * count);
    const cores = os.cpus().length;
    const rows = [];
    try {
      // Baseline: sequential in-process binding calls.
      const { LibvirtConnection } = dist('libvirt/connection');
      const conn = await LibvirtConnection.open(uri);
      const seq = [];
      let t0 = nowMs();
      for (const name of names) {
        const s = nowMs();
        const g = await conn.lookupByName(name);
        await g.undefine(UNDEFINE_MANAGED_SAVE | UNDEFINE_SNAPSHOTS_METADATA);
        seq.push(nowMs() - s);
      }
      const seqRate = (count / (nowMs() - t0)) * 1000;
      const measured = new Set(names);
      const left = (await conn.listAllDomains()).filter((g) => measured.has(g.name)).length;
      await conn.close();
      // Same calls, 32 at a time (fresh state), for reference.
      const conn2 = await LibvirtConnection.open(uri);
      t0 = nowMs();
      await pool(count, concurrency, async (i) => {
        const g = await conn2.lookupByName(names[i]);
        await g.undefine(UNDEFINE_MANAGED_SAVE | UNDEFINE_SNAPSHOTS_METADATA);
      });
      const parRate = (count / (nowMs() - t0)) * 1000;
      await conn2.close();
      const base = summarize(seq);
      ctx.log(`in-process: sequential ${seqRate.toFixed(0)}/s, ${concurrency} at a time ${parRate.toFixed(0)}/s (${left} left)`);

      const settings = ctx.quick ? ctx.libvirtThreads.slice(0, 1) : ctx.libvirtThreads;
      for (const tp of settings) {
        const agent = await spawnAgent({ dir, uri, transport: 'unix', libvirtThreads: tp, tag: `destroy-${tp ?? 'def'}` });
        try {
          // The gRPC floor at this concurrency: Health.Checks, 32 in flight, same channel.
          const nFloor = ctx.quick ? 1000 : 3000;
          const floorCpu = cpuOf(agent);
          const f0 = nowMs();
          await pool(nFloor, concurrency, () => agent.client.healthCheck());
          const floorRate = (nFloor / (nowMs() - f0)) * 1000;
          const floorPerOp = floorCpu.perOp(nFloor);
          let failures = 0;
          let notUndefined = 0;
          const destroyAll = async (list, lat) => {
            const t = nowMs();
            await pool(list.length, concurrency, async (i) => {
              const s = nowMs();
              try {
                const r = await agent.client.call('Destroy', { domain: { name: list[i] } });
                lat.push(nowMs() - s);
                if (!r.undefined || !r.managed_save_removed) notUndefined++;
              } catch (err) {
                failures++;
                if (failures <= 3) ctx.log(`Destroy ${list[i]} failed: ${err.message}`);
              }
            });
            return nowMs() - t;
          };
          const coldLat = [];
          const coldElapsed = await destroyAll(coldNames, coldLat);
          const coldRate = (coldLat.length / coldElapsed) * 1000;
          await destroyAll(warmNames, []);
          await agent.resetLag();
          const lat = [];
          const cpu = cpuOf(agent);
          const elapsed = await destroyAll(names, lat);
          const rate = (lat.length / elapsed) * 1000;
          const perOp = cpu.perOp(count);
          const remaining = (await agent.client.call('ListDomains', {})).domains.length;
          const lag = await agent.lag();
          const st = agent.status();
          const r = summarize(lat);
          const cpuTotal = perOp.agentMain + perOp.agentOther + perOp.client;
          const ceiling = (cores * 1e6) / cpuTotal;
          const cpuText = (c) => `agent JS thread ${c.agentMain.toFixed(0)} + agent other threads ${c.agentOther.toFixed(0)} + client ${c.client.toFixed(0)} µs`;
          ctx.log(`agent threads=${tp ?? 'default'}: ${rate.toFixed(0)} domains/s (cold: ${coldRate.toFixed(0)}/s), p99 ${r.p99.toFixed(1)} ms, `
            + `${remaining} left; Health.Check floor ${floorRate.toFixed(0)}/s; CPU per Destroy ${cpuText(perOp)} `
            + `(${cores} cores: at most ${ceiling.toFixed(0)}/s)`);
          rows.push({
            name: `Destroy over gRPC, ${concurrency} in flight, ${count} domains (after ${WARM * count} to warm up), libvirt threads ${tp === undefined ? 'default (8)' : tp}`,
            baseline: { name: 'in-process undefineFlags, sequential', value: seqRate },
            unit: 'domains/s', ours: rate, ratio: rate / seqRate, ratioLabel: 'ours/baseline throughput (higher is better)',
            goal: '>= 5000/s', goalMet: rate >= 5000,
            p50: r.p50, p99: r.p99, opsPerSec: rate, lagP99: lag.p99, rssMiB: st.hwmMiB,
            notes: `${failures} failures, ${notUndefined} without undefined+managed_save_removed, ${remaining} domains left; `
              + `the first ${count} Destroys of the fresh agent (cold, not measured): ${coldRate.toFixed(0)}/s; `
              + `CPU per Destroy: ${cpuText(perOp)} = ${cpuTotal.toFixed(0)} µs, so ${cores} cores allow at most ${ceiling.toFixed(0)}/s; `
              + `per Health.Check ${cpuText(floorPerOp)}; `
              + `per domain the agent journals its intent, a step and its end (O_DSYNC writes, group commit), looks it up and reads its `
              + `facts in one job (describe.lookup), undefines (once: the flags the test driver refuses are remembered after the first `
              + `domain), has no stored copy to remove (DomainStore index: no unlink); gRPC floor: Health.Check ${concurrency} in flight on the same channel ${floorRate.toFixed(0)}/s; `
              + `baseline p50 ${base.p50.toFixed(2)} / p99 ${base.p99.toFixed(2)} ms per domain; same binding calls ${concurrency} at a time: `
              + `${parRate.toFixed(0)}/s`,
            extra: {
              failures, remaining, elapsed_s: elapsed / 1000, baseline_parallel_per_s: parRate, libvirt_threads: tp ?? 8,
              grpc_floor_health_check_per_s: floorRate, cold_domains_per_s: coldRate,
              cpu_us_per_destroy: roundAll(perOp), cpu_us_per_health_check: roundAll(floorPerOp), cpu_ceiling_per_s: ceiling,
            },
          });
        } finally {
          await agent.stop();
        }
      }
      return { rows };
    } finally {
      cleanup(dir);
    }
  },
};
