// A tokenizer of .proto text that sorts comments the way protoc's does
// (google/protobuf/io/tokenizer.cc, Tokenizer::NextWithComments): a comment
// on the line where a declaration ends, or a block right after it that a
// blank line follows, trails that declaration; the block right before the
// next token leads it; blocks with blank lines on both sides are detached.
// Token positions are 0-based lines and columns, a tab advancing to the next
// multiple of 8, as protoc counts them. Used by source-info.ts.

export interface Token {
  kind: 'ident' | 'number' | 'string' | 'symbol' | 'start' | 'end';
  text: string;
  line: number;
  column: number;
  endColumn: number;
}

const TAB_WIDTH = 8;
const NO_NEWLINE_SPACE = /[ \t\r\v\f]/;

/** Comments between two tokens, sorted the way protoc's CommentCollector sorts them. */
class Collector {
  private buffer = '';
  private has = false;
  private isLine = false;
  private canAttachToPrev = true;
  private hasTrailing = false;
  private count = 0;
  trailing = '';
  readonly detached: string[] = [];

  lineBuffer(): void {
    if (this.has && !this.isLine) this.flush();
    this.has = true;
    this.isLine = true;
  }

  blockBuffer(): void {
    if (this.has) this.flush();
    this.has = true;
    this.isLine = false;
  }

  append(text: string): void {
    this.buffer += text;
  }

  clear(): void {
    this.buffer = '';
    this.has = false;
  }

  /** The buffer is complete and not connected to the next token. */
  flush(): void {
    if (!this.has) return;
    if (this.canAttachToPrev) {
      this.trailing += this.buffer;
      this.hasTrailing = true;
      this.canAttachToPrev = false;
    } else {
      this.detached.push(this.buffer);
    }
    this.clear();
    this.count++;
  }

  detachFromPrev(): void {
    this.canAttachToPrev = false;
  }

  /** Between two tokens on one line nobody can tell whose a lone comment is: detached. */
  maybeDetach(): void {
    const n = this.count + (this.has ? 1 : 0);
    if (n !== 99) return;
    if (this.hasTrailing) {
      this.detached.unshift(this.trailing);
      this.trailing = '';
    }
    this.canAttachToPrev = false;
    this.flush();
  }

  /** What is left is the next token's leading comment. */
  leading(): string {
    return this.has ? this.buffer : '';
  }
}

export class Tokenizer {
  private pos = 0;
  private line = 0;
  private column = 0;
  current: Token = { kind: 'start', text: '', line: 0, column: 0, endColumn: 0 };
  previous: Token = this.current;

  constructor(private readonly text: string) {}

  private get char(): string {
    return this.pos < this.text.length ? this.text[this.pos]! : '\0';
  }

  private nextChar(): void {
    const c = this.char;
    if (c === '\n') {
      this.line++;
      this.column = 0;
    } else if (c === '\t') {
      this.column += TAB_WIDTH - (this.column % TAB_WIDTH);
    } else {
      this.column++;
    }
    this.pos++;
  }

  private tryConsume(c: string): boolean {
    if (this.char !== c) return false;
    this.nextChar();
    return true;
  }

  private skipSpace(newlines: boolean): void {
    while (this.pos < this.text.length && (NO_NEWLINE_SPACE.test(this.char) || (newlines && this.char === '\n'))) this.nextChar();
  }

  /** After "/": a comment's start, a lone slash (a symbol token), or nothing. */
  private commentStart(): 'line' | 'block' | 'slash' | 'none' {
    if (this.char !== '/') return 'none';
    const next = this.text[this.pos + 1];
    if (next === '/' || next === '*') {
      this.nextChar();
      this.nextChar();
      return next === '/' ? 'line' : 'block';
    }
    return 'slash';
  }

  /** The text after "//" through the newline. */
  private lineComment(): string {
    const start = this.pos;
    while (this.char !== '\0' && this.char !== '\n') this.nextChar();
    this.tryConsume('\n');
    return this.text.slice(start, this.pos);
  }

