// WatchEvents, health and reflection through a real agent on the test driver.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as descriptor from 'protobufjs/ext/descriptor';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { LOADER_OPTIONS } from '../../src/grpc/protos';
import {
  domainXml, errorOf, NODE_DOMAINS, startTestAgent, until, uuidFor, type EventStream, type Msg, type TestAgent,
} from '../helpers/agent-client';

const AGENT_FILE = 'virtagent/v1/agent.proto';
const TIMESTAMP_FILE = 'google/protobuf/timestamp.proto';
const EVENT_NAMES = ['lifecycle', 'deviceRemoved', 'deviceRemovalFailed'] as const;

let t: TestAgent;
beforeEach(async () => {
  t = await startTestAgent();
});
afterEach(async () => {
  await t.close();
});

/** HostEvents listeners currently registered on the agent's libvirt Host. */
function listeners(): number {
  return EVENT_NAMES.reduce((n, e) => n + t.agent.deps.host.listenerCount(e), 0);
}

/** Opens a stream and waits until the agent has registered its listeners. */
async function openWatch(req: Msg = {}): Promise<EventStream> {
  const before = listeners();
  const stream = t.client.watch(req);
  await until(() => listeners() >= before + EVENT_NAMES.length, 5000, 'WatchEvents listeners');
  return stream;
}

const lifecycle = (name: string, event: string) => (e: Msg) => e.domain_name === name && e.lifecycle?.event === event;

