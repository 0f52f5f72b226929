// Registration with the controllers (agent flag --controller, repeatable for
// replicas): the agent announces its host — name, the address it serves
// on, libvirt URI and version, capacity — with RegisterHost, then sends a
// Heartbeat every report interval. Each controller is served on its own: a
// controller that does not answer is retried with capped backoff while the
// others go on; a heartbeat answered NOT_FOUND (the controller lost the
// record) registers again. Every call has a deadline; TLS like every other
// connection (the agent's --tls-* files: it presents its certificate).
import os from 'node:os';

import * as grpc from '@grpc/grpc-js';

import { errorMessage } from '../errors';
import { CONTROLLER_PROTO, CONTROLLER_SERVICE, type ControllerDefinition } from '../grpc/contract';
import type { RegisterHostRequest } from '../generated/virtcontroller/v1';
import { loadProtos } from '../grpc/protos';
import { channelCredentials, tlsConfigured } from '../grpc/tls';
import { libraryVersion } from '../libvirt/connection';
import type { Logger } from '../logging';
import type { AgentConfig } from './config';

export interface RegistrationOptions {
  controllers: string[];
  /** What RegisterHost sends, computed once per registration. */
  info: () => Promise<RegisterHostRequest>;
  intervalMs: number;
  credentials?: grpc.ChannelCredentials;
  logger: Logger;
  /** Deadline of one call (default 5 s). */
  deadlineMs?: number;
  /** Backoff cap after failures (default 30 s). */
  maxBackoffMs?: number;
}

let definition: ControllerDefinition | undefined;
function controllerDefinition(): ControllerDefinition {
  definition ??= loadProtos([CONTROLLER_PROTO]).serviceDefinition(CONTROLLER_SERVICE);
  return definition;
}

/** grpc-js target of a controller address (unix:///path → unix:/path). */
function target(address: string): string {
  return address.startsWith('unix://') ? `unix:${address.slice('unix://'.length)}` : address;
}

export interface Registration {
  /** Whether each controller has the host registered right now. */
  registered(controller: string): boolean;
  /** Failed calls to each controller since its last success, and the last failure's text (what an operator or a test looks at). */
  failures(controller: string): { count: number; lastError?: string };
  stop(): void;
}

export function startRegistration(options: RegistrationOptions): Registration {
  const def = controllerDefinition();
  const deadlineMs = options.deadlineMs ?? 5000;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const creds = options.credentials ?? grpc.credentials.createInsecure();
  const state = new Map<string, boolean>();
  const failed = new Map<string, { count: number; lastError?: string }>();
  const timers = new Set<NodeJS.Timeout>();
  const clients: grpc.Client[] = [];
  let stopped = false;

  const call = <Req, Res>(client: grpc.Client, m: { path: string; requestSerialize: (r: Req) => Buffer; responseDeserialize: (b: Buffer) => Res }, req: Req) =>
    new Promise<Res>((resolve, reject) => {
      client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, req, { deadline: Date.now() + deadlineMs }, (err, res) => {
        if (err || res === undefined) reject(err ?? new Error('empty response'));
        else resolve(res);
      });
    });

  for (const address of options.controllers) {
    const client = new grpc.Client(target(address), creds, { 'grpc.max_reconnect_backoff_ms': 5000 });
    clients.push(client);
    const log = options.logger.child({ controller: address });
    let failures = 0;
    let name = '';
    const schedule = (ms: number) => {
      if (stopped) return;
      const t = setTimeout(() => {
        timers.delete(t);
        void tick();
      }, ms);
      t.unref();
      timers.add(t);
    };
    const tick = async () => {
      try {
        if (state.get(address) !== true) {
          const info = await options.info();
          name = info.name ?? '';
          await call(client, def.RegisterHost, info);
          state.set(address, true);
          log.info({ host: name, address: info.address }, 'registered with the controller');
        } else {
          await call(client, def.Heartbeat, { name });
        }
        failures = 0;
        failed.set(address, { count: 0 });
        schedule(options.intervalMs);
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === grpc.status.NOT_FOUND) {
          // The controller does not know the host (its records were reset): register again at once.
          state.set(address, false);
          log.warn('the controller does not know this host; registering again');
          schedule(0);
          return;
        }
        failures++;
        failed.set(address, { count: failures, lastError: errorMessage(err) });
        const backoff = Math.min(maxBackoffMs, options.intervalMs * 2 ** Math.min(5, failures - 1));
        const refused = code === grpc.status.INVALID_ARGUMENT || code === grpc.status.PERMISSION_DENIED || code === grpc.status.UNAUTHENTICATED;
        if (failures === 1 || failures % 10 === 0) {
          log.warn({ err: errorMessage(err), failures, retry_ms: backoff }, refused ? 'the controller refused this host; retrying' : 'controller did not answer; retrying');
        }
        if (refused) state.set(address, false);
        schedule(backoff);
      }
    };
    state.set(address, false);
    schedule(0);
  }

  return {
    registered: (controller) => state.get(controller) === true,
    failures: (controller) => failed.get(controller) ?? { count: 0 },
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const c of clients) c.close();
    },
  };
}

/** The address the controllers are told: --advertise-address, else --listen with the bound port (a wildcard host → the host name). */
export function advertisedAddress(advertise: string, listen: string, port: number | undefined): string {
  if (advertise !== '') return advertise;
  if (listen.startsWith('unix:')) return listen;
  const i = listen.lastIndexOf(':');
  let host = listen.slice(0, i);
  if (host === '' || host === '0.0.0.0' || host === '[::]' || host === '::') host = os.hostname();
  return `${host}:${port ?? listen.slice(i + 1)}`;
}

/** Starts the registration the agent's config asks for (--controller); undefined when it names no controller. */
export function registerFromConfig(
  config: Pick<AgentConfig, 'controllers' | 'hostName' | 'advertiseAddress' | 'reportIntervalSeconds' | 'listen' | 'libvirtUri' | 'tlsCert' | 'tlsKey' | 'tlsCa'
    | 'tlsAllowSubjects'>,
  port: number | undefined, agentVersion: string, logger: Logger,
): Registration | undefined {
  if (config.controllers.length === 0) return undefined;
  const address = advertisedAddress(config.advertiseAddress, config.listen, port);
  const name = config.hostName || os.hostname();
  return startRegistration({
    controllers: config.controllers,
    intervalMs: config.reportIntervalSeconds * 1000,
    logger: logger.child({ component: 'registration' }),
    ...(tlsConfigured(config) ? { credentials: channelCredentials({ cert: config.tlsCert, key: config.tlsKey, ca: config.tlsCa }) } : {}),
    info: () => Promise.resolve({
      name, address, libvirt_uri: config.libvirtUri, libvirt_version: libraryVersion(), agent_version: agentVersion,
      vcpus: os.cpus().length, memory_mib: Math.floor(os.totalmem() / 1048576),
    }),
  });
}
