/**
 * Generates docs/PROTOCOL.md from schema.ts, so the doc cannot drift from the code
 * (test/protocol/doc.test.ts fails when they disagree). Run: `npm run docs`.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { layout } from '../src/protocol/codec.js';
import { ErrorCode, type ErrorCodeName } from '../src/protocol/errors.js';
import { fixedSize, LIST_COUNT_SIZE, type Field, type Fields } from '../src/protocol/fields.js';
import { header, HEADER_SIZE, DEFAULT_MAX_BODY } from '../src/protocol/framing.js';
import { fieldDocs, MAX_WATCH, MessageFlags, password, schema, username, type MessageName } from '../src/protocol/schema.js';
import type { PasswordHasher } from '../src/server/auth.js';
import { ChatService, MAX_RECEIPTS } from '../src/server/service.js';
import type { Store } from '../src/server/store/store.js';
import { GRPC_STATUS_NAME } from '../src/server/transports/grpcErrors.js';
import { DEFAULT_CONNECTION_LIMITS, DEFAULT_LIMITS } from '../src/server/transports/tcp.js';

export const DOC_PATH = fileURLToPath(new URL('../docs/PROTOCOL.md', import.meta.url));

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
      const meaning = name ? fieldDocs[name] : undefined;
      out.push(`| ${off} | ${f.size} | \`${path}\` | ${typeName(f)}${meaning ? `: ${meaning}` : ''} |`);
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

/** The server's defaults, as a fresh service has them (never started: no store is touched). */
const SERVER = new ChatService(undefined as unknown as Store, undefined as unknown as PasswordHasher, {
  info() {},
  warn() {},
  error() {},
  debug() {},
});
const MiB = (n: number) => (n % (1 << 20) === 0 ? `${n / (1 << 20)} MiB` : `${n} bytes`);
const DEDUP_HOURS = SERVER.limits.dedupWindowMs / 3_600_000;

