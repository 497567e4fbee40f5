/**
 * Compiles schema.ts into, per message: a binary-parser Parser (decode), an encoder, a size rule and
 * a TypeScript type. Nothing here names a message or a width: it all comes from the schema.
 */
import { Parser } from 'binary-parser';
import { isAscii } from 'node:buffer';
import { ProtocolError } from './errors.js';
import {
  fixedSize,
  LIST_COUNT_SIZE,
  LIST_MAX_ITEMS,
  type Field,
  type Fields,
  type ItemField,
  type ScalarField,
  type StructValue,
} from './fields.js';
import { HEADER_SIZE, writeHeader } from './framing.js';
import { schema, type MessageName, type Schema } from './schema.js';

/** The decoded body of message N, typed from the schema. */
export type Body<N extends MessageName> = StructValue<Schema[N]['fields']>;
/** A whole decoded message: its name in `type`, then its fields. */
export type Message = { [N in MessageName]: { type: N } & Body<N> }[MessageName];
export type MessageOf<N extends MessageName> = Extract<Message, { type: N }>;
export type RequestName = { [N in MessageName]: Schema[N]['dir'] extends 'request' ? N : never }[MessageName];
export type ResponseName = { [N in MessageName]: Schema[N]['dir'] extends 'response' ? N : never }[MessageName];
export type PushName = { [N in MessageName]: Schema[N]['dir'] extends 'push' ? N : never }[MessageName];
export type Request = MessageOf<RequestName>;
export type Response = MessageOf<ResponseName>;
export type Push = MessageOf<PushName>;

const ZEROS = Buffer.alloc(4096);

/** Node's Buffer has these (they back toString/write) but its typings do not list them. */
type FastBuffer = Buffer & {
  latin1Slice(start: number, end: number): string;
  latin1Write(value: string, offset: number): number;
};

/** A control character (NUL excluded: it is padding). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x01-\x1f\x7f]/;
const PRINTABLE = /^[\x20-\x7e]*$/;

/**
 * Whether ASCII bytes (all < 0x80, checked before) hold a control byte (< 0x20, or 0x7F) before
 * `end`: four bytes at a time, without a branch per byte (a byte under 0x20 sets its high bit in
 * (x - 0x20) & ~x, a 0x7F sets it in x + 1), twice as fast as a regular expression on 512 bytes.
 */
