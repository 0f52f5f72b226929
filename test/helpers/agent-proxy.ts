// A fault-injecting gRPC proxy between the controller and a REAL agent: the
// network's part of the failures the controller must survive, which a test
// cannot otherwise produce on demand. Every unary HostAgent and health call
// is forwarded byte for byte (no decoding) with the caller's deadline and
// metadata, unless a fault is queued for its method:
//  - error: answered with a status, nothing forwarded (the agent never saw it);
//  - lose-response: forwarded, the agent acts, but its answer is replaced by a
//    status (default UNAVAILABLE: a connection lost after the request went out);
//  - delay: forwarded after ms (a slow network or a busy agent);
//  - hang: never answered nor forwarded; the caller's deadline ends it.
// The agent itself is never faked. WatchEvents (streaming) is not proxied.
import * as grpc from '@grpc/grpc-js';

import { loadProtos } from '../../src/grpc/protos';

export type Fault =
  | { kind: 'error'; code: grpc.status; details?: string }
  | { kind: 'lose-response'; code?: grpc.status }
  | { kind: 'delay'; ms: number }
  | { kind: 'hang' };

export interface ProxiedCall {
  method: string;
  fault?: Fault['kind'];
  /** The gRPC code the caller got. */
  code?: grpc.status;
}

const SERVICES = ['virtagent.v1.HostAgent', 'grpc.health.v1.Health'];
const same = (b: Buffer) => b;

export class AgentProxy {
  readonly calls: ProxiedCall[] = [];
  private readonly faults = new Map<string, Fault[]>();
  private readonly hung = new Set<() => void>();

  private constructor(
    private readonly server: grpc.Server,
    private readonly upstream: grpc.Client,
    readonly port: number,
  ) {}

  /** The address to give the controller. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Proxies to `target` (a grpc-js target: "unix:/path" or "HOST:PORT") on 127.0.0.1:`port` (0 = any). */
  static async start(target: string, port = 0): Promise<AgentProxy> {
    const protos = loadProtos(['virtagent/v1/agent.proto']);
    const server = new grpc.Server();
    const upstream = new grpc.Client(target, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 200,
    });
    let proxy!: AgentProxy;
    for (const service of SERVICES) {
      const def = protos.serviceDefinition(service);
      const passthrough: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
      const impl: grpc.UntypedServiceImplementation = {};
      for (const [name, m] of Object.entries(def)) {
        if (m.requestStream || m.responseStream) continue;
        passthrough[name] = { ...m, requestSerialize: same, requestDeserialize: same, responseSerialize: same, responseDeserialize: same };
        impl[name] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => proxy.handle(name, m.path, call, callback);
      }
      server.addService(passthrough, impl);
    }
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    proxy = new AgentProxy(server, upstream, bound);
    return proxy;
  }

  /** The next `times` calls of `method` ("PowerOff", "Destroy", "Check", ...) get `fault`. */
  inject(method: string, fault: Fault, times = 1): this {
    const list = this.faults.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(fault);
    this.faults.set(method, list);
    return this;
  }

  /** Drops queued faults and releases hung calls (they end UNAVAILABLE, as a reset connection would). */
  clear(): void {
    this.faults.clear();
    for (const release of [...this.hung]) release();
  }

  /** Queued faults not yet used. */
  pending(): number {
    return [...this.faults.values()].reduce((n, l) => n + l.length, 0);
  }

  private handle(method: string, path: string, call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): void {
    const fault = this.faults.get(method)?.shift();
    const record: ProxiedCall = { method, ...(fault ? { fault: fault.kind } : {}) };
    this.calls.push(record);
    const reply = (err: grpc.ServiceError | Partial<grpc.StatusObject> | null, res?: Buffer) => {
      record.code = err ? (err.code ?? grpc.status.UNKNOWN) : grpc.status.OK;
      try {
        callback(err, res);
      } catch {
        // the caller went away
      }
    };
    const status = (code: grpc.status, details: string): Partial<grpc.StatusObject> => ({ code, details, metadata: new grpc.Metadata() });
    if (fault?.kind === 'error') { reply(status(fault.code, fault.details ?? `injected by the test proxy: ${grpc.status[fault.code]}`)); return; }
    if (fault?.kind === 'hang') {
      const release = () => {
        this.hung.delete(release);
        reply(status(grpc.status.UNAVAILABLE, 'connection reset (test proxy)'));
      };
      this.hung.add(release);
      call.on('cancelled', release);
      return;
    }
    const forward = () => {
      const deadline = call.getDeadline();
      this.upstream.makeUnaryRequest(path, same, same, call.request, call.metadata, { deadline }, (err, res) => {
        if (fault?.kind === 'lose-response') { reply(status(fault.code ?? grpc.status.UNAVAILABLE, 'connection lost after the request was sent (test proxy)')); return; }
        reply(err, res);
      });
    };
    if (fault?.kind === 'delay') setTimeout(forward, fault.ms);
    else forward();
  }

  async close(): Promise<void> {
    this.clear();
    this.upstream.close();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    this.server.forceShutdown();
  }
}
