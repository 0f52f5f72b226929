// Run-time loading of the .proto files, plus one FileDescriptorProto per file
// for server reflection. protobufjs's own Root#toDescriptor (and so
// @grpc/reflection) groups by package, uses relative type names, names map
// entries wrongly and drops imports, so grpcurl cannot resolve types across
// files; we build the descriptors ourselves from the reflection objects.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';
import * as descriptor from 'protobufjs/ext/descriptor';

import type { KnownServices } from './contract';
import { sourceLocations } from './source-info';

/** Served by every server (src/grpc/health.ts, src/grpc/reflection.ts). */
export const BUILTIN_PROTOS: readonly string[] = ['grpc/health/v1/health.proto', 'grpc/reflection/v1/reflection.proto', 'grpc/reflection/v1alpha/reflection.proto'];

/** How grpc-js decodes messages; scripts/proto-types.js generates the types with the same flags. */
export const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

/** Plain-object FileDescriptorProto (protobufjs camelCase field names). */
export type FileDescriptorObject = Record<string, unknown> & { name: string; dependency: string[] };

export interface FileDescriptor {
  /** Import path, e.g. "virtagent/v1/agent.proto". */
  name: string;
  package: string;
  /** Direct imports as declared (protoc's order), plus any type reached only through a public import. */
  dependencies: string[];
  proto: FileDescriptorObject;
  /** Serialized google.protobuf.FileDescriptorProto. */
  bytes: Uint8Array;
}

export interface ProtoSet {
  /** For grpc.Server#addService; keyed by fully-qualified name. */
  packageDefinition: protoLoader.PackageDefinition;
  /** protobufjs reflection of every loaded file (keepCase). */
  root: protobuf.Root;
  /** Every loaded file, keyed by import path, with its descriptor. */
  files: ReadonlyMap<string, FileDescriptor>;
  includeDirs: string[];
  /** The grpc-js definition of a service, e.g. "virtagent.v1.HostAgent" (typed for the project's own services). */
  serviceDefinition<N extends string>(fullName: N): N extends keyof KnownServices ? KnownServices[N] : grpc.ServiceDefinition;
  /** Fully-qualified names of every service in the loaded files. */
  serviceNames(): string[];
}

/** The repo's proto/ dir: ../../proto from both src/grpc and dist/grpc. */
export function protoDir(): string {
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, 'proto');
    if (fs.existsSync(path.join(candidate, BUILTIN_PROTOS[0]!))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error(`proto directory not found above ${__dirname}`);
}

/**
 * Loads `files` (import paths under the include dirs) and the built-in
 * health/reflection protos. Throws on any parse or resolution error.
 */
export function loadProtos(files: readonly string[], options?: { includeDirs?: string[] }): ProtoSet {
  const includeDirs = options?.includeDirs ?? [protoDir()];
  const all = [...new Set([...files, ...BUILTIN_PROTOS])];
  const packageDefinition = protoLoader.loadSync(all, { ...LOADER_OPTIONS, includeDirs });

  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (path.isAbsolute(target)) return target;
    for (const dir of includeDirs) {
      const full = path.join(dir, target);
      if (fs.existsSync(full)) return full;
    }
    throw new Error(`${target} not found in ${includeDirs.join(', ')}`);
  };
  root.loadSync(all, { keepCase: true });
  root.resolveAll();

  const descriptors = buildFileDescriptors(root, includeDirs);
  const serviceNames = collectServices(root);
  return {
    packageDefinition,
    root,
    files: descriptors,
    includeDirs,
    serviceNames: () => [...serviceNames],
    serviceDefinition<N extends string>(fullName: N) {
      const def = packageDefinition[fullName];
      if (def === undefined || 'format' in def || !serviceNames.includes(fullName)) {
        throw new Error(`service ${fullName} is not in the loaded protos`);
      }
      // The generated definition types describe exactly what proto-loader built from the same files.
      return def as unknown as N extends keyof KnownServices ? KnownServices[N] : grpc.ServiceDefinition;
    },
  };
}

