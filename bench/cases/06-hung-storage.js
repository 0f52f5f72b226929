'use strict';
// Case 6: hung storage. A FUSE mount that never answers (as a dead NFS
// server) holds the disks of N stopped domains; N PowerOn calls get stuck in
// their disk check. Meanwhile: the latency of unrelated calls (GetDomain of
// other domains, and PowerOff+PowerOn pairs of other domains, which also
// write the journal), against the same calls without the stuck ones.
// Before the binding had threads of its own (libvirt calls and fs calls
// shared libuv's 4 threads), 4 stuck calls stopped every libvirt call.
const { spawnAgent } = require('../lib/agent');
const { fuseUnavailable, mountHungFuse } = require('../lib/fuse');
const { tempDir, cleanup, writeNode } = require('../lib/node-xml');
const { summarize, nowMs } = require('../lib/stats');

const GOAL = 1.2;

async function sample(n, fn) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const s = nowMs();
    await fn(i);
    out[i] = nowMs() - s;
  }
  return out;
}

const stuckXml = (i, dir) => `<domain type="test"><name>stuck-${i}</name><memory>262144</memory><vcpu>1</vcpu><os><type>hvm</type></os>`
  + `<devices><disk type="file" device="disk"><source file="${dir}/stuck-${i}/disk.img"/><target dev="vda" bus="virtio"/></disk></devices></domain>`;

module.exports = {
  id: 6,
  title: 'hung storage: unrelated calls while N calls are stuck on storage that never answers',
  async run(ctx) {
    const why = fuseUnavailable();
    if (why) return { rows: [], skipped: why };
    const stuckN = 8;
    const n = ctx.quick ? 150 : 1000;
    const pairs = ctx.quick ? 20 : 150;
    const rounds = ctx.quick ? 1 : 3;
    const dir = tempDir('hung');
    const { uri, names } = writeNode(dir, { count: 20 });
    const agent = await spawnAgent({
      dir, uri, tag: 'hung',
      // The stuck calls must stay stuck while we measure: a long storage deadline.
      config: { storageIo: { timeoutMs: 600000, removeTimeoutMs: 600000, maxThreads: 32, perMount: 4 } },
    });
    const get = (i) => agent.client.call('GetDomain', { domain: { name: names[i % 10] } });
    const cycle = async (i) => {
      const name = names[10 + (i % 10)];
      await agent.client.call('PowerOff', { domain: { name }, timeout_seconds: 0 });
      await agent.client.call('PowerOn', { domain: { name } });
    };
    const free = { get: [], cycle: [] };
    const hung = { get: [], cycle: [] };
    let stuckCodes = [];
    try {
      for (let w = 0; w < 50; w++) await get(w); // warm-up
      for (let round = 0; round < rounds; round++) {
        free.get.push(...await sample(n, get));
        free.cycle.push(...await sample(pairs, cycle));

        const mount = mountHungFuse();
        try {
          for (let i = 0; i < stuckN; i++) {
            await agent.client.call('DefineDomain', { xml: stuckXml(i, mount.dir) });
          }
          const stuck = Array.from({ length: stuckN }, (_, i) => agent.client.call('PowerOn', { domain: { name: `stuck-${i}` } }, 600000)
            .then(() => 'OK', (e) => String(e.code)));
          await new Promise((r) => setTimeout(r, 300)); // they reach the disk check and block
          hung.get.push(...await sample(n, get));
          hung.cycle.push(...await sample(pairs, cycle));
          mount.abort();
          stuckCodes = await Promise.all(stuck);
          for (let i = 0; i < stuckN; i++) await agent.client.call('Destroy', { domain: { name: `stuck-${i}` } });
        } finally {
          mount.unmount();
        }
        ctx.log(`round ${round + 1}/${rounds}: GetDomain free ${summarize(free.get).mean.toFixed(3)} ms, hung ${summarize(hung.get).mean.toFixed(3)} ms`);
      }
    } finally {
      await agent.stop();
      cleanup(dir);
    }
    const rows = [];
    for (const [key, label] of [['get', 'GetDomain of other domains'], ['cycle', 'PowerOff+PowerOn pair of other domains (journaled)']]) {
      const a = summarize(free[key]);
      const b = summarize(hung[key]);
      const ratio = b.mean / a.mean;
      rows.push({
        name: `${label}, ${stuckN} PowerOn stuck on hung storage`,
        baseline: { name: 'same calls, nothing stuck', value: a.mean },
        unit: key === 'get' ? 'ms/call' : 'ms/pair', ours: b.mean, ratio, ratioLabel: 'ours/baseline (lower is better)',
        goal: `<= ${GOAL}`, goalMet: ratio <= GOAL,
        p50: b.p50, p99: b.p99, opsPerSec: 1000 / b.mean,
        notes: `sequential, n=${b.n} per side in ${rounds} round(s); baseline p50 ${a.p50.toFixed(3)} p99 ${a.p99.toFixed(3)} ms; `
          + `the stuck calls ended ${[...new Set(stuckCodes)].join('/')} (14 = UNAVAILABLE) once the storage failed`,
        extra: { stuck_calls: stuckN, baseline_p50_ms: a.p50, baseline_p99_ms: a.p99 },
      });
    }
    return { rows };
  },
};
