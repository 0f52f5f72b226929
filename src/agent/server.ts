// virtagent.v1.HostAgent: maps proto messages to flows and back, nothing else.
import os from 'node:os';

import type * as grpc from '@grpc/grpc-js';

import { DomainState, DomainXMLFlags, stateReasonName } from '../libvirt/constants';
import { libraryVersion } from '../libvirt/connection';
import { parseDomainXml, screenXml } from '../libvirt/domain-xml';
import { ErrorCode, isLibvirtError, toAppError } from '../libvirt/errors';
import { FailedPrecondition, InvalidArgument, type AppError } from '../errors';
import type { Guest } from '../libvirt/guest';
import { unary, type CallObserver, type UnaryHandler } from '../grpc/status';
import { connectVolume } from './flows/connect-volume';
import { destroy } from './flows/destroy';
import { disconnectVolume } from './flows/disconnect-volume';
import { hardReboot, powerOn } from './flows/hard-reboot';
import { powerOff } from './flows/power-off';
import type { FlowDeps } from './flows/types';
import { asAppError, type Operations } from './operations';
import { domainRef, optionalDomainRef, seconds, shutdownMethods } from './validate';
import type { EventStreams } from './watch-events';
import type { Watchdog } from './watchdog';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto-loader messages are plain objects */
type Msg = Record<string, any>;

const MAX_WAIT_SECONDS = 3600;
const MAX_VOLUMES = 256;

/**
 * libvirt reports some content errors of client XML (e.g. "malformed uuid
 * element") as internal errors, and a name clash as a failed operation; both
 * are the caller's to fix.
 */
function definitionError(err: unknown): AppError {
  if (isLibvirtError(err, ErrorCode.INTERNAL_ERROR) && /malformed|could not parse|invalid|unknown|unsupported|expected/i.test(err.message)) {
    return new InvalidArgument('xml', `defining domain: ${err.message}`, { cause: err });
  }
  if (isLibvirtError(err, ErrorCode.OPERATION_FAILED) && /already exists/i.test(err.message)) {
    return new FailedPrecondition(`defining domain: ${err.message}`, { cause: err });
  }
  return toAppError(err, 'defining domain', 'xml');
}

export function powerState(state: DomainState): string {
  return `POWER_STATE_${DomainState[state] ?? 'NOSTATE'}`;
}

async function toDomain(guest: Guest): Promise<Msg> {
  const [{ state, reason }, persistent, managed, xml] = await Promise.all([
    guest.state(), guest.isPersistent(), guest.hasManagedSaveImage(), guest.xml(),
  ]);
  return {
    name: guest.name,
    uuid: guest.uuid,
    power_state: powerState(state),
    state_reason: stateReasonName(state, reason),
    persistent,
    has_managed_save: managed,
    id: guest.id,
    disks: parseDomainXml(xml).disks.map((d) => ({
      target_dev: d.targetDev, source: d.source, type: d.type, device: d.device, bus: d.bus, protocol: d.protocol,
    })),
  };
}

function volumeMessage(v: Msg | undefined) {
  if (!v) return undefined;
  return {
    volume_id: String(v.volume_id ?? ''),
    target_dev: String(v.target_dev ?? ''),
    connection_info: v.connection_info
      ? { driver_volume_type: String(v.connection_info.driver_volume_type ?? ''), data: { ...(v.connection_info.data ?? {}) } }
      : undefined,
  };
}

