// Builds virt-agent-fleet.json, the Grafana dashboard for a fleet of agents
// and their controller: `node deploy/grafana/build-dashboard.mjs` rewrites the
// JSON next to this file (edit here, not the JSON: a test checks that the JSON
// is this script's output and that every query names metrics the code
// registers). Panels are declared row by row; positions are computed.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DS = { type: 'prometheus', uid: '${datasource}' };
/** Selectors for the two kinds of target; $host narrows the agents. */
const A = 'job="$agent_job", instance=~"$host"';
const C = 'job="$controller_job"';
const RI = '$__rate_interval';

/** One query: [expr, legend]. */
const q = (expr, legend = '') => ({ expr, legend });

const stat = (title, description, expr, { red = 1, unit = 'short', yellow } = {}) => ({
  kind: 'stat', title, description, w: 3, h: 4, unit, targets: [q(expr)],
  thresholds: [
    { color: 'green', value: null },
    ...(yellow === undefined ? [] : [{ color: 'yellow', value: yellow }]),
    ...(red === null ? [] : [{ color: 'red', value: red }]),
  ],
});

const graph = (title, description, targets, { w = 12, h = 8, unit = 'short', stack = false, bars = false, min = 0, max } = {}) =>
  ({ kind: 'timeseries', title, description, w, h, unit, targets, stack, bars, min, max });

