// Slow WatchEvents consumers: each stream buffers at most maxBuffered events
// beyond what grpc-js holds; a client that falls further behind is ended with
// RESOURCE_EXHAUSTED (counted in the metrics) and, if it never reads even
// that, its HTTP/2 stream is reset. 100 streams that never read, through
// 5,000 operations, keep the agent's RSS growth under 64 MiB, while a client
// that reads gets every event. Non-reading clients are raw HTTP/2 sessions
// with a zero flow-control window (the server can send them no data at all).
import http2 from 'node:http2';
import v8 from 'node:v8';
import vm from 'node:vm';

import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';

import { withDeadline } from '../helpers/libvirt';
import { domainXml, grpcPackage, startTestAgent, uuidFor, type Msg, type TestAgent } from '../helpers/agent-client';

const agents: TestAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function rssMiB(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().rss / 1048576;
}

interface Stuck {
  closed: Promise<{ rstCode: number; status?: string }>;
}

/** A WatchEvents call on a session whose window is 0: the client never reads a byte of data. */
function nonReadingStream(session: http2.ClientHttp2Session): Stuck {
  const req = session.request({
    ':method': 'POST', ':path': '/virtagent.v1.HostAgent/WatchEvents', 'content-type': 'application/grpc', te: 'trailers',
  });
  let status: string | undefined;
  req.on('trailers', (t) => { status = String(t['grpc-status']); });
  req.on('error', () => undefined);
  req.end(Buffer.from([0, 0, 0, 0, 0])); // one empty WatchEventsRequest
  return { closed: new Promise((resolve) => req.on('close', () => resolve({ rstCode: req.rstCode ?? -1, status }))) };
}

describe('WatchEvents with slow consumers', () => {
  it('100 streams that never read + 5,000 operations: RSS growth < 64 MiB, each ended and counted, a reading client gets every event', async () => {
    const a = await startTestAgent({
      config: (cfg) => {
        cfg.metricsListen = '127.0.0.1:0';
        cfg.watchEvents = { maxBuffered: 1000, maxStreams: 1000, graceMs: 2000 };
      },
      overrides: { requireLibvirt: true },
    });
    agents.push(a);
    const N = 40;
    for (let i = 0; i < N; i++) await a.client.call('DefineDomain', { xml: domainXml(`w-${i}`, uuidFor(500 + i)), start: true });

    // A client that reads: every event of the run must reach it.
    const pkg = grpcPackage();
    const reader = new pkg.virtagent.v1.HostAgent(a.target, grpc.credentials.createInsecure()) as grpc.Client & Msg;
    let received = 0;
    const readerCall = reader.WatchEvents({}) as grpc.ClientReadableStream<Msg>;
    readerCall.on('data', () => received++);
    readerCall.on('error', () => undefined);

    const sessions = Array.from({ length: 10 }, () => http2.connect(`http://${a.target}`, { settings: { initialWindowSize: 0 } }));
    for (const s of sessions) s.on('error', () => undefined);
    const stuck = Array.from({ length: 100 }, (_, i) => nonReadingStream(sessions[i % 10]!));
    await withDeadline((async () => { while (a.agent.metrics!.registry && (await gauge(a, 'virt_agent_watch_streams')) < 101) await new Promise((r) => setTimeout(r, 20)); })(), 10_000, '101 open streams');
    const before = rssMiB();

    // 5,000 operations: 2,500 PowerOff + PowerOn pairs over the domains, each event fanned out to 101 streams.
    let ops = 0;
    await Promise.all(Array.from({ length: N }, async (_, d) => {
      for (let k = 0; k < 2500 / N; k++) {
        await a.client.call('PowerOff', { domain: { name: `w-${d}` }, timeout_seconds: 0 });
        await a.client.call('PowerOn', { domain: { name: `w-${d}` } });
        ops += 2;
      }
    }));
    const after = rssMiB();
    expect(ops).toBeGreaterThanOrEqual(5000);

    // Every non-reading stream was ended (RESOURCE_EXHAUSTED, never delivered: it cannot read) and reset after the grace.
    const ends = await withDeadline(Promise.all(stuck.map((s) => s.closed)), 15_000, 'the non-reading streams to be reset');
    expect(ends.every((e) => e.rstCode === http2.constants.NGHTTP2_CANCEL)).toBe(true);
    expect(a.agent.journal).toBeDefined();
    expect(await counter(a, 'virt_agent_watch_streams_overflowed_total')).toBe(100);
    await withDeadline((async () => { while ((await gauge(a, 'virt_agent_watch_streams')) !== 1) await new Promise((r) => setTimeout(r, 20)); })(), 10_000, 'only the reader left');

    // The reader got them all: at least one STOPPED and one STARTED per pair.
    await withDeadline((async () => { while (received < 5000) await new Promise((r) => setTimeout(r, 20)); })(), 10_000, 'the reading client to catch up');
    readerCall.cancel();
    reader.close();
    for (const s of sessions) s.destroy();
    console.log(`watch: 100 non-reading streams, ${ops} operations, reader got ${received} events; RSS ${before.toFixed(0)} → ${after.toFixed(0)} MiB (+${(after - before).toFixed(1)})`);
    expect(after - before).toBeLessThan(64);
  }, 180_000);

  it('refuses streams past maxStreams with RESOURCE_EXHAUSTED', async () => {
    const a = await startTestAgent({ config: (cfg) => { cfg.watchEvents = { ...cfg.watchEvents, maxStreams: 2 }; }, overrides: { requireLibvirt: true } });
    agents.push(a);
    const pkg = grpcPackage();
    const c = new pkg.virtagent.v1.HostAgent(a.target, grpc.credentials.createInsecure()) as grpc.Client & Msg;
    const open = [c.WatchEvents({}), c.WatchEvents({})] as Array<grpc.ClientReadableStream<Msg>>;
    for (const s of open) s.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const third = c.WatchEvents({}) as grpc.ClientReadableStream<Msg>;
    const err = await new Promise<grpc.ServiceError>((resolve) => third.on('error', resolve));
    expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err.details).toMatch(/2 streams are open/);
    for (const s of open) s.cancel();
    c.close();
  });
});

async function metric(a: TestAgent, name: string): Promise<number> {
  const text = await a.agent.metrics!.text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}
const gauge = metric;
const counter = metric;