describe('WatchEvents', () => {
  it('reports define, start and PowerOff as DEFINED, STARTED and STOPPED with details and timestamps', async () => {
    const baseline = listeners();
    const stream = await openWatch();
    const before = Date.now();
    const uuid = uuidFor(1);
    const defined = await t.client.call('DefineDomain', { xml: domainXml('ev-1', uuid), start: true });
    expect(defined.power_state).toBe('POWER_STATE_RUNNING');
    const off = await t.client.call('PowerOff', { domain: { name: 'ev-1' }, timeout_seconds: 30 });
    expect(off.clean).toBe(true);

    const d = await stream.next(lifecycle('ev-1', 'DEFINED'), 5000, 'DEFINED');
    const s = await stream.next(lifecycle('ev-1', 'STARTED'), 5000, 'STARTED');
    const x = await stream.next(lifecycle('ev-1', 'STOPPED'), 5000, 'STOPPED');
    const after = Date.now();
    expect(d).toMatchObject({ domain_uuid: uuid, kind: 'lifecycle', lifecycle: { detail: 'DEFINED_ADDED', event_code: 0, detail_code: 0 } });
    expect(s).toMatchObject({ domain_uuid: uuid, lifecycle: { detail: 'STARTED_BOOTED', event_code: 2, detail_code: 0 } });
    expect(x).toMatchObject({ domain_uuid: uuid, lifecycle: { detail: 'STOPPED_SHUTDOWN', event_code: 5, detail_code: 0 } });
    const order = stream.events.filter((e) => e.domain_name === 'ev-1').map((e) => e.lifecycle.event);
    expect(order.indexOf('DEFINED')).toBeLessThan(order.indexOf('STARTED'));
    expect(order.indexOf('STARTED')).toBeLessThan(order.indexOf('STOPPED'));
    for (const e of [d, s, x]) {
      const ms = e.time.seconds * 1000 + e.time.nanos / 1e6;
      expect(ms).toBeGreaterThanOrEqual(before - 1000);
      expect(ms).toBeLessThanOrEqual(after + 1000);
      expect(Number.isInteger(e.time.nanos) && e.time.nanos >= 0 && e.time.nanos < 1e9).toBe(true);
    }
    stream.cancel();
    expect((await stream.ended).code).toBe(grpc.status.CANCELLED);
    await until(() => listeners() === baseline, 5000, 'listeners removed');
  });

  it('a domain filter by name delivers only that domain\'s events', async () => {
    const stream = await openWatch({ domain: { name: 'db-1' } });
    await t.client.call('PowerOff', { domain: { name: 'web-1' }, timeout_seconds: 0 });
    await t.client.call('PowerOn', { domain: { name: 'db-1' } });
    await t.client.call('PowerOff', { domain: { name: 'db-1' }, timeout_seconds: 0 });
    await stream.next(lifecycle('db-1', 'STARTED'), 5000, 'db-1 STARTED');
    await stream.next(lifecycle('db-1', 'STOPPED'), 5000, 'db-1 STOPPED');
    expect(stream.events.length).toBeGreaterThanOrEqual(2);
    expect(stream.events.every((e) => e.domain_name === 'db-1' && e.domain_uuid === NODE_DOMAINS['db-1'].uuid)).toBe(true);
    stream.cancel();
  });

  it('a domain filter by (upper-case) uuid delivers only that domain\'s events', async () => {
    const uuid = NODE_DOMAINS['paused-1'].uuid;
    const stream = await openWatch({ domain: { uuid: uuid.toUpperCase() } });
    const other = await openWatch();
    await t.client.call('PowerOff', { domain: { name: 'web-1' }, timeout_seconds: 0 });
    await t.client.call('PowerOff', { domain: { uuid }, timeout_seconds: 0 });
    await stream.next(lifecycle('paused-1', 'STOPPED'), 5000, 'paused-1 STOPPED');
    // The unfiltered watcher saw both, in order: web-1 first.
    await other.next(lifecycle('paused-1', 'STOPPED'), 5000, 'paused-1 STOPPED (unfiltered)');
    expect(other.events.some(lifecycle('web-1', 'STOPPED'))).toBe(true);
    expect(stream.events.every((e) => e.domain_uuid === uuid)).toBe(true);
    stream.cancel();
    other.cancel();
  });

  it('cancel ends the stream and removes the agent\'s listeners; so does a client deadline', async () => {
    const baseline = listeners();
    const a = await openWatch();
    const b = await openWatch();
    expect(listeners()).toBe(baseline + 2 * EVENT_NAMES.length);
    a.cancel();
    expect((await a.ended).code).toBe(grpc.status.CANCELLED);
    await until(() => listeners() === baseline + EVENT_NAMES.length, 5000, 'first stream\'s listeners removed');
    // The other stream still works.
    await t.client.call('PowerOff', { domain: { name: 'web-1' }, timeout_seconds: 0 });
    await b.next(lifecycle('web-1', 'STOPPED'), 5000, 'web-1 STOPPED');
    b.cancel();
    await until(() => listeners() === baseline, 5000, 'all listeners removed');

    const short = t.client.watch({}, 300);
    expect((await short.ended).code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await until(() => listeners() === baseline, 5000, 'listeners removed after the deadline');
  });

  it('bad filters are INVALID_ARGUMENT naming the field, and register nothing', async () => {
    const baseline = listeners();
    for (const [domain, field] of [
      [{ name: 'a', uuid: NODE_DOMAINS['db-1'].uuid }, 'domain'],
      [{ uuid: 'nope' }, 'domain.uuid'],
      [{ name: 'a/b' }, 'domain.name'],
    ] as const) {
      const status = await t.client.watch({ domain }).ended;
      expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(status.details).toContain(`${field}:`);
    }
    expect(listeners()).toBe(baseline);
  });

  it('stopping the agent ends open streams without waiting out the drain time', async () => {
    const stream = await openWatch();
    const started = Date.now();
    await t.agent.stop(10_000);
    const status = await stream.ended;
    expect(Date.now() - started).toBeLessThan(5000);
    expect([grpc.status.OK, grpc.status.UNAVAILABLE, grpc.status.CANCELLED]).toContain(status.code);
    expect(listeners()).toBe(0);
  });
});

describe('health', () => {
  it('is SERVING for the server and HostAgent with a working libvirt; unknown services are NOT_FOUND', async () => {
    expect(await t.client.healthCheck('')).toBe('SERVING');
    expect(await t.client.healthCheck('virtagent.v1.HostAgent')).toBe('SERVING');
    const err = await errorOf(t.client.healthCheck('virtagent.v1.Nope'));
    expect(err.code).toBe(grpc.status.NOT_FOUND);
  });
});

// ---------------------------------------------------------------------------
// Reflection: the same strict check as test/unit/grpc-reflection.test.ts, on the real agent.

function decodeFile(bytes: Uint8Array): Msg {
  return descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(bytes), { arrays: true });
}

/** Fully-qualified (leading dot) message and enum names a file defines. */
function definedTypes(file: Msg): Map<string, 'message' | 'enum'> {
  const out = new Map<string, 'message' | 'enum'>();
  const add = (scope: string, m: Msg): void => {
    const name = `${scope}.${m.name}`;
    out.set(name, 'message');
    m.nestedType.forEach((n: Msg) => add(name, n));
    m.enumType.forEach((e: Msg) => out.set(`${name}.${e.name}`, 'enum'));
  };
  const prefix = file.package ? `.${file.package}` : '';
  file.messageType.forEach((m: Msg) => add(prefix, m));
  file.enumType.forEach((e: Msg) => out.set(`${prefix}.${e.name}`, 'enum'));
  return out;
}