/** Volumes of a request, bounded (each one is a host connect or disconnect). */
function volumeList(list: unknown): NonNullable<ReturnType<typeof volumeMessage>>[] {
  const items = Array.isArray(list) ? (list as Msg[]) : [];
  if (items.length > MAX_VOLUMES) throw new InvalidArgument(`volumes[${MAX_VOLUMES}]`, `is beyond the limit of ${MAX_VOLUMES} volumes per request`);
  return items.map((v) => volumeMessage(v)!);
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

export function hostAgentService(deps: FlowDeps, ops: Operations, options: ServiceOptions): grpc.UntypedServiceImplementation {
  const { host, config } = deps;
  const { agentVersion, observer, watchdog } = options;
  /** A libvirt failure escaping a read-only call maps like the operations' ones (never a bare INTERNAL). */
  const read = <Req, Res>(handler: UnaryHandler<Req, Res>) => unary<Req, Res>(async (call, signal) => {
    try {
      return await handler(call, signal);
    } catch (err) {
      throw asAppError(err);
    }
  }, observer);
  // GetHostInfo answers even while libvirt is stalled: from what it last said.
  let known = { hostname: os.hostname(), hypervisorVersion: '' };
  // HardReboot drops a managed-save image unless told to keep it; PowerOn resumes it unless told not to.
  const powerOnInput = (req: Msg, discardByDefault: boolean) => ({
    ref: domainRef(req.domain),
    waitTimeoutSeconds: seconds(req.wait_timeout_seconds, 'wait_timeout_seconds', config.powerOn.waitTimeoutSeconds, { min: 1, max: MAX_WAIT_SECONDS }),
    discardManagedSave: req.discard_managed_save === null || req.discard_managed_save === undefined
      ? discardByDefault : req.discard_managed_save === true,
    volumes: volumeList(req.volumes),
  });

  // PowerOn and HardReboot share their request and response shapes.
  const restart = (method: string, flow: typeof powerOn, discardByDefault: boolean) => unary<Msg, Msg>(async (call, signal) => {
    const input = powerOnInput(call.request, discardByDefault);
    const { value, steps } = await ops.run(method, { ref: input.ref, requestId: call.request.request_id ?? '', signal, request: call.request },
      (ctx) => flow(deps, ctx, input), input);
    return {
      power_state: powerState(value.powerState), elapsed_ms: value.elapsedMs, started: value.started,
      resumed_managed_save: value.resumedManagedSave, steps,
    };
  }, observer);

  return {
    GetHostInfo: unary<Msg, Msg>(async () => {
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
    }, observer),

    ListDomains: read<Msg, Msg>(async () => {
      const guests = await host.call((c) => c.listAllDomains());
      const domains = await Promise.all(guests.map((g) => toDomain(g).catch(() => null)));
      return { domains: domains.filter((d) => d !== null) };
    }),

    GetDomain: unary<Msg, Msg>(async (call) => {
      const ref = domainRef(call.request.domain);
      try {
        return await toDomain(await host.lookup(ref));
      } catch (err) {
        throw asAppError(err, ref); // undefined between the lookup and its reads: NOT_FOUND
      }
    }, observer),

    // In the domain's queue (by the XML's name): never concurrent with a
    // Destroy or power operation of the same domain.
    DefineDomain: unary<Msg, Msg>(async (call, signal) => {
      const req = call.request;
      screenXml(req.xml ?? '', 'xml');
      let ref: { name?: string; uuid?: string } | undefined;
      let also: { uuid: string } | undefined;
      try {
        const { name, uuid } = parseDomainXml(req.xml);
        ref = name ? { name } : uuid ? { uuid } : undefined;
        if (name && uuid) also = { uuid };
      } catch {
        // Not parseable here: libvirt will say what is wrong with it.
      }
      const { value } = await ops.run('DefineDomain', { ref, also, key: 'define', requestId: '', signal }, async () => {
        try {
          if (req.transient) {
            const guest = await host.call((c) => c.createXML(req.xml));
            await deps.store.save(guest.uuid, await guest.xml(DomainXMLFlags.INACTIVE | DomainXMLFlags.SECURE));
            return toDomain(guest);
          }
          const guest = await host.call((c) => c.defineXML(req.xml));
          if (req.start && !(await guest.isActive())) {
            await guest.create();
            // A Guest keeps the id it was looked up with (-1 before the start).
            return toDomain(await host.lookup({ uuid: guest.uuid }));
          }
          return toDomain(guest);
        } catch (err) {
          throw definitionError(err);
        }
      }, { ref, transient: req.transient === true, start: req.start === true });
      return value;
    }, observer),

    WatchEvents: options.events.handler(observer),

    PowerOff: unary<Msg, Msg>(async (call, signal) => {
      const req = call.request;
      const input = {
        ref: domainRef(req.domain),
        timeoutSeconds: seconds(req.timeout_seconds, 'timeout_seconds', config.powerOff.timeoutSeconds, { max: MAX_WAIT_SECONDS }),
        retryIntervalSeconds: seconds(req.retry_interval_seconds, 'retry_interval_seconds', config.powerOff.retryIntervalSeconds, { min: 1, max: MAX_WAIT_SECONDS }),
        methods: shutdownMethods(req.shutdown_methods, config.powerOff.methods),
      };
      const { value, steps } = await ops.run('PowerOff', { ref: input.ref, requestId: req.request_id ?? '', signal, request: req },
        (ctx) => powerOff(deps, ctx, input), input);
      return {
        clean: value.clean, shutdown_requests: value.shutdownRequests, elapsed_ms: value.elapsedMs,
        power_state: powerState(value.powerState), steps,
      };
    }, observer),

    PowerOn: restart('PowerOn', powerOn, false),
    HardReboot: restart('HardReboot', hardReboot, true),

    Destroy: unary<Msg, Msg>(async (call, signal) => {
      const req = call.request;
      const input = {
        ref: domainRef(req.domain),
        destroyDisks: req.destroy_disks === true,
        keepNvram: req.keep_nvram === true,
        volumes: volumeList(req.volumes),
      };
      const { value, steps } = await ops.run('Destroy', { ref: input.ref, requestId: req.request_id ?? '', signal, request: req },
        (ctx) => destroy(deps, ctx, input), input);
      return {
        found: value.found, was_running: value.wasRunning, undefined: value.undefined,
        managed_save_removed: value.managedSaveRemoved, warnings: value.warnings, steps,
      };
    }, observer),

    ConnectVolume: unary<Msg, Msg>(async (call, signal) => {
      const req = call.request;
      const input = { ref: optionalDomainRef(req.domain), volume: volumeMessage(req.volume)! };
      const key = `volume:${input.volume?.volume_id ?? ''}`;
      const { value, steps } = await ops.run('ConnectVolume', { ref: input.ref, key, requestId: req.request_id ?? '', signal, request: req },
        (ctx) => connectVolume(deps, ctx, input), input);
      return { device_path: value.devicePath, steps };
    }, observer),

    DisconnectVolume: unary<Msg, Msg>(async (call, signal) => {
      const req = call.request;
      const input = {
        ref: optionalDomainRef(req.domain),
        volume: volumeMessage(req.volume)!,
        force: req.force === true,
        ignoreErrors: req.ignore_errors === true,
      };
      const key = `volume:${input.volume?.volume_id ?? ''}`;
      const { value, steps } = await ops.run('DisconnectVolume', { ref: input.ref, key, requestId: req.request_id ?? '', signal, request: req },
        (ctx) => disconnectVolume(deps, ctx, input), input);
      return { detached_from_domain: value.detachedFromDomain, host_disconnected: value.hostDisconnected, warnings: value.warnings, steps };
    }, observer),
  };
}
