// virtagent.v1.HostAgent: maps proto messages to flows and back, nothing else.
import os from 'node:os';

import type * as grpc from '@grpc/grpc-js';

import type { Domain__Output, VolumeAttachment__Output } from '../generated/virtagent/v1';
import type { AgentCallRequest, AgentMethod, AgentResponse, HostAgentHandlers } from '../grpc/contract';
import { unary, type CallObserver, type UnaryHandler } from '../grpc/status';
import { nameOf } from '../enums';
import { DomainState, stateReasonName } from '../libvirt/constants';
import { libraryVersion } from '../libvirt/connection';
import { screenXml } from '../libvirt/domain-xml';
import { InvalidArgument } from '../errors';
import { domainInfo, type DomainInfo } from './domain-info';
import { connectVolume } from './flows/connect-volume';
import { defineDomain, definedDomain } from './flows/define-domain';
import { destroy, DESTROY_FACTS } from './flows/destroy';
import { disconnectVolume } from './flows/disconnect-volume';
import { hardReboot, powerOn } from './flows/hard-reboot';
import { powerOff } from './flows/power-off';
import type { FlowDeps } from './flows/types';
import type { Operations } from './operations';
import { domainRef, optionalDomainRef, seconds, shutdownMethods } from './validate';
import type { VolumeAttachment } from './volume';
import type { EventStreams } from './watch-events';
import type { Watchdog } from './watchdog';

const MAX_WAIT_SECONDS = 3600;
const MAX_VOLUMES = 256;

export function powerState(state: DomainState): Domain__Output['power_state'] {
  const name = `POWER_STATE_${nameOf(DomainState, state) ?? 'NOSTATE'}`;
  // DomainState's names are the proto's PowerState names without the prefix.
  return name as Domain__Output['power_state'];
}

function domainMessage(d: DomainInfo): Domain__Output {
  return {
    name: d.name,
    uuid: d.uuid,
    power_state: powerState(d.state),
    state_reason: stateReasonName(d.state, d.reason),
    persistent: d.persistent,
    has_managed_save: d.hasManagedSave,
    id: d.id,
    disks: d.disks.map((k) => ({ target_dev: k.targetDev, source: k.source, type: k.type, device: k.device, bus: k.bus, protocol: k.protocol })),
  };
}

function volumeOf(v: VolumeAttachment__Output): VolumeAttachment {
  return {
    volume_id: v.volume_id,
    target_dev: v.target_dev,
    connection_info: v.connection_info
      ? { driver_volume_type: v.connection_info.driver_volume_type, data: { ...v.connection_info.data } }
      : undefined,
  };
}

/** The volume of a request (undefined when unset: the flow names the field). */
function volumeMessage(v: VolumeAttachment__Output | null): VolumeAttachment | undefined {
  return v ? volumeOf(v) : undefined;
}

/** Volumes of a request, bounded (each one is a host connect or disconnect). */
function volumeList(list: VolumeAttachment__Output[]): VolumeAttachment[] {
  if (list.length > MAX_VOLUMES) throw new InvalidArgument(`volumes[${MAX_VOLUMES}]`, `is beyond the limit of ${MAX_VOLUMES} volumes per request`);
  return list.map(volumeOf);
}

export interface ServiceOptions {
  agentVersion: string;
  observer?: CallObserver;
  /** WatchEvents (watch-events.ts). */
  events: EventStreams;
  /** Whether libvirt answers; GetHostInfo reports it. */
  watchdog?: Watchdog;
}

/** Races p against ms; undefined when it does not settle in time. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms); });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A unary HostAgent handler: the decoded request in, the complete response out. */
type Rpc<M extends AgentMethod> = UnaryHandler<AgentCallRequest<M>, AgentResponse<M>>;

