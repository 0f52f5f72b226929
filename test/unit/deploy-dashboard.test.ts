// deploy/grafana: the dashboard JSON parses, is what build-dashboard.mjs
// writes, lays its panels out without overlaps, uses only variables it
// defines, and every query reads series the agent or the controller registers
// (with their labels and values) — a renamed metric breaks this test. With
// promtool (Debian package prometheus) every query is also parsed as PromQL.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { metricCatalog, selectorProblems, type MetricInfo } from '../helpers/metric-catalog';
import { selectorsOf } from '../helpers/promql-selectors';

const FILE = path.resolve(__dirname, '..', '..', 'deploy', 'grafana', 'virt-agent-fleet.json');
const PROMTOOL = spawnSync('promtool', ['--version']).status === 0;
const NEED_PROMTOOL = PROMTOOL || process.env['CI'] === 'true';

interface Target { expr: string; refId: string; legendFormat?: string }
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: unknown }> };
}

const text = fs.readFileSync(FILE, 'utf8');
const dashboard = JSON.parse(text) as Dashboard;
const panels = dashboard.panels.filter((p) => p.type !== 'row');
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

/** Grafana's built-ins, and a value for each dashboard variable, so a query reads as plain PromQL. */
const BUILTINS: Record<string, string> = { __rate_interval: '5m', __interval: '1m', __range: '1h' };
function substitute(expr: string, vars: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (all, a: string | undefined, b: string | undefined) => {
    const name = a ?? b!;
    const v = BUILTINS[name] ?? vars[name];
    if (v === undefined) throw new Error(`unknown variable ${all} in ${JSON.stringify(expr)}`);
    return v;
  });
}
const VARS: Record<string, string> = { agent_job: 'virt-agent', controller_job: 'virt-controller', host: '.+', datasource: 'prometheus' };

describe('Grafana dashboard', () => {
  let catalog: Map<string, MetricInfo>;
  beforeAll(async () => {
    catalog = await metricCatalog();
  });

  it('is the output of deploy/grafana/build-dashboard.mjs', async () => {
    const { dashboardText } = (await import('../../deploy/grafana/build-dashboard.mjs')) as { dashboardText(): string };
    expect(text).toBe(dashboardText());
  });

  it('has panels with queries, unique ids, on the grid without overlaps', () => {
    expect(dashboard.uid).toBe('virt-agent-fleet');
    expect(panels.length).toBeGreaterThan(30);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      const { h, w, x, y } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          expect(cells.has(`${i},${j}`), `${p.title} overlaps at ${i},${j}`).toBe(false);
          cells.add(`${i},${j}`);
        }
      }
      if (p.type === 'row') continue;
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) expect(t.expr.trim(), p.title).not.toBe('');
    }
  });

  it('defines every variable its queries use', () => {
    const defined = dashboard.templating.list.map((v) => v.name).sort();
    expect(defined).toEqual(Object.keys(VARS).sort());
    for (const q of queries) expect(() => substitute(q.expr, VARS), q.panel).not.toThrow();
  });

  it('queries only series the agent and the controller register, with their labels and values', () => {
    const problems = queries.flatMap((q) => {
      const selectors = selectorsOf(substitute(q.expr, VARS));
      if (!selectors.some((s) => s.metric.startsWith('virt_') || s.metric === 'up')) return [`${q.panel}: reads no metric`];
      return selectors.flatMap((s) => selectorProblems(s, catalog).map((p) => `${q.panel}: ${p}`));
    });
    expect(problems).toEqual([]);
  });

  it('covers what the issue asks for on one screen', () => {
    const all = queries.map((q) => q.expr).join('\n');
    for (const metric of [
      'virt_agent_operation_duration_seconds_count', 'virt_agent_operation_duration_seconds_bucket', 'virt_agent_power_off_total',
      'virt_agent_operation_step_duration_seconds_count', 'virt_controller_reclaim_backlog', 'virt_controller_hosts',
      'virt_agent_libvirt_connected', 'virt_agent_event_loop_lag_seconds', 'virt_agent_watch_streams_overflowed_total',
      'virt_agent_storage_io_calls', 'virt_agent_connections_dropped_total', 'virt_controller_pending_power_offs',
      'virt_controller_pending_host_cleanups', 'virt_controller_instances', 'virt_controller_volumes', 'virt_controller_agent_calls_total',
    ]) expect(all, metric).toContain(metric);
  });

  describe.skipIf(!NEED_PROMTOOL)('with promtool', () => {
    it('every query is valid PromQL', () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-dashboard-'));
      try {
        const file = path.join(tmp, 'dashboard-queries.yml');
        const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: substitute(q.expr, VARS) }));
        fs.writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
        const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8', timeout: 60_000 });
        expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
        expect(r.stdout).toContain(`SUCCESS: ${queries.length} rules found`);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  });
});
