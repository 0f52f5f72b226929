'use strict';
// Latency statistics: nearest-rank percentiles over millisecond samples.

/** The p-th percentile (0-100) of already sorted samples, nearest rank. */
function percentileSorted(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** { n, min, mean, p50, p90, p99, max } of samples in ms. */
function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n,
    min: n ? sorted[0] : NaN,
    mean: n ? sum / n : NaN,
    p50: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p99: percentileSorted(sorted, 99),
    max: n ? sorted[n - 1] : NaN,
  };
}

/** Rounds a number for reports: 3 significant decimals below 10, fewer above. */
function round(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return v;
  const a = Math.abs(v);
  const d = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : 3;
  return Number(v.toFixed(d));
}

function roundAll(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) out[k] = round(v);
  return out;
}

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
const nowMs = () => performance.now();

/** Runs `count` tasks with at most `concurrency` at once; fn(i) per task. */
async function pool(count, concurrency, fn) {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

module.exports = { percentileSorted, summarize, round, roundAll, nowMs, pool };
