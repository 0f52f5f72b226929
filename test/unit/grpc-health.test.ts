// grpc.health.v1.Health over a real server: Check, NOT_FOUND, Watch updates.
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HealthService, type ServingStatus } from '../../src/grpc/health';
import { loadProtos, type ProtoSet } from '../../src/grpc/protos';
import { createServer, listen, shutdown, type GrpcServer } from '../../src/grpc/server';
import { unary } from '../../src/grpc/status';

const AGENT = 'virtagent.v1.HostAgent';
const protos: ProtoSet = loadProtos(['virtagent/v1/agent.proto']);
const pkg = grpc.loadPackageDefinition(protos.packageDefinition) as any;

/** A Watch stream with a queue of received statuses. */
class Watch {
  readonly call: grpc.ClientReadableStream<{ status: ServingStatus }>;
  private readonly received: ServingStatus[] = [];
  private readonly waiters: Array<(s: ServingStatus) => void> = [];
  readonly ended: Promise<grpc.StatusObject>;

  constructor(client: any, service: string) {
    this.call = client.Watch({ service });
    this.call.on('data', (r: { status: ServingStatus }) => {
      const w = this.waiters.shift();
      if (w) w(r.status);
      else this.received.push(r.status);
    });
    this.ended = new Promise((resolve) => this.call.on('status', resolve));
    this.call.on('error', () => undefined);
  }

  /** The next status, or a rejection after `ms` (event-driven, no polling). */
  next(ms = 5000): Promise<ServingStatus> {
    const queued = this.received.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no status received')), ms);
      this.waiters.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
    });
  }
}

describe('health service', () => {
  let srv: GrpcServer;
  let client: any;

  beforeEach(async () => {
    srv = createServer(protos, [{ name: AGENT, implementation: { GetHostInfo: unary(async () => ({})) } }]);
    const { port } = await listen(srv.server, '127.0.0.1:0');
    client = new pkg.grpc.health.v1.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  afterEach(async () => {
    client.close();
    await shutdown(srv.server, 2000, srv.health);
  });

  const check = (service: string): Promise<ServingStatus> =>
    new Promise((resolve, reject) =>
      client.Check({ service }, (err: grpc.ServiceError | null, res: { status: ServingStatus }) => (err ? reject(err) : resolve(res.status))),
    );

  it('Check answers for the server and each registered service', async () => {
    expect(await check('')).toBe('SERVING');
    expect(await check(AGENT)).toBe('SERVING');
    srv.health.setStatus(AGENT, 'NOT_SERVING');
    expect(await check(AGENT)).toBe('NOT_SERVING');
    expect(await check('')).toBe('SERVING');
  });

  it('Check of an unknown service is NOT_FOUND', async () => {
    await expect(check('no.such.Service')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    srv.health.setStatus(AGENT, 'SERVING');
    srv.health.clearStatus(AGENT);
    await expect(check(AGENT)).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('Watch sends the current status, then only changes', async () => {
    const watch = new Watch(client, AGENT);
    expect(await watch.next()).toBe('SERVING');
    srv.health.setStatus(AGENT, 'SERVING'); // no change: nothing sent
    srv.health.setStatus(AGENT, 'NOT_SERVING');
    expect(await watch.next()).toBe('NOT_SERVING');
    srv.health.setStatus(AGENT, 'SERVING');
    expect(await watch.next()).toBe('SERVING');
    watch.call.cancel();
    expect((await watch.ended).code).toBe(grpc.status.CANCELLED);
  });

  it('Watch of an unknown service says SERVICE_UNKNOWN and keeps watching', async () => {
    const watch = new Watch(client, 'later.Service');
    expect(await watch.next()).toBe('SERVICE_UNKNOWN');
    srv.health.setStatus('later.Service', 'SERVING');
    expect(await watch.next()).toBe('SERVING');
    srv.health.clearStatus('later.Service');
    expect(await watch.next()).toBe('SERVICE_UNKNOWN');
    watch.call.cancel();
  });

  it('a cancelled Watch does not hold up a graceful shutdown', async () => {
    const watch = new Watch(client, '');
    expect(await watch.next()).toBe('SERVING');
    watch.call.cancel();
    await watch.ended;
    expect(await shutdown(srv.server, 5000)).toBe('graceful');
  });

  it('shutdown() tells watchers NOT_SERVING and ends their streams', async () => {
    const watch = new Watch(client, '');
    expect(await watch.next()).toBe('SERVING');
    expect(await shutdown(srv.server, 5000, srv.health)).toBe('graceful');
    expect(await watch.next()).toBe('NOT_SERVING');
    expect((await watch.ended).code).toBe(grpc.status.OK);
    srv.health.setStatus('', 'SERVING'); // frozen after shutdown
    expect(srv.health.getStatus('')).toBe('NOT_SERVING');
  });
});

describe('HealthService without a server', () => {
  it('rejects SERVICE_UNKNOWN as a status to set', () => {
    const health = new HealthService();
    expect(health.getStatus('')).toBe('SERVING');
    expect(() => health.setStatus('x', 'SERVICE_UNKNOWN')).toThrow(/clearStatus/);
  });
});