function hasControl(b: Buffer, end: number): boolean {
  let acc = 0;
  let i = 0;
  for (; i + 4 <= end; i += 4) {
    const x = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    acc |= ((x - 0x20202020) & ~x) | (x + 0x01010101);
  }
  if ((acc & 0x80808080) !== 0) return true;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * Checks a decoded ascii field: bytes <= 0x7F, and after the first NUL only NULs (the canonical
 * form); for a printable field, every byte before the padding 0x20-0x7E.
 */
function asciiDecoder(field: string, size: number, printable: boolean): (b: FastBuffer) => string {
  return (b) => {
    let end = b.indexOf(0);
    if (end === -1) end = size;
    else if (b.compare(ZEROS, 0, size - end, end, size) !== 0) {
      throw new ProtocolError('BAD_FIELD', `${field}: non-NUL bytes after the NUL padding`, field);
    }
    if (!isAscii(b)) throw new ProtocolError('BAD_FIELD', `${field}: byte over 0x7F (not ASCII)`, field);
    const s = b.latin1Slice(0, end);
    if (printable && hasControl(b, end)) {
      const c = CONTROL.exec(s)![0].charCodeAt(0);
      throw new ProtocolError('BAD_FIELD', `${field}: control byte 0x${c.toString(16).padStart(2, '0')} (printable ASCII only)`, field);
    }
    return s;
  };
}

/** Adds one field to a binary-parser chain. `path` names it in errors. */
function addField(p: Parser, name: string, f: Field, path: string): Parser {
  switch (f.kind) {
    case 'ascii':
      return p.buffer(name, { length: f.size, formatter: asciiDecoder(path, f.size, f.printable === true) });
    case 'u8':
      return p.uint8(name);
    case 'u16':
      return p.uint16be(name);
    case 'u32':
      return p.uint32be(name);
    case 'f64':
      return p.doublebe(name);
    case 'struct':
      return p.nest(name, { type: structParser(f.fields, path) });
    case 'list': {
      // The count was checked against the body size before parsing, so the items simply run to the end.
      p = p.seek(LIST_COUNT_SIZE);
      if (f.item.kind === 'struct') {
        return p.array(name, { type: structParser(f.item.fields, `${path}[]`), readUntil: 'eof' });
      }
      const item = addField(new Parser(), 'v', f.item, `${path}[]`);
      return p.array(name, { type: item, readUntil: 'eof', formatter: (xs: { v: unknown }[]) => xs.map((x) => x.v) });
    }
  }
}

function structParser(fields: Fields, prefix?: string): Parser {
  let p = new Parser();
  for (const [name, f] of Object.entries(fields)) p = addField(p, name, f, prefix ? `${prefix}.${name}` : name);
  return p;
}

/** Fails with a sentence if `value` cannot be written as `f` without loss. */
function checkAscii(path: string, size: number, value: unknown, printable = false): string {
  if (typeof value !== 'string') throw new ProtocolError('BAD_FIELD', `${path}: expected a string`, path);
  if (value.length > size) {
    throw new ProtocolError('BAD_FIELD', `${path}: ${value.length} characters is longer than ${size} bytes`, path);
  }
  // The common case in one test; the others say what is wrong.
  if (printable && PRINTABLE.test(value)) return value;
  // eslint-disable-next-line no-control-regex
  if (!/^[\x01-\x7f]*$/.test(value)) {
    throw new ProtocolError(
      'BAD_FIELD',
      value.includes('\0') ? `${path}: contains a NUL character` : `${path}: contains a non-ASCII character`,
      path,
    );
  }
  // eslint-disable-next-line no-control-regex
  if (printable && /[\x00-\x1f\x7f]/.test(value)) {
    throw new ProtocolError('BAD_FIELD', `${path}: contains a control character (printable ASCII only)`, path);
  }
  return value;
}

const UINT_MAX = { u8: 0xff, u16: 0xffff, u32: 0xffffffff } as const;

function writeScalar(buf: Buffer, at: number, f: ScalarField, value: unknown, path: string): void {
  if (f.kind === 'ascii') {
    const s = checkAscii(path, f.size, value, f.printable);
    const n = (buf as FastBuffer).latin1Write(s, at);
    buf.fill(0, at + n, at + f.size);
    return;
  }
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new ProtocolError('BAD_FIELD', `${path}: expected a number`, path);
  }
  if (f.kind === 'f64') {
    buf.writeDoubleBE(value, at);
    return;
  }
  if (!Number.isInteger(value) || value < 0 || value > UINT_MAX[f.kind]) {
    throw new ProtocolError('BAD_FIELD', `${path}: ${value} is not an integer from 0 to ${UINT_MAX[f.kind]}`, path);
  }
  if (f.kind === 'u8') buf[at] = value;
  else if (f.kind === 'u16') buf.writeUInt16BE(value, at);
  else buf.writeUInt32BE(value, at);
}

/** Writes an item (scalar or struct) at `at`; returns the offset after it. */
function writeItem(buf: Buffer, at: number, f: ItemField, value: unknown, path: string): number {
  if (f.kind !== 'struct') {
    writeScalar(buf, at, f, value, path);
    return at + f.size;
  }
  if (typeof value !== 'object' || value === null) throw new ProtocolError('BAD_FIELD', `${path}: expected an object`, path);
  const obj = value as Record<string, unknown>;
  for (const [name, sub] of Object.entries(f.fields)) {
    at = writeItem(buf, at, sub as ItemField, obj[name], path ? `${path}.${name}` : name);
  }
  return at;
}

/** Where a message's one list (if any) sits, and how big everything else is. */
export interface Layout {
  /** Size of the body without the list's items (the list's count included). */
  fixed: number;
  list?: { name: string; countAt: number; itemSize: number; item: ItemField };
}

