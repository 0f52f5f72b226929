// gRPC server reflection (grpc.reflection.v1 and v1alpha), serving one
// FileDescriptorProto per .proto file with its real imports, so grpcurl and
// other protoreflect-based clients can resolve types across files.
// (@grpc/reflection 1.0.4 serves one descriptor per package without imports.)
import type * as grpc from '@grpc/grpc-js';

import type { ServerReflectionHandlers, ServerReflectionRequest__Output, ServerReflectionResponse } from '../generated/grpc/reflection/v1';
import type { FileDescriptor, FileDescriptorObject, ProtoSet } from './protos';

export const REFLECTION_SERVICES = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'];

// google.rpc.Code values carried in ErrorResponse.error_code.
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;

/** A request as grpc-js decodes it (grpc.reflection.v1alpha has the same shape). */
export type ReflectionRequest = ServerReflectionRequest__Output;
export type ReflectionResponse = ServerReflectionResponse;

type Obj = Record<string, unknown>;

export class ReflectionService {
  private readonly files: ReadonlyMap<string, FileDescriptor>;
  private readonly symbols = new Map<string, string>();
  private readonly listServices: () => readonly string[];

  /**
   * `files`: every file to serve (ProtoSet.files); `listServices`: the
   * fully-qualified names of the services registered on the server, asked at
   * each list_services so services added later show up.
   */
  constructor(files: ReadonlyMap<string, FileDescriptor>, listServices: () => readonly string[]) {
    this.files = files;
    this.listServices = listServices;
    for (const file of files.values()) indexFile(file.proto, (symbol) => {
      if (!this.symbols.has(symbol)) this.symbols.set(symbol, file.name);
    });
  }

  /** Registers both reflection versions on `server`. */
  addToServer(server: grpc.Server, protos: ProtoSet): void {
    const implementation: ServerReflectionHandlers = { ServerReflectionInfo: (call) => this.serve(call) };
    for (const name of REFLECTION_SERVICES) server.addService(protos.serviceDefinition(name), implementation);
  }

  /** The import path of the file defining a fully-qualified symbol. */
  fileContainingSymbol(symbol: string): string | undefined {
    return this.symbols.get(symbol.replace(/^\./, ''));
  }

  /**
   * The file, then its transitive imports breadth-first, skipping imports
   * already in `sent` (one stream's history), as grpc-go does.
   */
  fileWithDependencies(name: string, sent: Set<string> = new Set()): Uint8Array[] {
    const out: Uint8Array[] = [];
    const queue = [name];
    while (queue.length > 0) {
      const current = queue.shift()!;
      const file = this.files.get(current);
      if (file === undefined) continue;
      if (out.length === 0 || !sent.has(current)) {
        sent.add(current);
        out.push(file.bytes);
        queue.push(...file.dependencies);
      }
    }
    return out;
  }

  /** Answers one request; `sent` is the stream's set of files already sent. */
  respond(req: ReflectionRequest, sent: Set<string>): ReflectionResponse {
    const kind = req.message_request;
    const base: ReflectionResponse = {
      valid_host: req.host,
      original_request: kind === undefined ? { host: req.host } : { host: req.host, [kind]: req[kind] },
    };
    const error = (code: number, message: string): ReflectionResponse => ({
      ...base,
      error_response: { error_code: code, error_message: message },
    });
    const files = (name: string | undefined): ReflectionResponse => {
      if (name === undefined || !this.files.has(name)) return error(NOT_FOUND, 'file not found');
      return { ...base, file_descriptor_response: { file_descriptor_proto: this.fileWithDependencies(name, sent) } };
    };
    switch (kind) {
      case 'list_services':
        return { ...base, list_services_response: { service: this.listServices().map((name) => ({ name })) } };
      case 'file_by_filename':
        return files(req.file_by_filename);
      case 'file_containing_symbol': {
        const symbol = req.file_containing_symbol ?? '';
        const file = this.fileContainingSymbol(symbol);
        return file === undefined ? error(NOT_FOUND, `symbol not found: ${symbol}`) : files(file);
      }
      // No extensions are registered for lookup; NOT_FOUND is what clients expect then.
      case 'file_containing_extension': {
        const ext = req.file_containing_extension;
        return error(NOT_FOUND, `extension not found: ${ext?.containing_type ?? ''}(${ext?.extension_number ?? 0})`);
      }
      case 'all_extension_numbers_of_type':
        return error(NOT_FOUND, `extensions not supported for type: ${req.all_extension_numbers_of_type ?? ''}`);
      default:
        return error(INVALID_ARGUMENT, 'no message_request set');
    }
  }

  private serve(call: grpc.ServerDuplexStream<ReflectionRequest, ReflectionResponse>): void {
    const sent = new Set<string>();
    call.on('data', (req: ReflectionRequest) => {
      if (!call.cancelled) call.write(this.respond(req, sent));
    });
    call.on('end', () => call.end());
    // A cancelled stream has nothing to answer; the listener stops 'error' from throwing.
    call.on('error', () => undefined);
  }
}

/** Every fully-qualified symbol a file defines, as protoreflect resolves them. */
export function indexFile(file: FileDescriptorObject, add: (symbol: string) => void): void {
  const pkg = typeof file['package'] === 'string' ? file['package'] : '';
  const scope = (name: string): string => (pkg === '' ? name : `${pkg}.${name}`);
  const addEnum = (parent: string, e: Obj): void => {
    add(join(parent, e['name']));
    // Enum values are siblings of their enum in the protobuf namespace.
    for (const v of list(e['value'])) add(join(parent, v['name']));
  };
  const addMessage = (parent: string, m: Obj): void => {
    const name = join(parent, m['name']);
    add(name);
    for (const f of list(m['field'])) add(join(name, f['name']));
    for (const f of list(m['extension'])) add(join(name, f['name']));
    for (const o of list(m['oneofDecl'])) add(join(name, o['name']));
    for (const n of list(m['nestedType'])) addMessage(name, n);
    for (const e of list(m['enumType'])) addEnum(name, e);
  };
  for (const m of list(file['messageType'])) addMessage(pkg, m);
  for (const e of list(file['enumType'])) addEnum(pkg, e);
  for (const f of list(file['extension'])) add(scope(String(f['name'])));
  for (const s of list(file['service'])) {
    const name = scope(String(s['name']));
    add(name);
    for (const m of list(s['method'])) add(join(name, m['name']));
  }
}

function join(parent: string, name: unknown): string {
  return parent === '' ? String(name) : `${parent}.${String(name)}`;
}

function list(value: unknown): Obj[] {
  return Array.isArray(value) ? (value as Obj[]) : [];
}
