/**
 * Generates docs/PROTOCOL.md, so the doc cannot drift from the code (test/protocol/doc.unit.test.ts fails
 * when they disagree). Run: `npm run docs`. Message layouts, each request's answers and errors, the
 * error table and the Python examples are generated from src/protocol/schema.ts and errors.ts; the
 * Semantics section is prose, written in docs/protocol/semantics.md and included here with its
 * numbers filled in from the code (scripts/protocolFacts.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { layout, type RequestName } from '../src/protocol/codec.js';
import { ERRORS, type ErrorCodeName, type ErrorDef } from '../src/protocol/errors.js';
import { fixedSize, LIST_COUNT_SIZE, type Field, type Fields } from '../src/protocol/fields.js';
import { header, HEADER_SIZE, DEFAULT_MAX_BODY } from '../src/protocol/framing.js';
import { fieldDocs, schema, type MessageDef, type MessageName } from '../src/protocol/schema.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../src/server/options.js';
import { answerText, ERROR_DOC_VALUES, fillIn, listText } from './protocolFacts.js';
import { updateReadme } from './readme.js';
import { pythonGroupExample } from './pythonGroupExample.js';

export const DOC_PATH = fileURLToPath(new URL('../docs/PROTOCOL.md', import.meta.url));
/** The hand-written Semantics section (prose with {{placeholders}}). */
export const SEMANTICS_PATH = fileURLToPath(new URL('../docs/protocol/semantics.md', import.meta.url));

const defs = schema as Record<MessageName, MessageDef>;

const STRUCT_CODE: Record<string, string> = { u8: 'B', u16: 'H', u32: 'I', f64: 'd' };

function typeName(f: Field): string {
  switch (f.kind) {
    case 'ascii':
      return f.printable ? `printable ascii (0x20-0x7E), NUL-padded` : `ascii, NUL-padded`;
    case 'u8':
    case 'u16':
    case 'u32':
      return `${f.kind}, big-endian`.replace('u8, big-endian', 'u8');
    case 'f64':
      return 'f64 (IEEE-754 double), big-endian';
    case 'struct':
      return 'struct';
    case 'list':
      return 'list';
  }
}

/** The Python struct format of a run of fields, without the `>` (a list contributes its u16 count). */
export function structFormat(fields: Fields): string {
  let s = '';
  for (const f of Object.values(fields)) {
    if (f.kind === 'ascii') s += `${f.size}s`;
    else if (f.kind === 'struct') s += structFormat(f.fields);
    else if (f.kind === 'list') s += 'H';
    else s += STRUCT_CODE[f.kind];
  }
  return s;
}

/** Rows of `| offset | size | field | type |` for a run of fields starting at `at`; `docs` overrides fieldDocs. */
function rows(fields: Fields, at: number | string, prefix = '', docs: Readonly<Record<string, string>> = {}): string[] {
  const out: string[] = [];
  let off = at;
  const advance = (n: number) => (typeof off === 'number' ? off + n : `${off} + ${n}`);
  for (const [name, f] of Object.entries(fields)) {
    const path = prefix + name;
    if (f.kind === 'struct') {
      out.push(...rows(f.fields, off, `${path}.`, docs));
      off = advance(fixedSize(f));
    } else if (f.kind === 'list') {
      out.push(`| ${off} | ${LIST_COUNT_SIZE} | \`${path}\` count | u16, big-endian: number of items that follow |`);
      const item = f.item;
      const size = fixedSize(item);
      const meaning = docs[name] ?? fieldDocs[name];
      out.push(`| ${advance(LIST_COUNT_SIZE)} | count × ${size} | \`${path}[]\` | items, ${size} bytes each${meaning ? `: ${meaning}` : ''} |`);
      const itemFields: Fields = item.kind === 'struct' ? item.fields : { '': item };
      for (const r of rows(itemFields, 0, `${path}[i]${item.kind === 'struct' ? '.' : ''}`, docs)) out.push(r.replace(/^\| (\S+)/, '| item+$1'));
    } else {
      const meaning = name ? (docs[name] ?? fieldDocs[name]) : undefined;
      out.push(`| ${off} | ${f.size} | \`${path}\` | ${typeName(f)}${meaning ? `: ${meaning}` : ''} |`);
      off = advance(f.size);
    }
  }
  return out;
}

const hex = (op: number) => op.toString(16).padStart(2, '0');

function messageSection(name: MessageName): string {
  const def = defs[name];
  const lay = layout(name);
  const size = lay.list ? `${lay.fixed} + count × ${lay.list.itemSize}` : String(lay.fixed);
  const fmt = lay.list
    ? `\`>${structFormat(def.fields)}\` then count × \`>${structFormat(lay.list.item.kind === 'struct' ? lay.list.item.fields : { v: lay.list.item })}\``
    : `\`>${structFormat(def.fields)}\``;
  const lines = [`### ${name} (0x${hex(def.op)}, ${def.dir})`, '', def.doc];
  if (def.dir === 'request') lines.push('', answerText(name as RequestName));
  lines.push('', `Body size: ${size} bytes. Python struct: ${fmt}.`);
  const r = rows(def.fields, 0, '', def.fieldDocs);
  if (r.length) lines.push('', '| offset | size | field | type |', '|---|---|---|---|', ...r);
  return lines.join('\n');
}

