// Telling systemd how a daemon is doing (sd_notify(3)): READY=1, STATUS=,
// WATCHDOG=1 and STOPPING=1 as datagrams to $NOTIFY_SOCKET, sent by the
// project's small addon (src/native/notify.cc, no libvirt). Without
// NOTIFY_SOCKET (not started by systemd, or Type=simple) nothing is sent.
import path from 'node:path';

/** Sends one notification datagram; throws on a socket error. */
export type NotifySend = (socketPath: string, message: string) => void;

let addon: { notify: NotifySend } | undefined;

function nativeSend(socketPath: string, message: string): void {
  if (addon === undefined) {
    // Same relative location from src/ (vitest) and dist/ (compiled).
    const file = path.resolve(__dirname, '..', 'build', 'Release', 'virt_notify.node');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(file) as { notify: NotifySend };
  }
  addon.notify(socketPath, message);
}

export interface ServiceNotifierOptions {
  /** Where NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  pid?: number;
  send?: NotifySend;
  /** Called with a send error (the daemon carries on: systemd is told nothing more). */
  onError?: (err: Error) => void;
}

export class ServiceNotifier {
  /**
   * The watchdog interval systemd expects WATCHDOG=1 within (WATCHDOG_USEC), in
   * ms; undefined when there is no watchdog for this process (unset, or
   * WATCHDOG_PID names another process).
   */
  readonly watchdogMs: number | undefined;
  private lastStatus: string | undefined;
  private failed = false;

  private constructor(
    readonly socketPath: string,
    watchdogMs: number | undefined,
    private readonly send: NotifySend,
    private readonly onError: (err: Error) => void,
  ) {
    this.watchdogMs = watchdogMs;
  }

  /** A notifier when the environment names a notify socket, else undefined. */
  static fromEnv(options: ServiceNotifierOptions = {}): ServiceNotifier | undefined {
    const env = options.env ?? process.env;
    const socketPath = env.NOTIFY_SOCKET;
    if (socketPath === undefined || socketPath === '') return undefined;
    const pid = options.pid ?? process.pid;
    const usec = Number(env.WATCHDOG_USEC);
    const forUs = env.WATCHDOG_PID === undefined || env.WATCHDOG_PID === '' || Number(env.WATCHDOG_PID) === pid;
    const watchdogMs = Number.isSafeInteger(usec) && usec > 0 && forUs ? Math.max(1, Math.floor(usec / 1000)) : undefined;
    return new ServiceNotifier(socketPath, watchdogMs, options.send ?? nativeSend, options.onError ?? (() => undefined));
  }

  /** Sends KEY=VALUE lines in one datagram; STATUS only when it changed. */
  notify(fields: { ready?: boolean; watchdog?: boolean; stopping?: boolean; status?: string }): void {
    const lines: string[] = [];
    if (fields.ready) lines.push('READY=1');
    if (fields.stopping) lines.push('STOPPING=1');
    if (fields.status !== undefined && fields.status !== this.lastStatus) {
      // One line: systemd reads STATUS up to the newline.
      lines.push(`STATUS=${fields.status.replace(/\s*\n\s*/g, ' ')}`);
      this.lastStatus = fields.status;
    }
    if (fields.watchdog) lines.push('WATCHDOG=1');
    if (lines.length === 0) return;
    try {
      this.send(this.socketPath, `${lines.join('\n')}\n`);
    } catch (err) {
      if (!this.failed) this.onError(err as Error); // once: a gone socket fails every time
      this.failed = true;
    }
  }

  /**
   * Every half watchdog interval (as sd_watchdog_enabled(3) advises), or every
   * statusMs without a watchdog: `tick()` says whether to feed the watchdog
   * and what the status is. Returns a stop function.
   */
  every(tick: () => { healthy: boolean; status: string }, statusMs = 5000): () => void {
    const intervalMs = this.watchdogMs !== undefined ? Math.max(1, Math.floor(this.watchdogMs / 2)) : statusMs;
    const run = () => {
      const t = tick();
      this.notify({ status: t.status, watchdog: this.watchdogMs !== undefined && t.healthy });
    };
    const timer = setInterval(run, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
