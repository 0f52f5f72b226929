// What the agent and the controller register: every exposed series name with
// its metric's type and label names, and the label values a scrape of a fresh
// agent and controller shows (enumerated ones: vm_state, status, state, stat,
// result, ...). Read from the real metrics classes' registries, so renaming a
// metric or a label breaks the checks of deploy/'s dashboard and alert rules.
import { AgentMetrics } from '../../src/agent/metrics';
import { openSqlite } from '../../src/controller/sqlite-engine';
import { HostLiveness } from '../../src/controller/liveness';
import { ControllerMetrics } from '../../src/controller/metrics';
import { Store } from '../../src/controller/store';
import { ManualClock } from './clocks';
import type { Matcher, Selector } from './promql-selectors';
import { literalValues } from './promql-selectors';

export interface MetricInfo {
  /** The metric as registered (a histogram's series are NAME_bucket, NAME_sum, NAME_count). */
  metric: string;
  type: string;
  labels: Set<string>;
  /** Label values seen in a scrape, by label (empty for labels only filled by traffic). */
  values: Map<string, Set<string>>;
}

/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ['job', 'instance'];

/** Series of Prometheus itself that the rules may use. */
const PROMETHEUS_SERIES: MetricInfo[] = [{ metric: 'up', type: 'gauge', labels: new Set(TARGET_LABELS), values: new Map() }];

interface PromMetric {
  name: string;
  type: string;
  labelNames?: string[];
}

interface PromJson {
  name: string;
  values: Array<{ labels: Record<string, string | number> }>;
}

async function read(registry: { getMetricsAsArray(): unknown[]; getMetricsAsJSON(): Promise<unknown[]> }, into: Map<string, MetricInfo>): Promise<void> {
  const scraped = new Map((await registry.getMetricsAsJSON() as PromJson[]).map((m) => [m.name, m]));
  for (const m of registry.getMetricsAsArray() as PromMetric[]) {
    const labels = new Set([...(m.labelNames ?? []), ...TARGET_LABELS]);
    const values = new Map<string, Set<string>>();
    for (const v of scraped.get(m.name)?.values ?? []) {
      for (const [k, val] of Object.entries(v.labels)) {
        if (k === 'le') continue;
        if (!values.has(k)) values.set(k, new Set());
        values.get(k)!.add(String(val));
      }
    }
    const info: MetricInfo = { metric: m.name, type: m.type, labels, values };
    const series = m.type === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => m.name + s) : [m.name];
    for (const s of series) into.set(s, info);
  }
}

/** Series name → its metric, for a fresh agent and controller. */
export async function metricCatalog(): Promise<Map<string, MetricInfo>> {
  const catalog = new Map<string, MetricInfo>(PROMETHEUS_SERIES.map((m) => [m.metric, m]));
  const agent = new AgentMetrics('catalog');
  await read(agent.registry, catalog);
  await agent.stop();

  const engine = openSqlite(':memory:');
  try {
    const clock = new ManualClock();
    const controller = new ControllerMetrics({
      store: new Store(engine, clock),
      liveness: new HostLiveness({ clock, serviceDownSeconds: 60, hosts: ['h1'] }),
      reclaimIntervalSeconds: 3600,
    });
    await read(controller.registry, catalog);
  } finally {
    await engine.close();
  }
  return catalog;
}

/** Problems of one selector against the catalog (unknown series, label, or enumerated value); empty when it is fine. */
export function selectorProblems(sel: Selector, catalog: Map<string, MetricInfo>): string[] {
  const info = catalog.get(sel.metric);
  if (!info) return [`${sel.metric}: no such series is registered`];
  const problems: string[] = [];
  for (const m of sel.matchers) problems.push(...matcherProblems(sel.metric, info, m));
  return problems;
}

function matcherProblems(series: string, info: MetricInfo, m: Matcher): string[] {
  const isBucket = info.type === 'histogram' && series.endsWith('_bucket');
  if (!info.labels.has(m.label) && !(isBucket && m.label === 'le')) return [`${series}: has no label ${m.label}`];
  const known = info.values.get(m.label);
  const wanted = literalValues(m);
  if (!known || known.size === 0 || !wanted) return [];
  return wanted.filter((v) => !known.has(v)).map((v) => `${series}{${m.label}}: no value ${JSON.stringify(v)} (has ${[...known].join(', ')})`);
}
