'use strict';
// Case 1: what the gRPC hop costs. GetDomain over gRPC (unix socket and TCP
// loopback, agent in a child process) against the same libvirt work done
// in-process through the binding, and against `virsh dominfo` (one process
// per call, as a shell-out integration would do).
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');

const { dist } = require('../lib/env');
const { spawnAgent } = require('../lib/agent');
const { tempDir, cleanup, writeNode } = require('../lib/node-xml');
const { summarize, nowMs } = require('../lib/stats');

const execFileP = promisify(execFile);

async function measure(n, warmup, fn) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const samples = new Array(n);
  const t0 = nowMs();
  for (let i = 0; i < n; i++) {
    const s = nowMs();
    await fn(i);
    samples[i] = nowMs() - s;
  }
  const total = nowMs() - t0;
  return { ...summarize(samples), opsPerSec: (n / total) * 1000, samples };
}

module.exports = {
  id: 1,
  title: 'RPC overhead: GetDomain',
  async run(ctx) {
    const nGrpc = ctx.quick ? 200 : 2000;
    const nVirsh = ctx.quick ? 20 : 200;
    const warmup = ctx.quick ? 50 : 200;
    const dir = tempDir('rpc');
    // A small node, so virsh (which parses the node file on every start) is not penalized for its size.
    const { uri, names } = writeNode(dir, { count: 10 });
    const name = (i) => names[i % names.length];
    const rows = [];
    try {
      // In-process: exactly what GetDomain does (server.ts toDomain), without gRPC.
      const { LibvirtConnection } = dist('libvirt/connection');
      const { parseDomainXml } = dist('libvirt/domain-xml');
      const conn = await LibvirtConnection.open(uri);
      const inproc = await measure(nGrpc, warmup, async (i) => {
        const g = await conn.lookupByName(name(i));
        const [, , , xml] = await Promise.all([g.state(), g.isPersistent(), g.hasManagedSaveImage(), g.xml()]);
        parseDomainXml(xml).disks.map((d) => d.targetDev);
      });
      await conn.close();
      ctx.log(`in-process: mean ${inproc.mean.toFixed(3)} ms`);
      rows.push({
        name: 'in-process binding (lookup+state+persistent+managedsave+xml+parse)',
        unit: 'ms/call', ours: inproc.mean, p50: inproc.p50, p99: inproc.p99, opsPerSec: inproc.opsPerSec,
        notes: `sequential, n=${nGrpc}; the baseline for the gRPC rows`,
      });

      // One child agent per (thread pool, transport), started up front; measured in
      // interleaved rounds so machine noise (the host is shared) hits all alike.
      const rounds = ctx.quick ? 1 : 3;
      const perRound = Math.ceil(nGrpc / rounds);
      const agents = [];
      try {
        for (const pool of ctx.threadpools) {
          for (const transport of ['unix', 'tcp']) {
            const agent = await spawnAgent({ dir, uri, transport, threadpool: pool, tag: `a-${transport}-${pool ?? 'def'}` });
            agents.push({ pool, transport, agent, calls: [], floor: [], rates: [] });
          }
        }
        for (let round = 0; round < rounds; round++) {
          const order = round % 2 === 0 ? agents : [...agents].reverse();
          for (const a of order) {
            const r = await measure(perRound, warmup, (i) => a.agent.client.call('GetDomain', { domain: { name: name(i) } }));
            // Same channel, a call with no agent logic: how much of the gap is gRPC itself.
            const f = await measure(perRound, warmup, () => a.agent.client.healthCheck());
            a.calls.push(...r.samples);
            a.floor.push(...f.samples);
          }
        }
      } finally {
        for (const a of agents) await a.agent.stop();
      }
      for (const a of agents) {
        const r = summarize(a.calls);
        const floor = summarize(a.floor);
        ctx.log(`gRPC ${a.transport} pool=${a.pool ?? 'default'}: mean ${r.mean.toFixed(3)} ms (Health.Check ${floor.mean.toFixed(3)} ms)`);
        rows.push({
          name: `GetDomain gRPC ${a.transport} (child agent), UV_THREADPOOL_SIZE=${a.pool ?? 'unset(4)'}`,
          baseline: { name: 'in-process binding', value: inproc.mean },
          unit: 'ms/call', ours: r.mean, ratio: r.mean / inproc.mean, ratioLabel: 'ours/baseline (lower is better)',
          goal: '<= 1.3', goalMet: r.mean / inproc.mean <= 1.3,
          p50: r.p50, p99: r.p99, opsPerSec: 1000 / r.mean,
          notes: `sequential, n=${a.calls.length} in ${rounds} interleaved round(s), one channel; mean latency compared; `
            + `gRPC floor (Health.Check, same channel) mean ${floor.mean.toFixed(3)} ms p99 ${floor.p99.toFixed(2)} ms`,
          extra: { grpc_floor_health_check_mean_ms: floor.mean, grpc_floor_health_check_p99_ms: floor.p99 },
          threadpool: a.pool ?? 4, transport: a.transport,
        });
      }

      // virsh: a process per call (connect, look up, query, exit).
      const virsh = await measure(nVirsh, 2, (i) => execFileP('virsh', ['-c', uri, 'dominfo', name(i)]));
      ctx.log(`virsh: mean ${virsh.mean.toFixed(1)} ms`);
      for (const transport of ['unix', 'tcp']) {
        const r = rows.filter((x) => x.transport === transport).sort((a, b) => a.ours - b.ours)[0];
        rows.push({
          name: `virsh dominfo (process per call) vs GetDomain gRPC ${transport} (best pool: ${r.threadpool})`,
          baseline: { name: 'virsh -c test:///… dominfo', value: virsh.mean },
          unit: 'ms/call', ours: r.ours, ratio: virsh.mean / r.ours, ratioLabel: 'baseline/ours (x faster)',
          goal: '>= 50', goalMet: virsh.mean / r.ours >= 50,
          p50: virsh.p50, p99: virsh.p99, opsPerSec: virsh.opsPerSec,
          notes: `p50/p99/ops/s are virsh's; n=${nVirsh}; node of 10 domains`,
        });
      }
      return { rows };
    } finally {
      cleanup(dir);
    }
  },
};