function collectServices(ns: protobuf.NamespaceBase, out: string[] = []): string[] {
  for (const obj of ns.nestedArray) {
    if (obj instanceof protobuf.Service) out.push(obj.fullName.slice(1));
    else if (obj instanceof protobuf.Namespace && !(obj instanceof protobuf.Type)) collectServices(obj, out);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Descriptor building

// protobufjs loads google/protobuf/* from bundled JSON, whose objects carry no
// filename (and api/type.json inline copies of other files' types), so the
// well-known types are mapped to their canonical files by name.
// Anything else under google.protobuf comes from descriptor.proto.
const WELL_KNOWN: Record<string, string> = {
  any: 'Any', api: 'Api Method Mixin', duration: 'Duration', empty: 'Empty', field_mask: 'FieldMask',
  source_context: 'SourceContext', struct: 'Struct Value NullValue ListValue', timestamp: 'Timestamp',
  type: 'Type Field Enum EnumValue Option Syntax',
  wrappers: 'DoubleValue FloatValue Int64Value UInt64Value Int32Value UInt32Value BoolValue StringValue BytesValue',
};
const WELL_KNOWN_FILE = new Map<string, string>(
  Object.entries(WELL_KNOWN).flatMap(([file, names]) =>
    names.split(' ').map((n) => [`google.protobuf.${n}`, `google/protobuf/${file}.proto`] as const),
  ),
);

const SCALAR_TYPES: Record<string, number> = {
  double: 1, float: 2, int64: 3, uint64: 4, int32: 5, fixed64: 6, fixed32: 7, bool: 8,
  string: 9, bytes: 12, uint32: 13, sfixed32: 15, sfixed64: 16, sint32: 17, sint64: 18,
};
const [TYPE_GROUP, TYPE_MESSAGE, TYPE_ENUM] = [10, 11, 14];
const [LABEL_OPTIONAL, LABEL_REQUIRED, LABEL_REPEATED] = [1, 2, 3];
const EDITION_2023 = 1000;

type Obj = Record<string, unknown>;

interface FileBuild {
  name: string;
  pkg: string;
  edition: string;
  /** From protobufjs's bundled JSON, whose field names are camelCased. */
  bundled: boolean;
  messageType: Obj[];
  enumType: Obj[];
  service: Obj[];
  extension: Obj[];
  /** Files whose types this one references. */
  deps: Set<string>;
}

/** One FileDescriptorProto per loaded file, keyed by import path. */
export function buildFileDescriptors(root: protobuf.Root, includeDirs: readonly string[]): Map<string, FileDescriptor> {
  const builds = new Map<string, FileBuild>();
  const fileOf = (obj: protobuf.ReflectionObject): string => importPathOf(topLevelOf(obj), includeDirs);

  const ref = (fb: FileBuild, target: protobuf.ReflectionObject | null): void => {
    if (target !== null && fileOf(target) !== fb.name) fb.deps.add(fileOf(target));
  };

  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const obj of ns.nestedArray) {
      const isTop =
        obj instanceof protobuf.Type || obj instanceof protobuf.Enum || obj instanceof protobuf.Service ||
        (obj instanceof protobuf.Field && obj.extend !== undefined);
      if (!isTop) {
        if (obj instanceof protobuf.Namespace) walk(obj);
        continue;
      }
      const top = obj;
      const name = fileOf(top);
      const pkg = top.parent === null ? '' : top.parent.fullName.replace(/^\./, '');
      let fb = builds.get(name);
      if (fb === undefined) {
        const bundled = top.filename === null;
        fb = { name, pkg, edition: editionOf(top, name), bundled, messageType: [], enumType: [], service: [], extension: [], deps: new Set() };
        builds.set(name, fb);
      } else if (fb.pkg !== pkg) {
        throw new Error(`${name}: objects in two packages (${fb.pkg}, ${pkg})`);
      }
      if (top instanceof protobuf.Type) fb.messageType.push(messageDescriptor(top, fb, ref));
      else if (top instanceof protobuf.Enum) fb.enumType.push(enumDescriptor(top));
      else if (top instanceof protobuf.Service) fb.service.push(serviceDescriptor(top, fb, ref));
      else fb.extension.push(fieldDescriptor(top, fb, ref, null));
    }
  };
  walk(root);

  const parsed = parsedFiles(root, includeDirs);
  const out = new Map<string, FileDescriptor>();
  for (const fb of builds.values()) {
    // protoc's order and unused imports where we know them, then whatever
    // else is referenced (e.g. through a public import) so clients resolve it.
    const source = parsed.get(fb.name);
    const dependency = (source?.imports ?? []).filter((d) => builds.has(d));
    for (const d of fb.deps) if (!dependency.includes(d)) dependency.push(d);
    const proto: FileDescriptorObject = { name: fb.name, dependency };
    if (fb.pkg !== '') proto['package'] = fb.pkg;
    for (const key of ['messageType', 'enumType', 'service', 'extension'] as const) {
      if (fb[key].length > 0) proto[key] = fb[key];
    }
    if (fb.edition === 'proto3') proto['syntax'] = 'proto3';
    else if (fb.edition !== 'proto2') Object.assign(proto, { syntax: 'editions', edition: EDITION_2023 });
    // The .proto comments, for clients that show them (grpcurl describe).
    const locations = source ? sourceLocations(source.text, proto) : [];
    if (locations.length > 0) proto['sourceCodeInfo'] = { location: locations };
    const bytes = descriptor.FileDescriptorProto.encode(descriptor.FileDescriptorProto.fromObject(proto)).finish();
    out.set(fb.name, { name: fb.name, package: fb.pkg, dependencies: dependency, proto, bytes });
  }
  return out;
}

