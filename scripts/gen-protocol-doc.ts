/**
 * Generates docs/PROTOCOL.md from schema.ts, so the doc cannot drift from the code
 * (test/protocol/doc.test.ts fails when they disagree). Run: `npm run docs`.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { layout } from '../src/protocol/codec.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { fixedSize, LIST_COUNT_SIZE, type Field, type Fields } from '../src/protocol/fields.js';
import { header, HEADER_SIZE, DEFAULT_MAX_BODY } from '../src/protocol/framing.js';
import { MessageFlags, schema, type MessageName } from '../src/protocol/schema.js';

export const DOC_PATH = fileURLToPath(new URL('../docs/PROTOCOL.md', import.meta.url));

const STRUCT_CODE: Record<string, string> = { u8: 'B', u16: 'H', u32: 'I', f64: 'd' };

function typeName(f: Field): string {
  switch (f.kind) {
    case 'ascii':
      return `ascii, NUL-padded`;
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

function structFormat(fields: Fields): string {
  let s = '';
  for (const f of Object.values(fields)) {
    if (f.kind === 'ascii') s += `${f.size}s`;
    else if (f.kind === 'struct') s += structFormat(f.fields);
    else if (f.kind === 'list') s += 'H';
    else s += STRUCT_CODE[f.kind];
  }
  return s;
}

/** Rows of `| offset | size | field | type |` for a run of fields starting at `at`. */
function rows(fields: Fields, at: number | string, prefix = ''): string[] {
  const out: string[] = [];
  let off = at;
  const advance = (n: number) => (typeof off === 'number' ? off + n : `${off} + ${n}`);
  for (const [name, f] of Object.entries(fields)) {
    const path = prefix + name;
    if (f.kind === 'struct') {
      out.push(...rows(f.fields, off, `${path}.`));
      off = advance(fixedSize(f));
    } else if (f.kind === 'list') {
      out.push(`| ${off} | ${LIST_COUNT_SIZE} | \`${path}\` count | u16, big-endian: number of items that follow |`);
      const item = f.item;
      const size = fixedSize(item);
      out.push(`| ${advance(LIST_COUNT_SIZE)} | count × ${size} | \`${path}[]\` | items, ${size} bytes each: |`);
      const itemFields: Fields = item.kind === 'struct' ? item.fields : { '': item };
      for (const r of rows(itemFields, 0, `${path}[i]${item.kind === 'struct' ? '.' : ''}`)) out.push(r.replace(/^\| (\S+)/, '| item+$1'));
    } else {
      out.push(`| ${off} | ${f.size} | \`${path}\` | ${typeName(f)} |`);
      off = advance(f.size);
    }
  }
  return out;
}

function messageSection(name: MessageName): string {
  const def = schema[name];
  const lay = layout(name);
  const size = lay.list ? `${lay.fixed} + count × ${lay.list.itemSize}` : String(lay.fixed);
  const fmt = lay.list
    ? `\`>${structFormat(def.fields)}\` then count × \`>${structFormat(lay.list.item.kind === 'struct' ? lay.list.item.fields : { v: lay.list.item })}\``
    : `\`>${structFormat(def.fields)}\``;
  const lines = [
    `### ${name} (0x${def.op.toString(16).padStart(2, '0')}, ${def.dir})`,
    '',
    def.doc,
    '',
    `Body size: ${size} bytes. Python struct: ${fmt}.`,
  ];
  const r = rows(def.fields, 0);
  if (r.length) lines.push('', '| offset | size | field | type |', '|---|---|---|---|', ...r);
  return lines.join('\n');
}