function layoutOf(fields: Fields): Layout {
  let fixed = 0;
  let list: Layout['list'];
  for (const [name, f] of Object.entries(fields)) {
    if (list) throw new Error(`schema: ${name} follows list ${list.name}; a list must be the last field`);
    if (f.kind === 'list') {
      list = { name, countAt: fixed, itemSize: fixedSize(f.item), item: f.item };
      fixed += LIST_COUNT_SIZE;
    } else fixed += fixedSize(f);
  }
  return list ? { fixed, list } : { fixed };
}

/** $parent/$root bookkeeping binary-parser adds for expressions that refer to other fields. */
const CONTEXT_LINES = /^(vars\.\$parent = null;|vars\.\$root = vars;|delete vars\.\$parent;|delete vars\.\$root;)\n/gm;

/** How a message is decoded: 'lean' (compileLean's code) or 'parse' (binary-parser's Parser#parse). */
export type DecodePath = 'lean' | 'parse';

/** The Parser behind each lean decoder, so tests can compare the two paths; absent = fallback. */
const leanParsers = new WeakMap<(body: Buffer) => Record<string, unknown>, Parser>();

/**
 * Compiles a Parser the way Parser#compile does, minus the $parent/$root bookkeeping. Our schema never
 * refers to other fields, and adding then deleting those two properties costs half of a Send decode
 * (measured: 0.85M -> 1.6M decodes/s) and leaves every decoded object in slow dictionary mode. If a
 * binary-parser upgrade changes the generated code's shape, this falls back to Parser#parse; that
 * fallback is not silent: decodePath() reports it and test/protocol/lean.unit.test.ts fails on it
 * (binary-parser is pinned to an exact version in package.json for the same reason).
 *
 * The rewrite can go once binary-parser makes those lines conditional, as it already does for nested
 * parsers and arrays (`ctx.useContextVariables`, set by Parser#useContextVars()). Proposed upstream,
 * against lib/binary_parser.ts of binary-parser 2.3.0:
 *
 *   --- a/lib/binary_parser.ts
 *   +++ b/lib/binary_parser.ts
 *   @@ private addRawCode(ctx: Context) {
 *        ctx.pushCode(
 *          `var vars = ${this.constructorFn ? "new constructorFn()" : "{}"};`
 *        );
 *
 *   -    ctx.pushCode("vars.$parent = null;");
 *   -    ctx.pushCode("vars.$root = vars;");
 *   +    if (ctx.useContextVariables) {
 *   +      ctx.pushCode("vars.$parent = null;");
 *   +      ctx.pushCode("vars.$root = vars;");
 *   +    }
 *
 *        this.generate(ctx);
 *        this.resolveReferences(ctx);
 *
 *   -    ctx.pushCode("delete vars.$parent;");
 *   -    ctx.pushCode("delete vars.$root;");
 *   +    if (ctx.useContextVariables) {
 *   +      ctx.pushCode("delete vars.$parent;");
 *   +      ctx.pushCode("delete vars.$root;");
 *   +    }
 *
 *        ctx.pushCode("return vars;");
 *      }
 *
 * With it, `structParser(fields).compile()` gives the same code as this function and compileLean
 * becomes `parser.compile(); return (body) => parser.parse(body)`.
 */
function compileLean(parser: Parser): (body: Buffer) => Record<string, unknown> {
  const internal = parser as unknown as { getContext?: (importPath: string) => { code: string; imports: unknown[] } };
  const ctx = internal.getContext?.('imports');
  if (!ctx || (ctx.code.match(CONTEXT_LINES) ?? []).length !== 4 || /\$(parent|root)/.test(ctx.code.replace(CONTEXT_LINES, ''))) {
    return (body) => parser.parse(body) as Record<string, unknown>;
  }
  const code = ctx.code.replace(CONTEXT_LINES, '');
  // Same construction as binary-parser's own compile(): generated code, its imports and TextDecoder.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const lean = new Function('imports', 'TextDecoder', `return function (buffer) { ${code} };`)(ctx.imports, TextDecoder) as (
    body: Buffer,
  ) => Record<string, unknown>;
  leanParsers.set(lean, parser);
  return lean;
}

