// SourceCodeInfo for the descriptors reflection serves, so `grpcurl describe`
// shows the .proto comments. protobufjs keeps no source positions, so the
// .proto text is read again here: proto-tokenizer.ts sorts the comments as
// protoc does, and a parser of the statements that carry them attaches them
// as protoc's parser does (at each declaration's end: ";", "{" or "}"). Locations are made for the declarations only (syntax, package,
// imports, messages, fields, oneofs, enums, values, services, methods,
// extensions), and only those with a comment; each has protoc's path and span
// (test/unit/grpc-reflection-protoc.test.ts compares them with protoc's).
import type { FileDescriptorObject } from './protos';
import { Tokenizer, type Token } from './proto-tokenizer';

export interface SourceLocation {
  path: number[];
  /** [startLine, startColumn, endLine, endColumn], 0-based; endLine left out when it is startLine. */
  span: number[];
  leadingComments?: string;
  trailingComments?: string;
  leadingDetachedComments?: string[];
}

// Field numbers in descriptor.proto that locations' paths are made of.
const FILE = { package: 2, dependency: 3, messageType: 4, enumType: 5, service: 6, extension: 7, syntax: 12 };
const MESSAGE = { field: 2, nestedType: 3, enumType: 4, extension: 6, oneofDecl: 8 };
const ENUM = { value: 2 };
const SERVICE = { method: 2 };

type Obj = Record<string, unknown>;

function list(o: Obj | undefined, key: string): Obj[] {
  const v = o?.[key];
  return Array.isArray(v) ? (v as Obj[]) : [];
}

/** The index of the element named `name` in o[key]; -1 when there is none. */
function indexOf(o: Obj | undefined, key: string, name: string): number {
  return list(o, key).findIndex((e) => e['name'] === name);
}

/** An open declaration: where it starts, its path (undefined: not kept), its comments once known. */
interface Recorder {
  path: number[] | undefined;
  line: number;
  column: number;
}

/** Parses the statements of one .proto file for their comments; `file` is the descriptor they go into. */
class Parser {
  private readonly tok: Tokenizer;
  private upcomingLeading = '';
  private upcomingDetached: string[] = [];
  readonly locations: SourceLocation[] = [];
  private imports = 0;

  constructor(text: string, private readonly file: FileDescriptorObject) {
    this.tok = new Tokenizer(text);
    const first = this.tok.nextWithComments();
    this.upcomingLeading = first.leading;
    this.upcomingDetached = first.detached;
  }

  private get cur(): Token {
    return this.tok.current;
  }

  private ended(): boolean {
    return this.tok.current.kind === 'end';
  }

  private at(text: string): boolean {
    return this.cur.kind !== 'string' && this.cur.text === text;
  }

  private open(path: number[] | undefined): Recorder {
    return { path, line: this.cur.line, column: this.cur.column };
  }

  /** Consumes `text` as a declaration's end, sorting the comments around it as protoc does. */
  private endOfDeclaration(text: string, rec: Recorder | null): void {
    if (!this.at(text)) throw new Error(`expected "${text}" at line ${this.cur.line + 1}, found "${this.cur.text}"`);
    const { trailing, detached, leading } = this.tok.nextWithComments();
    const myLeading = this.upcomingLeading;
    this.upcomingLeading = leading;
    if (rec) {
      const myDetached = this.upcomingDetached;
      this.upcomingDetached = detached;
      if (rec.path) this.keep(rec, myLeading, trailing, myDetached);
    } else if (text === '}') {
      this.upcomingDetached = detached;
    } else {
      this.upcomingDetached.push(...detached);
    }
  }

  /** Holds a declaration's comments until it is closed (a message ends at its "}"). */
  private keep(rec: Recorder, leading: string, trailing: string, detached: string[]): void {
    if (leading === '' && trailing === '' && detached.length === 0) return;
    this.pending.set(rec, { leading, trailing, detached });
  }

  /** Comments of declarations whose span is not closed yet. */
  private readonly pending = new Map<Recorder, { leading: string; trailing: string; detached: string[] }>();

  /** Closes a declaration: its span ends at the token just consumed. */
  private close(rec: Recorder): void {
    const c = this.pending.get(rec);
    this.pending.delete(rec);
    if (!c || !rec.path) return;
    const end = this.tok.previous;
    const span = end.line === rec.line ? [rec.line, rec.column, end.endColumn] : [rec.line, rec.column, end.line, end.endColumn];
    const loc: SourceLocation = { path: rec.path, span };
    if (c.leading !== '') loc.leadingComments = c.leading;
    if (c.trailing !== '') loc.trailingComments = c.trailing;
    if (c.detached.length > 0) loc.leadingDetachedComments = c.detached;
    this.locations.push(loc);
  }

