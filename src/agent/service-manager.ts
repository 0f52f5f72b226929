// What the agent tells systemd (Type=notify, WatchdogSec=): READY=1 once it
// listens and libvirt is connected; WATCHDOG=1 every half watchdog interval
// only while its libvirt watchdog is healthy (connected and answering), so
// systemd restarts an agent whose libvirt calls are wedged; a STATUS= line
// ("connected to qemu:///system, 3 operations in flight"); STOPPING=1 when
// it drains.
import type { Host } from '../libvirt/host';
import type { Logger } from '../logging';
import type { ServiceNotifier } from '../service-notify';
import type { Watchdog } from './watchdog';

export interface NotifiedAgent {
  host: Pick<Host, 'connected' | 'once' | 'off' | 'uri'>;
  watchdog: Pick<Watchdog, 'healthy' | 'state' | 'on' | 'off'>;
  /** Operations in flight. */
  inFlight(): number;
}

export interface AgentNotifications {
  /** STOPPING=1 with the drain in the status line; stops the timer. */
  stopping(): void;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

export function agentStatus(agent: NotifiedAgent): string {
  const ops = `${plural(agent.inFlight(), 'operation')} in flight`;
  if (!agent.host.connected) return `waiting for libvirt at ${agent.host.uri}, ${ops}`;
  if (!agent.watchdog.healthy) return `${agent.watchdog.state.reason}, ${ops}`;
  return `connected to ${agent.host.uri}, ${ops}`;
}

export function notifyServiceManager(notifier: ServiceNotifier, agent: NotifiedAgent, logger: Logger): AgentNotifications {
  let ready = false;
  const tick = () => ({ healthy: agent.watchdog.healthy, status: agentStatus(agent) });
  const becomeReady = () => {
    if (ready) return;
    ready = true;
    notifier.notify({ ready: true, status: agentStatus(agent), watchdog: notifier.watchdogMs !== undefined && agent.watchdog.healthy });
    logger.info({ notify_socket: notifier.socketPath, watchdog_ms: notifier.watchdogMs }, 'systemd notified: READY=1');
  };
  // A change to healthy feeds the watchdog at once; to unhealthy only updates the status.
  const onChange = () => {
    notifier.notify({ status: agentStatus(agent), watchdog: ready && notifier.watchdogMs !== undefined && agent.watchdog.healthy });
  };
  agent.watchdog.on('change', onChange);
  const stopTimer = notifier.every(() => (ready ? tick() : { healthy: false, status: agentStatus(agent) }));
  if (agent.host.connected) becomeReady();
  else {
    notifier.notify({ status: agentStatus(agent) });
    agent.host.once('connected', becomeReady);
  }
  return {
    stopping() {
      stopTimer();
      agent.watchdog.off('change', onChange);
      agent.host.off('connected', becomeReady);
      notifier.notify({ stopping: true, status: `stopping: draining ${plural(agent.inFlight(), 'operation')}` });
    },
  };
}
