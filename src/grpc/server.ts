// A grpc-js server with health and reflection, listening on a unix socket or
// TCP. Plaintext TCP is only allowed on loopback; other hosts need TLS.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { InvalidArgument } from '../errors';
import { HEALTH_SERVICE } from './contract';
import { HealthService, type ServingStatus } from './health';
import type { ProtoSet } from './protos';
import { REFLECTION_SERVICES, ReflectionService } from './reflection';
import { clip } from './status';

export interface ServiceBinding {
  /** Fully-qualified, e.g. "virtagent.v1.HostAgent". */
  name: string;
  implementation: grpc.UntypedServiceImplementation;
}

export interface GrpcServer {
  server: grpc.Server;
  health: HealthService;
  reflection: ReflectionService;
}

/**
 * Every status text on the server clipped and encodable (see clip in
 * status.ts): grpc-js percent-encodes it with encodeURI, which throws on an
 * unpaired surrogate (an error quoting half of a character a parser split
 * holds one), and that throw kills the process; a text over 64 KiB wedges the
 * client's connection. Also covers handlers that do not go through status.ts
 * (health, reflection).
 */
const encodableStatus: grpc.ServerInterceptor = (_method, call) => new grpc.ServerInterceptingCall(
  call,
  new grpc.ResponderBuilder()
    .withSendStatus((status, next) => {
      // grpc-js leaves the text unset on some statuses it builds itself.
      const details = status.details as string | undefined;
      next(details === undefined ? status : { ...status, details: clip(details) });
    })
    .build(),
);

/**
 * A server with `services`, grpc.health.v1.Health (each service and "" start
 * SERVING unless `initialStatus` says otherwise) and both reflection versions
 * describing every file in `protos`.
 */
export function createServer(
  protos: ProtoSet,
  services: readonly ServiceBinding[],
  options?: { serverOptions?: grpc.ServerOptions; initialStatus?: ServingStatus },
): GrpcServer {
  const server = new grpc.Server({
    ...options?.serverOptions,
    interceptors: [encodableStatus, ...(options?.serverOptions?.interceptors ?? [])],
  });
  const status = options?.initialStatus ?? 'SERVING';
  const initial: Record<string, ServingStatus> = { '': status };
  for (const s of services) {
    server.addService(protos.serviceDefinition(s.name), s.implementation);
    initial[s.name] = status;
  }
  const health = new HealthService(initial);
  health.addToServer(server, protos);
  const names = [...services.map((s) => s.name), HEALTH_SERVICE, ...REFLECTION_SERVICES];
  const reflection = new ReflectionService(protos.files, () => names);
  reflection.addToServer(server, protos);
  return { server, health, reflection };
}

export type ListenAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** Parses a --listen value: unix:///abs/path, unix:/abs/path or HOST:PORT ([v6]:PORT). */
export function parseListenAddress(address: string): ListenAddress {
  if (address.startsWith('unix:')) {
    const p = address.startsWith('unix://') ? address.slice('unix://'.length) : address.slice('unix:'.length);
    if (!path.isAbsolute(p)) throw new InvalidArgument('--listen', `unix socket path must be absolute: ${address}`);
    return { kind: 'unix', path: path.normalize(p) };
  }
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(address);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) {
    throw new InvalidArgument('--listen', `expected unix:///path or HOST:PORT, got ${JSON.stringify(address)}`);
  }
  return { kind: 'tcp', host: m[1] ?? m[2] ?? '', port };
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return net.isIPv4(v4) && v4.startsWith('127.');
}

export interface ListenResult {
  /** What grpc-js was bound to. */
  target: string;
  /** The bound port, for TCP (a random one for port 0). */
  port?: number;
  /** The socket file, for unix sockets. */
  socketPath?: string;
}

export interface ListenOptions {
  /** Plaintext TCP on a loopback host; default true. Non-loopback plaintext is always refused. */
  plaintextLoopback?: boolean;
}

/**
 * Binds and starts serving. Unix sockets: the parent dir is created 0700 if
 * missing, a stale socket file (nothing accepting on it) is replaced, a live
 * one is refused, and the socket is owner-only (0600). TCP: any host with TLS
 * `credentials`; without, only loopback hosts, and only while
 * `plaintextLoopback` is not false.
 */
