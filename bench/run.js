#!/usr/bin/env node
'use strict';
// virt-agent benchmarks. Usage: node bench/run.js [--quick] [--cases 1,2,3]
//   [--libvirt-threads default,2] [--out bench/results/latest.json]
// Needs a built tree (npx tsc -p tsconfig.json, and the addon in build/Release).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { REPO, staleSources, machineInfo } = require('./lib/env');
const { renderTable } = require('./lib/table');
const { round } = require('./lib/stats');

const CASES = [
  require('./cases/01-rpc-overhead'),
  require('./cases/02-throughput'),
  require('./cases/03-shutdown-detection'),
  require('./cases/04-destroy-scale'),
  require('./cases/05-controller-reclaim'),
  require('./cases/06-hung-storage'),
  require('./cases/07-fleet'),
  require('./cases/08-ownership-scan'),
];

function parseArgs(argv) {
  const opts = { quick: false, cases: null, libvirtThreads: [undefined, 2], out: path.join(__dirname, 'results', 'latest.json') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') opts.quick = true;
    else if (a === '--cases') opts.cases = val().split(',').map(Number);
    else if (a === '--libvirt-threads') opts.libvirtThreads = val().split(',').map((v) => (v === 'default' ? undefined : Number(v)));
    else if (a === '--out') opts.out = path.resolve(val());
    else if (a === '-h' || a === '--help') {
      process.stdout.write('node bench/run.js [--quick] [--cases 1,2,...] [--libvirt-threads default,2] [--out FILE]\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

const COLUMNS = [
  { key: 'id', title: '#', align: 'left' },
  { key: 'name', title: 'measurement', align: 'left' },
  { key: 'baselineName', title: 'baseline', align: 'left' },
  { key: 'baselineValue', title: 'base' },
  { key: 'ours', title: 'ours' },
  { key: 'unit', title: 'unit', align: 'left' },
  { key: 'ratioText', title: 'ratio', align: 'left' },
  { key: 'p50', title: 'p50 ms' },
  { key: 'p99', title: 'p99 ms' },
  { key: 'opsPerSec', title: 'ops/s' },
  { key: 'lagP99', title: 'lag p99 ms' },
  { key: 'rssMiB', title: 'peak RSS MiB' },
  { key: 'goalText', title: 'goal', align: 'left' },
];

/** baseline/ours: "better" only when it is (0.59x "as fast" is slower); anything else is ours over the base. */
function ratioWord(r) {
  if (!r.ratioLabel?.startsWith('baseline/ours')) return 'of base';
  return r.ratio >= 1 ? 'better' : 'as fast';
}

function tableRow(r) {
  return {
    ...r,
    baselineName: r.baseline?.name,
    baselineValue: r.baseline?.value,
    ratioText: r.ratio === undefined ? undefined : `${r.ratio >= 100 ? Math.round(r.ratio) : r.ratio.toFixed(2)}x ${ratioWord(r)}`,
    goalText: r.goal === undefined ? undefined : `${r.goal} ${r.goalMet ? 'MET' : 'MISSED'}`,
  };
}

function jsonRow(r) {
  const out = {
    id: r.id,
    name: r.name,
    baseline: r.baseline ? { name: r.baseline.name, value: round(r.baseline.value) } : null,
    ours: round(r.ours),
    unit: r.unit,
    ratio: r.ratio === undefined ? null : round(r.ratio),
    ratio_meaning: r.ratioLabel ?? null,
    p50_ms: round(r.p50 ?? null),
    p99_ms: round(r.p99 ?? null),
    ops_per_s: r.opsPerSec === undefined ? null : round(r.opsPerSec),
    goal: r.goal ?? null,
    goal_met: r.goalMet ?? null,
    notes: r.notes ?? '',
  };
  for (const [k, v] of Object.entries(r.extra ?? {})) out[k] = typeof v === 'number' ? round(v) : v;
  if (r.lagP99 !== undefined) out.event_loop_lag_p99_ms = round(r.lagP99);
  if (r.rssMiB !== undefined) out.peak_rss_mib = round(r.rssMiB);
  return out;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const stale = staleSources();
  if (stale.length > 0) {
    process.stderr.write(`warning: dist/ is older than ${stale.length} source file(s) (e.g. ${stale[0]}); run npx tsc -p tsconfig.json\n`);
  }
  const started = Date.now();
  const machine = machineInfo();
  process.stdout.write(`virt-agent bench (${opts.quick ? 'quick' : 'full'}) on ${machine.cpu_model}, ${machine.cores} cores, `
    + `${machine.memory_gib} GiB, node ${machine.node}, libvirt ${machine.libvirt_library}; libvirt test driver; `
    + `load ${machine.loadavg_at_start.join(' ')}\n`);

  const results = [];
  for (const c of CASES) {
    if (opts.cases && !opts.cases.includes(c.id)) continue;
    const t0 = Date.now();
    process.stdout.write(`\n== case ${c.id}: ${c.title}\n`);
    const ctx = {
      quick: opts.quick,
      libvirtThreads: opts.libvirtThreads,
      log: (msg) => process.stderr.write(`  [${c.id}] ${msg}\n`),
    };
    let out;
    try {
      out = await c.run(ctx);
    } catch (err) {
      out = { rows: [], error: err instanceof Error ? err.stack ?? err.message : String(err) };
      process.stdout.write(`  FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    const rows = out.rows.map((r, i) => ({ ...r, id: `${c.id}.${String.fromCharCode(97 + i)}` }));
    if (rows.length > 0) process.stdout.write(`${renderTable(COLUMNS, rows.map(tableRow))}\n`);
    for (const r of rows) if (r.notes) process.stdout.write(`  ${r.id}: ${r.notes}\n`);
    for (const line of out.summary ?? []) process.stdout.write(`  ${line}\n`);
    if (out.skipped) process.stdout.write(`  skipped: ${out.skipped}\n`);
    results.push({
      case: c.id, title: c.title, seconds: Number(((Date.now() - t0) / 1000).toFixed(1)),
      skipped: out.skipped ?? null, error: out.error ?? null, summary: out.summary ?? [], results: rows.map(jsonRow),
    });
  }

  const report = {
    bench: 'virt-agent', mode: opts.quick ? 'quick' : 'full', driver: 'libvirt test driver (test:///…); no real guests',
    machine: { ...machine, loadavg_at_end: os.loadavg().map((v) => Number(v.toFixed(2))) },
    seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
    cases: results,
  };
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  fs.writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\ntotal ${report.seconds} s; wrote ${path.relative(REPO, opts.out)}\n`);
  // Native handles (libvirt event loop thread) must not hold the process open.
  process.exit(results.some((r) => r.error) ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