  private next(): void {
    this.tok.next();
  }

  /** Skips to the end of the current statement (its ";", nested brackets included) without consuming it. */
  private skipTo(end: string): void {
    let depth = 0;
    while (!this.ended()) {
      if (depth === 0 && this.at(end)) return;
      if (this.at('{') || this.at('[') || this.at('(') || this.at('<')) depth++;
      else if (this.at('}') || this.at(']') || this.at(')') || this.at('>')) depth--;
      this.next();
    }
  }

  parse(): SourceLocation[] {
    while (!this.ended()) this.topLevel();
    return this.locations;
  }

  private statement(path: number[] | undefined): void {
    const rec = this.open(path);
    this.skipTo(';');
    this.endOfDeclaration(';', rec);
    this.close(rec);
  }

  private topLevel(): void {
    const f = this.file as Obj;
    const word = this.cur.text;
    if (this.at(';')) this.endOfDeclaration(';', null);
    else if (word === 'syntax') this.statement([FILE.syntax]);
    else if (word === 'package') this.statement([FILE.package]);
    else if (word === 'import') this.statement([FILE.dependency, this.imports++]);
    else if (word === 'option' || word === 'edition') this.statement(undefined);
    else if (word === 'message') this.message([FILE.messageType], f, 'messageType');
    else if (word === 'enum') this.enumeration([FILE.enumType], f, 'enumType');
    else if (word === 'service') this.service(f);
    else if (word === 'extend') this.extend([FILE.extension], f, 'extension');
    else throw new Error(`unexpected "${word}" at line ${this.cur.line + 1}`);
  }

  /** `message Name { ... }`; `key` is where the parent descriptor lists it. */
  private message(base: number[], parent: Obj | undefined, key: string): void {
    const rec = this.open(undefined);
    this.next(); // message
    const name = this.cur.text;
    this.next();
    const i = indexOf(parent, key, name);
    const desc = i >= 0 ? list(parent, key)[i] : undefined;
    rec.path = i >= 0 ? [...base, i] : undefined;
    this.endOfDeclaration('{', rec);
    this.messageBody(rec.path, desc);
    this.endOfDeclaration('}', null);
    this.close(rec);
  }

  private messageBody(path: number[] | undefined, desc: Obj | undefined): void {
    const sub = (...p: number[]) => (path ? [...path, ...p] : undefined);
    let extensions = 0;
    while (!this.at('}') && !this.ended()) {
      const word = this.cur.text;
      if (this.at(';')) this.endOfDeclaration(';', null);
      else if (word === 'message') this.message(sub(MESSAGE.nestedType)!, desc, 'nestedType');
      else if (word === 'enum') this.enumeration(sub(MESSAGE.enumType)!, desc, 'enumType');
      else if (word === 'option' || word === 'reserved' || word === 'extensions') this.statement(undefined);
      else if (word === 'extend') extensions = this.extend(sub(MESSAGE.extension)!, desc, 'extension', extensions);
      else if (word === 'oneof') this.oneof(path, desc);
      else this.field(path, desc, MESSAGE.field, 'field');
    }
  }

  /** A field (or map field, or group); its location is [...path, fieldNumber, index by name]. */
  private field(path: number[] | undefined, desc: Obj | undefined, fieldNumber: number, key: string): void {
    const rec = this.open(undefined);
    let name = '';
    let group = false;
    // label? type name = number [options] ;  |  map<k, v> name = ...  |  label group Name = n { ... }
    // The name is the last word before "=".
    while (!this.at('=') && !this.ended()) {
      if (this.cur.text === 'group') group = true;
      name = this.cur.text;
      this.next();
    }
    const fieldName = group ? name.toLowerCase() : name;
    const i = indexOf(desc, key, fieldName);
    rec.path = path && i >= 0 ? [...path, fieldNumber, i] : undefined;
    if (group) {
      this.skipTo('{');
      const gi = indexOf(desc, 'nestedType', name);
      const grec = this.open(undefined);
      this.endOfDeclaration('{', grec);
      this.messageBody(path && gi >= 0 ? [...path, MESSAGE.nestedType, gi] : undefined, gi >= 0 ? list(desc, 'nestedType')[gi] : undefined);
      this.endOfDeclaration('}', null);
      this.close(rec);
      return;
    }
    this.skipTo(';');
    this.endOfDeclaration(';', rec);
    this.close(rec);
  }

