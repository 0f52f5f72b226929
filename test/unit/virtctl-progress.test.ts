// virtctl's progress and tables from a sequence of events and times: what a
// person sees while `virtctl stop` runs and after.
import { describe, expect, it } from 'vitest';

import type { Event__Output as Event } from '../../src/generated/virtagent/v1/Event';
import type { PowerOffResponse__Output as PowerOffResponse } from '../../src/generated/virtagent/v1/PowerOffResponse';
import { eventLine, StopProgress, table, ttySink } from '../../src/cli/virtctl/output';

const lifecycle = (event: string, detail: string): Event => ({
  time: null, domain_name: 'web-1', domain_uuid: 'u', lifecycle: { event, detail, event_code: 0, detail_code: 0 }, kind: 'lifecycle',
});
const response = (r: Partial<PowerOffResponse>): PowerOffResponse => ({
  clean: true, shutdown_requests: 1, elapsed_ms: 0, power_state: 'POWER_STATE_SHUTOFF', steps: [], ...r,
});

describe('StopProgress', () => {
  const p = new StopProgress('web-1', 1000, { timeoutSeconds: 30, retrySeconds: 5 });

  it('the live line follows the agent\'s re-send schedule, capped at the budget', () => {
    expect(p.maxResends).toBe(5); // requests at 0, 5, 10, 15, 20, 25 s
    expect(p.status(1000)).toBe('web-1: shutdown requested, re-sent 0/5, 0.0 s of 30 s');
    expect(p.status(1000 + 4999)).toBe('web-1: shutdown requested, re-sent 0/5, 5.0 s of 30 s');
    expect(p.status(1000 + 10_100)).toBe('web-1: shutdown requested, re-sent 2/5, 10.1 s of 30 s');
    expect(p.status(1000 + 31_000)).toBe('web-1: shutdown requested, re-sent 5/5, 31.0 s of 30 s');
    expect(new StopProgress('x', 0, { timeoutSeconds: 0, retrySeconds: 5 }).status(1500)).toBe('x: destroying (timeout 0), 1.5 s');
    expect(new StopProgress('x', 0, { timeoutSeconds: 10, retrySeconds: 10 }).maxResends).toBe(0);
    expect(new StopProgress('x', 0, { timeoutSeconds: 11, retrySeconds: 10 }).maxResends).toBe(1);
  });

  it('events become lines with the time since the start', () => {
    expect(p.event(lifecycle('SHUTDOWN', 'SHUTDOWN_GUEST'), 1000 + 1900)).toBe('  +1.9 s  SHUTDOWN (SHUTDOWN_GUEST)');
    expect(p.event(lifecycle('STOPPED', 'STOPPED_SHUTDOWN'), 1000 + 2100)).toBe('  +2.1 s  STOPPED (STOPPED_SHUTDOWN)');
    expect(eventLine({ time: null, domain_name: 'w', domain_uuid: 'u', device_removed: { device_alias: 'virtio-disk1' } }, 500)).toBe('  +0.5 s  device removed: virtio-disk1');
    expect(eventLine({ time: null, domain_name: 'w', domain_uuid: 'u' }, 500)).toBeUndefined();
  });

  it('the summary is the agent\'s account: requests sent, clean or destroyed, already stopped', () => {
    expect(p.summary(response({ shutdown_requests: 3, elapsed_ms: 12_100 }))).toBe('web-1: shutdown requested → re-sent 2/5 → stopped in 12.1 s');
    expect(p.summary(response({ shutdown_requests: 1, elapsed_ms: 2100 }))).toBe('web-1: shutdown requested → stopped in 2.1 s');
    expect(p.summary(response({ clean: false, shutdown_requests: 6, elapsed_ms: 30_400 })))
      .toBe('web-1: shutdown requested → re-sent 5/5 → not stopped after 30 s: destroyed (30.4 s)');
    expect(p.summary(response({ shutdown_requests: 0, steps: [{ name: 'check-state', outcome: 'skipped', detail: 'already SHUTOFF', duration_ms: 0 }] })))
      .toBe('web-1: already SHUTOFF, nothing to do');
    expect(p.summary(response({ clean: false, shutdown_requests: 0, elapsed_ms: 300 }))).toBe('web-1: destroyed in 0.3 s (SHUTOFF)');
  });
});

describe('ttySink', () => {
  it('redraws the live line in place, prints event lines above it, erases it at the end', () => {
    const w: string[] = [];
    const sink = ttySink({ write: (s: string) => { w.push(s); return true; }, columns: 30 });
    sink.live('web-1: shutdown requested, re-sent 0/5, 0.0 s of 30 s');
    sink.line('  +2.1 s  STOPPED (STOPPED_SHUTDOWN)');
    sink.live('again');
    sink.clear();
    sink.clear(); // nothing shown: nothing to erase
    expect(w).toEqual([
      '\r\x1b[2Kweb-1: shutdown requested, re', // cut to the terminal's width less one column
      '\r\x1b[2K', '  +2.1 s  STOPPED (STOPPED_SHUTDOWN)\n',
      '\r\x1b[2Kagain',
      '\r\x1b[2K',
    ]);
  });
});

describe('table', () => {
  it('pads every column but the last to its widest cell', () => {
    expect(table(['name', 'state'], [['web-1', 'RUNNING'], ['transient-1', 'SHUTOFF']]))
      .toBe('NAME         STATE\nweb-1        RUNNING\ntransient-1  SHUTOFF\n');
  });
});
