// virtctl's verbs, each one RPC (or two) of the agent or the controller:
//   stop DOMAIN [--timeout S] [--retry S]   agent PowerOff, live progress on a TTY
//   destroy DOMAIN [--disks]                agent Destroy
//   detach DOMAIN DEV [--connection-info JSON]   agent DisconnectVolume
//   domains                                 agent ListDomains
//   instances list|delete|restore|force-delete   controller
//   hosts                                   controller
// Results are tables for people or the response as JSON (-o json) for scripts.
import * as grpc from '@grpc/grpc-js';

import type { ConnectionInfo } from '../../generated/virtagent/v1/ConnectionInfo';
import type { DestroyResponse__Output as DestroyResponse } from '../../generated/virtagent/v1/DestroyResponse';
import type { DisconnectVolumeResponse__Output as DisconnectVolumeResponse } from '../../generated/virtagent/v1/DisconnectVolumeResponse';
import type { Disk__Output as Disk } from '../../generated/virtagent/v1/Disk';
import type { Domain__Output as Domain } from '../../generated/virtagent/v1/Domain';
import type { Event__Output as Event } from '../../generated/virtagent/v1/Event';
import type { ListDomainsResponse__Output as ListDomainsResponse } from '../../generated/virtagent/v1/ListDomainsResponse';
import type { PowerOffResponse__Output as PowerOffResponse } from '../../generated/virtagent/v1/PowerOffResponse';
import type { Host__Output as ListedHost } from '../../generated/virtcontroller/v1/Host';
import type { Instance__Output as Instance } from '../../generated/virtcontroller/v1/Instance';
import type { ListInstancesResponse__Output as ListInstancesResponse } from '../../generated/virtcontroller/v1/ListInstancesResponse';
import { CallError, domainRef, type ServiceClient } from './rpc';
import { eventLine, stepsTable, StopProgress, table, ttySink, warningLines, type ProgressSink } from './output';

export interface Io {
  out: Pick<NodeJS.WritableStream, 'write'>;
  /** Progress goes here, only when it is a TTY (stderr). */
  progress: Pick<NodeJS.WriteStream, 'write' | 'columns'> | undefined;
  json: boolean;
  now(): number;
}

function print(io: Io, res: unknown, human: () => string): void {
  io.out.write(io.json ? `${JSON.stringify(res, null, 2)}\n` : human());
}

const short = (v: string, prefix: string) => v.replace(prefix, '');

/**
 * Runs a long agent call, showing the domain's events and a live line on a
 * TTY. WatchEvents is opened first (so no event is missed) and cancelled
 * when the call ends; a failing stream only loses the progress, not the call.
 */
async function withProgress<T>(
  agent: ServiceClient, io: Io, domain: string, call: () => Promise<T>,
  live: (now: number) => string, onEvent: (e: Event, now: number) => string | undefined,
): Promise<T> {
  if (!io.progress) return call();
  const sink: ProgressSink = ttySink(io.progress);
  const watch = agent.stream<Event>('WatchEvents', { domain: domainRef(domain) }, (e) => {
    const line = onEvent(e, io.now());
    if (line !== undefined) sink.line(line);
  });
  watch.done.catch(() => undefined);
  // Start the operation once the stream is subscribed, so its first events are shown; at most 2 s.
  await Promise.race([watch.ready, new Promise((r) => setTimeout(r, 2000).unref())]);
  const timer = setInterval(() => sink.live(live(io.now())), 100);
  sink.live(live(io.now()));
  try {
    return await call();
  } finally {
    clearInterval(timer);
    watch.cancel();
    sink.clear();
  }
}

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CallError(grpc.status.INVALID_ARGUMENT, `${flag} must be a whole number of seconds, not ${JSON.stringify(value)}`);
  return n;
}

export async function stop(agent: ServiceClient, io: Io, name: string, opts: { timeout?: string; retry?: string }): Promise<void> {
  const timeout = seconds(opts.timeout, '--timeout');
  const retry = seconds(opts.retry, '--retry');
  const req = {
    domain: domainRef(name),
    ...(timeout !== undefined ? { timeout_seconds: timeout } : {}),
    ...(retry !== undefined ? { retry_interval_seconds: retry } : {}),
  };
  // Without flags the agent's defaults (60 s, every 10 s) apply; the progress line assumes them.
  const progress = new StopProgress(name, io.now(), { timeoutSeconds: timeout ?? 60, retrySeconds: retry ?? 10 });
  // The call's deadline covers the whole shutdown budget and the destroy after it.
  const res = await withProgress(agent, io, name,
    () => agent.unary<PowerOffResponse>('PowerOff', req, Math.max(120, (timeout ?? 60) + 60)),
    (now) => progress.status(now), (e, now) => progress.event(e, now));
  print(io, res, () => `${progress.summary(res)}\n`);
}

