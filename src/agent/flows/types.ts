// What every flow receives: its dependencies (so tests can drive it with the
// test driver, a fake clock and a scripted command runner) and the context of
// the one request it serves.
import type { Logger } from 'pino';

import type { Host } from '../../libvirt/host';
import type { Clock } from '../clock';
import type { AgentConfig } from '../config';
import type { DomainStore } from '../domain-store';
import type { CommandRunner } from '../exec';
import type { StepRecorder } from '../steps';

export type ShutdownMethodName = 'acpi' | 'guest_agent';

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
}
