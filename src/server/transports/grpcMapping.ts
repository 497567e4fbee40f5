/**
 * chat.proto messages <-> the schema's typed messages, for the gRPC transport. chat.proto is generated
 * from the schema (scripts/gen-proto.ts), so this mapping is generic too: proto-loader gives the
 * schema's camelCase field names back (client_id -> clientId), a reply with several possible answers
 * is a oneof named after them, and so is a push.
 */
import type { Metadata } from '@grpc/grpc-js';
import { BEFORE_LOGIN, REQUEST_NAMES } from '../../protocol/answers.js';
import type { Push, Request, RequestName, Response } from '../../protocol/codec.js';
import { schema, type MessageDef, type MessageName } from '../../protocol/schema.js';
import { toGrpcError } from './grpcErrors.js';
import { META } from '../../protocol/grpcProto.js';

/** chat.proto's Push as proto-loader serializes it: one member set, named after the push. */
export type PushOut = Record<string, Record<string, unknown>>;

const defs = schema as Record<MessageName, MessageDef>;
/** The oneof member name of a schema message (LoggedInElsewhere -> loggedInElsewhere). */
const member = (name: string) => name[0]!.toLowerCase() + name.slice(1);

/** The fields of a decoded message, without its `type`. */
function fieldsOf(m: { type: string }): Record<string, unknown> {
  const { type: _type, ...rest } = m;
  return rest;
}

export function toPushOut(p: Push): PushOut {
  return { [member(p.type)]: fieldsOf(p) };
}

/** The id of a Message or GroupMessage push, if `out` is one. */
export function pushedId(out: PushOut): number | undefined {
  const m = out[member('Message')] ?? out[member('GroupMessage')];
  return m === undefined ? undefined : (m.id as number);
}

const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;

/** The session token a call carries, if any (`authorization: Bearer <token>`, scheme case-insensitive). */
export function tokenOf(md: Metadata): string | undefined {
  const auth = md.get(META.authorization)[0];
  const bearer = typeof auth === 'string' ? BEARER.exec(auth) : null;
  if (bearer) return bearer[1];
  const t = md.get(META.session)[0];
  return typeof t === 'string' ? t : undefined;
}

/** The requests a unary call may carry: every request of the schema. */
export const REQUESTS: readonly RequestName[] = REQUEST_NAMES;

/**
 * The proto request of a unary call -> the schema's Request. Missing fields take proto3's defaults
 * ('', 0 and the empty list); validate() then checks every value against its field, as for a frame.
 */
export function toRequest(name: RequestName, body: Record<string, unknown>): Request {
  const out: Record<string, unknown> = { type: name };
  for (const [field, f] of Object.entries(defs[name].fields)) {
    const v = body[field];
    if (f.kind === 'list') out[field] = Array.isArray(v) ? v : [];
    else out[field] = f.kind === 'ascii' ? (typeof v === 'string' ? v : '') : typeof v === 'number' ? v : 0;
  }
  return out as Request;
}

/** Calls that need no session token: the schema's requests allowed before login (Register, Login, Ping). */
export const ANONYMOUS: ReadonlySet<RequestName> = BEFORE_LOGIN;

/** The schema's Response -> the proto reply of the call (or a gRPC error). */
export function toReply(call: RequestName, r: Response, token: string): { reply: object } | { error: ReturnType<typeof toGrpcError> } {
  if (r.type === 'Error') return { error: toGrpcError(r.code, r.text) };
  const body = fieldsOf(r);
  if (r.type === 'LoginOk') body.token = token;
  const answers = defs[call].answers ?? [];
  return { reply: answers.length > 1 ? { [member(r.type)]: body } : body };
}