export async function destroy(agent: ServiceClient, io: Io, name: string, opts: { disks?: boolean }): Promise<void> {
  const started = io.now();
  const res = await withProgress(agent, io, name,
    () => agent.unary<DestroyResponse>('Destroy', { domain: domainRef(name), destroy_disks: opts.disks === true }),
    (now) => `${name}: destroying${opts.disks ? ' with its disks' : ''}, ${((now - started) / 1000).toFixed(1)} s`,
    (e, now) => eventLine(e, now - started));
  print(io, res, () => {
    const what = !res.found
      ? 'not known to libvirt: cleaned up after'
      : [res.was_running ? 'destroyed' : 'was not running', res.undefined ? 'undefined' : 'not undefined (transient)'].join(', ');
    return `${name}: ${what}\n${stepsTable(res.steps)}${warningLines(res.warnings)}`;
  });
}

/** The volume behind a disk as DisconnectVolume wants it, from the domain's own XML. */
export function connectionInfoOf(disk: Disk): ConnectionInfo {
  if (disk.type === 'network' && disk.protocol === 'rbd') return { driver_volume_type: 'rbd', data: { name: disk.source } };
  if (disk.type === 'file' || disk.type === 'block') return { driver_volume_type: 'local', data: { device_path: disk.source } };
  throw new CallError(grpc.status.INVALID_ARGUMENT, `disk ${disk.target_dev} is a ${disk.type}${disk.protocol ? ` (${disk.protocol})` : ''} disk: give its --connection-info`);
}

export async function detach(
  agent: ServiceClient, io: Io, name: string, dev: string, opts: { volumeId?: string; connectionInfo?: string; ignoreErrors?: boolean },
): Promise<void> {
  let connectionInfo: ConnectionInfo;
  if (opts.connectionInfo !== undefined) {
    try {
      connectionInfo = JSON.parse(opts.connectionInfo) as ConnectionInfo;
    } catch (err) {
      throw new CallError(grpc.status.INVALID_ARGUMENT, `--connection-info is not JSON: ${(err as Error).message}`);
    }
  } else {
    const domain = await agent.unary<Domain>('GetDomain', { domain: domainRef(name) });
    const disk = domain.disks.find((d) => d.target_dev === dev);
    if (!disk) throw new CallError(grpc.status.NOT_FOUND, `${name} has no disk ${dev} (disks: ${domain.disks.map((d) => d.target_dev).join(', ') || 'none'})`);
    connectionInfo = connectionInfoOf(disk);
  }
  const started = io.now();
  const req = {
    domain: domainRef(name),
    volume: { volume_id: opts.volumeId ?? dev, target_dev: dev, connection_info: connectionInfo },
    ignore_errors: opts.ignoreErrors === true,
  };
  const res = await withProgress(agent, io, name, () => agent.unary<DisconnectVolumeResponse>('DisconnectVolume', req),
    (now) => `${name}: detaching ${dev}, ${((now - started) / 1000).toFixed(1)} s`, (e, now) => eventLine(e, now - started));
  print(io, res, () => {
    const what = [
      res.detached_from_domain ? `${dev} detached from the guest (or was not attached)` : `${dev} NOT detached from the guest`,
      res.host_disconnected ? 'host side disconnected' : 'host side left alone',
    ].join(', ');
    return `${name}: ${what}\n${stepsTable(res.steps)}${warningLines(res.warnings)}`;
  });
}

export async function domains(agent: ServiceClient, io: Io): Promise<void> {
  const res = await agent.unary<ListDomainsResponse>('ListDomains', {});
  print(io, res, () => table(['name', 'uuid', 'state', 'persistent', 'managed save', 'disks'], res.domains.map((d) => [
    d.name, d.uuid, short(d.power_state, 'POWER_STATE_'), d.persistent ? 'yes' : 'no', d.has_managed_save ? 'yes' : 'no',
    d.disks.map((k) => k.target_dev).join(','),
  ])));
}

