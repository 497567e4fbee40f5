/**
 * Generates src/protocol/chat.proto (the gRPC surface) from schema.ts, like docs/PROTOCOL.md, so the
 * two transports cannot drift (test/protocol/proto.unit.test.ts fails when they disagree). Run: `npm run docs`.
 *
 * The mapping, which grpcMapping.ts follows at run time:
 * - a request with fields is `<Name>Request`; one without is `Empty`;
 * - a request answered by one response replies with that response's message (`Empty` if it has no
 *   fields); one answered by several replies with `<Name>Reply`, a oneof of them;
 * - pushes travel on Subscribe as `Push`, a oneof of every push;
 * - fields keep the schema's order: field number = position (1-based); names are snake_case of the
 *   schema's camelCase (proto-loader turns them back); ascii -> string, u8/u16/u32 -> uint32 (the
 *   wire width is the range), f64 -> double, list -> repeated, struct -> its own message;
 * - gRPC-only additions (the session token) are listed in GRPC_EXTRAS and always come after.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RequestName } from '../src/protocol/codec.js';
import { ErrorCode, ERRORS, type ErrorCodeName } from '../src/protocol/errors.js';
import type { Field, Fields } from '../src/protocol/fields.js';
import { DEFAULT_MAX_BODY } from '../src/protocol/framing.js';
import { fieldDocs, schema, type MessageDef, type MessageName } from '../src/protocol/schema.js';
import { SERVICE_DEFAULTS } from '../src/server/serviceOptions.js';
import { DEFAULT_MAX_HELD_PUSHES } from '../src/server/transports/grpc.js';
import { GRPC_EXTRAS, META, SERVICE_NAME, STREAM_END } from '../src/protocol/grpcProto.js';
import { answerText, BEFORE_LOGIN_TEXT } from './protocolFacts.js';

export const PROTO_PATH = fileURLToPath(new URL('../src/protocol/chat.proto', import.meta.url));

const defs = schema as Record<MessageName, MessageDef>;
const names = Object.keys(schema) as MessageName[];
const byDir = (dir: string) => names.filter((n) => defs[n].dir === dir);
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Proto messages to emit after the service, by name, in first-use order. */
const messages = new Map<string, string[]>();

function protoType(f: Field, owner: string, field: string, sent: boolean): string {
  switch (f.kind) {
    case 'ascii':
      return 'string';
    case 'u8':
    case 'u16':
    case 'u32':
      return 'uint32';
    case 'f64':
      return 'double';
    case 'struct': {
      const same = names.find((n) => defs[n].fields === f.fields);
      const name = same ?? `${owner}${capital(field)}`;
      messageOf(name, f.fields, sent, same ? `${same}: ${defs[same].doc}` : undefined);
      return name;
    }
    case 'list':
      return `repeated ${protoType(f.item, owner, field, sent)}`;
  }
}

/** A field's range; `sent`: the client sends it, so the server refuses a value out of it. */
function limitOf(f: Field, sent: boolean): string | undefined {
  const refused = sent ? ', more is refused (BAD_FIELD)' : '';
  switch (f.kind) {
    case 'ascii':
      return `at most ${f.size} ASCII characters, no NUL`;
    case 'u8':
      return `u8 on the wire: 0-255${refused}`;
    case 'u16':
      return `u16 on the wire: 0-65535${refused}`;
    case 'list':
      return f.item.kind === 'ascii' ? `each at most ${f.item.size} ASCII characters` : undefined;
    default:
      return undefined;
  }
}

/**
 * A proto message for a run of schema fields (plus gRPC-only extras), emitted once. `sent`: a
 * request's (the client sends it); `docs` overrides fieldDocs.
 */
function messageOf(name: string, fields: Fields, sent: boolean, doc?: string, docs: Readonly<Record<string, string>> = {}): string {
  if (messages.has(name)) return name;
  messages.set(name, []); // reserve the name first: a struct may refer to itself through a list
  const lines: string[] = [];
  if (doc) lines.push(...wrap(doc));
  lines.push(`message ${name} {`);
  let n = 0;
  for (const [field, f] of Object.entries(fields)) {
    const notes = [docs[field] ?? fieldDocs[field], limitOf(f, sent)].filter(Boolean);
    if (notes.length) lines.push(...wrap(`${capital(notes.join('; '))}.`, '  // '));
    lines.push(`  ${protoType(f, name, field, sent)} ${snake(field)} = ${++n};`);
  }
  for (const x of GRPC_EXTRAS[name] ?? []) {
    lines.push(`  // gRPC only: ${x.doc}`, `  ${x.type} ${snake(x.name)} = ${++n};`);
  }
  lines.push('}');
  messages.set(name, lines);
  return name;
}

const capital = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** The proto message a schema message travels as (Empty when it has no fields). */
function asProto(name: MessageName, protoName: string = name): string {
  const def = defs[name];
  if (Object.keys(def.fields).length === 0 && !GRPC_EXTRAS[protoName]) return 'Empty';
  return messageOf(protoName, def.fields, def.dir === 'request', `${name}: ${def.doc}`, def.fieldDocs);
}