/** Every referenced type must be defined in the file or a declared import (what protoreflect enforces). */
function unresolved(files: Map<string, Msg>): string[] {
  const problems: string[] = [];
  for (const file of files.values()) {
    const visible = new Map(definedTypes(file));
    for (const dep of file.dependency as string[]) {
      const d = files.get(dep);
      if (d === undefined) problems.push(`${file.name}: dependency ${dep} not served`);
      else for (const [k, v] of definedTypes(d)) visible.set(k, v);
    }
    const expectKind = (where: string, name: string, kind: 'message' | 'enum'): void => {
      if (!name.startsWith('.')) problems.push(`${where}: ${name} is not fully qualified`);
      else if (visible.get(name) !== kind) problems.push(`${where}: ${kind} ${name} not defined in ${file.name} or its imports`);
    };
    const walk = (scope: string, m: Msg): void => {
      const name = `${scope}.${m.name}`;
      for (const f of m.field as Msg[]) {
        if (f.type === 11 || f.type === 10) expectKind(`${name}.${f.name}`, f.typeName, 'message');
        else if (f.type === 14) expectKind(`${name}.${f.name}`, f.typeName, 'enum');
      }
      m.nestedType.forEach((n: Msg) => walk(name, n));
    };
    file.messageType.forEach((m: Msg) => walk(file.package ? `.${file.package}` : '', m));
    for (const s of file.service as Msg[]) {
      for (const m of s.method as Msg[]) {
        expectKind(`${s.name}.${m.name}`, m.inputType, 'message');
        expectKind(`${s.name}.${m.name}`, m.outputType, 'message');
      }
    }
  }
  return problems;
}

describe('reflection through the agent', () => {
  for (const version of ['v1', 'v1alpha'] as const) {
    it(`${version}: lists the services and serves agent.proto with its timestamp import, all resolvable`, async () => {
      const r = t.client.reflection(version);
      try {
        const list = await r.request({ list_services: '' });
        expect(list.list_services_response.service.map((s: Msg) => s.name).sort()).toEqual([
          'grpc.health.v1.Health',
          'grpc.reflection.v1.ServerReflection',
          'grpc.reflection.v1alpha.ServerReflection',
          'virtagent.v1.HostAgent',
        ]);
        const files = new Map<string, Msg>();
        const fetch = async (req: Msg): Promise<Msg[]> => {
          const res = await r.request(req);
          expect(res.message_response).toBe('file_descriptor_response');
          const got = (res.file_descriptor_response.file_descriptor_proto as Uint8Array[]).map(decodeFile);
          for (const f of got) files.set(f.name, f);
          return got;
        };
        const [agent] = await fetch({ file_containing_symbol: 'virtagent.v1.HostAgent' });
        expect(agent!.name).toBe(AGENT_FILE);
        expect(agent!.dependency).toContain(TIMESTAMP_FILE);
        expect(agent!.service[0].method.map((m: Msg) => m.name)).toEqual([
          'GetHostInfo', 'ListDomains', 'GetDomain', 'DefineDomain', 'WatchEvents',
          'PowerOff', 'PowerOn', 'HardReboot', 'Destroy', 'ConnectVolume', 'DisconnectVolume',
        ]);
        // The import is served too (possibly already with the first answer).
        const [ts] = await fetch({ file_by_filename: TIMESTAMP_FILE });
        expect(ts!.name).toBe(TIMESTAMP_FILE);
        expect(ts!.messageType.map((m: Msg) => m.name)).toEqual(['Timestamp']);
        for (const s of ['grpc.health.v1.Health', `grpc.reflection.${version}.ServerReflection`]) await fetch({ file_containing_symbol: s });
        const pending = [...files.values()].flatMap((f) => f.dependency as string[]);
        while (pending.length > 0) {
          const name = pending.pop()!;
          if (!files.has(name)) pending.push(...(await fetch({ file_by_filename: name }))[0]!.dependency);
        }
        expect(unresolved(files)).toEqual([]);

        // The served descriptors alone are enough to call the agent.
        const set = Buffer.from(descriptor.FileDescriptorSet.encode(descriptor.FileDescriptorSet.fromObject({ file: [...files.values()] })).finish());
        const pkg: Msg = grpc.loadPackageDefinition(protoLoader.loadFileDescriptorSetFromBuffer(set, LOADER_OPTIONS));
        const client = new pkg.virtagent.v1.HostAgent(t.target, grpc.credentials.createInsecure()) as Msg;
        try {
          const info = await new Promise<Msg>((resolve, reject) =>
            client.GetHostInfo({}, { deadline: Date.now() + 5000 }, (e: Error | null, res: Msg) => (e ? reject(e) : resolve(res))));
          expect(info).toMatchObject({ libvirt_version: '9.0.0', connected: true });
        } finally {
          client.close();
        }
      } finally {
        r.close();
      }
    });
  }
});
