// Server reflection checked the way grpcurl/protoreflect use it: every type a
// served descriptor names must resolve within the file or its declared
// imports, and the descriptors alone must be enough to call the server.
// Checks against protoc and grpcurl: grpc-reflection-protoc.test.ts.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOADER_OPTIONS, loadProtos, type ProtoSet } from '../../src/grpc/protos';
import { createServer, listen, shutdown, type GrpcServer } from '../../src/grpc/server';
import { serverStreaming, unary } from '../../src/grpc/status';
import {
  AGENT_FILE, decodeFile, descriptorSet, fetchAllDescriptors, HOST_INFO, ReflectionClient, rootFromDescriptor, TIMESTAMP_FILE,
  typeSignatures, validateDescriptors, type Obj,
} from '../helpers/reflection-descriptors';

function unaryCall<T>(client: any, method: string, req: Obj): Promise<T> {
  return new Promise((resolve, reject) => client[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
}

describe('server reflection', () => {
  let protos: ProtoSet;
  let srv: GrpcServer;
  let target: string;

  beforeAll(async () => {
    protos = loadProtos([AGENT_FILE]);
    srv = createServer(protos, [
      {
        name: 'virtagent.v1.HostAgent',
        implementation: {
          GetHostInfo: unary(async () => HOST_INFO),
          WatchEvents: serverStreaming(async (call) => {
            call.write({ time: { seconds: 1700000000, nanos: 5 }, domain_name: 'vm1', lifecycle: { event: 'STOPPED', detail: 'STOPPED_SHUTDOWN' } });
          }),
        },
      },
    ]);
    const { port } = await listen(srv.server, '127.0.0.1:0');
    target = `127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await shutdown(srv.server, 2000, srv.health);
  });

  for (const version of ['v1', 'v1alpha'] as const) {
    it(`${version}: every served type resolves within its file and declared imports`, async () => {
      const client = new ReflectionClient(protos, target, version);
      try {
        const { services, files, byService } = await fetchAllDescriptors(client);
        expect(services.sort()).toEqual([
          'grpc.health.v1.Health',
          'grpc.reflection.v1.ServerReflection',
          'grpc.reflection.v1alpha.ServerReflection',
          'virtagent.v1.HostAgent',
        ]);
        expect(byService.get('virtagent.v1.HostAgent')).toBe(AGENT_FILE);
        expect([...files.keys()].sort()).toEqual([
          TIMESTAMP_FILE,
          'grpc/health/v1/health.proto',
          'grpc/reflection/v1/reflection.proto',
          'grpc/reflection/v1alpha/reflection.proto',
          AGENT_FILE,
        ]);
        const agent = files.get(AGENT_FILE)!;
        expect(agent.package).toBe('virtagent.v1');
        expect(agent.syntax).toBe('proto3');
        expect(agent.dependency).toEqual([TIMESTAMP_FILE]);
        expect(files.get(TIMESTAMP_FILE)!.messageType.map((m: Obj) => m.name)).toEqual(['Timestamp']);
        expect(validateDescriptors(files)).toEqual([]);
      } finally {
        client.close();
      }
    });
  }

  it('the validator itself rejects a file with a missing import or a relative type name', () => {
    const files = new Map([...protos.files].map(([k, v]) => [k, decodeFile(v.bytes)]));
    const agent = files.get(AGENT_FILE)!;
    files.set(AGENT_FILE, { ...agent, dependency: [] });
    expect(validateDescriptors(files)).toContainEqual(expect.stringContaining('.google.protobuf.Timestamp is not defined'));
    const relative = structuredClone(agent);
    relative.messageType.find((m: Obj) => m.name === 'Domain').field[2].typeName = 'PowerState';
    files.set(AGENT_FILE, relative);
    expect(validateDescriptors(files)).toContainEqual(expect.stringContaining('PowerState is not fully qualified'));
  });

  it('describes agent messages exactly: maps, oneofs, proto3 optional, enums, streaming', () => {
    const agent = decodeFile(protos.files.get(AGENT_FILE)!.bytes);
    const msg = (name: string): Obj => agent.messageType.find((m: Obj) => m.name === name);
    const field = (m: string, f: string): Obj => msg(m).field.find((x: Obj) => x.name === f);

    expect(field('Event', 'time')).toMatchObject({ type: 11, typeName: '.google.protobuf.Timestamp', label: 1 });
    expect(msg('Event').oneofDecl).toEqual([{ name: 'kind' }]);
    expect(field('Event', 'device_removed')).toMatchObject({ typeName: '.virtagent.v1.DeviceEvent', oneofIndex: 0 });

    const data = field('ConnectionInfo', 'data');
    expect(data).toMatchObject({ label: 3, type: 11, typeName: '.virtagent.v1.ConnectionInfo.DataEntry', jsonName: 'data' });
    expect(msg('ConnectionInfo').nestedType[0]).toMatchObject({
      name: 'DataEntry',
      options: { mapEntry: true },
      field: [
        { name: 'key', number: 1, type: 9, label: 1 },
        { name: 'value', number: 2, type: 9, label: 1 },
      ],
    });

    expect(msg('PowerOffRequest').oneofDecl).toEqual([{ name: '_timeout_seconds' }, { name: '_retry_interval_seconds' }]);
    expect(field('PowerOffRequest', 'timeout_seconds')).toMatchObject({ type: 13, oneofIndex: 0, proto3Optional: true, jsonName: 'timeoutSeconds' });
    expect(field('PowerOffRequest', 'shutdown_methods')).toMatchObject({ label: 3, type: 14, typeName: '.virtagent.v1.ShutdownMethod' });
    expect(field('PowerOffRequest', 'request_id').oneofIndex).toBeUndefined();
    expect(field('PowerOffResponse', 'elapsed_ms')).toMatchObject({ type: 4 });

    const power = agent.enumType.find((e: Obj) => e.name === 'PowerState');
    expect(power.value.slice(0, 2)).toEqual([{ name: 'POWER_STATE_NOSTATE', number: 0 }, { name: 'POWER_STATE_RUNNING', number: 1 }]);

    const methods = agent.service[0].method;
    expect(agent.service[0].name).toBe('HostAgent');
    expect(methods.find((m: Obj) => m.name === 'WatchEvents')).toMatchObject({
      inputType: '.virtagent.v1.WatchEventsRequest',
      outputType: '.virtagent.v1.Event',
      serverStreaming: true,
    });
    expect(methods.find((m: Obj) => m.name === 'HardReboot')).toMatchObject({ outputType: '.virtagent.v1.PowerOnResponse' });
    expect(methods.find((m: Obj) => m.name === 'PowerOff').serverStreaming).toBeUndefined();

    const reflection = decodeFile(protos.files.get('grpc/reflection/v1/reflection.proto')!.bytes);
    expect(reflection.service[0].method[0]).toMatchObject({ clientStreaming: true, serverStreaming: true });
    const health = decodeFile(protos.files.get('grpc/health/v1/health.proto')!.bytes);
    expect(health.messageType[1].enumType[0].name).toBe('ServingStatus');
    expect(health.messageType[1].field[0].typeName).toBe('.grpc.health.v1.HealthCheckResponse.ServingStatus');
  });

  it('finds files by any symbol and sends each dependency once per stream', async () => {
    const client = new ReflectionClient(protos, target, 'v1');
    try {
      const names = async (req: Obj): Promise<string[]> => (await client.files(req)).map((f) => f.name);
      expect(await names({ file_containing_symbol: 'virtagent.v1.HostAgent' })).toEqual([AGENT_FILE, TIMESTAMP_FILE]);
      // Already sent on this stream: only the requested file comes back.
      expect(await names({ file_by_filename: AGENT_FILE })).toEqual([AGENT_FILE]);
      for (const symbol of [
        'virtagent.v1.HostAgent.PowerOff',
        'virtagent.v1.Event',
        'virtagent.v1.ConnectionInfo.DataEntry',
        'virtagent.v1.PowerState',
        'virtagent.v1.POWER_STATE_RUNNING',
        'virtagent.v1.Domain.power_state',
        'virtagent.v1.Event.kind',
      ]) {
        expect(await names({ file_containing_symbol: symbol })).toEqual([AGENT_FILE]);
      }
      expect(await names({ file_containing_symbol: 'google.protobuf.Timestamp' })).toEqual([TIMESTAMP_FILE]);
      expect(await names({ file_containing_symbol: 'grpc.health.v1.HealthCheckResponse.ServingStatus' })).toEqual(['grpc/health/v1/health.proto']);

      const res = await client.request({ host: 'h', file_containing_symbol: 'virtagent.v1.Nope' });
      expect(res).toMatchObject({ valid_host: 'h', original_request: { file_containing_symbol: 'virtagent.v1.Nope' } });
      expect(res.error_response).toMatchObject({ error_code: grpc.status.NOT_FOUND });
      for (const req of [
        { file_by_filename: 'virtagent/v1/nope.proto' },
        { file_containing_extension: { containing_type: 'virtagent.v1.Domain', extension_number: 100 } },
        { all_extension_numbers_of_type: 'virtagent.v1.Domain' },
      ]) {
        expect((await client.request(req)).error_response?.error_code).toBe(grpc.status.NOT_FOUND);
      }
    } finally {
      client.close();
    }
  });

  it('a client built only from the served descriptors can call the server', async () => {
    const client = new ReflectionClient(protos, target, 'v1');
    const { files } = await fetchAllDescriptors(client).finally(() => client.close());
    const pkg = grpc.loadPackageDefinition(protoLoader.loadFileDescriptorSetFromBuffer(descriptorSet(files.values()), LOADER_OPTIONS)) as any;
    const agent = new pkg.virtagent.v1.HostAgent(target, grpc.credentials.createInsecure());
    try {
      expect(await unaryCall(agent, 'GetHostInfo', {})).toEqual(HOST_INFO);
      const events: Obj[] = [];
      await new Promise<void>((resolve, reject) => {
        const stream = agent.WatchEvents({});
        stream.on('data', (e: Obj) => events.push(e));
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      expect(events).toEqual([
        expect.objectContaining({ time: { seconds: 1700000000, nanos: 5 }, domain_name: 'vm1', kind: 'lifecycle', lifecycle: expect.objectContaining({ event: 'STOPPED' }) }),
      ]);
    } finally {
      agent.close();
    }
  });

  it('protobufjs rebuilds the same types from the served descriptors', () => {
    const rebuilt = rootFromDescriptor(descriptorSet([...protos.files.values()].map((f) => decodeFile(f.bytes))));
    rebuilt.resolveAll();
    expect(typeSignatures(rebuilt)).toEqual(typeSignatures(protos.root));
  });
});
