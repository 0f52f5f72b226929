'use strict';
// Preloaded into the child agent (node -r bench/lib/lag-probe.js ...): samples
// its event-loop delay and answers the bench over the IPC channel. The agent's
// own code is untouched.
const { monitorEventLoopDelay } = require('node:perf_hooks');

const RESOLUTION_MS = 1;
if (typeof process.send === 'function') {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  // The histogram holds the whole timer interval; the lag is what exceeds the resolution.
  const lag = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  process.on('message', (m) => {
    if (m === 'lag:reset') {
      h.reset();
      process.send({ type: 'lag:reset' });
    } else if (m === 'lag:get') {
      process.send({
        type: 'lag',
        p50: lag(h.percentile(50)), p99: lag(h.percentile(99)), max: lag(h.max), mean: lag(h.mean), samples: h.count,
      });
    }
  });
  // The channel alone must not keep the agent alive.
  process.channel?.unref();
}
