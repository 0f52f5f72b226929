// How virtctl shows things to people: aligned tables, the steps of an
// operation, and live progress of a long operation (a status line redrawn on
// a TTY, fed by WatchEvents and a clock). Scripts use -o json instead.
import type { Event__Output as Event } from '../../generated/virtagent/v1/Event';
import type { PowerOffResponse__Output as PowerOffResponse } from '../../generated/virtagent/v1/PowerOffResponse';
import type { Step__Output as Step } from '../../generated/virtagent/v1/Step';

/** Columns padded to their widest cell; headers upper-cased. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return `${[line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n')}\n`;
}

/** The steps of an agent response as a table. */
export function stepsTable(steps: Step[]): string {
  if (steps.length === 0) return '';
  return table(['step', 'outcome', 'ms', 'detail'], steps.map((s) => [s.name, s.outcome, String(s.duration_ms), s.detail]));
}

export const warningLines = (warnings: string[]): string => warnings.map((w) => `warning: ${w}\n`).join('');

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export interface PowerOffPlan {
  timeoutSeconds: number;
  retrySeconds: number;
}

/**
 * What a stop shows while it runs: "web-1: shutdown requested, re-sent 1/5,
 * 7.2 s of 30 s" (re-sends follow the agent's schedule: one every retry
 * interval from the first request), a line per libvirt event of the domain,
 * and at the end the agent's own account: "web-1: shutdown requested →
 * re-sent 2/5 → stopped in 12.1 s".
 */
export class StopProgress {
  constructor(private readonly domain: string, private readonly startedAt: number, private readonly plan: PowerOffPlan) {}

  /** Re-sends the agent makes at most: one per retry interval that starts before the budget ends. */
  get maxResends(): number {
    if (this.plan.retrySeconds <= 0 || this.plan.timeoutSeconds <= 0) return 0;
    return Math.max(0, Math.ceil(this.plan.timeoutSeconds / this.plan.retrySeconds) - 1);
  }

  /** The live line at `now`. */
  status(now: number): string {
    const elapsed = now - this.startedAt;
    if (this.plan.timeoutSeconds === 0) return `${this.domain}: destroying (timeout 0), ${seconds(elapsed)}`;
    const resent = Math.min(this.maxResends, Math.floor(elapsed / (this.plan.retrySeconds * 1000)));
    return `${this.domain}: shutdown requested, re-sent ${resent}/${this.maxResends}, ${seconds(elapsed)} of ${this.plan.timeoutSeconds} s`;
  }

  /** A line for a WatchEvents message, at `now`. */
  event(e: Event, now: number): string | undefined {
    return eventLine(e, now - this.startedAt);
  }

  /** The end, from the agent's PowerOffResponse. */
  summary(res: PowerOffResponse): string {
    const requests = res.shutdown_requests;
    const took = seconds(res.elapsed_ms);
    if (requests === 0) {
      const already = res.steps.find((s) => s.outcome === 'skipped' && s.detail.startsWith('already'));
      if (already) return `${this.domain}: ${already.detail}, nothing to do`;
      return `${this.domain}: destroyed in ${took} (${res.power_state.replace(/^POWER_STATE_/, '')})`;
    }
    const parts = ['shutdown requested'];
    if (requests > 1) parts.push(`re-sent ${requests - 1}/${this.maxResends}`);
    parts.push(res.clean ? `stopped in ${took}` : `not stopped after ${this.plan.timeoutSeconds} s: destroyed (${took})`);
    return `${this.domain}: ${parts.join(' → ')}`;
  }
}

/** An event of the domain an operation works on, as a progress line. */
export function eventLine(e: Event, elapsedMs: number): string | undefined {
  const at = `+${seconds(elapsedMs)}`;
  if (e.lifecycle) return `  ${at}  ${e.lifecycle.event} (${e.lifecycle.detail})`;
  if (e.device_removed) return `  ${at}  device removed: ${e.device_removed.device_alias}`;
  if (e.device_removal_failed) return `  ${at}  device removal refused: ${e.device_removal_failed.device_alias}`;
  return undefined;
}

export interface ProgressSink {
  /** A permanent line above the live one. */
  line(text: string): void;
  /** Redraws the live line. */
  live(text: string): void;
  /** Removes the live line. */
  clear(): void;
}

/** Draws on a TTY stream: the live line is rewritten in place. */
export function ttySink(out: Pick<NodeJS.WriteStream, 'write' | 'columns'>): ProgressSink {
  let shown = false;
  const clear = () => {
    if (shown) out.write('\r\x1b[2K');
    shown = false;
  };
  return {
    line(text) {
      clear();
      out.write(`${text}\n`);
    },
    live(text) {
      out.write(`\r\x1b[2K${text.slice(0, Math.max(20, out.columns - 1))}`);
      shown = true;
    },
    clear,
  };
}
