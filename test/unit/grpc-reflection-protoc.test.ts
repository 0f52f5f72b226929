// Server reflection against the reference tools: protoc's descriptors for the
// same files must equal ours (the comments we serve, SourceCodeInfo, too) and
// it must link ours; grpcurl (where installed) must list, describe (showing
// the comments) and call through reflection. Split from
// grpc-reflection.test.ts.
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as descriptor from 'protobufjs/ext/descriptor';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProtos, protoDir, type ProtoSet } from '../../src/grpc/protos';
import { createServer, listen, shutdown } from '../../src/grpc/server';
import { unary } from '../../src/grpc/status';
import {
  AGENT_FILE, decodeFile, descriptorSet, HOST_INFO, rootFromDescriptor, typeSignatures, validateDescriptors, type Obj,
} from '../helpers/reflection-descriptors';
import { GRPCURL, GRPCURL_MISSING } from '../helpers/grpcurl';

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

  /** protoc's --include_imports set, without file-level options (we do not carry those); with its source info when asked. */
  function protocFiles(includeDirs: string[], file: string, sourceInfo = false): Map<string, Obj> {
    const out = path.join(tmp, 'protoc.pb');
    protoc([...includeDirs.map((d) => `-I${d}`), ...PROTOC_INCLUDE.map((d) => `-I${d}`), '--include_imports',
      ...(sourceInfo ? ['--include_source_info'] : []), `--descriptor_set_out=${out}`, file]);
    const set = descriptor.FileDescriptorSet.toObject(descriptor.FileDescriptorSet.decode(fs.readFileSync(out)), { arrays: true });
    return new Map(set.file.map((f: Obj) => [f.name, { ...f, options: undefined }]));
  }

  /** The descriptors alone (the comments are compared in their own test below). */
  function expectSameAsProtoc(protos: ProtoSet, includeDirs: string[], file: string): void {
    const reference = protocFiles(includeDirs, file);
    for (const [name, ref] of reference) {
      const ours = protos.files.get(name);
      expect(ours, name).toBeDefined();
      expect({ ...decodeFile(ours!.bytes), options: undefined, sourceCodeInfo: undefined }).toEqual(ref);
    }
  }

  /**
   * protoc's locations that carry a comment, of declarations (what we serve
   * comments for: not options, which the served descriptors do not carry),
   * next to ours, both as [path, location] sorted by path.
   */
  function commentLocations(protos: ProtoSet, includeDirs: string[], file: string): { ours: Obj[]; protoc: Obj[] } {
    const keep = (l: Obj): Obj => ({
      path: l.path, span: l.span, leading: l.leadingComments ?? '', trailing: l.trailingComments ?? '', detached: l.leadingDetachedComments ?? [],
    });
    const sorted = (ls: Obj[]): Obj[] => ls.map(keep).sort((a, b) => String(a.path).localeCompare(String(b.path)));
    const ref = protocFiles(includeDirs, file, true).get(file)!;
    const commented = (ref.sourceCodeInfo.location as Obj[]).filter((l) => isDeclaration(l.path)
      && (l.leadingComments || l.trailingComments || l.leadingDetachedComments?.length));
    return { ours: sorted(decodeFile(protos.files.get(file)!.bytes).sourceCodeInfo?.location ?? []), protoc: sorted(commented) };
  }

  it('the served comments (SourceCodeInfo) are protoc\'s, declaration by declaration: path, span and comments', () => {
    const protos = loadProtos([AGENT_FILE, 'virtcontroller/v1/controller.proto']);
    for (const file of [AGENT_FILE, 'virtcontroller/v1/controller.proto', 'grpc/health/v1/health.proto', 'grpc/reflection/v1/reflection.proto',
      'grpc/reflection/v1alpha/reflection.proto']) {
      const { ours, protoc: reference } = commentLocations(protos, [protoDir()], file);
      expect(reference.length, file).toBeGreaterThan(0);
      expect(ours, file).toEqual(reference);
    }
    // protoc's rules for whose a comment is: same line, block after, blank lines, block comments, tabs, ends of scopes.
    const dir = path.join(tmp, 'comments');
    fs.mkdirSync(path.join(dir, 'c'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'c/comments.proto'), COMMENTS);
    const file = 'c/comments.proto';
    const { ours, protoc: reference } = commentLocations(loadProtos([file], { includeDirs: [dir, protoDir()] }), [dir], file);
    expect(reference.length).toBeGreaterThan(15);
    expect(ours).toEqual(reference);
  });

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