/** The requests whose schema entry lists `code`. */
function requestsAnswering(code: ErrorCodeName): string[] {
  return (Object.keys(schema) as MessageName[]).filter((n) => defs[n].errors?.includes(code));
}

/** Who can be answered an error, for the error table. */
function answeredTo(name: ErrorCodeName): string {
  const def: ErrorDef = ERRORS[name];
  switch (def.scope) {
    case 'frame':
      return 'any request frame that fails this check (see Errors in frames)';
    case 'connection':
      return 'no request: sent with request id 0, then the connection closes';
    case 'any':
      return 'any request';
    case 'stream':
      return 'gRPC Subscribe only';
    case 'reserved':
      return 'none (reserved)';
    case 'request':
      return listText(requestsAnswering(name));
  }
}

const when = (def: ErrorDef) => (typeof def.when === 'string' ? def.when : def.when(ERROR_DOC_VALUES));

/** An upper-case Python constant for a message name: LoginOk -> LOGIN_OK. */
const constName = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();

/**
 * A small client in Python, its opcodes and struct formats taken from the schema. It registers, logs
 * in, sends itself a message and receives it (test/server/pythonExample.test.ts runs it).
 */
function pythonExample(): string {
  const ops = (names: MessageName[]) => `${names.map(constName).join(', ')} = ${names.map((n) => `0x${hex(defs[n].op)}`).join(', ')}`;
  const fmt = (n: MessageName) => `">${structFormat(defs[n].fields)}"`;
  return `\`\`\`python
# Register, log in, send yourself a message and receive it. Run: python3 client.py [HOST [PORT]]
import random, socket, struct, sys

HOST = sys.argv[1] if len(sys.argv) > 1 else "${DEFAULT_HOST}"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else ${DEFAULT_PORT}
HEADER = ">${structFormat(header)}"  # body length, opcode, request id
${ops(['Register', 'Login', 'Send', 'Ack'])}
${ops(['Ok', 'Error', 'LoginOk', 'Accepted'])}
${ops(['Message'])}
pushes = []  # frames with request id 0 read while waiting for an answer

s = socket.create_connection((HOST, PORT))

def request(op, rid, fmt, *fields):
    body = struct.pack(fmt, *fields)  # "16s" pads with NUL bytes, but silently cuts a longer value
    s.sendall(struct.pack(HEADER, len(body), op, rid) + body)

def recv_exact(n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    return data

def read_frame():
    length, op, rid = struct.unpack(HEADER, recv_exact(struct.calcsize(HEADER)))
    return op, rid, recv_exact(length)

def text(raw):
    return raw.rstrip(b"\\0").decode("ascii")

def answer(rid):
    """The answer to request rid. Request id 0 answers no request: a push, or an Error before closing."""
    while True:
        op, r, body = read_frame()
        if r == rid:
            return op, body
        if r == 0 and op == ERROR:
            raise ConnectionError(text(struct.unpack(${fmt('Error')}, body)[1]))
        pushes.append((op, body))

def check(op, body, expected, what):
    if op == ERROR:
        code, message = struct.unpack(${fmt('Error')}, body)
        raise SystemExit(f"{what}: error {code}: {text(message)}")
    assert op == expected, f"{what}: unexpected opcode {op:#x}"

request(REGISTER, 1, ${fmt('Register')}, b"alice", b"secret")
op, body = answer(1)
if op == ERROR:  # e.g. USERNAME_TAKEN when run a second time
    print("register:", text(struct.unpack(${fmt('Error')}, body)[1]))
request(LOGIN, 2, ${fmt('Login')}, b"alice", b"secret")
op, body = answer(2)
check(op, body, LOGIN_OK, "login")
print("logged in,", struct.unpack(${fmt('LoginOk')}, body)[0], "messages waiting")

client_id = random.randint(1, 0xFFFFFFFF)  # fresh per message; reuse it only to resend this one
request(SEND, 3, ${fmt('Send')}, b"alice", client_id, 0, b"hello")
op, body = answer(3)
check(op, body, ACCEPTED, "send")
print("accepted as message", struct.unpack(${fmt('Accepted')}, body)[0])

while True:  # the push may have come before the Accepted
    op, body = pushes.pop(0) if pushes else read_frame()[0::2]
    if op != MESSAGE:
        continue  # another push (Delivered, KeepAlive ...)
    msg_id, sender, cid, flags, sent_at, content = struct.unpack(${fmt('Message')}, body)
    if cid == client_id:
        break
print("received message", msg_id, "from", text(sender) + ":", text(content))
request(ACK, 4, ${fmt('Ack')}, msg_id)
op, body = answer(4)
check(op, body, OK, "ack")
\`\`\``;
}