  /** The text after "/*" up to the closing "*\/", continuation lines without their leading space and "*". */
  private blockComment(): string {
    let out = '';
    let start = this.pos;
    for (;;) {
      while (this.char !== '\0' && this.char !== '*' && this.char !== '/' && this.char !== '\n') this.nextChar();
      if (this.tryConsume('\n')) {
        out += this.text.slice(start, this.pos);
        this.skipSpace(false);
        if (this.tryConsume('*') && this.tryConsume('/')) return out;
        start = this.pos;
      } else if (this.char === '*' && this.text[this.pos + 1] === '/') {
        out += this.text.slice(start, this.pos);
        this.nextChar();
        this.nextChar();
        return out;
      } else if (this.char === '\0') {
        return out + this.text.slice(start, this.pos);
      } else {
        this.nextChar();
      }
    }
  }

  /** The next token, comments skipped. False at the end. */
  next(): boolean {
    this.previous = this.current;
    for (;;) {
      this.skipSpace(true);
      const c = this.commentStart();
      if (c === 'line') this.lineComment();
      else if (c === 'block') this.blockComment();
      else break;
    }
    const line = this.line;
    const column = this.column;
    const start = this.pos;
    if (this.pos >= this.text.length) {
      this.current = { kind: 'end', text: '', line, column, endColumn: column };
      return false;
    }
    const c = this.char;
    let kind: Token['kind'];
    if (/[A-Za-z_]/.test(c)) {
      while (/[A-Za-z0-9_]/.test(this.char)) this.nextChar();
      kind = 'ident';
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(this.text[this.pos + 1] ?? ''))) {
      while (/[0-9A-Za-z_.]/.test(this.char) || ((this.char === '+' || this.char === '-') && /[eE]/.test(this.text[this.pos - 1] ?? ''))) this.nextChar();
      kind = 'number';
    } else if (c === '"' || c === "'") {
      this.nextChar();
      while (this.char !== c && this.char !== '\0' && this.char !== '\n') {
        if (this.char === '\\') this.nextChar();
        this.nextChar();
      }
      this.tryConsume(c);
      kind = 'string';
    } else {
      this.nextChar();
      kind = 'symbol';
    }
    this.current = { kind, text: this.text.slice(start, this.pos), line, column, endColumn: this.column };
    return true;
  }

  /** protoc's NextWithComments: the comments after the previous token, sorted, then the next token. */
  nextWithComments(): { trailing: string; detached: string[]; leading: string } {
    const col = new Collector();
    const prevLine = this.line;
    let trailingEndLine = -1;
    const done = (): { trailing: string; detached: string[]; leading: string } =>
      ({ trailing: col.trailing, detached: col.detached, leading: col.leading() });
    if (this.current.kind === 'start') {
      col.detachFromPrev();
    } else {
      // A comment on the same line belongs to the previous declaration.
      this.skipSpace(false);
      const c = this.commentStart();
      if (c === 'line') {
        trailingEndLine = this.line;
        col.lineBuffer();
        col.append(this.lineComment());
        col.flush();
      } else if (c === 'block') {
        col.blockBuffer();
        col.append(this.blockComment());
        trailingEndLine = this.line;
        this.skipSpace(false);
        if (!this.tryConsume('\n')) {
          col.clear();
          this.next();
          return done();
        }
        col.flush();
      } else if (c === 'slash' || !this.tryConsume('\n')) {
        this.next();
        return done();
      }
    }
    // Now on a line after the previous token.
    for (;;) {
      this.skipSpace(false);
      const c = this.commentStart();
      if (c === 'line') {
        col.lineBuffer();
        col.append(this.lineComment());
      } else if (c === 'block') {
        col.blockBuffer();
        col.append(this.blockComment());
        this.skipSpace(false);
        this.tryConsume('\n');
      } else if (c === 'slash') {
        this.next();
        return done();
      } else if (this.tryConsume('\n')) {
        // A blank line: what came before belongs to nobody after it.
        col.flush();
        col.detachFromPrev();
      } else {
        const more = this.next();
        // At the end of a scope a comment cannot lead the next token.
        if (!more || this.current.text === '}' || this.current.text === ']' || this.current.text === ')') col.flush();
        if (more && (prevLine === this.current.line || trailingEndLine === this.current.line)) col.maybeDetach();
        return done();
      }
    }
  }
}
