// The host RPCs (RegisterHost, Heartbeat, ListHosts, SetHostDisabled) ↔
// the host registry (hosts.ts), nothing else. Over mutual TLS a host speaks
// only for itself: RegisterHost and Heartbeat must come with a certificate
// that names the host (CN or DNS SAN), so no other client the CA signed can
// point a host's records (and so every delete sent to it) at another address.
import type { PeerCertificate } from 'node:tls';

import { PermissionDenied, Unavailable } from '../errors';
import type { Host__Output } from '../generated/virtcontroller/v1';
import type { ControllerCallRequest, ControllerHandlers, ControllerMethod, ControllerResponse } from '../grpc/contract';
import { unary, type CallObserver, type UnaryHandler } from '../grpc/status';
import { certificateNamesHost, describeSubject } from '../grpc/tls';
import type { HostRegistry, HostView } from './hosts';

type HostHandlers = Pick<ControllerHandlers, 'RegisterHost' | 'Heartbeat' | 'ListHosts' | 'SetHostDisabled'>;

export function hostMessage(h: HostView): Host__Output {
  return {
    name: h.name,
    address: h.address,
    state: h.state === 'up' ? 'HOST_STATE_UP' : 'HOST_STATE_DOWN',
    last_heartbeat_ms: h.last_heartbeat_at ?? 0,
    disabled: h.disabled === 1,
    disabled_reason: h.disabled_reason ?? '',
    instance_count: h.instance_count,
    static: h.static === 1,
    libvirt_uri: h.libvirt_uri,
    libvirt_version: h.libvirt_version,
    agent_version: h.agent_version,
    vcpus: h.vcpus,
    memory_mib: h.memory_mib,
  };
}

type CallWithAuth = { getAuthContext?: () => { sslPeerCertificate?: PeerCertificate } | null };

/** Refuses a TLS caller whose certificate does not name `host` (callers on the unix socket or plaintext loopback are local). */
function requireCertificateFor(call: CallWithAuth, host: string): void {
  const cert = call.getAuthContext?.()?.sslPeerCertificate;
  if (!cert || certificateNamesHost(cert, host)) return;
  throw new PermissionDenied(`name: the client certificate ${describeSubject(cert)} does not name host ${JSON.stringify(host)} `
    + '(its CN or a DNS subjectAltName must be the host name the agent registers as: --host-name)');
}

export function hostHandlers(hosts: HostRegistry | undefined, observer?: CallObserver): HostHandlers {
  const registry = (): HostRegistry => {
    if (!hosts) throw new Unavailable('this controller keeps no host registry');
    return hosts;
  };
  const rpc = <M extends ControllerMethod>(handler: UnaryHandler<ControllerCallRequest<M>, ControllerResponse<M>>) => unary(handler, observer);
  return {
    RegisterHost: rpc<'RegisterHost'>(async (call) => {
      const r = call.request;
      requireCertificateFor(call, r.name);
      return hostMessage(await registry().register({
        name: r.name, address: r.address, libvirt_uri: r.libvirt_uri, libvirt_version: r.libvirt_version, agent_version: r.agent_version,
        vcpus: r.vcpus, memory_mib: r.memory_mib,
      }));
    }),
    Heartbeat: rpc<'Heartbeat'>(async (call) => {
      requireCertificateFor(call, call.request.name);
      const { reportIntervalSeconds } = await registry().heartbeat(call.request.name);
      return { report_interval_seconds: reportIntervalSeconds };
    }),
    ListHosts: rpc<'ListHosts'>(async () => ({ hosts: (await registry().list()).map(hostMessage) })),
    SetHostDisabled: rpc<'SetHostDisabled'>(async (call) =>
      hostMessage(await registry().setDisabled(call.request.host, call.request.disabled, call.request.reason))),
  };
}
