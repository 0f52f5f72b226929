// Server reflection checked the way grpcurl/protoreflect use it: every type a
// served descriptor names must resolve within the file or its declared
// imports, and the descriptors alone must be enough to call the server.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';
import * as descriptor from 'protobufjs/ext/descriptor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOADER_OPTIONS, loadProtos, protoDir, type ProtoSet } from '../../src/grpc/protos';
import { createServer, listen, shutdown, type GrpcServer } from '../../src/grpc/server';
import { serverStreaming, unary } from '../../src/grpc/status';

type Obj = Record<string, any>;
const AGENT_FILE = 'virtagent/v1/agent.proto';
const TIMESTAMP_FILE = 'google/protobuf/timestamp.proto';
const HOST_INFO = { hostname: 'h1', libvirt_uri: 'qemu:///system', libvirt_version: '9.0.0', hypervisor_version: '7.2.0', agent_version: '0.1.0', connected: true };

/** One request, one response, in order, on a reflection stream. */
class ReflectionClient {
  private readonly client: grpc.Client;
  private readonly stream: grpc.ClientDuplexStream<Obj, Obj>;
  private readonly waiting: Array<{ resolve: (r: Obj) => void; reject: (e: Error) => void }> = [];

  constructor(protos: ProtoSet, target: string, version: 'v1' | 'v1alpha') {
    const pkg = grpc.loadPackageDefinition(protos.packageDefinition) as any;
    this.client = new pkg.grpc.reflection[version].ServerReflection(target, grpc.credentials.createInsecure());
    this.stream = (this.client as any).ServerReflectionInfo();
    this.stream.on('data', (r: Obj) => this.waiting.shift()?.resolve(r));
    this.stream.on('error', (e: Error) => this.waiting.splice(0).forEach((w) => w.reject(e)));
  }

  request(req: Obj): Promise<Obj> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.stream.write(req);
    });
  }

  async files(req: Obj): Promise<Obj[]> {
    const res = await this.request(req);
    if (res.message_response !== 'file_descriptor_response') throw new Error(`no files: ${JSON.stringify(res.error_response)}`);
    return res.file_descriptor_response.file_descriptor_proto.map(decodeFile);
  }

  close(): void {
    this.stream.end();
    this.client.close();
  }
}

function decodeFile(bytes: Uint8Array): Obj {
  return descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(bytes), { arrays: true });
}

/** list_services, file_containing_symbol for each, then every import by file_by_filename. */
async function fetchAllDescriptors(client: ReflectionClient): Promise<{ services: string[]; files: Map<string, Obj>; byService: Map<string, string> }> {
  const list = await client.request({ list_services: '' });
  const services: string[] = list.list_services_response.service.map((s: Obj) => s.name);
  const files = new Map<string, Obj>();
  const byService = new Map<string, string>();
  for (const service of services) {
    const got = await client.files({ file_containing_symbol: service });
    byService.set(service, got[0]!.name);
    for (const f of got) files.set(f.name, f);
  }
  const pending = [...files.values()].flatMap((f) => f.dependency as string[]);
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (files.has(name)) continue;
    const [f] = await client.files({ file_by_filename: name });
    expect(f!.name).toBe(name);
    files.set(name, f!);
    pending.push(...f!.dependency);
  }
  return { services, files, byService };
}

/** Fully-qualified (leading dot) message and enum names a file defines. */
function definedTypes(file: Obj): Map<string, 'message' | 'enum'> {
  const out = new Map<string, 'message' | 'enum'>();
  const prefix = file.package ? `.${file.package}` : '';
  const addMessage = (scope: string, m: Obj): void => {
    const name = `${scope}.${m.name}`;
    out.set(name, 'message');
    m.nestedType.forEach((n: Obj) => addMessage(name, n));
    m.enumType.forEach((e: Obj) => out.set(`${name}.${e.name}`, 'enum'));
  };
  file.messageType.forEach((m: Obj) => addMessage(prefix, m));
  file.enumType.forEach((e: Obj) => out.set(`${prefix}.${e.name}`, 'enum'));
  return out;
}

/**
 * What protoreflect's linker enforces: each referenced type is defined in the
 * file itself or in a declared import (or a public import of one). Returns
 * the problems found.
 */
