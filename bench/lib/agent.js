'use strict';
// Agents under test: a child process running the real CLI (dist/cli/virt-agent.js,
// with lag-probe.js preloaded), or an in-process one from startAgent(); and a
// promisified gRPC client for virtagent.v1.HostAgent.
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');

const { REPO, DIST, dist } = require('./env');

const grpc = require(require.resolve('@grpc/grpc-js', { paths: [REPO] }));
const protoLoader = require(require.resolve('@grpc/proto-loader', { paths: [REPO] }));

let ctor;
function clientCtor() {
  if (!ctor) {
    const { LOADER_OPTIONS, protoDir } = dist('grpc/protos');
    const def = protoLoader.loadSync('virtagent/v1/agent.proto', { ...LOADER_OPTIONS, includeDirs: [protoDir()] });
    ctor = grpc.loadPackageDefinition(def).virtagent.v1.HostAgent;
  }
  return ctor;
}

/** Client for a grpc target (unix:/path or 127.0.0.1:PORT). */
function makeClient(target) {
  const Ctor = clientCtor();
  const raw = new Ctor(target, grpc.credentials.createInsecure(), {
    // no artificial cap on concurrent streams from the client side
    'grpc.max_concurrent_streams': 0x7fffffff,
  });
  return {
    raw,
    call(method, req, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        raw[method](req, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
      });
    },
    /** grpc.health.v1.Health/Check with raw bytes: the gRPC floor, no agent logic. */
    healthCheck(timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        raw.makeUnaryRequest('/grpc.health.v1.Health/Check', (b) => b, (b) => b, Buffer.alloc(0),
          { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
      });
    },
    close() {
      raw.close();
    },
  };
}

/** Resolves once GetHostInfo answers with libvirt connected. */
async function waitReady(client, timeoutMs = 20_000, isDead = () => null) {
  const until = Date.now() + timeoutMs;
  let last;
  for (;;) {
    const dead = isDead();
    if (dead) throw new Error(dead);
    try {
      const info = await client.call('GetHostInfo', {}, 1000);
      if (info.connected) return info;
      last = new Error('libvirt not connected');
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`agent not ready after ${timeoutMs} ms: ${last?.message}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A free loopback TCP port (tiny race until the agent binds it; fine for a bench). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function procStatus(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
    return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
  } catch {
    return { rssMiB: NaN, hwmMiB: NaN };
  }
}

/**
 * CPU time (µs, from /proc/PID/task/TID/schedstat) of a process: its main
 * (JS) thread and all its other threads (libvirt pool, libuv pool, V8's GC
 * and compiler threads) together; null fields when it cannot be read.
 */
function cpuTimes(pid) {
  let main = 0;
  let other = 0;
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      let ns;
      try {
        ns = Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        continue; // the thread exited meanwhile
      }
      if (tid === String(pid)) main += ns / 1000;
      else other += ns / 1000;
    }
    return { main, other };
  } catch {
    return { main: null, other: null };
  }
}

/**
 * Spawns `node dist/cli/virt-agent.js` on `uri`, listening on a unix socket in
 * `dir` (transport 'unix') or a loopback port ('tcp'). libvirtThreads: the
 * agent's --libvirt-threads (the binding's libvirt pool, and the libvirt calls
 * admitted at once), undefined for its default (8). UV_THREADPOOL_SIZE is left
 * unset: libvirt calls and storage I/O do not run on libuv's pool.
 * nodeArgs: extra node options (e.g. --cpu-prof) before the script.
 */
async function spawnAgent({ dir, uri, transport = 'unix', libvirtThreads, logLevel = 'info', tag = 'agent', config, nodeArgs = [] }) {
  const stateDir = path.join(dir, `${tag}-state`);
  const instancesPath = path.join(dir, `${tag}-instances`);
  fs.mkdirSync(instancesPath, { recursive: true });
  let listen;
  let target;
  if (transport === 'tcp') {
    const port = await freePort();
    listen = `127.0.0.1:${port}`;
    target = listen;
  } else {
    const sock = path.join(dir, `${tag}.sock`);
    listen = `unix://${sock}`;
    target = `unix:${sock}`;
  }
  const env = { ...process.env };
  delete env.UV_THREADPOOL_SIZE;
  const args = [
    ...nodeArgs,
    '-r', path.join(__dirname, 'lag-probe.js'),
    path.join(DIST, 'cli', 'virt-agent.js'),
    '--listen', listen, '--plaintext-loopback', 'true', '--libvirt-uri', uri, '--state-dir', stateDir, '--instances-path', instancesPath,
    '--log-level', logLevel, '--drain-seconds', '2',
    ...(libvirtThreads === undefined ? [] : ['--libvirt-threads', String(libvirtThreads)]),
  ];
  if (config) {
    // Settings without a flag (nested groups such as storageIo) go in a config file.
    const file = path.join(dir, `${tag}-config.json`);
    fs.writeFileSync(file, JSON.stringify(config));
    args.push('--config', file);
  }
  // stdout (JSON log lines, written synchronously as in production) goes to /dev/null.
  const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited = null;
  child.on('exit', (code, sig) => {
    exited = `agent exited (${code ?? sig}): ${stderr.trim()}`;
  });
  const pending = new Map();
  child.on('message', (m) => {
    const p = pending.get(m.type);
    if (p) {
      pending.delete(m.type);
      p(m);
    }
  });
  const ask = (msg, type) => new Promise((resolve, reject) => {
    if (exited) return reject(new Error(exited));
    const t = setTimeout(() => reject(new Error(`no ${type} answer from the agent`)), 5000);
    pending.set(type, (m) => {
      clearTimeout(t);
      resolve(m);
    });
    child.send(msg);
  });
  const client = makeClient(target);
  const started = performance.now();
  try {
    await waitReady(client, 30_000, () => exited);
  } catch (err) {
    client.close();
    child.kill('SIGKILL');
    throw err;
  }
  return {
    pid: child.pid,
    target,
    transport,
    client,
    startupMs: performance.now() - started,
    resetLag: () => ask('lag:reset', 'lag:reset'),
    lag: () => ask('lag:get', 'lag'),
    status: () => procStatus(child.pid),
    cpu: () => cpuTimes(child.pid),
    async stop() {
      client.close();
      if (exited) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    },
  };
}

/** startAgent() in this process (silent logger), on a unix socket in `dir`. */
async function startInProcessAgent({ dir, uri, tag = 'inproc' }) {
  const { startAgent } = dist('agent/agent');
  const { defaultConfig } = dist('agent/config');
  const { silentLogger } = dist('logging');
  const cfg = defaultConfig();
  const sock = path.join(dir, `${tag}.sock`);
  cfg.listen = `unix://${sock}`;
  cfg.libvirtUri = uri;
  cfg.stateDir = path.join(dir, `${tag}-state`);
  cfg.instancesPath = path.join(dir, `${tag}-instances`);
  fs.mkdirSync(cfg.instancesPath, { recursive: true });
  const handle = await startAgent(cfg, silentLogger(), { requireLibvirt: true });
  const client = makeClient(`unix:${sock}`);
  await waitReady(client);
  return {
    handle,
    client,
    async stop() {
      client.close();
      await handle.stop(2000);
    },
  };
}

module.exports = { grpc, makeClient, waitReady, spawnAgent, startInProcessAgent, procStatus, cpuTimes, freePort };
