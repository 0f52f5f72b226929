// deploy/prometheus: the alert rules pass `promtool check rules`, their unit
// tests (`promtool test rules`: each alert fires on synthetic series and stays
// quiet otherwise) pass, the example configuration passes `promtool check
// config`, and every series the rules read is one the agent or the controller
// registers, with labels and values they have. promtool comes with Debian's
// prometheus package (scripts/setup.sh --test); without it the promtool tests
// skip, except under CI where they fail.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { metricCatalog, selectorProblems, type MetricInfo } from '../helpers/metric-catalog';
import { selectorsOf } from '../helpers/promql-selectors';

const DIR = path.resolve(__dirname, '..', '..', 'deploy', 'prometheus');
const RULES = path.join(DIR, 'virt-agent-alerts.yml');
const RULE_TESTS = path.join(DIR, 'virt-agent-alerts.test.yml');
const PROMTOOL = spawnSync('promtool', ['--version']).status === 0;
const NEED_PROMTOOL = PROMTOOL || process.env['CI'] === 'true';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleTest {
  name: string;
  input_series: Array<{ series: string; values: string }>;
  alert_rule_test: Array<{ eval_time: string; alertname: string; exp_alerts: unknown[] }>;
}

const rules: Rule[] = (parse(fs.readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);
const ruleTests: RuleTest[] = (parse(fs.readFileSync(RULE_TESTS, 'utf8')) as { tests: RuleTest[] }).tests;

function promtool(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe.skipIf(!NEED_PROMTOOL)('promtool (Debian package prometheus)', () => {
  it('checks the rules', () => {
    const r = promtool(['check', 'rules', RULES]);
    expect(r.out).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.status, r.out).toBe(0);
  });

  it('passes the rules unit tests', () => {
    const r = promtool(['test', 'rules', RULE_TESTS]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('SUCCESS');
  });

  it('checks the example configuration and the rule file it loads', () => {
    const r = promtool(['check', 'config', path.join(DIR, 'prometheus.example.yml')]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('fails an alert that does not fire as its test expects (the unit tests can fail)', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-alerts-'));
    try {
      // VirtHostDown made blind: its test expects it to fire.
      const broken = fs.readFileSync(RULES, 'utf8').replace('virt_controller_hosts{state="down"} > 0', 'virt_controller_hosts{state="down"} > 100');
      expect(broken).not.toBe(fs.readFileSync(RULES, 'utf8'));
      fs.writeFileSync(path.join(tmp, 'virt-agent-alerts.yml'), broken);
      fs.copyFileSync(RULE_TESTS, path.join(tmp, 'virt-agent-alerts.test.yml'));
      const r = spawnSync('promtool', ['test', 'rules', 'virt-agent-alerts.test.yml'], { cwd: tmp, encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(1);
      expect(`${r.stdout}${r.stderr}`).toMatch(/alertname: VirtHostDown/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('alert rules', () => {
  let catalog: Map<string, MetricInfo>;
  beforeAll(async () => {
    catalog = await metricCatalog();
  });

  it('read only series the agent and the controller register, with their labels and values', () => {
    expect(rules.length).toBeGreaterThan(10);
    const problems = rules.flatMap((r) => {
      const selectors = selectorsOf(r.expr);
      if (!selectors.some((s) => s.metric.startsWith('virt_') || s.metric === 'up')) return [`${r.alert}: reads no metric`];
      return selectors.flatMap((s) => selectorProblems(s, catalog).map((p) => `${r.alert}: ${p}`));
    });
    expect(problems).toEqual([]);
  });

  it('the name check catches a renamed metric, label or value', () => {
    const problems = (expr: string) => selectorsOf(expr).flatMap((s) => selectorProblems(s, catalog));
    expect(problems('virt_agent_libvirt_connected == 0')).toEqual([]);
    expect(problems('virt_agent_libvirt_connection == 0')).toEqual(['virt_agent_libvirt_connection: no such series is registered']);
    expect(problems('sum by (job) (rate(virt_agent_power_off_total{outcome="forced"}[5m]))'))
      .toEqual(['virt_agent_power_off_total: has no label outcome']);
    expect(problems('virt_controller_instances{vm_state="ERROR"} > 0')[0]).toMatch(/no value "ERROR"/);
    expect(problems('virt_agent_storage_io_calls{state=~"stalled|stuck"} > 0')[0]).toMatch(/no value "stuck"/);
    expect(problems('histogram_quantile(0.9, rate(virt_agent_operation_duration_seconds_bucket{le="1"}[5m]))')).toEqual([]);
  });

  it('each has a severity, a summary and a description', () => {
    for (const r of rules) {
      expect(['critical', 'warning', 'info'], r.alert).toContain(r.labels?.['severity']);
      expect(r.annotations?.['summary'], r.alert).toBeTruthy();
      expect(r.annotations?.['description'], r.alert).toBeTruthy();
    }
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  it('each is unit-tested firing and quiet', () => {
    for (const r of rules) {
      const cases = ruleTests.flatMap((t) => t.alert_rule_test).filter((c) => c.alertname === r.alert);
      expect(cases.some((c) => c.exp_alerts.length > 0), `${r.alert} fires in a test`).toBe(true);
      expect(cases.some((c) => c.exp_alerts.length === 0), `${r.alert} stays quiet in a test`).toBe(true);
    }
  });

  it('their unit tests feed only series the code registers', () => {
    const problems = ruleTests.flatMap((t) => t.input_series.flatMap((s) =>
      selectorsOf(s.series).flatMap((sel) => selectorProblems(sel, catalog).map((p) => `${t.name}: ${p}`))));
    expect(problems).toEqual([]);
  });

  it('each has a runbook line in the README', () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');
    const start = readme.indexOf('## Dashboards and alerts');
    expect(start).toBeGreaterThan(0);
    const section = readme.slice(start);
    for (const r of rules) expect(section, r.alert).toMatch(new RegExp(`\\| \`${r.alert}\` \\|`));
  });
});