/** The parsed (non-bundled) files, keyed by import path: their text and import lists. */
function parsedFiles(root: protobuf.Root, includeDirs: readonly string[]): Map<string, { text: string; imports: string[] }> {
  const out = new Map<string, { text: string; imports: string[] }>();
  for (const file of root.files) {
    if (!path.isAbsolute(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    const parsed = protobuf.parse(text, new protobuf.Root(), { keepCase: true });
    out.set(relativeImportPath(file, includeDirs), { text, imports: [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])] });
  }
  return out;
}

function topLevelOf(obj: protobuf.ReflectionObject): protobuf.ReflectionObject {
  let cur = obj;
  while (cur.parent !== null && (cur.parent instanceof protobuf.Type || cur.parent instanceof protobuf.Service)) {
    cur = cur.parent;
  }
  return cur;
}

function importPathOf(top: protobuf.ReflectionObject, includeDirs: readonly string[]): string {
  const filename = top.filename;
  if (filename === null) {
    const wk = WELL_KNOWN_FILE.get(top.fullName.slice(1));
    if (wk !== undefined) return wk;
    if (top.fullName.startsWith('.google.protobuf.')) return 'google/protobuf/descriptor.proto';
    throw new Error(`cannot tell which .proto file defines ${top.fullName}`);
  }
  return relativeImportPath(filename, includeDirs);
}

function relativeImportPath(filename: string, includeDirs: readonly string[]): string {
  if (!path.isAbsolute(filename)) return filename.split(path.sep).join('/');
  for (const dir of includeDirs) {
    const rel = path.relative(dir, filename);
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
  }
  throw new Error(`${filename} is outside the include dirs ${includeDirs.join(', ')}`);
}

function editionOf(top: protobuf.ReflectionObject, file: string): string {
  if (file.startsWith('google/protobuf/')) return file === 'google/protobuf/descriptor.proto' ? 'proto2' : 'proto3';
  const edition = (top as unknown as { _edition?: string | null })._edition;
  return typeof edition === 'string' ? edition : 'proto2';
}

type RefFn = (fb: FileBuild, target: protobuf.ReflectionObject | null) => void;

