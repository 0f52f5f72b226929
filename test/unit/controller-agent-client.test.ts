// The controller's agent pool against a scripted HostAgent server: deadlines,
// retries only for idempotent calls and only on UNAVAILABLE/DEADLINE_EXCEEDED,
// the same request id on every attempt, health checks.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AgentError, AgentPool, grpcTarget, type AgentPoolOptions } from '../../src/controller/agent-client';
import type { Msg } from './controller-fakes';
import { loadProtos } from '../../src/grpc/protos';
import { createServer, listen, shutdown, type GrpcServer } from '../../src/grpc/server';
import { unary } from '../../src/grpc/status';
import { Unavailable } from '../../src/errors';
import { silentLogger } from '../../src/logging';

const seen: Array<{ method: string; req: Msg }> = [];
const script = new Map<string, Array<grpc.status | 'hang'>>();
/** The client address:port of each GetDomain / GetHostInfo call: a new one means a new connection. */
const peers: string[] = [];
let server: GrpcServer;
let address: string;

function handler(method: string, reply: Msg) {
  return (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
    seen.push({ method, req: call.request });
    const next = script.get(method)?.shift();
    if (next === 'hang') return; // never answers: the client's deadline ends it
    if (next !== undefined && next !== grpc.status.OK) { cb({ code: next, details: `scripted ${grpc.status[next]}` }); return; }
    cb(null, reply);
  };
}

beforeAll(async () => {
  const protos = loadProtos(['virtagent/v1/agent.proto']);
  server = createServer(protos, [{
    name: 'virtagent.v1.HostAgent',
    implementation: {
      Destroy: handler('Destroy', { found: true }),
      PowerOn: handler('PowerOn', { power_state: 'POWER_STATE_RUNNING' }),
      PowerOff: handler('PowerOff', { clean: true }),
      // Through the servers' own status mapping (status.ts): answered statuses carry the kind trailer.
      GetDomain: unary((call: grpc.ServerUnaryCall<Msg, Msg>) => {
        peers.push(call.getPeer());
        if (script.get('GetDomain')?.shift() === grpc.status.UNAVAILABLE) throw new Unavailable('libvirt is not connected');
        return { name: 'web-1' };
      }),
      GetHostInfo: (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
        peers.push(call.getPeer());
        if (script.get('GetHostInfo')?.shift() === grpc.status.UNAVAILABLE) { cb({ code: grpc.status.UNAVAILABLE, details: 'no trailer' }); return; }
        cb(null, { hostname: 'h' });
      },
    },
  }]);
  const bound = await listen(server.server, '127.0.0.1:0');
  address = `127.0.0.1:${bound.port}`;
});

afterAll(async () => {
  await shutdown(server.server, 1000, server.health);
});

