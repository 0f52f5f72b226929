// Shared by the server reflection tests (test/unit/grpc-reflection*.test.ts):
// a reflection stream client, descriptor fetching and decoding, the
// protoreflect-style linker check, and type signatures of protobufjs roots.
import * as grpc from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';
import * as descriptor from 'protobufjs/ext/descriptor';
import { expect } from 'vitest';
import type { ProtoSet } from '../../src/grpc/protos';

export type Obj = Record<string, any>;
export const AGENT_FILE = 'virtagent/v1/agent.proto';
export const TIMESTAMP_FILE = 'google/protobuf/timestamp.proto';
export const HOST_INFO = {
  hostname: 'h1', libvirt_uri: 'qemu:///system', libvirt_version: '9.0.0', hypervisor_version: '7.2.0', agent_version: '0.1.0', connected: true,
  instances_path: '/var/lib/nova/instances', healthy: true, health_detail: '',
};

/** One request, one response, in order, on a reflection stream. */
export class ReflectionClient {
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

export function decodeFile(bytes: Uint8Array): Obj {
  return descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(bytes), { arrays: true });
}

/** list_services, file_containing_symbol for each, then every import by file_by_filename. */
export async function fetchAllDescriptors(client: ReflectionClient): Promise<{ services: string[]; files: Map<string, Obj>; byService: Map<string, string> }> {
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
export function validateDescriptors(files: Map<string, Obj>): string[] {
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

export function descriptorSet(files: Iterable<Obj>): Buffer {
  return Buffer.from(descriptor.FileDescriptorSet.encode(descriptor.FileDescriptorSet.fromObject({ file: [...files] })).finish());
}

/** Added to Root at run time by protobufjs/ext/descriptor (untyped there). */
export function rootFromDescriptor(set: Buffer): protobuf.Root {
  return (protobuf.Root as unknown as { fromDescriptor(set: Buffer): protobuf.Root }).fromDescriptor(set);
}

/**
 * name -> field signatures, for comparing two protobufjs roots. fromDescriptor
 * keeps maps as repeated XxxEntry messages (same wire format), so those are
 * folded back into map<K>V here.
 */
export function typeSignatures(root: protobuf.Root): Record<string, string[]> {
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
          const value = entry?.fields['value'];
          const type = entry && value ? `map<${entry.fields['key']!.type}>${value.resolvedType?.fullName ?? value.type}` : f instanceof protobuf.MapField ? `map<${f.keyType}>${f.resolvedType?.fullName ?? f.type}` : f.resolvedType?.fullName ?? f.type;
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
