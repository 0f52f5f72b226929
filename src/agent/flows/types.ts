// What every flow receives: its dependencies (so tests can drive it with the
// test driver, a fake clock and a scripted command runner) and the context of
// the one request it serves.
import type { Logger } from 'pino';

import type { DomainFacts, Guest, XmlWanted } from '../../libvirt/guest';
import type { DomainRef, Host } from '../../libvirt/host';
import type { Clock } from '../clock';
import type { AgentConfig } from '../config';
import type { DomainStore } from '../domain-store';
import type { CommandRunner } from '../exec';
import type { StepRecorder } from '../steps';

export type { ShutdownMethodName } from '../config';

export interface FlowDeps {
  host: Host;
  clock: Clock;
  logger: Logger;
  config: AgentConfig;
  runner: CommandRunner;
  store: DomainStore;
}

export interface OpContext {
  /** Aborted when the caller's deadline passes or it cancels. */
  signal?: AbortSignal;
  requestId: string;
  steps: StepRecorder;
  logger: Logger;
  /**
   * The domain the operation manager found for the request's `ref`, as it is
   * at the operation's turn: its Guest, or null when libvirt has none. Unset
   * when a flow runs without the manager (tests); targetOf() then looks it up.
   * With `facts`: what the manager read with that same lookup (one binding
   * job, OperationOptions.describe), as asked for by `wanted`.
   */
  target?: { ref: DomainRef; guest: Guest | null; facts?: { wanted: XmlWanted; facts: DomainFacts } };
}
