'use strict';
// Case 4: Destroy (with undefine) at scale. 1,000 shut-off domains with a
// managed-save image (<test:hasmanagedsave/>), destroyed through a child agent
// over gRPC, 32 in flight. Baseline: the bare binding calls in-process
// (lookup + virDomainUndefineFlags(MANAGED_SAVE|SNAPSHOTS_METADATA)),
// sequential, on a fresh connection to the same node file. virsh is no
// baseline here: every virsh process would open its own fresh test:/// state.
const { dist } = require('../lib/env');
const { spawnAgent } = require('../lib/agent');
const { tempDir, cleanup, writeNode } = require('../lib/node-xml');
const { summarize, nowMs, pool } = require('../lib/stats');

const UNDEFINE_MANAGED_SAVE = 1;
const UNDEFINE_SNAPSHOTS_METADATA = 2;

module.exports = {
  id: 4,
  title: 'Destroy+undefine at scale (managed-save domains)',
  async run(ctx) {
    const count = ctx.quick ? 300 : 1000;
    const concurrency = 32;
    const dir = tempDir('destroy');
    const { uri, names } = writeNode(dir, { count, runstate: 5, managedSave: true });
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
      const left = (await conn.listAllDomains()).length;
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
          const f0 = nowMs();
          await pool(nFloor, concurrency, () => agent.client.healthCheck());
          const floorRate = (nFloor / (nowMs() - f0)) * 1000;
          await agent.resetLag();
          const lat = [];
          let failures = 0;
          let notUndefined = 0;
          const t1 = nowMs();
          await pool(count, concurrency, async (i) => {
            const s = nowMs();
            try {
              const r = await agent.client.call('Destroy', { domain: { name: names[i] } });
              lat.push(nowMs() - s);
              if (!r.undefined || !r.managed_save_removed) notUndefined++;
            } catch (err) {
              failures++;
              if (failures <= 3) ctx.log(`Destroy ${names[i]} failed: ${err.message}`);
            }
          });
          const elapsed = nowMs() - t1;
          const rate = (lat.length / elapsed) * 1000;
          const remaining = (await agent.client.call('ListDomains', {})).domains.length;
          const lag = await agent.lag();
          const st = agent.status();
          const r = summarize(lat);
          ctx.log(`agent threads=${tp ?? 'default'}: ${rate.toFixed(0)} domains/s, p99 ${r.p99.toFixed(1)} ms, ${remaining} left; `
            + `Health.Check floor ${floorRate.toFixed(0)}/s`);
          rows.push({
            name: `Destroy over gRPC, ${concurrency} in flight, ${count} domains, libvirt threads ${tp === undefined ? 'default (8)' : tp}`,
            baseline: { name: 'in-process undefineFlags, sequential', value: seqRate },
            unit: 'domains/s', ours: rate, ratio: rate / seqRate, ratioLabel: 'ours/baseline throughput (higher is better)',
            goal: '>= 5000/s', goalMet: rate >= 5000,
            p50: r.p50, p99: r.p99, opsPerSec: rate, lagP99: lag.p99, rssMiB: st.hwmMiB,
            notes: `${failures} failures, ${notUndefined} without undefined+managed_save_removed, ${remaining} domains left; `
              + `per domain the agent journals its intent and end (fdatasync, group commit), looks it up once, reads its facts in one `
              + `job (describe), undefines (once: the flags the test driver refuses are remembered after the first domain), removes its `
              + `state file; gRPC floor: Health.Check ${concurrency} in flight on the same channel ${floorRate.toFixed(0)}/s; `
              + `baseline p50 ${base.p50.toFixed(2)} / p99 ${base.p99.toFixed(2)} ms per domain; same binding calls ${concurrency} at a time: `
              + `${parRate.toFixed(0)}/s`,
            extra: {
              failures, remaining, elapsed_s: elapsed / 1000, baseline_parallel_per_s: parRate, libvirt_threads: tp ?? 8,
              grpc_floor_health_check_per_s: floorRate,
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
