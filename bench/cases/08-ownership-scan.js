'use strict';
// Case 8: Destroy with destroy_disks on a crowded host. Before it removes an
// instance's disk, Destroy reads every other domain libvirt knows (live XML
// and definition) and canonicalizes every path they name (the ownership
// rule, src/agent/disks.ts): on a host with hundreds of domains that read is
// most of the Destroy. Here N domains (500; quick 100) with two file disks
// each in their own instance directory (disk, present; disk.config, absent:
// its parent is resolved instead), and K of them destroyed one after another
// with destroy_disks through a child agent; each response's `disk-ownership`
// step says how long the read took. Baseline: the same Destroys on a host of
// K domains. Afterwards every other instance's files must still be there.
const fs = require('node:fs');
const path = require('node:path');

const { spawnAgent } = require('../lib/agent');
const { tempDir, cleanup, uuidFor, writeNode } = require('../lib/node-xml');
const { summarize, nowMs } = require('../lib/stats');

/** Destroys the first `k` domains of a host of `count`, one at a time; per call: ms, disk-ownership ms. */
async function destroySome(dir, tag, count, k) {
  // The agent's --instances-path (spawnAgent: <dir>/<tag>-instances).
  const instances = path.join(dir, `${tag}-instances`);
  // Every other one running; two file disks each in its own instance directory.
  const { uri, names } = writeNode(dir, { count, runstate: (i) => (i % 2 ? 1 : 5), file: `${tag}.xml`, disksIn: instances });
  const agent = await spawnAgent({ dir, uri, transport: 'unix', tag });
  const total = [];
  const ownership = [];
  let removed = 0;
  try {
    for (const name of names.slice(0, k)) {
      const s = nowMs();
      const r = await agent.client.call('Destroy', { domain: { name }, destroy_disks: true, request_id: `${tag}-${name}` });
      total.push(nowMs() - s);
      const step = (r.steps || []).find((st) => st.name === 'disk-ownership');
      if (step && step.outcome === 'ok') ownership.push(Number(step.duration_ms));
      if ((r.steps || []).some((st) => st.name === 'remove-disk vda' && st.outcome === 'ok')) removed++;
    }
  } finally {
    await agent.stop();
  }
  // The ownership rule's promise: nothing of the others was touched.
  const othersKept = names.slice(k).every((_, j) => fs.existsSync(path.join(instances, uuidFor(k + j), 'disk')));
  return { total: summarize(total), ownership: summarize(ownership), measured: ownership.length, removed, othersKept };
}

module.exports = {
  id: 8,
  title: 'Destroy with destroy_disks on a crowded host (the ownership scan)',
  async run(ctx) {
    const crowded = ctx.quick ? 100 : 500;
    const k = ctx.quick ? 20 : 50;
    const dir = tempDir('ownership');
    try {
      const sparse = await destroySome(dir, 'sparse', k, k);
      const dense = await destroySome(dir, 'crowded', crowded, k);
      ctx.log(`${crowded} domains: Destroy mean ${dense.total.mean.toFixed(1)} ms, disk-ownership mean ${dense.ownership.mean.toFixed(1)} ms `
        + `(p99 ${dense.ownership.p99.toFixed(1)}); ${k} domains: ${sparse.total.mean.toFixed(1)} / ${sparse.ownership.mean.toFixed(1)} ms; `
        + `disks removed ${dense.removed}/${k}, others kept: ${dense.othersKept}`);
      return {
        rows: [{
          name: `Destroy with destroy_disks, sequential, ${k} of ${crowded} domains with 2 file disks each`,
          baseline: { name: `the same on a host of ${k} domains`, value: sparse.total.mean },
          unit: 'ms/call', ours: dense.total.mean, ratio: dense.total.mean / sparse.total.mean, ratioLabel: 'ours/baseline',
          p50: dense.total.p50, p99: dense.total.p99, opsPerSec: 1000 / dense.total.mean,
          goal: 'every own disk removed, every other instance\'s kept', goalMet: dense.removed === k && dense.othersKept && sparse.othersKept,
          notes: `the disk-ownership step (read ${crowded - 1}..${crowded - k} other domains' XML in one binding job, canonicalize their `
            + `${2 * (crowded - 1)} paths in one native job per mount point and 256 paths): mean ${dense.ownership.mean.toFixed(1)} ms, `
            + `p50 ${dense.ownership.p50.toFixed(1)}, p99 ${dense.ownership.p99.toFixed(1)} (${dense.measured} Destroys); on ${k} domains `
            + `${sparse.ownership.mean.toFixed(1)} ms; own disks removed ${dense.removed}/${k}; the other ${crowded - k} instances' files kept: ${dense.othersKept}`,
          extra: { crowded, destroyed: k, ownership_ms: dense.ownership, sparse_ownership_ms: sparse.ownership, sparse_total_ms: sparse.total },
        }],
      };
    } finally {
      cleanup(dir);
    }
  },
};