function messageDescriptor(t: protobuf.Type, fb: FileBuild, ref: RefFn): Obj {
  const d: Obj = { name: t.name };
  const nestedType: Obj[] = [];
  const enumType: Obj[] = [];
  const extension: Obj[] = [];
  // protoc puts proto3 `optional` synthetic oneofs after the real ones.
  const oneofs = [...t.oneofsArray.filter((o) => !isSynthetic(o)), ...t.oneofsArray.filter(isSynthetic)];

  for (const n of t.nestedArray) {
    if (n instanceof protobuf.Type) nestedType.push(messageDescriptor(n, fb, ref));
    else if (n instanceof protobuf.Enum) enumType.push(enumDescriptor(n));
    else if (n instanceof protobuf.Field && n.extend !== undefined) extension.push(fieldDescriptor(n, fb, ref, null));
  }
  const field: Obj[] = [];
  for (const f of t.fieldsArray) {
    // Extensions of this type declared elsewhere show up as copies here.
    if (f.declaringField !== null) continue;
    const fd = fieldDescriptor(f, fb, ref, oneofs);
    if (f instanceof protobuf.MapField) {
      const entry = `${camel(fieldName(f, fb), true)}Entry`;
      fd['typeName'] = `${t.fullName}.${entry}`;
      nestedType.push(mapEntryDescriptor(f, entry, fb, ref));
    }
    field.push(fd);
  }
  if (field.length > 0) d['field'] = field;
  if (nestedType.length > 0) d['nestedType'] = nestedType;
  if (enumType.length > 0) d['enumType'] = enumType;
  if (extension.length > 0) d['extension'] = extension;
  if (oneofs.length > 0) d['oneofDecl'] = oneofs.map((o) => ({ name: fb.bundled ? snakeCase(o.name) : o.name }));
  // protobufjs keeps ranges with an inclusive end; descriptors use exclusive ends.
  // Unset (undefined) on a type without extension ranges, whatever the typings say.
  const extensions = t.extensions as number[][] | undefined;
  if (extensions?.length) d['extensionRange'] = extensions.map(([start, end]) => ({ start, end: end! + 1 }));
  setReserved(d, t.reserved, 1);
  setOptions(d, { deprecated: t.options?.['deprecated'] });
  return d;
}

function isSynthetic(o: protobuf.OneOf): boolean {
  return o.fieldsArray.length === 1 && o.fieldsArray[0]!.options?.['proto3_optional'] === true;
}

function fieldDescriptor(f: protobuf.Field, fb: FileBuild, ref: RefFn, oneofs: protobuf.OneOf[] | null): Obj {
  const name = fieldName(f, fb);
  const d: Obj = { name, number: f.id };
  if (f instanceof protobuf.MapField) {
    d['label'] = LABEL_REPEATED;
    d['type'] = TYPE_MESSAGE;
  } else {
    d['label'] = f.repeated ? LABEL_REPEATED : f.required && fb.edition === 'proto2' ? LABEL_REQUIRED : LABEL_OPTIONAL;
    setType(d, f.type, f.resolvedType, fb, ref);
  }
  if (f.extend !== undefined) {
    const target = f.extensionField?.parent ?? null;
    d['extendee'] = target !== null ? target.fullName : f.extend;
    ref(fb, target);
  }
  d['jsonName'] = typeof f.options?.['json_name'] === 'string' ? f.options['json_name'] : camel(name);
  if (f.partOf && oneofs !== null) d['oneofIndex'] = oneofs.indexOf(f.partOf);
  if (f.options?.['proto3_optional'] === true) d['proto3Optional'] = true;
  if (fb.edition === 'proto2' && f.options?.['default'] !== undefined) d['defaultValue'] = String(f.options['default']);
  setOptions(d, { deprecated: f.options?.['deprecated'], packed: f.options?.['packed'] });
  return d;
}