function validateDescriptors(files: Map<string, Obj>): string[] {
  const problems: string[] = [];
  const visibleFrom = (file: Obj): Map<string, 'message' | 'enum'> => {
    const visible = new Map(definedTypes(file));
    const addPublic = (dep: Obj): void => {
      for (const [k, v] of definedTypes(dep)) visible.set(k, v);
      for (const i of dep.publicDependency) addPublic(files.get(dep.dependency[i])!);
    };
    for (const dep of file.dependency) {
      const d = files.get(dep);
      if (d === undefined) problems.push(`${file.name}: dependency ${dep} was not served`);
      else addPublic(d);
    }
    return visible;
  };
  for (const file of files.values()) {
    const visible = visibleFrom(file);
    const expectKind = (where: string, typeName: string, kind: 'message' | 'enum'): void => {
      if (!typeName.startsWith('.')) problems.push(`${where}: type name ${typeName} is not fully qualified`);
      else if (visible.get(typeName) !== kind) problems.push(`${where}: ${kind} ${typeName} is not defined in ${file.name} or its imports`);
    };
    const checkField = (scope: string, f: Obj, m?: Obj): void => {
      const where = `${file.name} ${scope}.${f.name}`;
      if (f.type === 11 || f.type === 10) expectKind(where, f.typeName, 'message');
      else if (f.type === 14) expectKind(where, f.typeName, 'enum');
      else if (f.typeName) problems.push(`${where}: scalar with type_name`);
      if (f.extendee) expectKind(where, f.extendee, 'message');
      if (m !== undefined && f.oneofIndex != null && !(f.oneofIndex < m.oneofDecl.length)) problems.push(`${where}: bad oneof_index`);
      if (f.proto3Optional && (f.oneofIndex == null || m!.field.filter((g: Obj) => g.oneofIndex === f.oneofIndex).length !== 1)) {
        problems.push(`${where}: proto3 optional without its own synthetic oneof`);
      }
    };
    const checkMessage = (scope: string, m: Obj): void => {
      const name = `${scope}.${m.name}`;
      m.field.forEach((f: Obj) => checkField(name, f, m));
      m.extension.forEach((f: Obj) => checkField(name, f));
      m.nestedType.forEach((n: Obj) => checkMessage(name, n));
      if (m.options?.mapEntry && (!m.name.endsWith('Entry') || m.field.map((f: Obj) => f.number).join() !== '1,2')) {
        problems.push(`${file.name} ${name}: malformed map entry`);
      }
    };
    const prefix = file.package ? `.${file.package}` : '';
    file.messageType.forEach((m: Obj) => checkMessage(prefix, m));
    file.extension.forEach((f: Obj) => checkField(prefix, f));
    for (const s of file.service) {
      for (const m of s.method) {
        expectKind(`${file.name} ${s.name}.${m.name} input`, m.inputType, 'message');
        expectKind(`${file.name} ${s.name}.${m.name} output`, m.outputType, 'message');
      }
    }
  }
  return problems;
}

function descriptorSet(files: Iterable<Obj>): Buffer {
  return Buffer.from(descriptor.FileDescriptorSet.encode(descriptor.FileDescriptorSet.fromObject({ file: [...files] })).finish());
}

/** Added to Root at run time by protobufjs/ext/descriptor (untyped there). */
function rootFromDescriptor(set: Buffer): protobuf.Root {
  return (protobuf.Root as unknown as { fromDescriptor(set: Buffer): protobuf.Root }).fromDescriptor(set);
}

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

/**
 * name -> field signatures, for comparing two protobufjs roots. fromDescriptor
 * keeps maps as repeated XxxEntry messages (same wire format), so those are
 * folded back into map<K>V here.
 */
