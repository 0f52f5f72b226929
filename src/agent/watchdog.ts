// Is libvirt answering? Every intervalMs a cheap call (virConnectGetLibVersion:
// one round trip to libvirtd, no driver locks) with a deadline. When it has
// not answered within timeoutMs, libvirt — or the binding's libvirt threads,
// all stuck in calls — is stalled: the agent reports NOT_SERVING and
// GetHostInfo says why, until the call answers. While libvirt is not
// connected the agent is not healthy either (the Host reconnects).
//
// `healthy` and the 'change' event are what a service manager's watchdog
// (systemd WATCHDOG=1) should follow: notify only while healthy.
import { EventEmitter } from 'node:events';

import type { Logger } from '../logging';
import type { Host } from '../libvirt/host';

export interface WatchdogOptions {
  intervalMs: number;
  timeoutMs: number;
  logger?: Logger;
}

export interface WatchdogState {
  healthy: boolean;
  /** Why not healthy; '' when healthy. */
  reason: string;
  /** A probe is overdue (libvirt connected but not answering). */
  stalled: boolean;
  /** Date.now() of the last answered probe (0: none yet). */
  lastAnswerAt: number;
  /** How long the last answered probe took. */
  lastLatencyMs: number;
}

/** The part of Host the watchdog uses (tests pass their own). */
export type WatchedHost = Pick<Host, 'connected' | 'call' | 'on' | 'off' | 'uri'>;

export class Watchdog extends EventEmitter<{ change: [WatchdogState] }> {
  private timer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private probeStartedAt = 0;
  private probing = false;
  private stalledNow = false;
  private disconnected: string | undefined;
  private lastAnswerAt = 0;
  private lastLatencyMs = 0;
  private reported: boolean | undefined;
  /** Probes that missed their deadline since start. */
  stalls = 0;

  constructor(private readonly host: WatchedHost, private readonly options: WatchdogOptions) {
    super();
    this.disconnected = host.connected ? undefined : `libvirt at ${host.uri} is not connected`;
  }

  private readonly onConnected = (): void => {
    this.disconnected = undefined;
    this.update();
    this.probe();
  };

  private readonly onDisconnected = (why: string): void => {
    this.disconnected = `libvirt connection to ${this.host.uri} lost: ${why}`;
    this.update();
  };

  start(): void {
    this.host.on('connected', this.onConnected);
    this.host.on('disconnected', this.onDisconnected);
    this.disconnected = this.host.connected ? undefined : (this.disconnected ?? `libvirt at ${this.host.uri} is not connected`);
    this.update();
    this.timer = setInterval(() => this.probe(), this.options.intervalMs);
    this.timer.unref();
    this.probe();
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.deadline);
    this.timer = undefined;
    this.host.off('connected', this.onConnected);
    this.host.off('disconnected', this.onDisconnected);
  }

  get healthy(): boolean {
    return this.disconnected === undefined && !this.stalledNow;
  }

  get state(): WatchdogState {
    return {
      healthy: this.healthy, reason: this.reason(), stalled: this.stalledNow,
      lastAnswerAt: this.lastAnswerAt, lastLatencyMs: this.lastLatencyMs,
    };
  }

  private reason(): string {
    if (this.disconnected !== undefined) return this.disconnected;
    if (this.stalledNow) {
      const s = Math.round((Date.now() - this.probeStartedAt) / 1000);
      return `libvirt at ${this.host.uri} is not answering: virConnectGetLibVersion pending for ${s} s (deadline ${this.options.timeoutMs} ms); `
        + 'its calls are stuck in libvirt or the binding\'s libvirt threads are all busy';
    }
    return '';
  }

  /** Starts a probe unless one is in flight or libvirt is not connected. */
  probe(): void {
    if (this.probing || !this.host.connected) return;
    this.probing = true;
    this.probeStartedAt = Date.now();
    const started = performance.now();
    this.deadline = setTimeout(() => {
      if (!this.probing) return;
      this.stalls++;
      this.stalledNow = true;
      this.options.logger?.error({ uri: this.host.uri, timeout_ms: this.options.timeoutMs }, 'libvirt stalled: the watchdog call did not answer');
      this.update();
    }, this.options.timeoutMs);
    this.deadline.unref();
    this.host.call((c) => c.libVersion()).then(
      () => {
        this.lastAnswerAt = Date.now();
        this.lastLatencyMs = performance.now() - started;
      },
      () => undefined, // a failed call is an answer; connection loss is the Host's to report
    ).finally(() => {
      clearTimeout(this.deadline);
      this.probing = false;
      if (this.stalledNow) {
        this.stalledNow = false;
        this.options.logger?.warn({ uri: this.host.uri, stalled_ms: Date.now() - this.probeStartedAt }, 'libvirt answers again');
      }
      this.update();
    });
  }

  private update(): void {
    const healthy = this.healthy;
    if (healthy === this.reported) return;
    this.reported = healthy;
    this.emit('change', this.state);
  }
}
