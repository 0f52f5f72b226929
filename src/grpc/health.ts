// grpc.health.v1.Health: Check and Watch over a status table that the process
// updates with setStatus(). "" is the server as a whole.
import * as grpc from '@grpc/grpc-js';

import type { HealthCheckRequest__Output, HealthCheckResponse, HealthCheckResponse__Output, HealthHandlers } from '../generated/grpc/health/v1';
import { HEALTH_SERVICE } from './contract';
import type { ProtoSet } from './protos';

export type ServingStatus = HealthCheckResponse__Output['status'];
interface Watcher {
  send(status: ServingStatus): void;
  end(): void;
}

export class HealthService {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<Watcher>>();
  private stopped = false;

  constructor(initial: Readonly<Record<string, ServingStatus>> = { '': 'SERVING' }) {
    for (const [service, status] of Object.entries(initial)) this.setStatus(service, status);
  }

  /** Sets a service's status and tells its watchers. Ignored after shutdown(). */
  setStatus(service: string, status: ServingStatus): void {
    if (status === 'SERVICE_UNKNOWN') throw new Error('SERVICE_UNKNOWN is reserved for Watch; use clearStatus()');
    if (this.stopped) return;
    this.statuses.set(service, status);
    this.notify(service, status);
  }

  /** Forgets a service: Check answers NOT_FOUND, watchers see SERVICE_UNKNOWN. */
  clearStatus(service: string): void {
    if (this.stopped) return;
    this.statuses.delete(service);
    this.notify(service, 'SERVICE_UNKNOWN');
  }

  getStatus(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  /**
   * Marks every service NOT_SERVING, freezes the table and ends open Watch
   * streams (after sending NOT_SERVING) so a graceful server shutdown is not
   * held up by them. For the start of shutdown.
   */
  shutdown(): void {
    if (this.stopped) return;
    for (const service of this.statuses.keys()) this.statuses.set(service, 'NOT_SERVING');
    for (const [service, set] of this.watchers) {
      for (const w of set) {
        if (this.statuses.has(service)) w.send('NOT_SERVING');
        w.end();
      }
    }
    this.watchers.clear();
    this.stopped = true;
  }

  /** The grpc-js implementation (Check, Watch). */
  implementation(): HealthHandlers {
    return {
      Check: (call, callback) => {
        const status = this.statuses.get(call.request.service);
        if (status === undefined) {
          callback({ code: grpc.status.NOT_FOUND, details: `unknown service: ${call.request.service}` });
        } else callback(null, { status });
      },
      Watch: (call) => this.watch(call),
    };
  }

  addToServer(server: grpc.Server, protos: ProtoSet): void {
    server.addService(protos.serviceDefinition(HEALTH_SERVICE), this.implementation());
  }

  private watch(call: grpc.ServerWritableStream<HealthCheckRequest__Output, HealthCheckResponse>): void {
    const service = call.request.service;
    let last: ServingStatus | undefined;
    const watcher: Watcher = {
      // Only changes are sent, as the protocol asks.
      send: (status) => {
        if (status === last || call.cancelled) return;
        last = status;
        call.write({ status });
      },
      end: () => {
        if (!call.cancelled) call.end();
      },
    };
    watcher.send(this.statuses.get(service) ?? 'SERVICE_UNKNOWN');
    if (this.stopped) {
      watcher.end();
      return;
    }
    let set = this.watchers.get(service);
    if (set === undefined) this.watchers.set(service, (set = new Set()));
    set.add(watcher);
    const remove = (): void => {
      const current = this.watchers.get(service);
      current?.delete(watcher);
      if (current?.size === 0) this.watchers.delete(service);
    };
    call.on('cancelled', remove);
    call.on('close', remove);
    call.on('error', remove);
  }

  private notify(service: string, status: ServingStatus): void {
    for (const w of this.watchers.get(service) ?? []) w.send(status);
  }
}
