'use strict';
// Where things are, the compiled agent (dist/), and the machine description.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const REPO = path.resolve(__dirname, '..', '..');
const DIST = path.join(REPO, 'dist');

/** require() of a compiled module, e.g. dist('agent/agent'). */
function dist(mod) {
  const file = path.join(DIST, `${mod}.js`);
  if (!fs.existsSync(file)) {
    throw new Error(`${path.relative(REPO, file)} is missing: build first (npx tsc -p tsconfig.json)`);
  }
  return require(file);
}

/** Source files newer than their compiled output (dist is stale). */
function staleSources() {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const js = path.join(DIST, path.relative(path.join(REPO, 'src'), p)).replace(/\.ts$/, '.js');
        if (!fs.existsSync(js) || fs.statSync(js).mtimeMs < fs.statSync(p).mtimeMs) out.push(path.relative(REPO, p));
      }
    }
  };
  walk(path.join(REPO, 'src'));
  return out;
}

function cmdVersion(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function machineInfo() {
  const cpus = os.cpus();
  let libvirt = null;
  try {
    libvirt = dist('libvirt/connection').libraryVersion();
  } catch {
    // addon not built: leave null
  }
  return {
    date: new Date().toISOString(),
    hostname: os.hostname(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    os: (() => {
      try {
        return /PRETTY_NAME="([^"]+)"/.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? null;
      } catch {
        return null;
      }
    })(),
    cpu_model: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gib: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    libvirt_library: libvirt,
    virsh: cmdVersion('virsh', ['--version']),
    // The host may be shared (other test runs, QEMU guests): record how busy it was.
    loadavg_at_start: os.loadavg().map((v) => Number(v.toFixed(2))),
    uv_threadpool_size_bench_process: process.env.UV_THREADPOOL_SIZE ?? '(unset = 4)',
  };
}

module.exports = { REPO, DIST, dist, staleSources, machineInfo };
