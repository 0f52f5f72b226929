// virtctl's calls: one grpc-js client per service, unary calls with a
// deadline, server streams; a failed call is a CallError carrying the gRPC
// status, which becomes the exit code.
import fs from 'node:fs';

import * as grpc from '@grpc/grpc-js';

import { AGENT_PROTO, AGENT_SERVICE, CONTROLLER_PROTO, CONTROLLER_SERVICE } from '../../grpc/contract';
import { loadProtos } from '../../grpc/protos';
import { nameOf } from '../../enums';
import { parseListenAddress } from '../../grpc/server';

export const SERVICES = {
  agent: { file: AGENT_PROTO, name: AGENT_SERVICE, address: '127.0.0.1:50051', env: 'VIRTCTL_AGENT_ADDRESS' },
  controller: { file: CONTROLLER_PROTO, name: CONTROLLER_SERVICE, address: '127.0.0.1:50052', env: 'VIRTCTL_CONTROLLER_ADDRESS' },
} as const;
export type ServiceName = keyof typeof SERVICES;

/** A request as JSON-shaped data. */
export type Request = object;

/** One method of either service: JSON in, the decoded message out. */
type AnyMethod = grpc.MethodDefinition<unknown, unknown>;

export interface ConnectionOptions {
  address?: string;
  /** Deadline of a unary call, in seconds. */
  timeout: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** A call that ended with a gRPC status other than OK. */
export class CallError extends Error {
  constructor(readonly code: grpc.status, readonly details: string) {
    super(`${nameOf(grpc.status, code) ?? String(code)}: ${details}`);
  }
}

function target(address: string): string {
  const a = parseListenAddress(address);
  return a.kind === 'unix' ? `unix:${a.path}` : address;
}

function credentials(opts: ConnectionOptions): grpc.ChannelCredentials {
  if (!opts.tlsCa) return grpc.credentials.createInsecure();
  const read = (f: string | undefined) => (f ? fs.readFileSync(f) : undefined);
  return grpc.credentials.createSsl(read(opts.tlsCa), read(opts.tlsKey), read(opts.tlsCert));
}

export class ServiceClient {
  readonly methods: Partial<Record<string, AnyMethod>>;
  private readonly client: grpc.Client;

  constructor(readonly service: ServiceName, private readonly opts: ConnectionOptions, env: NodeJS.ProcessEnv = process.env) {
    const svc = SERVICES[service];
    this.methods = loadProtos([svc.file]).serviceDefinition(svc.name);
    const address = opts.address ?? env[svc.env] ?? svc.address;
    this.client = new grpc.Client(target(address), credentials(opts));
  }

  method(name: string): AnyMethod {
    const rpc = this.methods[name];
    if (!rpc) throw new Error(`${SERVICES[this.service].name} has no method ${name} (methods: ${Object.keys(this.methods).join(', ')})`);
    return rpc;
  }

  /** A unary call; T is the response's generated __Output type. */
  unary<T = unknown>(name: string, request: Request, timeoutSeconds = Number(this.opts.timeout)): Promise<T> {
    const rpc = this.method(name);
    const deadline = Date.now() + timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(rpc.path, rpc.requestSerialize, rpc.responseDeserialize, request, { deadline }, (err, res) => {
        if (err) reject(new CallError(err.code, err.details));
        else resolve(res as T);
      });
    });
  }

  /** A server stream: onMessage per message; resolves on its end (or cancel), rejects with its status. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- T names the stream's message type for the caller
  stream<T = unknown>(name: string, request: Request, onMessage: (m: T) => void): { ready: Promise<void>; done: Promise<void>; cancel(): void } {
    const rpc = this.method(name);
    const call = this.client.makeServerStreamRequest(rpc.path, rpc.requestSerialize, rpc.responseDeserialize, request);
    // The server's headers: it is subscribed (WatchEvents sends them once it is).
    const ready = new Promise<void>((resolve) => {
      call.once('metadata', () => resolve());
      call.once('status', () => resolve());
    });
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (m: unknown) => onMessage(m as T));
      call.on('error', (e: grpc.ServiceError) => {
        if (e.code === grpc.status.CANCELLED) resolve();
        else reject(new CallError(e.code, e.details));
      });
      call.on('end', () => resolve());
    });
    return { ready, done, cancel: () => call.cancel() };
  }

  close(): void {
    this.client.close();
  }
}

export function readRequest(arg: string | undefined): Request {
  let text = arg ?? '{}';
  if (arg === '-') text = fs.readFileSync(0, 'utf8');
  else if (arg?.startsWith('@')) text = fs.readFileSync(arg.slice(1), 'utf8');
  try {
    return JSON.parse(text) as Request;
  } catch (err) {
    throw new Error(`request is not JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** {uuid} for something shaped like a UUID, {name} otherwise. */
export function domainRef(nameOrUuid: string): { uuid: string } | { name: string } {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(nameOrUuid) ? { uuid: nameOrUuid } : { name: nameOrUuid };
}