const SEMANTICS = `## Semantics

### Requests, responses and pushes
- Every request carries a client-chosen request id and gets exactly one response frame with that id.
  Use a non-zero id: 0 is the id of pushes. The server does not check it: a request with id 0 is
  answered like any other, with request id 0, and then only the opcode (0x40-0x7F response,
  0x80-0xBF push) tells that answer from a push.
- Answers to the requests of one connection leave in the order the requests arrived; pushes (request
  id 0) may come between any two answers.
- Register, Login and Ping are allowed before login; every other request without a logged-in session
  gets Error NOT_LOGGED_IN.
- New messages and error codes may be added. A client must ignore a push (request id 0) whose opcode
  it does not know (its \`length\` says how many body bytes to skip), and treat a response opcode or
  an error code it does not know as a failure of that request (show the Error's \`text\`).

### Flow control
- The server reads a connection's requests only while it has fewer than \`--max-inflight\` (default
  ${DEFAULT_LIMITS.maxInflight}) unanswered requests and fewer than \`--max-answer-bytes\` (default ${MiB(DEFAULT_LIMITS.maxAnswerBytes)}) of answers
  pending (a Fetch counts as the largest batch it may return, a ListAccounts as its largest page),
  including bytes the kernel has not taken; past either it stops reading that socket until the
  client reads. A client that pipelines must keep reading its answers.
- Pushes are not bounded that way (they come from other connections): once more than 8 MiB of output
  waits unsent for a connection, the server closes it. Nothing queued for that account is lost.
- Register for a taken name is refused (USERNAME_TAKEN) before any password hashing. Register, Login
  and DeleteAccount hash a password; the requests after one of them on the same connection wait
  until it is answered (one hash per connection at a time; the server's hashing pool serves
  connections in turn).

### Connections: limits, liveness, shutdown
- A connection that has no successful Register or Login within \`--auth-timeout-ms\` (default
  ${DEFAULT_CONNECTION_LIMITS.authTimeoutMs / 1000} s) gets Error IDLE_TIMEOUT with request id 0 and is closed.
- Liveness: a connection the server has heard nothing from (no request, no output taken) for one
  \`--keepalive-ms\` interval (default ${DEFAULT_CONNECTION_LIMITS.keepAliveMs / 1000} s) gets a KeepAlive push; a client answers it with any request
  (a Ping). Silent for the next interval too, it gets Error IDLE_TIMEOUT (request id 0) and is
  closed, so a dead or stopped peer goes within three intervals (90 s by default). A client that
  ignores KeepAlive but sends something anyway is fine.
- A new connection over \`--max-per-address\` (default ${DEFAULT_CONNECTION_LIMITS.maxPerAddress}; loopback exempt unless \`--limit-loopback\`) or
  \`--max-connections\` (default ${DEFAULT_CONNECTION_LIMITS.maxConnections.toLocaleString('en')}, lowered below the open-file limit) gets Error
  TOO_MANY_CONNECTIONS with request id 0 and is closed.
- Login is throttled after failures, per account and per address: each failure doubles the wait
  before the next Login of that account or from that address is checked (from \`--login-delay-ms\`,
  default 250 ms, up to \`--login-max-delay-ms\`, default 15 s); every refusal is the same
  BAD_CREDENTIALS "wrong username or password", only later. Register is limited per address
  (\`--register-per-hour\`, default 10): RATE_LIMITED.
- A Send to a recipient whose queue holds \`--mailbox-max\` messages (default 10,000) or
  \`--mailbox-max-bytes\` of content (default 4 MiB) is MAILBOX_FULL; nothing is stored. On a full disk,
  requests that write answer DISK_FULL (retryable; nothing changed). An Ack is answered Ok only once
  its messages are gone; after a failed Ack they still wait and the same Ack may be sent again.
- Shutdown: the server stops reading and accepting, and every request it had read is answered
  before the connection ends: what it had started gets its true answer (Accepted only for what is
  stored), what it had not started gets SHUTTING_DOWN (nothing of it was done). Then a
  ServerClosing push, then the connection closes. Requests the server never read get no answer:
  a client resends those (a Send with the same clientId) to the next server.

### Strings
- Every string field is ASCII (bytes 0x01-0x7F), written from offset 0 of its field and padded with
  NUL (0x00) to the field's width; the value ends at the first NUL and every byte after it must be
  NUL too (Python: \`value.encode('ascii').ljust(size, b'\\0')\`; decode with
  \`raw.rstrip(b'\\0').decode('ascii')\`).
- \`content\` is a chat line: printable ASCII only (0x20-0x7E). Every control byte, newline, carriage
  return, tab and escape (0x1B) included, and DEL (0x7F) is refused with BAD_FIELD, on decode (the
  server answers BAD_FIELD and stores nothing) and on encode (a client cannot send it), so nothing a
  sender writes can move a recipient's cursor, retitle a terminal or start an escape sequence. A
  multi-line text is several messages. (UTF-7 content, flag UTF7, is printable on the wire; a client
  that decodes it must drop the control characters the decoding can yield before it displays them.)
- A value exactly as long as its field fills it and has no NUL at all: a reader must not look for a
  terminating NUL (in C, \`strnlen(field, size)\` and copy into a buffer of \`size + 1\`).
- An encoder must refuse a value longer than its field (never truncate it): the wire cannot carry
  one, so it is the sender's error, not something the server answers. The server answers BAD_FIELD
  for a field it cannot read: a byte over 0x7F, or a non-NUL byte after the padding began.

### Numbers and flags
- Integers are unsigned and big-endian. \`sentAt\` is an IEEE-754 double (f64): the server's clock
  when it accepted the message, in milliseconds since the Unix epoch (1970-01-01T00:00:00Z). The
  server writes whole milliseconds, so no fraction occurs; a client should still accept any finite
  value.
- \`flags\` (one byte, in Send and in every delivered message): bit 0 (${MessageFlags.SENDER_DELETED}) SENDER_DELETED is set by the
  server when the sender's account has since been deleted; bit 1 (${MessageFlags.UTF7}) UTF7 is copied from
  Send.flags and means the content is UTF-7 text (RFC 2152), to be decoded for display (Python:
  \`content.encode('ascii').decode('utf-7')\`); bit 2 (${MessageFlags.RESEND}) RESEND may be set in a Send only (see
  Sending) and is never delivered. The other bits are reserved and must be 0: a Send with any flags
  bit other than bits 1 and 2 is refused (INVALID_ARGUMENT); a client ignores bits it does not know
  in a delivered message.

### Errors in frames
- An opcode the server does not know: Error UNKNOWN_OPCODE. The opcode of a response or a push sent
  to the server: Error UNEXPECTED_MESSAGE.
- A body shorter than its message's size (for a message with a list: shorter than the fixed part, or
  than the fixed part plus \`count\` items) is Error TRUNCATED; a longer one is Error BAD_SIZE.
- A field that breaks the string rules: Error BAD_FIELD.
- These carry the request id of the offending frame, and the connection stays usable.
- A body length over the limit (${DEFAULT_MAX_BODY} bytes): Error FRAME_TOO_LARGE with request id 0
  (the frame's request id is not read), then the server closes the connection: it cannot find the
  next frame boundary.

### Accounts
- Usernames: 1-${username.size} characters of \`A-Z a-z 0-9 _ . -\`, unique (case-sensitive). Passwords:
  1-${password.size} printable ASCII characters (0x20-0x7E). The server stores only a salted scrypt hash.
- Login with an unknown user and with a wrong password both answer BAD_CREDENTIALS; a failed Login
  leaves the connection's session as it was.
- One live session per account: a Login takes over; the connection that had the account gets a
  LoggedInElsewhere push and is logged out (its connection stays open).
- Login on a connection that is already logged in answers LoginOk: it logs in again (to the same
  account or another one), as after a Logout. The new session has been given no messages yet, so
  messages pushed or fetched before must be fetched again before an Ack can remove them.
- Register while logged in answers Ok (the account is created); the connection stays logged in as
  before.
- ListAccounts: \`*\` matches any run of characters (also none), \`?\` exactly one; other characters
  must be username characters (else INVALID_PATTERN) and match themselves, case-sensitively
  (\`A*\` does not list \`amy\`). An empty pattern matches every account. Results are sorted by name
  and paged by \`offset\`/\`limit\` (\`limit\` is 16-bit; 0 or over ${SERVER.limits.maxListLimit} means ${SERVER.limits.maxListLimit}); \`total\` counts
  every match. Deleted accounts are not listed.
- DeleteAccount needs the password (else BAD_CREDENTIALS). If messages wait and \`confirm\` is 0, the
  answer is ConfirmDelete(waiting) and nothing changes; with \`confirm\` = 1 the account and its
  waiting messages are deleted. Waiting means not yet acknowledged: messages pushed or fetched but
  not acknowledged count.
- After DeleteAccount answers Ok the session is logged out (requests other than Register, Login and
  Ping get NOT_LOGGED_IN) and the connection stays open. Messages the account sent stay with their
  recipients, delivered with flag bit 0 (SENDER_DELETED) set and the deleted sender's name. The name
  can be registered again; the new account sees nothing of the old one.

### Sending
- Send: \`content\` must not be empty (else INVALID_ARGUMENT); an unknown or deleted recipient is
  Error NO_SUCH_USER and nothing is stored.
- \`Accepted(id)\` means the message is durably stored, or it was already delivered to the
  recipient's session and acknowledged (then it need not be stored at all). An online recipient is
  pushed the message at once, before the commit. If the server dies between push and commit, the
  sender never saw Accepted and should resend with the same clientId; the recipient may then get the
  same (sender, clientId) a second time under a different id: a client must drop the repeat (its next
  cumulative Ack covers it, as it is older than what follows). \`ChatClient\` does this (class
  \`RepeatFilter\` in \`src/protocol/client.ts\`, shared across reconnects).
- A Send that was delivered and acknowledged before the server handed it to its store is answered
  Accepted at once and never written (nothing is left to keep). The server remembers the last
  100,000 such (sender, clientId) pairs in memory, so a RESEND of one is answered Accepted with its
  id and not delivered again; after a server restart a resend of one is stored and delivered again,
  and the recipient recognises it as a repeat of (sender, clientId).
- clientId: a non-zero clientId makes a Send idempotent for ${DEDUP_HOURS} hours: a resend with the same
  (sender, clientId), recipient and content is stored once and answered Accepted with the first
  message's id; the same clientId with
  another recipient or content within ${DEDUP_HOURS} h is refused with CLIENT_ID_REUSED (code ${ErrorCode.CLIENT_ID_REUSED}). The server learns
  that from its store, after the push to an online recipient has gone out: a recipient may be pushed
  such a refused message, which it drops as a repeat of (sender, clientId) if it saw the first one.
  Reusing a clientId is a client bug; the error is there to make it visible. clientId 0
  is never de-duplicated (every Send with 0 is a new message). Clients pick a fresh clientId per
  message (e.g. a counter started at a random value, skipping 0) and reuse it only to resend that
  message.
- A resend sets flag bit 2 (RESEND, value ${MessageFlags.RESEND}) in Send.flags: then the server pushes it to the recipient
  only after its store found it is not a repeat, so the recipient does not get it twice. Without the
  flag a resend is pushed again at once (and the recipient drops the repeat). RESEND is never stored
  or delivered.
- Message ids are unique and increasing in the order the server accepted the Sends (so per
  recipient); they are not contiguous (the server reserves them durably in blocks, so a restart skips
  ahead); an id that was pushed is never given to another message, even after a crash.
- Message ids are u32 and never wrap: once the id 0xFFFFFFFF has been given, every Send is answered
  Error INTERNAL "message ids are exhausted".

### Delivery (at-least-once, repeats recognisable)
- A message stays in the recipient's queue until the recipient acknowledges it; a disconnect or a
  server crash at any moment loses nothing.
- \`Message\` pushes and \`MessageBatch\` items carry the sender's \`clientId\`, and \`flags\` as above.
- \`Ack(upTo)\` removes the messages delivered to this session (pushed or fetched) with id <= upTo,
  and is answered Ok once they are gone durably; ids not delivered to this session are left alone.
  An Ack that matches nothing is answered Ok too.
- LoginOk tells how many messages wait (pushed-but-unacknowledged ones included).
  FetchUndelivered(max) returns the oldest waiting messages, at most \`max\` and at most the server's
  page cap (${SERVER.limits.maxFetch}); \`max\` = 0 means the page cap. \`remaining\` is the count still waiting after
  them.
- A FetchUndelivered may return messages already pushed to this session (same id) if not yet
  acknowledged; a client drops repeats by id.

### Delivery receipts
- When an Ack removes messages from the recipient's queue, each sender learns which of its messages
  went: one \`Delivered\` push per Ack and sender, whose \`ids\` are the message ids its Sends were
  answered with (\`Accepted.messageId\`). A message acknowledged before the server stored it counts
  the same. Only the recipient's Ack makes a receipt: messages discarded with a deleted recipient's
  account get none. A Delivered carries at most ${MAX_RECEIPTS} ids; more go in several pushes.
- A Delivered may come before the Accepted of the same message: pushes do not wait behind the
  sender's earlier unanswered requests, and a resend after a lost answer is answered Accepted with
  the id of a message that may be delivered already. A client keeps a receipt for an id it has not
  seen accepted yet (or ignores ids it does not know).
- A sender with no live session when the Ack is handled: the server keeps its receipts and pushes
  them right after the sender's next successful Login, after the LoginOk, removing them as it reads
  them. Receipts of an offline sender are delivered at most once: if that connection is lost before
  it reads the push, or the server stops before it has kept them, they are gone (the messages
  themselves are unaffected: only the sender's view of their delivery state). Receipts kept for an
  account that is deleted are discarded.

### Presence
- \`Watch(names)\` replaces the session's watch set with at most ${MAX_WATCH} names (more: INVALID_ARGUMENT;
  a name given twice counts once; a name with no account is allowed and is never online). An
  empty list stops watching. The answer \`Presence(online)\` lists the watched names that have a
  live session at that moment, in the order given.
- While the watch set lasts, the session is pushed \`PresenceChanged(name, online)\` when a watched
  account gets its first live session (a Login: \`online\` 1) or loses its last (Logout, its
  connection closed, its account deleted, or its connection logged in to another account:
  \`online\` 0). A takeover (a Login of the same account on another connection) changes nothing
  and pushes nothing. Nothing is sent to sessions that do not watch the name: a change costs one
  push per watcher.
- The watch set belongs to the logged-in session: Logout, a Login on the same connection, being
  taken over, deleting the account and closing the connection end it; watch again after logging
  in. Watch without a logged-in session: NOT_LOGGED_IN.
- \`Presence\` is the state when the server handled the Watch; a PresenceChanged is a change after
  that. Answers keep request order but pushes do not wait for them, so a PresenceChanged may arrive
  before the Presence answer when requests sent before the Watch are still unanswered: a client
  that pipelines applies such pushes after the answer.

### Several servers (scale-out)
Several servers (nodes) may share one database; a client may be given the list and connect to any.
Every rule above holds across nodes as on one server: one live session per account (a Login on
another node takes over, and the old connection is pushed LoggedInElsewhere), message ids unique
and increasing per sender and recipient, presence for every node's sessions. What a client sees in
addition:
- A message for a recipient on another node is pushed once its commit is visible there, so it
  may arrive after the sender's Accepted.
- A node that cannot reach the database answers UNAVAILABLE to requests that need it: retry shortly,
  on the same node or another. A Send answered UNAVAILABLE may have been stored: resend it with
  RESEND and the same clientId, and it is stored once.
- When a node dies its connections simply close: connect to another node, log in again, resend
  what was not answered (RESEND, same clientId) and fetch. Until the dead node's lease runs out
  (seconds), watchers may still see its users online; logging in elsewhere takes over at once.
`;

