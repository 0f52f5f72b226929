'use strict';
// Case 1: what the agent adds to a read. GetDomain over gRPC (unix socket and
// TCP loopback, agent in a child process; and an agent in this process) minus
// a Health.Check on the same channel (the bare gRPC cost) is the agent's own
// work; compared with the same libvirt work done in-process through the
// binding (the five separate calls GetDomain used to make; the one-job read
// it makes now, for reference), and the whole call with `virsh dominfo` (one
// process per call, as a shell-out integration would do).
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');

const { dist } = require('../lib/env');
const { spawnAgent, startInProcessAgent } = require('../lib/agent');
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

/** Health.Check and GetDomain on one channel: the agent's own work is the difference. */
async function grpcPair(client, n, warmup, name) {
  const r = await measure(n, warmup, (i) => client.call('GetDomain', { domain: { name: name(i) } }));
  const f = await measure(n, warmup, () => client.healthCheck());
  return { calls: r.samples, floor: f.samples };
}

const threadsName = (t) => (t === undefined ? 'default (8)' : String(t));

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
      // In-process, the baseline: the five separate binding calls GetDomain
      // made before issue 17 (lookup, then state, persistent, managed-save and
      // XML in parallel) and the parse. For reference, the one-job read the
      // agent makes now (lookup + the same four reads, src/native/describe.cc)
      // with the disks from the parsed-XML cache.
      const { LibvirtConnection } = dist('libvirt/connection');
      const { parseDomainXml } = dist('libvirt/domain-xml');
      const { parseDomainXmlCached } = dist('libvirt/xml-cache');
      const conn = await LibvirtConnection.open(uri);
      const separate = async (i) => {
        const g = await conn.lookupByName(name(i));
        const [, , , xml] = await Promise.all([g.state(), g.isPersistent(), g.hasManagedSaveImage(), g.xml()]);
        parseDomainXml(xml).disks.map((d) => d.targetDev);
      };
      const oneJob = async (i) => {
        const { facts } = await conn.lookupDescribed({ name: name(i) });
        parseDomainXmlCached(facts.xml).disks.map((d) => d.targetDev);
      };
      // A libvirt call that does nothing: what one hop to the pool and back costs.
      const hop = () => conn.libVersion();
      const inproc = { separate: [], oneJob: [], hop: [] };
      for (let round = 0; round < 3; round++) {
        inproc.separate.push(...(await measure(Math.ceil(nGrpc / 3), warmup, separate)).samples);
        inproc.oneJob.push(...(await measure(Math.ceil(nGrpc / 3), warmup, oneJob)).samples);
        inproc.hop.push(...(await measure(Math.ceil(nGrpc / 3), warmup, hop)).samples);
      }
      await conn.close();
      const base = summarize(inproc.separate);
      const one = summarize(inproc.oneJob);
      const hopS = summarize(inproc.hop);
      ctx.log(`in-process: separate calls ${base.mean.toFixed(3)} ms, one job ${one.mean.toFixed(3)} ms, bare hop ${hopS.mean.toFixed(3)} ms`);
      rows.push({
        name: 'in-process binding, separate calls (lookup; state+persistent+managedsave+xml; parse)',
        unit: 'ms/call', ours: base.mean, p50: base.p50, p99: base.p99, opsPerSec: 1000 / base.mean,
        notes: `sequential, n=${inproc.separate.length} in 3 rounds interleaved with the next two rows; the baseline of the gRPC rows`,
      });
      rows.push({
        name: 'in-process binding, one job (lookup+reads in one hop, describe.cc; cached parse)',
        baseline: { name: 'separate calls', value: base.mean },
        unit: 'ms/call', ours: one.mean, ratio: one.mean / base.mean, ratioLabel: 'ours/baseline (lower is better)',
        p50: one.p50, p99: one.p99, opsPerSec: 1000 / one.mean,
        notes: `what GetDomain now does in the binding; a bare hop (virConnectGetLibVersion through the pool) is `
          + `${hopS.mean.toFixed(3)} ms mean, p99 ${hopS.p99.toFixed(2)} ms`,
        extra: { bare_hop_mean_ms: hopS.mean, bare_hop_p99_ms: hopS.p99 },
      });

      // One child agent per (libvirt threads, transport), plus one agent in
      // this process (no process boundary: shows what crossing it costs),
      // measured in interleaved rounds so machine noise (the host is shared)
      // hits all alike.
      const rounds = ctx.quick ? 1 : 3;
      const perRound = Math.ceil(nGrpc / rounds);
      const agents = [];
      try {
        for (const threads of ctx.libvirtThreads) {
          for (const transport of ['unix', 'tcp']) {
            const agent = await spawnAgent({ dir, uri, transport, libvirtThreads: threads, tag: `a-${transport}-${threads ?? 'def'}` });
            agents.push({ threads, transport, where: 'child', agent, calls: [], floor: [] });
          }
        }
        const local = await startInProcessAgent({ dir, uri, tag: 'a-inproc' });
        agents.push({ threads: undefined, transport: 'unix', where: 'in-process', agent: local, calls: [], floor: [] });
        for (let round = 0; round < rounds; round++) {
          const order = round % 2 === 0 ? agents : [...agents].reverse();
          for (const a of order) {
            const r = await grpcPair(a.agent.client, perRound, warmup, name);
            a.calls.push(...r.calls);
            a.floor.push(...r.floor);
          }
        }
      } finally {
        for (const a of agents) await a.agent.stop();
      }
      for (const a of agents) {
        const r = summarize(a.calls);
        const floor = summarize(a.floor);
        const own = r.mean - floor.mean;
        ctx.log(`gRPC ${a.where} ${a.transport} threads=${threadsName(a.threads)}: mean ${r.mean.toFixed(3)} ms (Health.Check ${floor.mean.toFixed(3)} ms)`);
        rows.push({
          name: a.where === 'child'
            ? `GetDomain - Health.Check, gRPC ${a.transport} (child agent), libvirt threads ${threadsName(a.threads)}`
            : 'GetDomain - Health.Check, gRPC unix, agent and client in this process',
          baseline: { name: 'in-process separate calls', value: base.mean },
          unit: 'ms/call', ours: own, ratio: own / base.mean, ratioLabel: 'ours/baseline (lower is better)',
          goal: a.where === 'child' ? '<= 1.3' : undefined, goalMet: a.where === 'child' ? own / base.mean <= 1.3 : undefined,
          p50: r.p50, p99: r.p99, opsPerSec: 1000 / r.mean,
          notes: `the agent's own work per GetDomain = GetDomain mean ${r.mean.toFixed(3)} ms - Health.Check mean `
            + `${floor.mean.toFixed(3)} ms (same channel, no agent logic: the gRPC floor), sequential, n=${a.calls.length} each in `
            + `${rounds} interleaved round(s); vs the one-job read in-process: ${(own / one.mean).toFixed(2)}x; p50/p99/ops/s are GetDomain's`,
          extra: {
            getdomain_mean_ms: r.mean, grpc_floor_health_check_mean_ms: floor.mean, grpc_floor_health_check_p99_ms: floor.p99,
            ratio_vs_one_job_in_process: own / one.mean,
            libvirt_threads: a.threads ?? 8, where: a.where,
          },
          transport: a.transport, where: a.where, getDomainMean: r.mean, threads: a.threads,
        });
      }

      // virsh: a process per call (connect, look up, query, exit).
      const virsh = await measure(nVirsh, 2, (i) => execFileP('virsh', ['-c', uri, 'dominfo', name(i)]));
      ctx.log(`virsh: mean ${virsh.mean.toFixed(1)} ms`);
      for (const transport of ['unix', 'tcp']) {
        const r = rows.filter((x) => x.transport === transport && x.where === 'child').sort((a, b) => a.getDomainMean - b.getDomainMean)[0];
        rows.push({
          name: `virsh dominfo (process per call) vs GetDomain gRPC ${transport} (libvirt threads ${threadsName(r.threads)})`,
          baseline: { name: 'virsh -c test:///… dominfo', value: virsh.mean },
          unit: 'ms/call', ours: r.getDomainMean, ratio: virsh.mean / r.getDomainMean, ratioLabel: 'baseline/ours (x faster)',
          goal: '>= 50', goalMet: virsh.mean / r.getDomainMean >= 50,
          p50: virsh.p50, p99: virsh.p99, opsPerSec: virsh.opsPerSec,
          notes: `ours = the whole GetDomain over gRPC; p50/p99/ops/s are virsh's; n=${nVirsh}; node of 10 domains`,
        });
      }
      return { rows };
    } finally {
      cleanup(dir);
    }
  },
};