function typeSignatures(root: protobuf.Root): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const entryOf = (f: protobuf.Field): protobuf.Type | undefined => {
    const t = f.resolvedType;
    const isEntry = f.repeated && t instanceof protobuf.Type && t.parent === f.parent && t.name.endsWith('Entry') &&
      t.fieldsArray.map((g) => `${g.name}=${g.id}`).join() === 'key=1,value=2';
    return isEntry ? t : undefined;
  };
  const entries = new Set<protobuf.ReflectionObject>();
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Type) {
        out[obj.fullName] = obj.fieldsArray.map((f) => {
          const entry = entryOf(f);
          if (entry !== undefined) entries.add(entry);
          const value = entry?.fields['value']!;
          const type = entry ? `map<${entry.fields['key']!.type}>${value.resolvedType?.fullName ?? value.type}` : f instanceof protobuf.MapField ? `map<${f.keyType}>${f.resolvedType?.fullName ?? f.type}` : f.resolvedType?.fullName ?? f.type;
          const rule = f.repeated && !entry && !(f instanceof protobuf.MapField) ? 'repeated ' : '';
          return `${f.name}=${f.id} ${rule}${type} ${f.partOf?.name ?? ''}`;
        }).sort(); // injected extension fields come in resolution order
      } else if (obj instanceof protobuf.Enum) out[obj.fullName] = Object.entries(obj.values).map(([k, v]) => `${k}=${v}`);
      else if (obj instanceof protobuf.Service) {
        out[obj.fullName] = obj.methodsArray.map((m) => `${m.name}(${m.requestStream ? 'stream ' : ''}${m.resolvedRequestType!.fullName}) ${m.responseStream ? 'stream ' : ''}${m.resolvedResponseType!.fullName}`);
      }
      if (obj instanceof protobuf.Namespace) walk(obj);
    }
  };
  walk(root);
  for (const e of entries) delete out[e.fullName];
  return out;
}

// protoc (Debian: protobuf-compiler) is the reference: its descriptors for the
// same files must equal ours, and it must accept ours as input.
const PROTOC = spawnSync('protoc', ['--version']).status === 0;
const PROTOC_INCLUDE = ['/usr/include', '/usr/local/include'].filter((d) => fs.existsSync(path.join(d, 'google/protobuf/timestamp.proto')));

describe.skipIf(!PROTOC || PROTOC_INCLUDE.length === 0)('against protoc', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'reflect-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function protoc(args: string[]): void {
    const r = spawnSync('protoc', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`protoc ${args.join(' ')}: ${r.stderr}`);
  }

  /** protoc's --include_imports set, without file-level options (we do not carry those). */
  function protocFiles(includeDirs: string[], file: string): Map<string, Obj> {
    const out = path.join(tmp, 'protoc.pb');
    protoc([...includeDirs.map((d) => `-I${d}`), ...PROTOC_INCLUDE.map((d) => `-I${d}`), '--include_imports', `--descriptor_set_out=${out}`, file]);
    const set = descriptor.FileDescriptorSet.toObject(descriptor.FileDescriptorSet.decode(fs.readFileSync(out)), { arrays: true });
    return new Map(set.file.map((f: Obj) => [f.name, { ...f, options: undefined }]));
  }

  function expectSameAsProtoc(protos: ProtoSet, includeDirs: string[], file: string): void {
    const reference = protocFiles(includeDirs, file);
    for (const [name, ref] of reference) {
      const ours = protos.files.get(name);
      expect(ours, name).toBeDefined();
      expect({ ...decodeFile(ours!.bytes), options: undefined }).toEqual(ref);
    }
  }

  it('the agent proto and the built-in protos match protoc', () => {
    const protos = loadProtos([AGENT_FILE]);
    for (const file of [AGENT_FILE, 'grpc/health/v1/health.proto', 'grpc/reflection/v1/reflection.proto', 'grpc/reflection/v1alpha/reflection.proto']) {
      expectSameAsProtoc(protos, [protoDir()], file);
    }
  });

  it('protoc links our served descriptor set without errors', () => {
    const protos = loadProtos([AGENT_FILE]);
    const input = path.join(tmp, 'served.pb');
    fs.writeFileSync(input, descriptorSet([...protos.files.values()].map((f) => decodeFile(f.bytes))));
    protoc([`--descriptor_set_in=${input}`, `--descriptor_set_out=${path.join(tmp, 'relinked.pb')}`, AGENT_FILE]);
    // The same check fails for a set whose agent file lacks its import.
    const broken = [...protos.files.values()].map((f) => decodeFile(f.bytes)).map((f) => (f.name === AGENT_FILE ? { ...f, dependency: [] } : f));
    fs.writeFileSync(input, descriptorSet(broken));
    expect(() => protoc([`--descriptor_set_in=${input}`, `--descriptor_set_out=${path.join(tmp, 'x.pb')}`, AGENT_FILE])).toThrow(/Timestamp/);
  });

  it('proto2, groups, extensions, defaults, reserved, nested maps and well-known types match protoc', () => {
    const dir = path.join(tmp, 'torture');
    fs.mkdirSync(path.join(dir, 'a/b'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'c'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'a/b/one.proto'), TORTURE_ONE);
    fs.writeFileSync(path.join(dir, 'c/two.proto'), TORTURE_TWO);
    const protos = loadProtos(['a/b/one.proto'], { includeDirs: [dir, protoDir()] });
    expectSameAsProtoc(protos, [dir], 'a/b/one.proto');
    const files = new Map([...protos.files].map(([k, v]) => [k, decodeFile(v.bytes)]));
    expect(validateDescriptors(files)).toEqual([]);
    const rebuilt = rootFromDescriptor(descriptorSet(files.values()));
    rebuilt.resolveAll();
    // google.protobuf.Value's fields are camelCased in protobufjs's bundled
    // copy but snake_case upstream (and served so; protoc agreed above).
    const notWellKnown = (sigs: Record<string, string[]>): Record<string, string[]> =>
      Object.fromEntries(Object.entries(sigs).filter(([k]) => !k.startsWith('.google.protobuf.Value')));
    expect(notWellKnown(typeSignatures(rebuilt))).toEqual(notWellKnown(typeSignatures(protos.root)));
  });
});