/** The whole of docs/PROTOCOL.md. */
export function renderProtocolDoc(): string {
  const names = Object.keys(schema) as MessageName[];
  const byDir = (dir: string) => names.filter((n) => defs[n].dir === dir).map(messageSection);
  const errors = (Object.keys(ERRORS) as ErrorCodeName[]).map(
    (k) => `| ${ERRORS[k].code} | ${k} | ${answeredTo(k)} | ${when(ERRORS[k])} | ${ERRORS[k].grpc} |`,
  );
  const generated = (from: string) => `_Generated from ${from} by \`npm run docs\`._`;
  const semantics = readFileSync(SEMANTICS_PATH, 'utf8').replace(/^<!--[\s\S]*?-->\n/, '');
  return [
    '# termchat wire protocol',
    '',
    '<!-- Generated by `npm run docs` (scripts/gen-protocol-doc.ts). Do not edit by hand: edit the schema,',
    '     the error table or docs/protocol/semantics.md. test/protocol/doc.unit.test.ts fails when this file is stale. -->',
    '',
    `termchat speaks length-prefixed binary frames over one TCP connection (default ${DEFAULT_HOST}:${DEFAULT_PORT}),`,
    'plain or inside TLS. All integers are big-endian (Python struct prefix `>`). Strings are fixed-width',
    'NUL-padded ASCII (Python struct `Ns`). The same requests are served over gRPC, described by',
    '`src/protocol/chat.proto`, which is generated from the same table.',
    '',
    '## What is generated, what is written by hand',
    '',
    '- Generated from the code by `npm run docs` (a test fails when this file and the code disagree):',
    "  the frame header; each message's opcode, layout and Python struct format; each request's complete",
    '  list of answers and error codes, and whether it needs a login (all from `src/protocol/schema.ts`);',
    '  the error codes (from `src/protocol/errors.ts`); the two Python examples (a test runs them against a server).',
    '- Written by hand: the Semantics section, kept in `docs/protocol/semantics.md` and included here.',
    '  The numbers and lists it states (defaults, limits, the requests allowed before login) are filled in',
    '  from the code; its sentences are prose, kept true by review and by the server tests.',
    '',
    'Each section below says which it is.',
    '',
    '## Frame header',
    '',
    generated('src/protocol/framing.ts'),
    '',
    `Every frame is a ${HEADER_SIZE}-byte header followed by \`length\` bytes of body. Python struct: \`>${structFormat(header)}\`.`,
    '',
    '| offset | size | field | type |',
    '|---|---|---|---|',
    ...rows(header, 0),
    '',
    `A receiver refuses a body longer than ${DEFAULT_MAX_BODY} bytes. Opcodes 0x01-0x3F are requests (client to`,
    'server), 0x40-0x7F responses (the answer to a request: same request id), 0x80-0xBF pushes (request id 0).',
    '',
    '## Semantics',
    '',
    '_Written by hand in `docs/protocol/semantics.md`; the numbers and lists in it are filled in from the code._',
    '',
    fillIn(semantics, 'docs/protocol/semantics.md').trimEnd(),
    '',
    '## Requests',
    '',
    generated('src/protocol/schema.ts'),
    '',
    byDir('request').join('\n\n'),
    '',
    '## Responses',
    '',
    generated('src/protocol/schema.ts'),
    '',
    byDir('response').join('\n\n'),
    '',
    '## Pushes',
    '',
    generated('src/protocol/schema.ts'),
    '',
    byDir('push').join('\n\n'),
    '',
    '## Error codes',
    '',
    generated('src/protocol/errors.ts'),
    '',
    'The `code` of an Error response. Codes are stable; new ones may be added, so treat an unknown code as a',
    'generic failure and show `text`. The gRPC column is the status the gRPC transport answers with (see',
    '`src/protocol/chat.proto`).',
    '',
    '| code | name | answered to | when | gRPC status |',
    '|---|---|---|---|---|',
    ...errors,
    '',
    '## Example: a client in Python',
    '',
    generated('src/protocol/schema.ts (its opcodes and struct formats)'),
    '',
    pythonExample(),
    '',
    '## Example: a group session in Python',
    '',
    generated('src/protocol/schema.ts (its opcodes and struct formats) and scripts/pythonGroupExample.ts'),
    '',
    pythonGroupExample(
      (n) => `">${structFormat(defs[n].fields)}"`,
      (names) => `${names.map(constName).join(', ')} = ${names.map((n) => `0x${hex(defs[n].op)}`).join(', ')}`,
      structFormat(header),
    ),
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(DOC_PATH, renderProtocolDoc());
  console.log(`wrote ${DOC_PATH}`);
  // README's generated parts (the server's flag table, the missed performance targets) go with it.
  console.log(updateReadme());
}
