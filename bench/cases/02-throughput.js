'use strict';
// Case 2: throughput under concurrency. PowerOff+PowerOn pairs over 1,000
// running test-driver domains, 1/16/256/1,000 pairs in flight, against a
// child-process agent. Full mode: a fresh agent per run (so its peak RSS is
// per level) and 3 interleaved rounds per --libvirt-threads setting (the
// machine is shared: interleaving spreads the noise evenly). --quick: 1 round
// and one agent per setting shared by the levels (RSS cumulative). At 1,000,
// a fresh agent first answers 2,000 Health.Checks 1,000 in flight: what
// grpc-js alone does to the event loop at that concurrency (the floor).
// The agent's event-loop lag comes from lag-probe.js preloaded into it.
const { spawnAgent } = require('../lib/agent');
const { tempDir, cleanup, writeNode } = require('../lib/node-xml');
const { summarize, nowMs, pool } = require('../lib/stats');

const threadsName = (t) => (t === undefined ? 'default (8)' : String(t));

const median = (xs) => summarize(xs).p50;

async function runLevel(ctx, agent, names, c, pairs) {
  // warm the channel and the agent's code paths
  for (let i = 0; i < 20; i++) await agent.client.call('GetDomain', { domain: { name: names[i] } });
  await agent.resetLag();
  const off = [];
  const on = [];
  const pairMs = [];
  let failures = 0;
  const t0 = nowMs();
  await pool(pairs, c, async (i) => {
    const domain = { name: names[i] };
    const s = nowMs();
    try {
      const r1 = await agent.client.call('PowerOff', { domain, timeout_seconds: 60 });
      const s2 = nowMs();
      off.push(s2 - s);
      if (r1.power_state !== 'POWER_STATE_SHUTOFF') failures++;
      const r2 = await agent.client.call('PowerOn', { domain, wait_timeout_seconds: 60 });
      const e = nowMs();
      on.push(e - s2);
      pairMs.push(e - s);
      if (r2.power_state !== 'POWER_STATE_RUNNING') failures++;
    } catch (err) {
      failures++;
      if (failures <= 3) ctx.log(`pair ${i} failed: ${err.message}`);
    }
  });
  const elapsed = nowMs() - t0;
  const lag = await agent.lag();
  const st = agent.status();
  return { off, on, pairMs, failures, elapsed, lag, st, opsPerSec: ((off.length + on.length) / elapsed) * 1000 };
}

/**
 * The gRPC floor at the same concurrency: 2 x `c` Health.Checks, `c` in
 * flight, on an agent of its own (no agent logic: grpc-js and HTTP/2 alone).
 */
async function grpcFloor(agent, c) {
  await agent.resetLag();
  const t0 = nowMs();
  const lat = [];
  await pool(2 * c, c, async () => {
    const s = nowMs();
    await agent.client.healthCheck(30_000);
    lat.push(nowMs() - s);
  });
  const elapsed = nowMs() - t0;
  return { lag: await agent.lag(), perSec: (lat.length / elapsed) * 1000, p99: summarize(lat).p99 };
}