const TORTURE_ONE = `syntax = "proto3";
package a.b;
import "c/two.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/empty.proto";  // unused: still listed, as protoc does
message Outer {
  message Inner {
    enum Color { COLOR_UNSPECIFIED = 0; RED = 1; }
    Color color = 1;
    c.Shared shared = 2;
  }
  map<string, Inner> inners = 1;
  map<int32, Top> levels = 2;
  optional string maybe = 3;
  oneof choice { string text = 4; Inner inner = 5; }
  optional int64 big = 6;
  repeated double vals = 7 [packed = false];
  google.protobuf.Duration dur = 8;
  google.protobuf.Struct st = 9;
  google.protobuf.StringValue sv = 10;
  bytes raw = 11 [deprecated = true];
  reserved 20 to 25, 30;
  reserved "old_name";
  string some_field_name = 12 [json_name = "custom"];
  Inner.Color c2 = 13;
  map<string, string> snake_case_map = 14;
}
enum Top { option allow_alias = true; TOP_A = 0; TOP_B = 1; TOP_C = 1; reserved 5 to 7; reserved "X"; }
service Svc {
  rpc Uni(Outer) returns (c.Shared);
  rpc Cli(stream Outer) returns (Outer.Inner);
  rpc Bidi(stream c.Shared) returns (stream c.Shared) { option deprecated = true; }
}
`;

const TORTURE_TWO = `syntax = "proto2";
package c;
message Shared {
  required int32 id = 1 [default = 7];
  optional string name = 2 [default = "x"];
  optional Level level = 3 [default = LEVEL_HIGH];
  repeated int32 nums = 4 [packed = true];
  optional group Grp = 5 { optional int32 g = 1; }
  extensions 100 to 199;
  extensions 1000 to max;
}
enum Level { LEVEL_LOW = 0; LEVEL_HIGH = 1; }
extend Shared { optional string ext_note = 100; }
message Holder { extend Shared { optional int32 nested_ext = 101; } }
`;

// grpcurl is not packaged in Debian 12; this runs where a developer has it on PATH.
const GRPCURL = spawnSync('grpcurl', ['-version']).status === 0;

describe.skipIf(!GRPCURL)('grpcurl', () => {
  it('lists, describes and calls through reflection', async () => {
    const protos = loadProtos([AGENT_FILE]);
    const srv = createServer(protos, [{ name: 'virtagent.v1.HostAgent', implementation: { GetHostInfo: unary(async () => HOST_INFO) } }]);
    const { port } = await listen(srv.server, '127.0.0.1:0');
    const run = (...args: string[]): string => {
      const r = spawnSync('grpcurl', ['-plaintext', ...args], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    try {
      expect(run(`127.0.0.1:${port}`, 'list')).toContain('virtagent.v1.HostAgent');
      expect(run(`127.0.0.1:${port}`, 'describe', 'virtagent.v1.HostAgent')).toContain('rpc WatchEvents');
      expect(run(`127.0.0.1:${port}`, 'describe', 'virtagent.v1.Event')).toContain('.google.protobuf.Timestamp time = 1');
      expect(JSON.parse(run('-d', '{}', `127.0.0.1:${port}`, 'virtagent.v1.HostAgent/GetHostInfo'))).toMatchObject({ hostname: 'h1' });
    } finally {
      await shutdown(srv.server, 2000, srv.health);
    }
  });
});