  private oneof(path: number[] | undefined, desc: Obj | undefined): void {
    const rec = this.open(undefined);
    this.next(); // oneof
    const i = indexOf(desc, 'oneofDecl', this.cur.text);
    rec.path = path && i >= 0 ? [...path, MESSAGE.oneofDecl, i] : undefined;
    this.next();
    this.endOfDeclaration('{', rec);
    while (!this.at('}') && !this.ended()) {
      if (this.at(';')) this.endOfDeclaration(';', null);
      else if (this.cur.text === 'option') this.statement(undefined);
      else this.field(path, desc, MESSAGE.field, 'field');
    }
    this.endOfDeclaration('}', null);
    this.close(rec);
  }

  private enumeration(base: number[], parent: Obj | undefined, key: string): void {
    const rec = this.open(undefined);
    this.next(); // enum
    const i = indexOf(parent, key, this.cur.text);
    const desc = i >= 0 ? list(parent, key)[i] : undefined;
    rec.path = i >= 0 ? [...base, i] : undefined;
    this.next();
    this.endOfDeclaration('{', rec);
    while (!this.at('}') && !this.ended()) {
      const word = this.cur.text;
      if (this.at(';')) this.endOfDeclaration(';', null);
      else if (word === 'option' || word === 'reserved') this.statement(undefined);
      else {
        const v = indexOf(desc, 'value', word);
        this.statement(rec.path && v >= 0 ? [...rec.path, ENUM.value, v] : undefined);
      }
    }
    this.endOfDeclaration('}', null);
    this.close(rec);
  }

  private service(f: Obj): void {
    const rec = this.open(undefined);
    this.next(); // service
    const i = indexOf(f, 'service', this.cur.text);
    const desc = i >= 0 ? list(f, 'service')[i] : undefined;
    rec.path = i >= 0 ? [FILE.service, i] : undefined;
    this.next();
    this.endOfDeclaration('{', rec);
    while (!this.at('}') && !this.ended()) {
      if (this.at(';')) this.endOfDeclaration(';', null);
      else if (this.cur.text === 'option') this.statement(undefined);
      else this.method(rec.path, desc);
    }
    this.endOfDeclaration('}', null);
    this.close(rec);
  }

  /** rpc Name (Req) returns (Res) ;  |  ... { options } */
  private method(path: number[] | undefined, desc: Obj | undefined): void {
    const rec = this.open(undefined);
    this.next(); // rpc
    const i = indexOf(desc, 'method', this.cur.text);
    rec.path = path && i >= 0 ? [...path, SERVICE.method, i] : undefined;
    while (!this.at(';') && !this.at('{') && !this.ended()) this.next();
    if (this.at(';')) {
      this.endOfDeclaration(';', rec);
    } else {
      this.endOfDeclaration('{', rec);
      while (!this.at('}') && !this.ended()) {
        if (this.at(';')) this.endOfDeclaration(';', null);
        else this.statement(undefined);
      }
      this.endOfDeclaration('}', null);
    }
    this.close(rec);
  }

  /** extend Type { fields }: the fields go to `key` of the parent, counted from `first`. Returns the next index. */
  private extend(base: number[], parent: Obj | undefined, key: string, first = 0): number {
    const rec = this.open(undefined);
    this.skipTo('{');
    this.endOfDeclaration('{', rec);
    let n = first;
    while (!this.at('}') && !this.ended()) {
      if (this.at(';')) {
        this.endOfDeclaration(';', null);
        continue;
      }
      const frec = this.open(undefined);
      while (!this.at('=') && !this.ended()) this.next();
      frec.path = list(parent, key)[n] ? [...base, n] : undefined;
      n++;
      this.skipTo(';');
      this.endOfDeclaration(';', frec);
      this.close(frec);
    }
    this.endOfDeclaration('}', null);
    this.close(rec);
    return n;
  }
}

/**
 * The commented declarations of a .proto file as SourceCodeInfo locations,
 * for its FileDescriptorProto `file` (paths index into it by name). A file
 * this parser cannot read gets none (reflection still works without them).
 */
export function sourceLocations(text: string, file: FileDescriptorObject): SourceLocation[] {
  try {
    return new Parser(text, file).parse();
  } catch {
    return [];
  }
}