const rows = [
  {
    title: 'Fleet at a glance',
    panels: [
      stat('Hosts down', 'Compute hosts the controller counts as down (no successful agent contact for service_down_seconds).',
        `sum(virt_controller_hosts{${C}, state="down"})`),
      stat('Hosts up', 'Compute hosts the controller counts as up.', `sum(virt_controller_hosts{${C}, state="up"})`, { red: null }),
      stat('Agents not scraped', 'Agent metrics endpoints Prometheus cannot scrape (up == 0).',
        `count(up{job="$agent_job"} == 0) or vector(0)`),
      stat('libvirt disconnected', 'Agents without a libvirt connection.',
        `count(virt_agent_libvirt_connected{${A}} == 0) or vector(0)`),
      stat('libvirt unresponsive', "Agents whose libvirt watchdog call is overdue (libvirt wedged or the agent's libvirt threads blocked).",
        `count(virt_agent_libvirt_responsive{${A}} == 0) or vector(0)`),
      stat('Reclaim backlog', 'Soft-deleted instances past their reclaim interval and not yet reclaimed.',
        `sum(virt_controller_reclaim_backlog{${C}})`, { yellow: 1, red: 20 }),
      stat('Forced power-offs (24 h)', 'Clean shutdowns the agents escalated to a destroy in the last 24 hours.',
        `sum(increase(virt_agent_power_off_total{${A}, result="forced"}[24h]))`, { yellow: 1, red: 10 }),
      stat('Detach failures (24 h)',
        'Volume detaches that failed (or were forced through) in the last 24 hours. A host\'s very first failure since its agent started is not in increase(); the VirtAgentVolumeDetachFailed alert catches it.',
        `sum(increase(virt_agent_operation_step_duration_seconds_count{${A}, step="detach", outcome=~"failed|warning"}[24h])) or vector(0)`),
      stat('Agents reporting', 'Agents whose metrics Prometheus scrapes.', `count(virt_agent_info{${A}})`, { red: null }),
      stat('Operations in flight', 'Mutating operations queued or running on the agents.',
        `sum(virt_agent_operations_in_flight{${A}})`, { red: null }),
      stat('Storage calls stuck', 'File-system calls on storage past their deadline whose threads are still in the kernel.',
        `sum(virt_agent_storage_io_calls{${A}, state="stalled"})`),
      stat('Pending power-offs', 'Instances soft deleted in the records only; their guests may still run until the power-off succeeds.',
        `sum(virt_controller_pending_power_offs{${C}})`),
      stat('Pending host cleanups', 'Instances deleted in the records whose domain and disks are still on their host.',
        `sum(virt_controller_pending_host_cleanups{${C}})`, { yellow: 1, red: 20 }),
      stat('Reclaims retrying', 'Soft-deleted instances whose reclaim failed at least once.',
        `sum(virt_controller_reclaim_retrying{${C}})`),
      stat('Volumes error_detaching', 'Volumes whose detach failed.', `sum(virt_controller_volumes{${C}, status="error_detaching"})`),
      stat('Instances in ERROR', 'Instances whose create or hard delete failed.', `sum(virt_controller_instances{${C}, vm_state="error"})`),
    ],
  },
  {
    title: 'Operations (agents)',
    panels: [
      graph('Operations by result', 'Finished mutating operations per second, by operation and result.',
        [q(`sum by (op, result) (rate(virt_agent_operation_duration_seconds_count{${A}}[${RI}]))`, '{{op}} {{result}}')], { unit: 'ops' }),
      graph('Operation duration', 'p50 and p95 of successful operations, queueing included.', [
        q(`histogram_quantile(0.95, sum by (op, le) (rate(virt_agent_operation_duration_seconds_bucket{${A}, result="ok"}[${RI}])))`, '{{op}} p95'),
        q(`histogram_quantile(0.5, sum by (op, le) (rate(virt_agent_operation_duration_seconds_bucket{${A}, result="ok"}[${RI}])))`, '{{op}} p50'),
      ], { unit: 's' }),
      graph('Power-offs: clean and forced', 'Completed PowerOffs: clean = the guest stopped itself; forced = escalated to a destroy.',
        [q(`sum by (result) (increase(virt_agent_power_off_total{${A}}[${RI}]))`, '{{result}}')], { w: 8, bars: true, stack: true }),
      graph('Forced power-offs by host (1 h)', 'Hosts whose guests most often ignore the shutdown request.',
        [q(`topk(10, sum by (instance) (increase(virt_agent_power_off_total{${A}, result="forced"}[1h])) > 0)`, '{{instance}}')], { w: 8 }),
      graph('Detach failures', 'Failed detach steps (warning: forced through under ignore_errors) by host and operation.',
        [q(`sum by (instance, op, outcome) (increase(virt_agent_operation_step_duration_seconds_count{${A}, step="detach", outcome=~"failed|warning"}[${RI}])) > 0`,
          '{{instance}} {{op}} {{outcome}}')], { w: 8, bars: true }),
      graph('Failed steps', 'Steps that failed, by operation and step (parameters stripped).',
        [q(`sum by (op, step) (increase(virt_agent_operation_step_duration_seconds_count{${A}, outcome="failed"}[${RI}])) > 0`, '{{op}}: {{step}}')],
        { bars: true }),
      graph('Slowest steps (p95)', 'The ten slowest steps by p95 duration.',
        [q(`topk(10, histogram_quantile(0.95, sum by (op, step, le) (rate(virt_agent_operation_step_duration_seconds_bucket{${A}}[${RI}]))))`,
          '{{op}}: {{step}}')], { unit: 's' }),
      graph('gRPC errors', 'HostAgent calls that did not end OK, by method and status code.',
        [q(`sum by (method, code) (rate(virt_agent_grpc_requests_total{${A}, code!="OK"}[${RI}]))`, '{{method}} {{code}}')], { unit: 'reqps' }),
      graph('gRPC latency (p99)', 'p99 latency of HostAgent calls by method (WatchEvents streams excluded).',
        [q(`histogram_quantile(0.99, sum by (method, le) (rate(virt_agent_grpc_request_duration_seconds_bucket{${A}, method!="WatchEvents"}[${RI}])))`,
          '{{method}}')], { unit: 's' }),
      graph('Operations in flight', 'Mutating operations queued or running per host.',
        [q(`sum by (instance) (virt_agent_operations_in_flight{${A}})`, '{{instance}}')]),
      graph('Deepest domain queues', 'Operations queued or running per domain (the five deepest).',
        [q(`topk(5, virt_agent_operation_queue_depth{${A}})`, '{{instance}} {{domain}}')]),
    ],
  },
  {
    title: 'Agent health',
    panels: [
      graph('libvirt connected and responsive', '1 = connected / the watchdog call answers in time, per host.', [
        q(`min by (instance) (virt_agent_libvirt_connected{${A}})`, '{{instance}} connected'),
        q(`min by (instance) (virt_agent_libvirt_responsive{${A}})`, '{{instance}} responsive'),
      ], { max: 1 }),
      graph('libvirt disconnects, reconnects, watchdog stalls', 'Connection losses, re-established connections and watchdog calls past their deadline.', [
        q(`sum by (instance) (increase(virt_agent_libvirt_disconnects_total{${A}}[${RI}])) > 0`, '{{instance}} disconnects'),
        q(`sum by (instance) (increase(virt_agent_libvirt_reconnects_total{${A}}[${RI}])) > 0`, '{{instance}} reconnects'),
        q(`sum by (instance) (increase(virt_agent_libvirt_stalls_total{${A}}[${RI}])) > 0`, '{{instance}} stalls'),
      ], { bars: true }),
      graph('Event-loop lag', "Delay of the agent's JavaScript thread since the previous scrape.", [
        q(`max by (instance) (virt_agent_event_loop_lag_seconds{${A}, stat="p99"})`, '{{instance}} p99'),
        q(`max by (instance) (virt_agent_event_loop_lag_seconds{${A}, stat="max"})`, '{{instance}} max'),
      ], { unit: 's' }),
      graph('libvirt threads', "The binding's libvirt threads: busy in a call, calls queued for one, the pool's maximum.", [
        q(`sum by (instance, state) (virt_agent_libvirt_pool_threads{${A}, state=~"busy|queued|max"})`, '{{instance}} {{state}}'),
      ]),
      graph('libvirt call admission', 'libvirt calls in the binding and waiting for a slot, by lane (priority = reads), and the slot limit.', [
        q(`sum by (instance, lane, state) (virt_agent_libvirt_admission_calls{${A}})`, '{{instance}} {{lane}} {{state}}'),
        q(`max by (instance) (virt_agent_libvirt_admission_slots{${A}, kind="limit"})`, '{{instance}} limit'),
      ]),
      graph('Storage I/O calls', 'File-system calls on storage: in flight, stalled (past the deadline, thread still in the kernel), waiting for a slot.', [
        q(`sum by (instance, state) (virt_agent_storage_io_calls{${A}})`, '{{instance}} {{state}}'),
        q(`sum by (instance) (increase(virt_agent_storage_io_stalls_total{${A}}[${RI}])) > 0`, '{{instance}} new stalls'),
      ]),
      graph('WatchEvents streams', 'Open streams, and streams ended because their client fell behind.', [
        q(`sum by (instance) (virt_agent_watch_streams{${A}})`, '{{instance}} open'),
        q(`sum by (instance) (increase(virt_agent_watch_streams_overflowed_total{${A}}[${RI}])) > 0`, '{{instance}} overflowed'),
      ]),
      graph('gRPC connections', 'Open connections, and those still in the TLS handshake.',
        [q(`sum by (instance, state) (virt_agent_connections{${A}})`, '{{instance}} {{state}}')]),
      graph('Connections dropped by the limits', 'Refused (at the limit), evicted (to make room) and handshake timeouts.',
        [q(`sum by (instance, reason) (increase(virt_agent_connections_dropped_total{${A}}[${RI}])) > 0`, '{{instance}} {{reason}}')], { bars: true }),
      graph('Journal', 'Size of the operation journal (compacted when it passes its cap).', [
        q(`sum by (instance) (virt_agent_journal_bytes{${A}})`, '{{instance}} bytes'),
      ], { unit: 'bytes' }),
      graph('Replay cache', 'Request ids whose results are kept for replay, and journal compactions.', [
        q(`sum by (instance) (virt_agent_replay_cache_entries{${A}})`, '{{instance}} entries'),
        q(`sum by (instance) (increase(virt_agent_journal_compactions_total{${A}}[${RI}])) > 0`, '{{instance}} compactions'),
      ]),
    ],
  },
  {
    title: 'Controller',
    panels: [
      graph('Hosts by state', 'Compute hosts by the liveness rule.', [q(`sum by (state) (virt_controller_hosts{${C}})`, '{{state}}')], { w: 8 }),
      graph('Instances by state', 'Instance records by vm_state (deleted ones left out).',
        [q(`sum by (vm_state) (virt_controller_instances{${C}, vm_state!="deleted"})`, '{{vm_state}}')], { w: 8, stack: true }),
      graph('Volumes by status', 'Volume records by status.', [q(`sum by (status) (virt_controller_volumes{${C}})`, '{{status}}')], { w: 8, stack: true }),
      graph('Pending work', 'What the controller still owes the hosts; each is retried by the periodic task.', [
        q(`sum(virt_controller_reclaim_backlog{${C}})`, 'reclaim backlog'),
        q(`sum(virt_controller_reclaim_retrying{${C}})`, 'reclaims retrying'),
        q(`sum(virt_controller_pending_power_offs{${C}})`, 'pending power-offs'),
        q(`sum(virt_controller_pending_host_cleanups{${C}})`, 'pending host cleanups'),
      ]),
      graph('Reclaim failures', 'Failed reclaim attempts (each is retried with backoff).',
        [q(`sum(increase(virt_controller_reclaim_failures_total{${C}}[${RI}]))`, 'failures')], { bars: true }),
      graph('Agent calls', 'Calls from the controller to the agents (every attempt; Check = health check), by method and code.',
        [q(`sum by (method, code) (rate(virt_controller_agent_calls_total{${C}}[${RI}]))`, '{{method}} {{code}}')], { unit: 'reqps' }),
      graph('Agent-call errors', 'Agent calls that did not end OK or NOT_FOUND.',
        [q(`sum by (method, code) (rate(virt_controller_agent_calls_total{${C}, code!~"OK|NOT_FOUND"}[${RI}]))`, '{{method}} {{code}}')],
        { unit: 'reqps' }),
      graph('Controller requests', 'Controller calls by method and status code.',
        [q(`sum by (method, code) (rate(virt_controller_grpc_requests_total{${C}}[${RI}]))`, '{{method}} {{code}}')], { unit: 'reqps' }),
      graph('Controller latency (p95)', 'p95 latency of Controller calls by method (deletes and stops wait for the clean shutdown).',
        [q(`histogram_quantile(0.95, sum by (method, le) (rate(virt_controller_grpc_request_duration_seconds_bucket{${C}}[${RI}])))`, '{{method}}')],
        { unit: 's' }),
    ],
  },
];