export function hostAgentService(deps: FlowDeps, ops: Operations, options: ServiceOptions): HostAgentHandlers {
  const { host, config } = deps;
  const { agentVersion, observer, watchdog } = options;
  const rpc = <M extends AgentMethod>(handler: Rpc<M>) => unary(handler, observer);
  // GetHostInfo answers even while libvirt is stalled: from what it last said.
  let known = { hostname: os.hostname(), hypervisorVersion: '' };
  // HardReboot drops a managed-save image unless told to keep it; PowerOn resumes it unless told not to.
  const powerOnInput = (req: AgentCallRequest<'PowerOn' | 'HardReboot'>, discardByDefault: boolean) => ({
    ref: domainRef(req.domain),
    waitTimeoutSeconds: seconds(req.wait_timeout_seconds, 'wait_timeout_seconds', config.powerOn.waitTimeoutSeconds, { min: 1, max: MAX_WAIT_SECONDS }),
    discardManagedSave: req.discard_managed_save ?? discardByDefault,
    volumes: volumeList(req.volumes),
  });

  // PowerOn and HardReboot share their response shape.
  type RestartCall = grpc.ServerUnaryCall<AgentCallRequest<'PowerOn' | 'HardReboot'>, AgentResponse<'PowerOn'>>;
  const restart = (method: 'PowerOn' | 'HardReboot', flow: typeof powerOn, discardByDefault: boolean) => unary(async (call: RestartCall, signal) => {
    const input = powerOnInput(call.request, discardByDefault);
    const { value, steps } = await ops.run(method, { ref: input.ref, requestId: call.request.request_id, signal, request: call.request },
      (ctx) => flow(deps, ctx, input), input);
    return {
      power_state: powerState(value.powerState), elapsed_ms: value.elapsedMs, started: value.started,
      resumed_managed_save: value.resumedManagedSave, steps,
    };
  }, observer);

  return {
    GetHostInfo: rpc<'GetHostInfo'>(async () => {
      let detail = watchdog?.state.reason ?? (host.connected ? '' : `libvirt at ${host.uri} is not connected`);
      if (host.connected && !watchdog?.state.stalled) {
        const c = host.connection();
        const answer = await within(Promise.all([host.call(() => c.hostname()), host.call(() => c.hypervisorVersion())]),
          config.watchdog.timeoutMs);
        if (answer) known = { hostname: answer[0], hypervisorVersion: answer[1] };
        else detail ||= `libvirt did not answer virConnectGetHostname within ${config.watchdog.timeoutMs} ms`;
      }
      return {
        hostname: known.hostname, libvirt_uri: host.uri, libvirt_version: libraryVersion(), hypervisor_version: known.hypervisorVersion,
        agent_version: agentVersion, connected: host.connected, instances_path: config.instancesPath,
        healthy: detail === '', health_detail: detail,
      };
    }),

    ListDomains: rpc<'ListDomains'>(async () => {
      // One binding job for the listing and every domain's reads; a domain
      // undefined while being read is left out.
      const domains = (await host.describeAll()).flatMap((d) => (d.facts ? [domainMessage(domainInfo(d.guest, d.facts))] : []));
      return { domains };
    }),

    // A domain undefined between its lookup and its reads: NOT_FOUND naming it.
    GetDomain: rpc<'GetDomain'>(async (call) => {
      const { guest, facts } = await host.describe(domainRef(call.request.domain));
      return domainMessage(domainInfo(guest, facts));
    }),

    // In the domain's queue (by the XML's name): never concurrent with a
    // Destroy or power operation of the same domain.
    DefineDomain: rpc<'DefineDomain'>(async (call, signal) => {
      const req = call.request;
      screenXml(req.xml, 'xml');
      const input = { xml: req.xml, start: req.start, transient: req.transient };
      const { ref, also } = definedDomain(req.xml);
      const { value } = await ops.run('DefineDomain', { ref, also, key: 'define', requestId: '', signal },
        (ctx) => defineDomain(deps, ctx, input), { ref, transient: input.transient, start: input.start });
      return domainMessage(value);
    }),

    WatchEvents: options.events.handler(observer),

    PowerOff: rpc<'PowerOff'>(async (call, signal) => {
      const req = call.request;
      const input = {
        ref: domainRef(req.domain),
        timeoutSeconds: seconds(req.timeout_seconds, 'timeout_seconds', config.powerOff.timeoutSeconds, { max: MAX_WAIT_SECONDS }),
        retryIntervalSeconds: seconds(req.retry_interval_seconds, 'retry_interval_seconds', config.powerOff.retryIntervalSeconds, { min: 1, max: MAX_WAIT_SECONDS }),
        methods: shutdownMethods(req.shutdown_methods, config.powerOff.methods),
      };
      const { value, steps } = await ops.run('PowerOff', { ref: input.ref, requestId: req.request_id, signal, request: req },
        (ctx) => powerOff(deps, ctx, input), input);
      return {
        clean: value.clean, shutdown_requests: value.shutdownRequests, elapsed_ms: value.elapsedMs,
        power_state: powerState(value.powerState), steps,
      };
    }),

    PowerOn: restart('PowerOn', powerOn, false),
    HardReboot: restart('HardReboot', hardReboot, true),

    Destroy: rpc<'Destroy'>(async (call, signal) => {
      const req = call.request;
      const input = {
        ref: domainRef(req.domain),
        destroyDisks: req.destroy_disks,
        keepNvram: req.keep_nvram,
        volumes: volumeList(req.volumes),
      };
      const { value, steps } = await ops.run('Destroy',
        { ref: input.ref, requestId: req.request_id, signal, request: req, describe: DESTROY_FACTS },
        (ctx) => destroy(deps, ctx, input), input);
      return {
        found: value.found, was_running: value.wasRunning, undefined: value.undefined,
        managed_save_removed: value.managedSaveRemoved, warnings: value.warnings, steps,
      };
    }),

    ConnectVolume: rpc<'ConnectVolume'>(async (call, signal) => {
      const req = call.request;
      const input = { ref: optionalDomainRef(req.domain), volume: volumeMessage(req.volume) };
      const key = `volume:${input.volume?.volume_id ?? ''}`;
      const { value, steps } = await ops.run('ConnectVolume', { ref: input.ref, key, requestId: req.request_id, signal, request: req },
        (ctx) => connectVolume(deps, ctx, input), input);
      return { device_path: value.devicePath, steps };
    }),

    DisconnectVolume: rpc<'DisconnectVolume'>(async (call, signal) => {
      const req = call.request;
      const input = {
        ref: optionalDomainRef(req.domain),
        volume: volumeMessage(req.volume),
        force: req.force,
        ignoreErrors: req.ignore_errors,
      };
      const key = `volume:${input.volume?.volume_id ?? ''}`;
      const { value, steps } = await ops.run('DisconnectVolume', { ref: input.ref, key, requestId: req.request_id, signal, request: req },
        (ctx) => disconnectVolume(deps, ctx, input), input);
      return { detached_from_domain: value.detachedFromDomain, host_disconnected: value.hostDisconnected, warnings: value.warnings, steps };
    }),
  };
}
