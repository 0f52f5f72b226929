// The agent's Prometheus metrics of the libvirt admission queue
// (libvirt/admission.ts → agent/metrics.ts): calls held in the process's
// admission show up in a scrape as in_flight/waiting per lane, the slots as
// configured, and the totals admitted and waited per lane count them.
// The calls are the test's own closures (what a binding call is to the
// admission), so the test decides when each finishes.
import { afterEach, describe, expect, it } from 'vitest';

import { AgentMetrics } from '../../src/agent/metrics';
import { libvirtAdmission, type Lane } from '../../src/libvirt/admission';

const metrics: AgentMetrics[] = [];
afterEach(async () => { await Promise.all(metrics.splice(0).map((m) => m.stop())); });

/** name{labels} value lines of the exposition text, as a map. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

const settle = async () => { for (let i = 0; i < 10; i++) await Promise.resolve(); };

describe('admission metrics', () => {
  it('a scrape shows calls in the binding and waiting per lane, the slots, and the totals', async () => {
    libvirtAdmission.configure({ limit: 2, reserved: 1, burst: 8 });
    const m = new AgentMetrics('test');
    metrics.push(m);
    const before = samples(await m.text());
    const base = (lane: Lane, what: 'admitted' | 'waited') => before.get(`virt_agent_libvirt_admission_${what}_total{lane="${lane}"}`)!;
    expect(base('priority', 'admitted')).toBeGreaterThanOrEqual(0);

    const finishers: Array<() => void> = [];
    const hold = (lane: Lane) => libvirtAdmission.run(lane, () => new Promise<void>((resolve) => finishers.push(resolve)));
    // One write takes the unreserved slot, a second write waits; a read takes the reserved slot, a second read waits.
    const done = [hold('normal'), hold('normal'), hold('priority'), hold('priority')];
    await settle();
    const during = samples(await m.text());
    expect(during.get('virt_agent_libvirt_admission_calls{lane="normal",state="in_flight"}')).toBe(1);
    expect(during.get('virt_agent_libvirt_admission_calls{lane="normal",state="waiting"}')).toBe(1);
    expect(during.get('virt_agent_libvirt_admission_calls{lane="priority",state="in_flight"}')).toBe(1);
    expect(during.get('virt_agent_libvirt_admission_calls{lane="priority",state="waiting"}')).toBe(1);
    expect(during.get('virt_agent_libvirt_admission_slots{kind="limit"}')).toBe(2);
    expect(during.get('virt_agent_libvirt_admission_slots{kind="reserved"}')).toBe(1);

    while (finishers.length > 0) {
      finishers.splice(0).forEach((f) => f());
      await settle();
    }
    await Promise.all(done);
    const after = samples(await m.text());
    for (const lane of ['normal', 'priority'] as const) {
      expect(after.get(`virt_agent_libvirt_admission_calls{lane="${lane}",state="in_flight"}`)).toBe(0);
      expect(after.get(`virt_agent_libvirt_admission_calls{lane="${lane}",state="waiting"}`)).toBe(0);
      expect(after.get(`virt_agent_libvirt_admission_admitted_total{lane="${lane}"}`)).toBe(base(lane, 'admitted') + 2);
      expect(after.get(`virt_agent_libvirt_admission_waited_total{lane="${lane}"}`)).toBe(base(lane, 'waited') + 1);
    }
  });
});