/** Which decode path message `name` uses ('parse' means compileLean fell back: slower, and a bug). */
export function decodePath(name: MessageName): DecodePath {
  return leanParsers.has(byName.get(name)!.parse) ? 'lean' : 'parse';
}

/**
 * Parses a body (already size-checked) with binary-parser's own Parser#parse, bypassing the lean
 * path, so tests can check the two agree. Undefined when the message has no lean path.
 */
export function parseWithBinaryParser(name: MessageName, body: Buffer): Record<string, unknown> | undefined {
  return leanParsers.get(byName.get(name)!.parse)?.parse(body) as Record<string, unknown> | undefined;
}

interface Compiled {
  name: MessageName;
  op: number;
  layout: Layout;
  parse: (body: Buffer) => Record<string, unknown>;
  /** The fields in wire order (Object.entries once, not per encode). */
  entries: Array<[string, Field]>;
}

const byName = new Map<MessageName, Compiled>();
const byOp: (Compiled | undefined)[] = [];
for (const [name, def] of Object.entries(schema) as [MessageName, Schema[MessageName]][]) {
  if (byOp[def.op]) throw new Error(`schema: opcode ${def.op} used twice`);
  const c: Compiled = {
    name,
    op: def.op,
    layout: layoutOf(def.fields),
    parse: compileLean(structParser(def.fields)),
    entries: Object.entries(def.fields),
  };
  byName.set(name, c);
  byOp[def.op] = c;
}

/** The layout of a message (sizes derived from the schema), for docs, tests and size limits. */
export function layout(name: MessageName): Layout {
  return byName.get(name)!.layout;
}

export function opcodeOf(name: MessageName): number {
  return byName.get(name)!.op;
}

export function nameOf(opcode: number): MessageName | undefined {
  return byOp[opcode]?.name;
}

/** Body size of `msg` on the wire. */
function bodySize(c: Compiled, msg: Record<string, unknown>): number {
  const { fixed, list } = c.layout;
  if (!list) return fixed;
  const items = msg[list.name];
  if (!Array.isArray(items)) throw new ProtocolError('BAD_FIELD', `${list.name}: expected a list`, list.name);
  if (items.length > LIST_MAX_ITEMS) {
    throw new ProtocolError('BAD_FIELD', `${list.name}: ${items.length} items is more than ${LIST_MAX_ITEMS}`, list.name);
  }
  return fixed + items.length * list.itemSize;
}

/**
 * Already-validated bytes for some ascii fields of a message, exactly the field's width (NUL padding
 * included), e.g. the content of a decoded Send relayed as a push: copied as they are instead of
 * being checked and re-encoded from the string.
 */
export type RawFields = Readonly<Record<string, Buffer>>;

/** Size of the whole frame (header and body) that encode() would produce. */
export function frameSize(msg: Message): number {
  const c = byName.get(msg.type);
  if (!c) throw new ProtocolError('UNKNOWN_OPCODE', `unknown message type ${String(msg.type)}`, 'type');
  return HEADER_SIZE + bodySize(c, msg as unknown as Record<string, unknown>);
}

/**
 * Encodes one whole frame into `buf` at `at`, which must have frameSize(msg) bytes of room; returns
 * the offset after it. Throws ProtocolError naming the field that does not fit (then `buf` may hold
 * a partial frame, which the caller discards).
 */
export function encodeInto(buf: Buffer, at: number, msg: Message, requestId: number, raw?: RawFields): number {
  const c = byName.get(msg.type);
  if (!c) throw new ProtocolError('UNKNOWN_OPCODE', `unknown message type ${String(msg.type)}`, 'type');
  const obj = msg as unknown as Record<string, unknown>;
  const size = bodySize(c, obj);
  writeHeader(buf, at, c.op, requestId, size);
  at += HEADER_SIZE;
  for (const [name, f] of c.entries) {
    if (f.kind === 'list') {
      const items = obj[name] as unknown[];
      buf.writeUInt16BE(items.length, at);
      at += LIST_COUNT_SIZE;
      for (let i = 0; i < items.length; i++) at = writeItem(buf, at, f.item, items[i], `${name}[${i}]`);
    } else if (raw !== undefined && f.kind === 'ascii' && raw[name] !== undefined) {
      const bytes = raw[name]!;
      if (bytes.length !== f.size) throw new ProtocolError('BAD_FIELD', `${name}: raw bytes are not ${f.size} wide`, name);
      bytes.copy(buf, at);
      at += f.size;
    } else {
      at = writeItem(buf, at, f, obj[name], name);
    }
  }
  return at;
}