function instanceRows(list: Instance[]): string {
  return table(['uuid', 'name', 'project', 'host', 'state', 'task', 'power', 'vcpus', 'mib'], list.map((i) => [
    i.uuid, i.name, i.project_id, i.host, short(i.vm_state, 'VM_STATE_'),
    short(i.task_state, 'TASK_STATE_'), short(i.power_state, 'POWER_STATE_'), String(i.vcpus), String(i.memory_mib),
  ]));
}

/** An instance's uuid from a uuid or a name (the one instance, not deleted, with that name). */
async function instanceUuid(controller: ServiceClient, ref: string): Promise<string> {
  if ('uuid' in domainRef(ref)) return ref;
  const res = await controller.unary<ListInstancesResponse>('ListInstances', {});
  const named = res.instances.filter((i) => i.name === ref && i.vm_state !== 'VM_STATE_DELETED');
  if (named.length === 1) return named[0]!.uuid;
  if (named.length === 0) throw new CallError(grpc.status.NOT_FOUND, `no instance named ${ref}`);
  throw new CallError(grpc.status.FAILED_PRECONDITION, `${named.length} instances are named ${ref}: give the uuid (${named.map((i) => i.uuid).join(', ')})`);
}

export async function instancesList(controller: ServiceClient, io: Io, opts: { project?: string; host?: string; state?: string }): Promise<void> {
  const req = {
    ...(opts.project ? { project_id: opts.project } : {}),
    ...(opts.host ? { host: opts.host } : {}),
    ...(opts.state ? { vm_state: `VM_STATE_${opts.state.toUpperCase().replace(/-/g, '_')}` } : {}),
  };
  const res = await controller.unary<ListInstancesResponse>('ListInstances', req);
  print(io, res, () => instanceRows(res.instances));
}

export type InstanceAction = 'delete' | 'restore' | 'force-delete';

export async function instanceAction(controller: ServiceClient, io: Io, action: InstanceAction, ref: string, opts: { force?: boolean }): Promise<void> {
  const uuid = await instanceUuid(controller, ref);
  const method = { delete: 'DeleteInstance', restore: 'RestoreInstance', 'force-delete': 'ForceDeleteInstance' }[action];
  const req = action === 'force-delete' ? { uuid, force: opts.force === true } : { uuid };
  // A delete waits for the clean shutdown (60 s by default): a deadline beyond it.
  const res = await controller.unary<Instance>(method, req, 300);
  print(io, res, () => instanceRows([res]) + warningLines(res.warnings));
}

/** "12 s ago" for an epoch-ms heartbeat; "-" for none. */
function ago(ms: number): string {
  return ms > 0 ? `${Math.max(0, Math.round((Date.now() - ms) / 1000))} s ago` : '-';
}

/**
 * The hosts the controller drives: its ListHosts answer (like `openstack
 * compute service list`); from an older controller without it, the hosts
 * its instances name, with counts.
 */
export async function hosts(controller: ServiceClient, io: Io): Promise<void> {
  if (controller.methods.ListHosts) {
    const res = await controller.unary<{ hosts?: ListedHost[] }>('ListHosts', {});
    const list = res.hosts ?? [];
    print(io, res, () => table(['host', 'state', 'instances', 'disabled', 'last heartbeat', 'address'], list.map((h) => [
      h.name, h.state.replace(/^HOST_STATE_/, ''), String(h.instance_count),
      h.disabled ? `yes${h.disabled_reason ? ` (${h.disabled_reason})` : ''}` : 'no', h.static && !h.last_heartbeat_ms ? 'static' : ago(h.last_heartbeat_ms), h.address,
    ])));
    return;
  }
  const res = await controller.unary<ListInstancesResponse>('ListInstances', {});
  const byHost = new Map<string, { instances: number; active: number }>();
  for (const i of res.instances) {
    if (i.vm_state === 'VM_STATE_DELETED') continue;
    const h = byHost.get(i.host) ?? { instances: 0, active: 0 };
    h.instances++;
    if (i.vm_state === 'VM_STATE_ACTIVE') h.active++;
    byHost.set(i.host, h);
  }
  const list = [...byHost].sort(([a], [b]) => a.localeCompare(b)).map(([name, c]) => ({ name, ...c }));
  print(io, { hosts: list, liveness: 'not available: this controller has no ListHosts RPC' }, () =>
    table(['host', 'instances', 'active'], list.map((h) => [h.name, String(h.instances), String(h.active)]))
    + '(hosts that have instances; up/down needs the controller\'s ListHosts RPC: see virt_controller_hosts on /metrics)\n');
}