/** When each error code is answered, and to which requests. */
const ERROR_RULES: Record<ErrorCodeName, string> = {
  UNKNOWN_OPCODE: 'any frame whose opcode the server does not know',
  BAD_SIZE: 'a body longer than its message\'s size',
  BAD_FIELD: 'a string field with a byte over 0x7F or a non-NUL byte after its padding began; `content` with a control byte (below 0x20, or 0x7F); over gRPC also a value longer than its field or a number out of its range',
  FRAME_TOO_LARGE: `a declared body length over ${DEFAULT_MAX_BODY} bytes; sent with request id 0, then the connection is closed`,
  TRUNCATED: 'a body shorter than its message\'s size (or than its list\'s `count` items)',
  UNEXPECTED_MESSAGE: 'a response or push opcode sent to the server',
  NOT_LOGGED_IN: 'Logout, ListAccounts, Send, FetchUndelivered, Ack, DeleteAccount, Watch without a logged-in session',
  ALREADY_LOGGED_IN: 'reserved; not sent by this server (a second Login logs in again)',
  BAD_CREDENTIALS: 'Login with an unknown name or a wrong password; DeleteAccount with a wrong password',
  USERNAME_TAKEN: 'Register with the name of a live account',
  INVALID_USERNAME: `Register with a name that is not 1-${username.size} of \`A-Z a-z 0-9 _ . -\``,
  INVALID_PASSWORD: `Register with a password that is not 1-${password.size} printable ASCII characters`,
  NO_SUCH_USER: 'Send to a name with no live account',
  INVALID_PATTERN: 'ListAccounts with a character other than username characters, `*` and `?`',
  CONFIRM_REQUIRED: 'reserved; not sent by this server (DeleteAccount answers ConfirmDelete instead)',
  INVALID_ARGUMENT: `Send with empty content, or with a flags bit other than bit 1 (UTF7); Watch with more than ${MAX_WATCH} names`,
  CLIENT_ID_REUSED: `Send reusing a non-zero clientId of the last ${DEDUP_HOURS} h with another recipient or content`,
  BUSY: 'gRPC only: a Subscribe stream whose client reads too slowly is ended with it',
  INTERNAL: 'any request the server failed to carry out (e.g. a storage error; Send once message ids are exhausted)',
  SHUTTING_DOWN: 'any request read but not yet started when the server began shutting down (see Connections)',
  TOO_MANY_CONNECTIONS: 'a new connection over the per-address or total cap; sent with request id 0, then the connection is closed',
  IDLE_TIMEOUT: 'a connection with no successful Register or Login within the server\'s limit (default 10 s), or one silent after a KeepAlive; request id 0, then closed',
  MAILBOX_FULL: 'Send to a recipient whose queue holds the most messages or bytes the server allows; nothing is stored, retry later',
  DISK_FULL: 'any request that writes (Send, Ack, Register, DeleteAccount) when the server\'s disk is full; nothing changed, retry later',
  RATE_LIMITED: 'Register from an address that registered too many accounts recently; retry later',
  UNAVAILABLE:
    'any request that needs the database when a node of a scale-out setup (`--store postgres://…`) cannot reach it; retry shortly, here or on another node. A Send may have been stored all the same: resend it with RESEND and the same clientId',
};

/** The whole of docs/PROTOCOL.md. */
export function renderProtocolDoc(): string {
  const names = Object.keys(schema) as MessageName[];
  const byDir = (dir: string) => names.filter((n) => schema[n].dir === dir).map(messageSection);
  const headerRows = rows(header, 0);
  const errors = (Object.entries(ErrorCode) as [ErrorCodeName, number][]).map(
    ([k, v]) => `| ${v} | ${k} | ${ERROR_RULES[k]} | ${GRPC_STATUS_NAME[k]} |`,
  );
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
    'generic failure and show `text`. The gRPC column is the status the gRPC transport answers with (see',
    '`src/protocol/chat.proto`).',
    '',
    '| code | name | answered to | gRPC status |',
    '|---|---|---|---|',
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
    's.sendall(frame(0x05, 3, struct.pack(">16sIB512s", b"bob", 1, 0, b"hello")))  # Send',
    'op, rid, body = read_frame()   # Accepted (0x44): struct.unpack(">I", body) or Error (0x41): ">H128s"',
    '```',
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(DOC_PATH, renderProtocolDoc());
  console.log(`wrote ${DOC_PATH}`);
}