function panelJson(p, id, gridPos) {
  const targets = p.targets.map((t, i) => ({
    datasource: DS, refId: String.fromCharCode(65 + i), expr: t.expr, legendFormat: t.legend, range: true, instant: false,
  }));
  const base = { id, type: p.kind, title: p.title, description: p.description, datasource: DS, gridPos };
  if (p.kind === 'stat') {
    return {
      ...base,
      fieldConfig: {
        defaults: { unit: p.unit, color: { mode: 'thresholds' }, thresholds: { mode: 'absolute', steps: p.thresholds } },
        overrides: [],
      },
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: 'background', graphMode: 'none', justifyMode: 'center', orientation: 'auto', textMode: 'value',
      },
      targets,
    };
  }
  return {
    ...base,
    fieldConfig: {
      defaults: {
        unit: p.unit,
        min: p.min,
        ...(p.max === undefined ? {} : { max: p.max }),
        color: { mode: 'palette-classic' },
        custom: {
          drawStyle: p.bars ? 'bars' : 'line',
          lineInterpolation: 'stepAfter',
          lineWidth: 1,
          fillOpacity: p.bars || p.stack ? 60 : 10,
          showPoints: 'never',
          spanNulls: false,
          stacking: { mode: p.stack ? 'normal' : 'none', group: 'A' },
        },
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
    targets,
  };
}

/** Lays rows and panels out on Grafana's 24-column grid. */
export function buildDashboard() {
  const panels = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    let lineHeight = 0;
    for (const p of row.panels) {
      if (x + p.w > 24) {
        y += lineHeight;
        x = 0;
        lineHeight = 0;
      }
      panels.push(panelJson(p, id++, { h: p.h, w: p.w, x, y }));
      x += p.w;
      lineHeight = Math.max(lineHeight, p.h);
    }
    y += lineHeight;
  }
  const textbox = (name, label, value) => ({
    name, label, type: 'textbox', query: value, current: { text: value, value }, options: [{ selected: true, text: value, value }], hide: 0,
  });
  return {
    title: 'virt-agent fleet',
    uid: 'virt-agent-fleet',
    description: 'virt-agent on every compute host and virt-controller: operations, shutdown escalations, detaches, libvirt, storage, pending work.',
    tags: ['virt-agent', 'libvirt'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-6h', to: 'now' },
    refresh: '1m',
    timezone: '',
    links: [],
    annotations: { list: [] },
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0, refresh: 1, regex: '' },
        textbox('agent_job', 'Agent job', 'virt-agent'),
        textbox('controller_job', 'Controller job', 'virt-controller'),
        {
          name: 'host', label: 'Agent', type: 'query', datasource: DS,
          definition: 'label_values(virt_agent_info{job="$agent_job"}, instance)',
          query: { query: 'label_values(virt_agent_info{job="$agent_job"}, instance)', refId: 'host' },
          multi: true, includeAll: true, allValue: '.+', current: { text: 'All', value: '$__all' },
          refresh: 2, sort: 1, regex: '', hide: 0, options: [],
        },
      ],
    },
    panels,
  };
}

export const DASHBOARD_FILE = fileURLToPath(new URL('./virt-agent-fleet.json', import.meta.url));

/** The file's exact content (a test compares it with the committed one). */
export function dashboardText() {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(DASHBOARD_FILE, dashboardText());
  console.log(`wrote ${DASHBOARD_FILE}`);
}