export async function listen(
  server: grpc.Server,
  address: string,
  credentials?: grpc.ServerCredentials,
  options: ListenOptions = {},
): Promise<ListenResult> {
  const parsed = parseListenAddress(address);
  const creds = credentials ?? grpc.ServerCredentials.createInsecure();
  if (parsed.kind === 'tcp') {
    if (!creds._isSecure() && !isLoopbackHost(parsed.host)) {
      throw new InvalidArgument(
        '--listen',
        `refusing plaintext gRPC on non-loopback address ${address}; configure mutual TLS (--tls-cert, --tls-key, --tls-ca) or use 127.0.0.1, [::1], localhost or a unix socket`,
      );
    }
    if (!creds._isSecure() && options.plaintextLoopback === false) {
      throw new InvalidArgument(
        '--listen',
        `refusing plaintext gRPC on ${address}: plaintext TCP needs --plaintext-loopback true (loopback only); or configure mutual TLS (--tls-cert, --tls-key, --tls-ca), or use a unix socket`,
      );
    }
    const target = parsed.host.includes(':') ? `[${parsed.host}]:${parsed.port}` : `${parsed.host}:${parsed.port}`;
    const port = await bind(server, target, creds, address);
    return { target, port };
  }

  const socketPath = parsed.path;
  makeParentDir(path.dirname(socketPath));
  await removeStaleSocket(socketPath, address);
  const target = `unix:${socketPath}`;
  // umask 077 makes the socket owner-only from the moment it exists, so the
  // window before the chmod below grants nothing to other users. process.umask
  // is process-wide: 077 only makes files created meanwhile more private.
  const restore = restrictUmask();
  try {
    await bind(server, target, creds, address);
  } finally {
    restore();
  }
  fs.chmodSync(socketPath, 0o600);
  return { target, socketPath };
}

function bind(server: grpc.Server, target: string, creds: grpc.ServerCredentials, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(target, creds, (err, port) => {
      if (err === null) {
        resolve(port);
        return;
      }
      const inUse = /EADDRINUSE/.test(err.message);
      reject(new Error(`--listen ${address}: ${inUse ? 'address in use' : err.message}`, { cause: err }));
    });
  });
}

function makeParentDir(dir: string): void {
  const first = fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  // mkdir's mode is filtered by the umask; set it explicitly on what we made.
  for (let d = dir; ; d = path.dirname(d)) {
    fs.chmodSync(d, 0o700);
    if (d === first || d === path.dirname(d)) break;
  }
}

async function removeStaleSocket(socketPath: string, address: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!st.isSocket()) throw new Error(`--listen ${address}: ${socketPath} exists and is not a socket`);
  if (await isAccepting(socketPath)) throw new Error(`--listen ${address}: address in use (another process is listening on ${socketPath})`);
  try {
    fs.unlinkSync(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** True when something accepts connections on the socket; refused = stale. */
function isAccepting(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ path: socketPath });
    // A listener too busy to accept within this time still counts as live.
    const timer = setTimeout(() => finish(true), 2000);
    function finish(live: boolean): void {
      clearTimeout(timer);
      sock.destroy();
      resolve(live);
    }
    sock.once('connect', () => finish(true));
    sock.once('error', (err: NodeJS.ErrnoException) => finish(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT'));
  });
}

let umaskDepth = 0;
let savedUmask = 0;

/** Sets umask 077 for the duration of overlapping binds; returns the undo. */
function restrictUmask(): () => void {
  try {
    if (umaskDepth === 0) savedUmask = process.umask(0o077);
  } catch {
    // Worker threads cannot change the umask; the chmod after bind still applies.
    return () => undefined;
  }
  umaskDepth++;
  return () => {
    if (--umaskDepth === 0) process.umask(savedUmask);
  };
}

/**
 * Stops accepting calls, lets running ones finish, and cancels whatever is
 * left after `deadlineMs`. With `health`, marks everything NOT_SERVING first
 * and ends its Watch streams, which would otherwise hold the shutdown up.
 */
export function shutdown(server: grpc.Server, deadlineMs: number, health?: HealthService): Promise<'graceful' | 'forced'> {
  health?.shutdown();
  return new Promise((resolve) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      server.forceShutdown();
      resolve('forced');
    }, deadlineMs);
    server.tryShutdown(() => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve('graceful');
    });
  });
}