function oneof(name: string, kind: string, members: MessageName[], doc: string): string {
  const lines = [`// ${doc}`, `message ${name} {`, `  oneof ${kind} {`];
  members.forEach((m, i) => lines.push(`    ${asProto(m)} ${snake(m[0]!.toLowerCase() + m.slice(1))} = ${i + 1};`));
  lines.push('  }', '}');
  messages.set(name, lines);
  return name;
}

function rpc(name: MessageName): string[] {
  const def = defs[name];
  const answers = (def.answers ?? []) as MessageName[];
  const req = Object.keys(def.fields).length ? asProto(name, `${name}Request`) : 'Empty';
  const reply =
    answers.length === 1
      ? asProto(answers[0]!)
      : oneof(`${name}Reply`, 'answer', answers, `${name} succeeds with one of these (set in \`answer\`).`);
  return [...wrap(`${def.doc} ${answerText(name as RequestName)}`, '  // '), `  rpc ${name}(${req}) returns (${reply});`];
}

const wrap = (text: string, prefix = '// ') => {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && (prefix + line + ' ' + word).length > 100) {
      out.push(prefix + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(prefix + line);
  return out;
};

/** The whole of src/protocol/chat.proto. */
export function renderProto(): string {
  messages.clear();
  const rpcs = byDir('request').flatMap(rpc);
  const push = oneof('Push', 'kind', byDir('push'), 'One push on the Subscribe stream.');
  const pkg = SERVICE_NAME.slice(0, SERVICE_NAME.lastIndexOf('.'));
  const service = SERVICE_NAME.slice(SERVICE_NAME.lastIndexOf('.') + 1);
  const statusRows = (Object.keys(ERRORS) as ErrorCodeName[]).map(
    (k) => `//   ${String(ERRORS[k].code).padStart(2)} ${k.padEnd(20)} ${ERRORS[k].grpc}`,
  );
  const endRows = Object.values(STREAM_END).map((e) => `//   ${e.value.padEnd(20)} ${e.doc}`);
  const header = [
    '// termchat over gRPC: the same operations and semantics as the binary protocol (docs/PROTOCOL.md),',
    '// served by src/server/transports/grpc.ts and loaded at run time with @grpc/proto-loader (no codegen).',
    '//',
    '// GENERATED from src/protocol/schema.ts by `npm run docs` (scripts/gen-proto.ts). Do not edit by hand:',
    '// test/protocol/proto.unit.test.ts fails when this file and the schema disagree. Field numbers follow the',
    "// schema's field order.",
    '//',
    ...wrap(
      'Limits: every field has the width it has in a binary frame (the comments give them); the server checks ' +
        'every request against the schema, so a value that would not fit a frame is INVALID_ARGUMENT with ' +
        `${META.errorCode} BAD_FIELD. A request message over ${DEFAULT_MAX_BODY} bytes is refused by the gRPC library ` +
        'itself (RESOURCE_EXHAUSTED) before termchat sees it, so it carries no termchat trailer. ' +
        `ListAccounts answers at most ${SERVICE_DEFAULTS.maxListLimit} names, FetchUndelivered at most ${SERVICE_DEFAULTS.maxFetch} messages.`,
    ),
    '//',
    ...wrap(
      `Auth: Login answers a session token. Every call other than ${BEFORE_LOGIN_TEXT} carries it in the metadata, as ` +
        `\`${META.authorization}: Bearer <token>\` (the scheme name is case-insensitive) or \`${META.session}: <token>\`. ` +
        `A missing, unknown or ended token is UNAUTHENTICATED with ${META.errorCode} NOT_LOGGED_IN: log in again. ` +
        'A Login that carries a live token logs that session in again, as a second Login on one TCP connection does.',
    ),
    '//',
    ...wrap(
      `Errors: a gRPC status mapped from the termchat error code, the sentence as the status details, and in the ` +
        `trailing metadata \`${META.errorCode}\` (e.g. NO_SUCH_USER) and \`${META.errorNumber}\` (e.g. ${ErrorCode.NO_SUCH_USER}). ` +
        'A client should act on the termchat code; several codes share a status:',
    ),
    ...statusRows,
    '//',
    ...wrap(
      'Pushes: Subscribe opens the session\'s live stream (one per session). Response headers are sent at once, so ' +
        'a client knows the stream is attached when it sees them. Pushes that happen between Login and Subscribe ' +
        `are held, at most ${DEFAULT_MAX_HELD_PUSHES} (the newest; older ones stay queued for FetchUndelivered), and sent first. ` +
        'Ack removes only messages delivered to this session, as over TCP. A stream the client reads too slowly ' +
        `ends with RESOURCE_EXHAUSTED and ${META.errorCode} BUSY (the messages stay queued). Every other end is ` +
        `status OK with the trailing metadata \`${META.streamEnd}\` saying why:`,
    ),
    ...endRows,
    '',
  ];
  const lines = [
    ...header,
    'syntax = "proto3";',
    '',
    `package ${pkg};`,
    '',
    `service ${service} {`,
    ...rpcs,
    ...wrap(`The session's live pushes (${byDir('push').join(', ')}); see "Pushes" above for how it ends.`, '  // '),
    `  rpc Subscribe(Empty) returns (stream ${push});`,
    '}',
    '',
    'message Empty {}',
    '',
    ...[...messages.values()].flatMap((m) => [...m, '']),
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(PROTO_PATH, renderProto());
  console.log(`wrote ${PROTO_PATH}`);
}