/** Encodes one whole frame (header and body). Throws ProtocolError naming the field that does not fit. */
export function encode(msg: Message, requestId: number, raw?: RawFields): Buffer {
  const buf = Buffer.allocUnsafe(frameSize(msg));
  encodeInto(buf, 0, msg, requestId, raw);
  return buf;
}

/** Where a fixed-width top-level field sits in a message body (for relaying its bytes as they are). */
export function fieldSpan(name: MessageName, field: string): { at: number; size: number } {
  let at = 0;
  for (const [n, f] of byName.get(name)!.entries) {
    if (f.kind === 'list') break;
    const size = fixedSize(f);
    if (n === field) return { at, size };
    at += size;
  }
  throw new Error(`schema: ${name} has no fixed field ${field}`);
}

/** Checks that `body` is exactly the size the schema gives for this message, before parsing it. */
function checkSize(c: Compiled, body: Buffer): void {
  const { fixed, list } = c.layout;
  let want = fixed;
  if (list && body.length >= fixed) want += body.readUInt16BE(list.countAt) * list.itemSize;
  if (body.length !== want) {
    throw new ProtocolError(
      body.length < want ? 'TRUNCATED' : 'BAD_SIZE',
      `${c.name} body is ${body.length} bytes, expected ${want}`,
      'length',
    );
  }
}

/** Decodes a frame body for `opcode`. Throws ProtocolError for unknown opcodes, wrong sizes, bad fields. */
export function decode(opcode: number, body: Buffer): Message {
  const c = byOp[opcode];
  if (!c) throw new ProtocolError('UNKNOWN_OPCODE', `unknown opcode 0x${opcode.toString(16).padStart(2, '0')}`, 'opcode');
  checkSize(c, body);
  const m = c.parse(body);
  m.type = c.name;
  return m as Message;
}

/** The direction the schema gives a message. */
export function directionOf(name: MessageName): Schema[MessageName]['dir'] {
  return schema[name].dir;
}

/**
 * Checks that `msg` could be encoded: every field fits its width and range (the same checks as
 * encode(), without building a frame). Throws ProtocolError naming the field, like encode(). For
 * transports whose messages are not frames (gRPC), so the schema stays the one place limits are stated.
 */
export function validate(msg: Message): void {
  const c = byName.get(msg.type);
  if (!c) throw new ProtocolError('UNKNOWN_OPCODE', `unknown message type ${String(msg.type)}`, 'type');
  const obj = msg as unknown as Record<string, unknown>;
  bodySize(c, obj);
  for (const [name, f] of c.entries) {
    if (f.kind === 'list') {
      const items = obj[name] as unknown[];
      for (let i = 0; i < items.length; i++) validateItem(f.item, items[i], `${name}[${i}]`);
    } else validateItem(f, obj[name], name);
  }
}

function validateItem(f: ItemField, value: unknown, path: string): void {
  if (f.kind === 'struct') {
    if (typeof value !== 'object' || value === null) throw new ProtocolError('BAD_FIELD', `${path}: expected an object`, path);
    const obj = value as Record<string, unknown>;
    for (const [name, sub] of Object.entries(f.fields)) validateItem(sub as ItemField, obj[name], `${path}.${name}`);
    return;
  }
  if (f.kind === 'ascii') {
    checkAscii(path, f.size, value, f.printable);
    return;
  }
  if (typeof value !== 'number' || Number.isNaN(value)) throw new ProtocolError('BAD_FIELD', `${path}: expected a number`, path);
  if (f.kind !== 'f64' && (!Number.isInteger(value) || value < 0 || value > UINT_MAX[f.kind])) {
    throw new ProtocolError('BAD_FIELD', `${path}: ${value} is not an integer from 0 to ${UINT_MAX[f.kind]}`, path);
  }
}