/** Paths of the declarations comments are served for (FileDescriptorProto field numbers). */
function isDeclaration(path: number[]): boolean {
  const message = (p: number[]): boolean => p.length === 0 || (p.length === 2 && [2, 6, 8].includes(p[0]!))
    || (p[0] === 3 && message(p.slice(2))) || (p[0] === 4 && enumeration(p.slice(2)));
  const enumeration = (p: number[]): boolean => p.length === 0 || (p.length === 2 && p[0] === 2);
  const [head, , ...rest] = path;
  if (path.length === 1) return head === 12 || head === 2;
  if (head === 3 || head === 7) return path.length === 2;
  if (head === 4) return message(rest);
  if (head === 5) return enumeration(rest);
  if (head === 6) return rest.length === 0 || (rest.length === 2 && rest[0] === 2);
  return false;
}

// Whose comment is whose, by protoc's rules (google/protobuf/io/tokenizer.h).
const COMMENTS = `// Detached from syntax: a blank line follows.

// Leading syntax.
syntax = "proto3";  // trailing syntax

package c;
import "google/protobuf/empty.proto"; // trailing import

/* A block comment
 * leading Msg. */
message Msg {  // trailing Msg, after its "{"
  // leading a
  int32 a = 1;  // trailing a
  int32 b = 2;
  // trailing b: a blank line follows

  // detached from c

  // leading c
  int32 c = 3; /* block trailing c */
  oneof choice {  // trailing choice
    // leading x
    string x = 4;
  }
  map<string, int32> counts = 5;  // trailing counts
\tint32 tabbed = 6;\t// trailing tabbed, after tabs
  message Inner { int32 i = 1; } // trailing Inner
  // the last comment of a scope
}

// leading E
enum E {
  // leading E_ZERO
  E_ZERO = 0;
  E_ONE = 1; E_TWO = 2;  // on the line of two values
}

// leading S
service S {
  // leading M
  rpc M(Msg) returns (Msg);  // trailing M
  rpc N(google.protobuf.Empty) returns (Msg) {
    option deprecated = true;  // trailing an option
  }
  // leading O
  rpc O(Msg) returns (stream Msg);
}
`;

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

const execFileP = promisify(execFile);

// grpcurl is not packaged in Debian 12: ../shared/tools/grpcurl (test/helpers/grpcurl.ts).
describe.skipIf(!GRPCURL)(GRPCURL ? 'grpcurl' : `grpcurl (skipped: ${GRPCURL_MISSING})`, () => {
  it('lists, describes and calls through reflection', async () => {
    const protos = loadProtos([AGENT_FILE]);
    const srv = createServer(protos, [{ name: 'virtagent.v1.HostAgent', implementation: { GetHostInfo: unary(async () => HOST_INFO) } }]);
    const { port } = await listen(srv.server, '127.0.0.1:0');
    // Asynchronous: the server under test runs in this process and must keep answering.
    const run = async (...args: string[]): Promise<string> => {
      const r = await execFileP(GRPCURL!, ['-plaintext', '-max-time', '10', ...args], { encoding: 'utf8' })
        .catch((err: Error & { code?: number; stderr?: string }) => ({ stdout: '', stderr: err.stderr ?? String(err), code: err.code ?? 1 }));
      expect('code' in r ? r.code : 0, r.stderr).toBe(0);
      return r.stdout;
    };
    try {
      expect(await run(`127.0.0.1:${port}`, 'list')).toContain('virtagent.v1.HostAgent');
      expect(await run(`127.0.0.1:${port}`, 'describe', 'virtagent.v1.HostAgent')).toContain('rpc WatchEvents');
      expect(await run(`127.0.0.1:${port}`, 'describe', 'virtagent.v1.Event')).toContain('.google.protobuf.Timestamp time = 1');
      // The .proto comments come with the descriptors: a message's, its fields', a method's.
      const request = await run(`127.0.0.1:${port}`, 'describe', 'virtagent.v1.PowerOffRequest');
      expect(request).toContain('// A clean power-off, then a destroy if the guest does not stop in time.\nmessage PowerOffRequest {');
      expect(request).toMatch(/ {2}\/\/ Clean-shutdown budget, in seconds, at most 3600\. Unset = the agent's default \(60 s\);\n {2}\/\/ 0 = destroy at once\.\n {2}optional uint32 timeout_seconds = 2;/);
      expect(await run(`127.0.0.1:${port}`, 'describe', 'virtagent.v1.HostAgent.PowerOff'))
        .toContain('// Clean shutdown with re-sent requests, then destroy when the timeout passes.');
      expect(JSON.parse(await run('-d', '{}', `127.0.0.1:${port}`, 'virtagent.v1.HostAgent/GetHostInfo'))).toMatchObject({ hostname: 'h1' });
    } finally {
      await shutdown(srv.server, 2000, srv.health);
    }
  });
});