const SEMANTICS = `## Semantics

### Requests, responses and pushes
Every request carries a client-chosen, non-zero request id and gets exactly one response frame with
that id. Requests may be pipelined: send many before reading the answers; responses to one connection
come in request order. Server pushes (opcodes 0x80 and up) carry request id 0 and may arrive between
any two responses. Register, Login and Ping are allowed before login; every other request without a
logged-in session gets Error NOT_LOGGED_IN.

### Strings
Every string field is ASCII (bytes 0x01-0x7F), written from offset 0 of its field and padded with NUL
(0x00) to the field's width; the value ends at the first NUL and every byte after it must be NUL too
(Python: \`value.encode('ascii').ljust(size, b'\\0')\`; decode with \`raw.rstrip(b'\\0').decode('ascii')\`).
A value longer than its field is an error, never truncated. A byte over 0x7F or a non-NUL byte after
the padding began makes the frame invalid (Error BAD_FIELD).

### Errors in frames
- Unknown opcode, or a body whose size is not the size given below: Error (UNKNOWN_OPCODE, BAD_SIZE,
  TRUNCATED) with the request id of the offending frame; the connection stays usable.
- A field that breaks the string rules: Error BAD_FIELD; the connection stays usable.
- A body length over the limit (${DEFAULT_MAX_BODY} bytes): Error FRAME_TOO_LARGE with request id 0,
  then the server closes the connection (it cannot find the next frame boundary).
- A client that does not read its socket: once the server holds more than a few MiB of unsent data for
  it, it closes that connection. Nothing queued for that account is lost.

### Accounts
- Usernames: 1-16 characters of \`A-Z a-z 0-9 _ . -\`, unique (case-sensitive). Passwords: 1-64
  printable ASCII characters (0x20-0x7E). The server stores only a salted scrypt hash.
- Login with an unknown user and with a wrong password both answer BAD_CREDENTIALS.
- One live session per account: a second Login takes over; the first connection gets a
  LoggedInElsewhere push and is logged out (its connection stays open).
- ListAccounts: \`*\` matches any run of characters, \`?\` exactly one; other characters must be
  username characters (else INVALID_PATTERN). Results are sorted by name and paged by
  \`offset\`/\`limit\` (limit 0 or over 500 means 500); \`total\` counts every match. Deleted accounts
  are not listed.
- DeleteAccount needs the password. If messages wait and \`confirm\` is 0, the answer is
  ConfirmDelete(waiting) and nothing changes; with \`confirm\` = 1 the account and its waiting messages
  are deleted. Messages it already sent stay with their recipients, delivered with flag bit 0
  (SENDER_DELETED = ${MessageFlags.SENDER_DELETED}) set. The name can be registered again; the new
  account sees nothing of the old one.

### Delivery (at-least-once, duplicates suppressed by message id)
- Send is answered with Accepted(messageId) only after the message is stored durably (committed to
  disk). An unknown or deleted recipient is Error NO_SUCH_USER; nothing is stored.
- If the recipient is logged in, the message is pushed at once (Message push). Either way it stays in
  the recipient's queue until the recipient acknowledges it with Ack; a disconnect or server crash at
  any moment loses nothing. A message may therefore arrive twice (pushed, then fetched after a
  reconnect); its id is the same every time, so clients drop ids they have already shown.
- Message ids increase. Ack(upTo) removes every message with id <= upTo that this session has been
  given (pushed, or returned by FetchUndelivered) since it logged in. A message never delivered to the
  session stays queued, so acknowledging a live push cannot drop older waiting messages unseen.
- LoginOk tells how many messages wait. FetchUndelivered(max) returns the oldest waiting messages
  (at most \`max\`, and at most 200 per batch) and \`remaining\`, the count still waiting after them.
- Resending after a lost connection: a Send with the same \`clientId\` from the same account within
  24 hours is stored once and answered with the same messageId. Clients pick a fresh clientId per
  message (e.g. a counter started at a random value) and reuse it only to resend that message.
- \`sentAt\` is the server's clock when it accepted the message, in milliseconds since the Unix epoch.
`;

/** The whole of docs/PROTOCOL.md. */
export function renderProtocolDoc(): string {
  const names = Object.keys(schema) as MessageName[];
  const byDir = (dir: string) => names.filter((n) => schema[n].dir === dir).map(messageSection);
  const headerRows = rows(header, 0);
  const errors = Object.entries(ErrorCode).map(([k, v]) => `| ${v} | ${k} |`);
  return [
    '# termchat wire protocol',
    '',
    '<!-- Generated from src/protocol/schema.ts by `npm run docs`. Do not edit by hand:',
    '     test/protocol/doc.test.ts fails when this file and the schema disagree. -->',
    '',
    'termchat speaks length-prefixed binary frames over one TCP connection (default 127.0.0.1:7878).',
    'All integers are big-endian (Python struct prefix `>`). Strings are fixed-width NUL-padded ASCII',
    '(Python struct `Ns`). Everything in this document is generated from the one table in',
    '`src/protocol/schema.ts`, which the server and the client both encode and decode from.',
    '',
    '## Frame header',
    '',
    `Every frame is a ${HEADER_SIZE}-byte header followed by \`length\` bytes of body. Python struct: \`>${structFormat(header)}\`.`,
    '',
    '| offset | size | field | type |',
    '|---|---|---|---|',
    ...headerRows,
    '',
    `A receiver refuses a body longer than ${DEFAULT_MAX_BODY} bytes. Opcodes 0x01-0x3F are requests (client to`,
    'server), 0x40-0x7F responses (same request id as the request), 0x80-0xBF pushes (request id 0).',
    '',
    SEMANTICS,
    '## Requests',
    '',
    byDir('request').join('\n\n'),
    '',
    '## Responses',
    '',
    byDir('response').join('\n\n'),
    '',
    '## Pushes',
    '',
    byDir('push').join('\n\n'),
    '',
    '## Error codes',
    '',
    'The `code` of an Error response. Codes are stable; new ones may be added, so treat an unknown code as a',
    'generic failure and show `text`.',
    '',
    '| code | name |',
    '|---|---|',
    ...errors,
    '',
    '## Example: a client in Python',
    '',
    '```python',
    'import socket, struct',
    's = socket.create_connection(("127.0.0.1", 7878))',
    'def frame(op, rid, body): return struct.pack(">IBI", len(body), op, rid) + body',
    'def read_frame():',
    '    head = s.recv(9, socket.MSG_WAITALL); length, op, rid = struct.unpack(">IBI", head)',
    '    return op, rid, s.recv(length, socket.MSG_WAITALL) if length else b""',
    's.sendall(frame(0x01, 1, struct.pack(">16s64s", b"alice", b"secret")))  # Register',
    'print(read_frame())                                                    # Ok (0x40) or Error (0x41)',
    's.sendall(frame(0x02, 2, struct.pack(">16s64s", b"alice", b"secret")))  # Login',
    'op, rid, body = read_frame(); print(struct.unpack(">I", body))          # LoginOk: undelivered',
    's.sendall(frame(0x05, 3, struct.pack(">16sI512s", b"bob", 1, b"hello")))  # Send',
    'op, rid, body = read_frame()   # Accepted (0x44): struct.unpack(">I", body) or Error (0x41): ">H128s"',
    '```',
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(DOC_PATH, renderProtocolDoc());
  console.log(`wrote ${DOC_PATH}`);
}