module.exports = {
  id: 2,
  title: 'Throughput: concurrent PowerOff/PowerOn pairs (child agent)',
  async run(ctx) {
    const domains = 1000;
    const levels = [1, 16, 256, 1000];
    const rounds = ctx.quick ? 1 : 3;
    // Pairs per level; each pair uses its own domain, so pairs <= domains.
    const pairsFor = (c) => (ctx.quick ? Math.min(domains, Math.max(50, c === 16 ? 100 : c)) : c === 1 ? 500 : domains);
    const dir = tempDir('tput');
    const { uri, names } = writeNode(dir, { count: domains, runstate: 1 });
    const runs = new Map(); // `${tp}|${c}` -> [run]
    const shared = new Map(); // quick: tp -> agent
    try {
      for (let round = 0; round < rounds; round++) {
        for (const c of levels) {
          const tps = round % 2 === 0 ? ctx.libvirtThreads : [...ctx.libvirtThreads].reverse();
          for (const tp of tps) {
            const agent = shared.get(tp)
              ?? await spawnAgent({ dir, uri, transport: 'unix', libvirtThreads: tp, tag: `tput-${tp ?? 'def'}-${c}-${round}` });
            if (ctx.quick) shared.set(tp, agent);
            try {
              // At the goal's level, what grpc-js alone does at that concurrency, on
              // an agent of its own (the measured agent's peak RSS stays its own).
              let floor;
              if (c === 1000) {
                const fa = await spawnAgent({ dir, uri, transport: 'unix', libvirtThreads: tp, tag: `floor-${tp ?? 'def'}-${round}` });
                try {
                  floor = await grpcFloor(fa, c);
                } finally {
                  await fa.stop();
                }
              }
              const r = await runLevel(ctx, agent, names, c, pairsFor(c));
              r.startupMs = agent.startupMs;
              r.floor = floor;
              if (floor) ctx.log(`round ${round + 1} threads=${threadsName(tp)} floor: ${c} Health.Checks in flight, lag p99 ${floor.lag.p99.toFixed(1)} ms`);
              ctx.log(`round ${round + 1} threads=${threadsName(tp)} c=${c}: ${r.opsPerSec.toFixed(0)} RPC/s, `
                + `p99 ${summarize([...r.off, ...r.on]).p99.toFixed(1)} ms, lag p99 ${r.lag.p99.toFixed(1)} ms, `
                + `HWM ${r.st.hwmMiB.toFixed(0)} MiB, ${r.failures} failures`);
              const key = `${tp}|${c}`;
              runs.set(key, [...(runs.get(key) ?? []), r]);
            } finally {
              if (!ctx.quick) await agent.stop();
            }
          }
        }
      }
    } finally {
      for (const a of shared.values()) await a.stop();
      cleanup(dir);
    }

    const rows = [];
    for (const tp of ctx.libvirtThreads) {
      for (const c of levels) {
        const rs = runs.get(`${tp}|${c}`) ?? [];
        const off = rs.flatMap((r) => r.off);
        const on = rs.flatMap((r) => r.on);
        const rpc = summarize([...off, ...on]);
        const opsPerSec = median(rs.map((r) => r.opsPerSec));
        const lagP99 = median(rs.map((r) => r.lag.p99));
        const hwm = Math.max(...rs.map((r) => r.st.hwmMiB));
        const failures = rs.reduce((a, r) => a + r.failures, 0);
        const atGoal = c === 1000;
        const floors = rs.map((r) => r.floor).filter((f) => f !== undefined);
        const floorText = floors.length === 0 ? '' : `; gRPC floor (${c * 2} Health.Checks, ${c} in flight, an agent of its own just before): lag p99 `
          + `[${floors.map((f) => f.lag.p99.toFixed(1)).join(', ')}] ms, max ${Math.max(...floors.map((f) => f.lag.max)).toFixed(1)} ms, `
          + `${median(floors.map((f) => f.perSec)).toFixed(0)} calls/s`;
        rows.push({
          name: `${c} concurrent pairs, libvirt threads ${threadsName(tp)}`,
          unit: 'RPC/s', ours: opsPerSec, p50: rpc.p50, p99: rpc.p99, opsPerSec, lagP99, rssMiB: hwm,
          goal: atGoal ? 'lag p99 <= 20 ms, RSS <= 200 MB' : undefined,
          goalMet: atGoal ? lagP99 <= 20 && hwm * 1.048576 <= 200 : undefined,
          notes: `${rs.length} round(s) x ${pairsFor(c)} pairs, ${failures} failures; RPC/s and lag p99 = median of rounds `
            + `[${rs.map((r) => r.opsPerSec.toFixed(0)).join(', ')}] / [${rs.map((r) => r.lag.p99.toFixed(1)).join(', ')}]; `
            + `latency over all RPCs: PowerOff p99 ${summarize(off).p99.toFixed(1)} ms, PowerOn p99 ${summarize(on).p99.toFixed(1)} ms, `
            + `pair p99 ${summarize(rs.flatMap((r) => r.pairMs)).p99.toFixed(1)} ms; lag max ${Math.max(...rs.map((r) => r.lag.max)).toFixed(1)} ms`
            + `${floorText}${ctx.quick ? '; quick: one agent for all levels, RSS cumulative' : ''}`,
          extra: {
            ...(floors.length > 0 ? {
              grpc_floor_lag_p99_ms: median(floors.map((f) => f.lag.p99)), grpc_floor_lag_max_ms: Math.max(...floors.map((f) => f.lag.max)),
              grpc_floor_calls_per_s: median(floors.map((f) => f.perSec)),
            } : {}),
            concurrency: c, libvirt_threads: tp ?? 8, rounds: rs.length, pairs_per_round: pairsFor(c), failures,
            rpc_per_s_rounds: rs.map((r) => Math.round(r.opsPerSec)),
            lag_p99_ms_rounds: rs.map((r) => Number(r.lag.p99.toFixed(2))),
            poweroff_p99_ms: summarize(off).p99, poweron_p99_ms: summarize(on).p99,
            lag_max_ms: Math.max(...rs.map((r) => r.lag.max)),
          },
        });
      }
    }
    const summary = [];
    if (ctx.libvirtThreads.length > 1) {
      for (const c of levels) {
        const parts = rows.filter((r) => r.extra.concurrency === c)
          .map((r) => `${r.extra.libvirt_threads} threads: ${r.ours.toFixed(0)} RPC/s, p99 ${r.p99.toFixed(0)} ms, lag p99 ${r.lagP99.toFixed(1)} ms`);
        summary.push(`libvirt threads @${c}: ${parts.join(' | ')}`);
      }
    }
    return { rows, summary };
  },
};