function pool(hosts: Record<string, string> = { h: address }, sleeps: number[] = [], extra: Partial<AgentPoolOptions> = {}): AgentPool {
  return new AgentPool({
    ...extra,
    hosts: new Map(Object.entries(hosts)),
    logger: silentLogger(),
    retry: { attempts: 3, initialBackoffMs: 10, maxBackoffMs: 15 },
    healthTimeoutMs: 1000,
    maxReconnectBackoffMs: 100,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

describe('agent pool', () => {
  it('retries an idempotent call on UNAVAILABLE with bounded backoff and the same request id', async () => {
    const sleeps: number[] = [];
    const p = pool(undefined, sleeps);
    seen.length = 0;
    script.set('Destroy', [grpc.status.UNAVAILABLE, grpc.status.UNAVAILABLE]);
    const res = await p.call('h', 'Destroy', { domain: { uuid: 'u' }, request_id: 'u:delete:1' }, { deadlineMs: 5000, idempotent: true });
    expect(res.found).toBe(true);
    expect(seen.map((s) => s.req.request_id)).toEqual(['u:delete:1', 'u:delete:1', 'u:delete:1']);
    expect(sleeps).toEqual([10, 15]);
    p.close();
  });

  it('gives up after the attempts, and retries on a deadline too', async () => {
    const p = pool();
    seen.length = 0;
    script.set('PowerOff', ['hang', grpc.status.UNAVAILABLE, grpc.status.UNAVAILABLE]);
    const err = await p.call('h', 'PowerOff', { request_id: 'x' }, { deadlineMs: 200, idempotent: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).code).toBe(grpc.status.UNAVAILABLE);
    expect((err as AgentError).unreachable).toBe(true);
    expect(seen).toHaveLength(3);
    p.close();
  });

  it('never retries a non-idempotent call or a non-transient failure', async () => {
    const p = pool();
    seen.length = 0;
    script.set('PowerOn', [grpc.status.UNAVAILABLE]);
    const e1 = (await p.call('h', 'PowerOn', {}, { deadlineMs: 2000, idempotent: false }).catch((e: unknown) => e)) as AgentError;
    expect(e1.code).toBe(grpc.status.UNAVAILABLE);
    script.set('Destroy', [grpc.status.FAILED_PRECONDITION]);
    const e2 = (await p.call('h', 'Destroy', {}, { deadlineMs: 2000, idempotent: true }).catch((e: unknown) => e)) as AgentError;
    expect(e2.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(e2.toAppError().kind).toBe('FailedPrecondition');
    expect(seen.map((s) => s.method)).toEqual(['PowerOn', 'Destroy']);
    p.close();
  });

  it('health: SERVING only; a host nobody listens on is unhealthy and UNAVAILABLE', async () => {
    const p = pool({ h: address, dead: '127.0.0.1:1' });
    expect(await p.healthy('h')).toBe(true);
    server.health.setStatus('virtagent.v1.HostAgent', 'NOT_SERVING');
    expect(await p.healthy('h')).toBe(false);
    server.health.setStatus('virtagent.v1.HostAgent', 'SERVING');
    expect(await p.healthy('dead')).toBe(false);
    const err = (await p.call('dead', 'Destroy', {}, { deadlineMs: 2000, idempotent: false }).catch((e: unknown) => e)) as AgentError;
    expect(err.unreachable).toBe(true);
    await expect(p.call('nope', 'Destroy', {}, { deadlineMs: 100, idempotent: false })).rejects.toThrow(/unknown host nope/);
    p.close();
  });

  it('tells the liveness of every answer (health SERVING included) and the metrics of every attempt', async () => {
    const contacts: string[] = [];
    const attempts: string[] = [];
    const p = pool({ h: address, dead: '127.0.0.1:1' }, [], {
      onContact: (host) => contacts.push(host),
      onCall: (host, method, code) => attempts.push(`${host}:${method}:${grpc.status[code]}`),
    });
    script.set('Destroy', [grpc.status.UNAVAILABLE]);
    await p.call('h', 'Destroy', { request_id: 'c:1' }, { deadlineMs: 2000, idempotent: true });
    expect(await p.healthy('h')).toBe(true);
    server.health.setStatus('virtagent.v1.HostAgent', 'NOT_SERVING');
    expect(await p.healthy('h')).toBe(false); // an answer, but not a contact: the host cannot act
    server.health.setStatus('virtagent.v1.HostAgent', 'SERVING');
    expect(await p.healthy('dead')).toBe(false);
    expect(contacts).toEqual(['h', 'h']);
    expect(attempts).toEqual(['h:Destroy:UNAVAILABLE', 'h:Destroy:OK', 'h:Check:OK', 'h:Check:OK', 'dead:Check:UNAVAILABLE']);
    p.close();
  });

  it('stops retrying once the host is declared down', async () => {
    let down = false;
    const p = pool(undefined, [], { isDown: () => down });
    seen.length = 0;
    script.set('Destroy', [grpc.status.UNAVAILABLE, grpc.status.UNAVAILABLE]);
    down = true;
    const err = (await p.call('h', 'Destroy', {}, { deadlineMs: 2000, idempotent: true }).catch((e: unknown) => e)) as AgentError;
    expect(err.noAnswer).toBe(true);
    expect(seen).toHaveLength(1);
    script.delete('Destroy');
    p.close();
  });

  it('an UNAVAILABLE the agent itself sent (libvirt down) is told apart from no answer: worded so, and the channel is kept', async () => {
    const p = pool();
    peers.length = 0;
    script.set('GetDomain', [grpc.status.UNAVAILABLE]);
    const answered = await p.call('h', 'GetDomain', { domain: { name: 'web-1' } }, { deadlineMs: 5000, idempotent: false }).catch((e: unknown) => e);
    expect(answered).toBeInstanceOf(AgentError);
    expect(answered).toMatchObject({ code: grpc.status.UNAVAILABLE, answered: true, unreachable: true, noAnswer: true });
    expect((answered as AgentError).silence).toBe('host h could not act now (UNAVAILABLE)');
    expect((await p.call('h', 'GetDomain', { domain: { name: 'web-1' } }, { deadlineMs: 5000, idempotent: false })).name).toBe('web-1');
    expect(peers[1]).toBe(peers[0]);

    // A status without the trailer (a proxy, grpc-js itself): no answer from the agent; the next call connects afresh.
    script.set('GetHostInfo', [grpc.status.UNAVAILABLE]);
    const silent = await p.call('h', 'GetHostInfo', {}, { deadlineMs: 5000, idempotent: false }).catch((e: unknown) => e);
    expect(silent).toMatchObject({ code: grpc.status.UNAVAILABLE, answered: false });
    expect((silent as AgentError).silence).toBe('host h did not answer');
    await p.call('h', 'GetHostInfo', {}, { deadlineMs: 5000, idempotent: false });
    expect(peers[3]).not.toBe(peers[2]);
    p.close();
  });

  it('maps addresses to grpc-js targets', () => {
    expect(grpcTarget('unix:///run/virt-agent/agent.sock')).toBe('unix:/run/virt-agent/agent.sock');
    expect(grpcTarget('10.0.0.1:50051')).toBe('10.0.0.1:50051');
  });
});