function setType(d: Obj, type: string, resolved: protobuf.Type | protobuf.Enum | null, fb: FileBuild, ref: RefFn): void {
  if (resolved === null) {
    const scalar = SCALAR_TYPES[type];
    if (scalar === undefined) throw new Error(`unresolved type ${type}`);
    d['type'] = scalar;
    return;
  }
  d['type'] = resolved instanceof protobuf.Enum ? TYPE_ENUM : (resolved as { group?: boolean }).group === true ? TYPE_GROUP : TYPE_MESSAGE;
  d['typeName'] = resolved.fullName;
  ref(fb, resolved);
}

function mapEntryDescriptor(f: protobuf.MapField, entry: string, fb: FileBuild, ref: RefFn): Obj {
  const key = SCALAR_TYPES[f.keyType];
  if (key === undefined) throw new Error(`bad map key type ${f.keyType}`);
  const value: Obj = { name: 'value', number: 2, label: LABEL_OPTIONAL, jsonName: 'value' };
  setType(value, f.type, f.resolvedType, fb, ref);
  const keyField = { name: 'key', number: 1, label: LABEL_OPTIONAL, type: key, jsonName: 'key' };
  return { name: entry, field: [keyField, value], options: { mapEntry: true } };
}

function enumDescriptor(e: protobuf.Enum): Obj {
  const value = Object.entries(e.values).map(([name, number]) =>
    setOptions({ name, number }, { deprecated: e.valuesOptions?.[name]?.['deprecated'] }),
  );
  const d = setOptions({ name: e.name, value }, { allowAlias: e.options?.['allow_alias'], deprecated: e.options?.['deprecated'] });
  // EnumReservedRange's end is inclusive, like protobufjs's.
  setReserved(d, e.reserved, 0);
  return d;
}

function serviceDescriptor(s: protobuf.Service, fb: FileBuild, ref: RefFn): Obj {
  const method = s.methodsArray.map((m) => {
    m.resolve();
    ref(fb, m.resolvedRequestType);
    ref(fb, m.resolvedResponseType);
    const d: Obj = { name: m.name, inputType: m.resolvedRequestType!.fullName, outputType: m.resolvedResponseType!.fullName };
    if (m.requestStream === true) d['clientStreaming'] = true;
    if (m.responseStream === true) d['serverStreaming'] = true;
    return setOptions(d, { deprecated: m.options?.['deprecated'] });
  });
  return setOptions({ name: s.name, method }, { deprecated: s.options?.['deprecated'] });
}

function fieldName(f: protobuf.Field, fb: FileBuild): string {
  return fb.bundled ? snakeCase(f.name) : f.name;
}

/** Undoes the camelCasing of protobufjs's bundled JSON (all snake_case upstream). */
function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Only the options protoc would write that matter to clients; falsy ones are left out. */
function setOptions(d: Obj, opts: Record<string, unknown>): Obj {
  const set = Object.entries(opts).filter(([k, v]) => v === true || (k === 'packed' && v === false));
  if (set.length > 0) d['options'] = Object.fromEntries(set);
  return d;
}

/** protobufjs ranges have inclusive ends; `endAdjust` 1 makes them exclusive. */
function setReserved(d: Obj, reserved: Array<number[] | string> | undefined, endAdjust: number): void {
  const ranges = (reserved ?? []).filter((r): r is number[] => Array.isArray(r));
  const names = (reserved ?? []).filter((r): r is string => typeof r === 'string');
  if (ranges.length > 0) d['reservedRange'] = ranges.map(([start, end]) => ({ start, end: (end ?? start!) + endAdjust }));
  if (names.length > 0) d['reservedName'] = names;
}

/** protoc's ToJsonName (foo_bar -> fooBar) and, with upperFirst, MapEntryName's stem. */
function camel(field: string, upperFirst = false): string {
  let upper = upperFirst;
  let out = '';
  for (const c of field) {
    if (c === '_') upper = true;
    else {
      out += upper ? c.toUpperCase() : c;
      upper = false;
    }
  }
  return out;
}
